// The offline intake's tickets on this device: one IndexedDB store ("coopchain-intake",
// "tickets"), keyed by the id the device gave each ticket (crypto.randomUUID). Kept apart from
// intake_offline.js (what the clerk sees and how tickets are sent) so the storage reads alone.
(function () {
  'use strict';
  if (!window.indexedDB) return;
  var dbPromise = null;

  function db() {
    if (!dbPromise) {
      dbPromise = new Promise(function (resolve, reject) {
        var request = indexedDB.open('coopchain-intake', 1);
        request.onupgradeneeded = function () {
          request.result.createObjectStore('tickets', {keyPath: 'client_id'});
        };
        request.onsuccess = function () { resolve(request.result); };
        request.onerror = function () { reject(request.error); };
      });
    }
    return dbPromise;
  }
  function store(mode, work) {
    return db().then(function (handle) {
      return new Promise(function (resolve, reject) {
        var tx = handle.transaction('tickets', mode);
        var result = work(tx.objectStore('tickets'));
        tx.oncomplete = function () { resolve(result && 'result' in result ? result.result : result); };
        tx.onerror = function () { reject(tx.error); };
        tx.onabort = function () { reject(tx.error); };
      });
    });
  }
  function allTickets() {
    return store('readonly', function (s) { return s.getAll(); }).then(function (rows) {
      return rows.sort(function (a, b) { return a.queued_at < b.queued_at ? -1 : 1; });
    });
  }
  function put(ticket) { return store('readwrite', function (s) { s.put(ticket); }); }
  function putAll(tickets) {
    return store('readwrite', function (s) { tickets.forEach(function (t) { s.put(t); }); });
  }
  function remove(ids) {
    return store('readwrite', function (s) { ids.forEach(function (id) { s.delete(id); }); });
  }

  window.CoopChainQueue = {all: allTickets, put: put, putAll: putAll, remove: remove};
})();
