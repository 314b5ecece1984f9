// The intake form's service worker (served as /deliveries/intake-sw.js so that its scope,
// /deliveries/, covers the form; lots/offline_views.py). It keeps what the form needs for a day
// without a connection: the form page, its scripts and styles, and the producer and plot
// lists. Network first for the page and the lists (always fresh when online), the kept copy
// when the network fails; static files from the copy, refreshed behind it. It never touches a
// POST: tickets are queued and sent by the page (intake_offline.js), not replayed from here.
'use strict';

var CACHE = 'coopchain-intake-v1';
var FORM = '/deliveries/new';
var DATA = '/deliveries/offline-data';

self.addEventListener('install', function () {
  self.skipWaiting();
});

self.addEventListener('activate', function (event) {
  event.waitUntil(
    caches.keys().then(function (names) {
      return Promise.all(names.filter(function (name) {
        return name.indexOf('coopchain-intake-') === 0 && name !== CACHE;
      }).map(function (name) { return caches.delete(name); }));
    }).then(function () { return self.clients.claim(); })
  );
});

function keep(key, response) {
  if (!key) return;
  // Only whole, same-origin answers: never a redirect to the login page or an error page.
  if (!response || !response.ok || response.redirected || response.type !== 'basic') return;
  var copy = response.clone();
  return caches.open(CACHE).then(function (cache) { return cache.put(key, copy); });
}

// The page asks for its own URL, the lists and its assets to be kept (the first visit is not
// yet controlled by this worker, so nothing it loaded went through here).
self.addEventListener('message', function (event) {
  if (!event.data || event.data.type !== 'cache') return;
  var urls = (event.data.urls || []).filter(function (url) {
    return typeof url === 'string' && url.charAt(0) === '/' && url.charAt(1) !== '/';
  });
  event.waitUntil(
    Promise.all(urls.map(function (url) {
      var key = url.split('?')[0] === FORM ? FORM : url;
      return fetch(url, {credentials: 'same-origin', cache: 'no-store'})
        .then(function (response) { return keep(key, response); })
        .catch(function () {});
    })).then(function () {
      if (event.source) event.source.postMessage({type: 'cached'});
    })
  );
});

function networkFirst(request, key) {
  return fetch(request).then(function (response) {
    keep(key, response);
    return response;
  }).catch(function () {
    return caches.open(CACHE).then(function (cache) {
      return cache.match(key || FORM);
    }).then(function (hit) {
      if (!hit) return Response.error();
      if (key !== DATA) return hit;
      // Say it is the kept copy: the page then knows it is not talking to the server.
      var headers = new Headers(hit.headers);
      headers.set('X-Offline-Copy', '1');
      return hit.blob().then(function (body) {
        return new Response(body, {status: hit.status, headers: headers});
      });
    });
  });
}

function cacheFirst(request) {
  return caches.open(CACHE).then(function (cache) {
    return cache.match(request).then(function (hit) {
      var fresh = fetch(request).then(function (response) {
        keep(request, response);
        return response;
      });
      if (hit) {
        fresh.catch(function () {});
        return hit;
      }
      return fresh;
    });
  });
}

self.addEventListener('fetch', function (event) {
  var request = event.request;
  var url = new URL(request.url);
  if (request.method !== 'GET' || url.origin !== self.location.origin) return;
  if (url.pathname === FORM && request.mode === 'navigate') {
    // A form opened for one producer (?producer=) is served, not kept as the day's copy.
    event.respondWith(networkFirst(request, url.search ? null : FORM));
  } else if (url.pathname === DATA) {
    event.respondWith(networkFirst(request, DATA));
  } else if (url.pathname.indexOf('/static/') === 0) {
    event.respondWith(cacheFirst(request));
  }
});
