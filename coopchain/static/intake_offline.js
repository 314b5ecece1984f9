// The intake form without a connection (lots/offline_views.py, docs/ARCHITECTURE.md
// "Offline intake"). A service worker (intake_sw.js, registered by intake_worker.js) keeps the form, its scripts and the
// organisation's producer and plot lists; a ticket saved while offline goes into IndexedDB
// with an id made on this device (crypto.randomUUID), is shown as waiting to send, and is
// sent when the connection returns. The server records an id once, so a ticket sent again
// (a lost answer, a retry) is never recorded twice. Each ticket ends "recorded" (with its
// receipt) or "needs attention" with the reason; the clerk fixes it and it is sent again.
// Every word shown comes from the template's data-s-* attributes, in the page's language.
(function () {
  'use strict';
  var form = document.getElementById('delivery-form');
  var panel = document.getElementById('offline-queue');
  if (!form || !panel || !window.indexedDB || !window.CoopChainQueue) return;
  var S = panel.dataset;
  var lang = document.documentElement.lang || undefined;
  var FIELDS = ['ticket_number', 'producer_code', 'plot_id', 'product_form', 'gross_kg',
                'tare_kg', 'moisture_pct', 'delivered_on', 'price_entered', 'notes'];
  var BATCH = 10;  // per request: about a second even on a loaded server (docs/BENCHMARKS.md)
  var RETRY_MS = 3000;
  var lists = null;  // {organization, producers: [{code, name, plots: [...]}], fetched_at}
  var csrf = null;
  var sending = false, retryTimer = null, loginNeeded = false, editing = null;

  // The tickets on this device (IndexedDB, intake_queue.js).
  var queue = window.CoopChainQueue;
  var allTickets = queue.all, put = queue.put, putAll = queue.putAll, remove = queue.remove;

  // --- the lists kept for offline work --------------------------------------------------
  function producerOf(typed) {
    if (!lists) return null;
    var text = (typed || '').split(' — ')[0].trim().toLowerCase();
    var found = null;
    lists.producers.forEach(function (p) {
      if (p.code.toLowerCase() === text || p.name.toLowerCase() === text) found = found || p;
    });
    return found;
  }
  function plotVersion(plotId) {
    var version = null;
    if (lists) lists.producers.forEach(function (p) {
      p.plots.forEach(function (plot) { if (String(plot.id) === String(plotId)) version = plot.version; });
    });
    return version;
  }
  window.CoopChainOffline = {
    plotsOf: function (typed) { var p = producerOf(typed); return p ? p.plots : null; },
    lists: function () { return lists; }
  };

  // Asks for the lists and a fresh CSRF token: 'ok', 'login' (the session ended), or
  // 'offline' (no answer; the worker's copy of the lists is used if there is one).
  function refresh() {
    return fetch(form.dataset.offlineDataUrl, {
      credentials: 'same-origin', redirect: 'manual', headers: {Accept: 'application/json'}
    }).then(function (response) {
      if (response.type === 'opaqueredirect' || response.status === 401) return 'login';
      if (!response.ok) return 'offline';
      var copy = response.headers.get('X-Offline-Copy') === '1';
      return response.json().then(function (data) {
        lists = data;
        if (copy) return 'offline';
        csrf = data.csrf_token;
        loginNeeded = false;
        return 'ok';
      });
    }).catch(function () { return 'offline'; });
  }

  // --- queueing a ticket from the form --------------------------------------------------
  function uuid() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    // Secure pages have randomUUID; this only serves old browsers, from the same generator.
    var b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40; b[8] = (b[8] & 0x3f) | 0x80;
    var h = Array.prototype.map.call(b, function (x) { return (x + 0x100).toString(16).slice(1); }).join('');
    return h.slice(0, 8) + '-' + h.slice(8, 12) + '-' + h.slice(12, 16) + '-' + h.slice(16, 20) + '-' + h.slice(20);
  }
  function fieldsOfForm() {
    var values = {};
    FIELDS.forEach(function (name) {
      var el = form.elements[name];
      values[name] = el ? String(el.value).trim() : '';
    });
    var producer = producerOf(values.producer_code);
    if (producer) values.producer_code = producer.code;
    var plot = form.elements.plot_id;
    return {
      fields: values,
      plot_version: plotVersion(values.plot_id),
      labels: {
        producer: producer ? producer.code + ' — ' + producer.name : values.producer_code,
        plot: plot.selectedIndex > 0 ? plot.options[plot.selectedIndex].text : ''
      }
    };
  }
  function queueFromForm() {
    var typed = fieldsOfForm();
    var now = new Date().toISOString();
    var ticket = editing || {client_id: uuid(), queued_at: now, acknowledged: []};
    ticket.organization = form.dataset.organization;
    ticket.fields = typed.fields;
    ticket.plot_version = typed.plot_version;
    ticket.labels = typed.labels;
    ticket.typed_at = now;
    ticket.status = 'waiting';
    ticket.reason = ticket.message = null;
    ticket.problems = {};
    var wasEditing = !!editing;
    return put(ticket).then(function () {
      editing = null;
      clearForm(ticket);
      say(S.sQueued.replace('{ticket}', ticket.fields.ticket_number), 'success');
      return render().then(function () { if (navigator.onLine || wasEditing) sendWaiting(); });
    });
  }
  function nextTicketNumber(text) {
    var match = /^(.*?)(\d+)$/.exec(text || '');
    if (!match) return '';
    var n = String(Number(match[2]) + 1);
    while (n.length < match[2].length) n = '0' + n;
    return match[1] + n;
  }
  function clearForm(ticket) {
    ['gross_kg', 'moisture_pct', 'price_entered', 'notes', 'producer_code'].forEach(function (name) {
      if (form.elements[name]) form.elements[name].value = '';
    });
    form.elements.ticket_number.value = nextTicketNumber(ticket.fields.ticket_number);
    document.getElementById('producer-name').textContent = '';
    if (window.CoopChainIntake) { window.CoopChainIntake.forget(); window.CoopChainIntake.fill([], ''); window.CoopChainIntake.showNet(); }
    var notice = document.getElementById('offline-editing');
    if (notice) notice.hidden = true;
    form.elements.ticket_number.focus();
  }

  form.addEventListener('submit', function (event) {
    // Online, a new ticket goes the usual way (the server answers warnings on the page);
    // offline, or when fixing a queued ticket, it is kept here and sent from the queue.
    if (navigator.onLine && !editing) return;
    event.preventDefault();
    event.stopImmediatePropagation();
    var advance = form.elements.advance_amount;
    if (advance && advance.value.trim()) {
      // Paying needs the office's books: an advance is never kept for later, nor dropped.
      say(S.sNoAdvance, 'error');
      advance.focus();
      return;
    }
    queueFromForm();
  });

  // --- sending ---------------------------------------------------------------------------
  function payload(t) {
    var body = {client_id: t.client_id, organization: t.organization, plot_version: t.plot_version,
                acknowledged: t.acknowledged || [], typed_at: t.typed_at};
    FIELDS.forEach(function (name) { body[name] = t.fields[name]; });
    return body;
  }
  function post(batch) {
    return fetch(form.dataset.sendUrl, {
      method: 'POST', credentials: 'same-origin', redirect: 'manual',
      headers: {'Content-Type': 'application/json', Accept: 'application/json', 'X-CSRFToken': csrf},
      body: JSON.stringify({tickets: batch.map(payload)})
    });
  }
  function scheduleRetry() {
    clearTimeout(retryTimer);
    retryTimer = setTimeout(function () { if (navigator.onLine) sendWaiting(); }, RETRY_MS);
  }
  function apply(batch, results) {
    var byId = {};
    batch.forEach(function (t) { byId[t.client_id] = t; });
    results.forEach(function (r) {
      var t = byId[r.client_id];
      if (!t) return;
      if (r.status === 'recorded') {
        t.status = 'recorded';
        t.duplicate = r.duplicate;
        t.delivery_id = r.delivery_id;
        t.lot = r.lot;
        t.detail_url = r.detail_url;
        t.receipt_url = r.receipt_url;
        t.reason = t.message = null;
        t.recorded_at = new Date().toISOString();
      } else {
        t.status = 'attention';
        t.reason = r.reason;
        t.message = r.message;
        t.problems = r.fields || {};
        t.warnings = r.warnings || [];
      }
      delete byId[r.client_id];
    });
    // A ticket the answer did not mention (never expected) stays waiting.
    Object.keys(byId).forEach(function (id) { byId[id].status = 'waiting'; });
    return putAll(batch);
  }
  function sendBatch(batch, csrfRetried) {
    return post(batch).then(function (response) {
      if (response.type === 'opaqueredirect' || response.status === 401) return 'login';
      if (response.status === 400 && !csrfRetried) {
        // The CSRF token is the session's: a new session (logged in again) needs a new one.
        return refresh().then(function (state) { return state === 'ok' ? sendBatch(batch, true) : state; });
      }
      if (response.status === 400) return 'login';
      if (!response.ok) return 'error';
      return response.json().then(function (data) { return apply(batch, data.results).then(function () { return 'ok'; }); });
    }, function () { return 'offline'; });
  }
  function sendWaiting() {
    if (sending) return Promise.resolve();
    sending = true;
    clearTimeout(retryTimer);
    return refresh().then(function (state) {
      if (state !== 'ok') return state;
      say('');  // "kept on this device" is old news once the server answers
      return allTickets().then(function (tickets) {
        var waiting = tickets.filter(function (t) { return t.status === 'waiting' || t.status === 'sending'; });
        var step = function (start) {
          if (start >= waiting.length) return Promise.resolve('ok');
          var batch = waiting.slice(start, start + BATCH);
          batch.forEach(function (t) { t.status = 'sending'; });
          return putAll(batch).then(render).then(function () { return sendBatch(batch, false); })
            .then(function (outcome) {
              if (outcome === 'ok') return step(start + BATCH);
              batch.forEach(function (t) { if (t.status === 'sending') t.status = 'waiting'; });
              return putAll(batch).then(function () { return outcome; });
            });
        };
        return step(0);
      });
    }).then(function (outcome) {
      loginNeeded = outcome === 'login';
      if (outcome === 'offline') scheduleRetry();
      if (outcome === 'error') { say(S.sError, 'error'); scheduleRetry(); }
    }).then(function () { sending = false; return render(); }, function () { sending = false; return render(); });
  }

  // --- showing the queue -----------------------------------------------------------------
  function say(text, tone) {
    var box = document.getElementById('offline-message');
    box.textContent = text || '';
    box.className = 'flash ' + (tone || 'info');
    box.hidden = !text;
  }
  function when(iso) {
    var d = new Date(iso), today = new Date();
    var time = d.toLocaleTimeString(lang, {hour: '2-digit', minute: '2-digit'});
    return d.toDateString() === today.toDateString() ? time : d.toLocaleDateString(lang) + ' ' + time;
  }
  function day(iso) {
    var parts = (iso || '').split('-');
    if (parts.length !== 3) return iso;
    return new Date(Number(parts[0]), Number(parts[1]) - 1, Number(parts[2])).toLocaleDateString(lang);
  }
  function net(t) {
    var number = function (v) { v = String(v || '').replace(',', '.'); return v === '' ? 0 : Number(v); };
    var value = number(t.fields.gross_kg) - number(t.fields.tare_kg);
    return isFinite(value) ? value.toLocaleString(lang, {maximumFractionDigits: 3}) + ' kg' : '—';
  }
  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }
  function labelOf(name) {
    // The field's own label on the form ("Número de ticket"), not its name.
    var field = form.elements[name];
    var label = field && field.closest ? field.closest('label') : null;
    var span = label ? label.querySelector('span') : null;
    return span ? span.textContent.replace(/\s*\*\s*$/, '').trim() : name;
  }
  function button(label, action, id) {
    var b = el('button', {type: 'button', 'class': 'small secondary', 'data-action': action, 'data-id': id}, label);
    return b;
  }
  function item(t) {
    var li = el('li', {'class': 'offline-ticket ' + t.status, 'data-client-id': t.client_id, 'data-status': t.status});
    var head = el('div', {'class': 'offline-ticket-head'});
    head.appendChild(el('strong', {'class': 'ticket'}, t.fields.ticket_number));
    var tone = {waiting: 'warn', sending: 'info', recorded: 'ok', attention: 'bad'}[t.status];
    head.appendChild(el('span', {'class': 'badge ' + tone}, S['sStatus' + t.status.charAt(0).toUpperCase() + t.status.slice(1)]));
    li.appendChild(head);
    li.appendChild(el('p', {'class': 'muted'}, [t.labels.producer, t.labels.plot, net(t), day(t.fields.delivered_on)].filter(Boolean).join(' · ')));
    if (t.status === 'recorded') {
      var done = el('p', {'class': 'offline-done'});
      if (t.lot) done.appendChild(document.createTextNode(S.sLot.replace('{lot}', t.lot) + ' '));
      if (t.duplicate) done.appendChild(el('span', {'class': 'muted duplicate'}, S.sDuplicate + ' '));
      done.appendChild(el('a', {href: t.receipt_url, 'class': 'receipt', target: '_blank', rel: 'noopener'}, S.sReceipt));
      done.appendChild(document.createTextNode(' · '));
      done.appendChild(el('a', {href: t.detail_url}, S.sOpen));
      li.appendChild(done);
    } else if (t.status === 'attention') {
      li.appendChild(el('p', {'class': 'offline-reason', 'data-reason': t.reason}, t.message));
      var problems = [];
      Object.keys(t.problems || {}).forEach(function (name) {
        var messages = t.problems[name];
        problems.push(labelOf(name) + ': ' + (Array.isArray(messages) ? messages.join(' ') : JSON.stringify(messages)));
      });
      (t.warnings || []).forEach(function (w) { problems.push(w.code + ': ' + w.text); });
      if (problems.length) {
        var list = el('ul', {'class': 'offline-problems'});
        problems.forEach(function (p) { list.appendChild(el('li', null, p)); });
        li.appendChild(list);
      }
      var actions = el('div', {'class': 'actions'});
      if (t.reason === 'warnings') actions.appendChild(button(S.sAnyway, 'anyway', t.client_id));
      actions.appendChild(button(S.sFix, 'fix', t.client_id));
      actions.appendChild(button(S.sDiscard, 'discard', t.client_id));
      li.appendChild(actions);
    }
    return li;
  }
  function render() {
    return allTickets().then(function (tickets) {
      var waiting = tickets.filter(function (t) { return t.status === 'waiting' || t.status === 'sending'; });
      var attention = tickets.filter(function (t) { return t.status === 'attention'; });
      var recorded = tickets.filter(function (t) { return t.status === 'recorded'; });
      panel.hidden = !tickets.length && navigator.onLine && !loginNeeded;
      var status = document.getElementById('offline-status');
      status.textContent = navigator.onLine ? S.sOnline : S.sOffline;
      status.className = 'badge ' + (navigator.onLine ? 'ok' : 'warn');
      var summary = document.getElementById('offline-summary');
      summary.dataset.waiting = String(waiting.length);
      summary.dataset.attention = String(attention.length);
      summary.dataset.recorded = String(recorded.length);
      if (waiting.length) {
        var template = waiting.length === 1 ? S.sWaitingOne : S.sWaitingMany;
        summary.textContent = template.replace('{num}', waiting.length).replace('{since}', when(waiting[0].queued_at));
      } else {
        summary.textContent = S.sNoneWaiting;
      }
      if (attention.length) {
        var needs = attention.length === 1 ? S.sAttentionOne : S.sAttention;
        summary.textContent += ' ' + needs.replace('{num}', attention.length);
      }
      document.getElementById('offline-login').hidden = !loginNeeded;
      document.getElementById('offline-send').hidden = !waiting.length;
      document.getElementById('offline-clear').hidden = !recorded.length;
      var lists_ = document.getElementById('offline-lists');
      lists_.textContent = lists ? S.sLists.replace('{time}', when(lists.fetched_at)) : S.sNoLists;
      var ul = document.getElementById('offline-list');
      ul.textContent = '';
      // Newest first: the ticket just typed is at the top, on a phone too.
      tickets.slice().reverse().forEach(function (t) { ul.appendChild(item(t)); });
    });
  }

  // --- the clerk's buttons ----------------------------------------------------------------
  function fix(t) {
    editing = t;
    FIELDS.forEach(function (name) {
      if (name !== 'plot_id' && form.elements[name]) form.elements[name].value = t.fields[name] || '';
    });
    var plots = window.CoopChainOffline.plotsOf(t.fields.producer_code) || [];
    if (window.CoopChainIntake) window.CoopChainIntake.fill(plots, t.fields.producer_code);
    form.elements.plot_id.value = t.fields.plot_id;
    if (form.elements.plot_id.selectedIndex < 0) form.elements.plot_id.value = '';
    form.elements.product_form.value = t.fields.product_form;
    if (window.CoopChainIntake) window.CoopChainIntake.showNet();
    var notice = document.getElementById('offline-editing');
    notice.textContent = S.sFixing.replace('{ticket}', t.fields.ticket_number) + ' ' + (t.message || '');
    notice.hidden = false;
    var first = Object.keys(t.problems || {})[0];
    var target = (first && form.elements[first]) || form.elements.ticket_number;
    form.scrollIntoView();
    target.focus();
  }
  panel.addEventListener('click', function (event) {
    var target = event.target.closest('button');
    if (!target) return;
    var action = target.dataset.action || target.id;
    if (action === 'offline-send') { sendWaiting(); return; }
    if (action === 'offline-clear') {
      allTickets().then(function (tickets) {
        return remove(tickets.filter(function (t) { return t.status === 'recorded'; }).map(function (t) { return t.client_id; }));
      }).then(render);
      return;
    }
    allTickets().then(function (tickets) {
      var t = tickets.filter(function (x) { return x.client_id === target.dataset.id; })[0];
      if (!t) return null;
      if (action === 'fix') { fix(t); return null; }
      if (action === 'discard') return remove([t.client_id]).then(render);
      if (action === 'anyway') {
        t.acknowledged = (t.warnings || []).map(function (w) { return w.code; });
        t.status = 'waiting';
        return put(t).then(render).then(sendWaiting);
      }
      return null;
    });
  });

  window.addEventListener('online', function () { render().then(sendWaiting); });
  window.addEventListener('offline', render);

  render().then(function () {
    if (navigator.onLine) return sendWaiting();
    return refresh().then(render);
  });
})();
