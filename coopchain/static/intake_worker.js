// Registers the intake form's service worker (intake_sw.js, scope /deliveries/) and, after
// every online visit, asks it to keep a fresh copy of this page, its scripts and styles and the
// producer and plot lists; then says the form also works without a connection.
(function () {
  'use strict';
  var form = document.getElementById('delivery-form');
  if (!form) return;

  function cacheThisPage(registration) {
    var worker = registration.active || registration.waiting || registration.installing;
    if (!worker) return;
    var urls = [location.pathname, form.dataset.offlineDataUrl];
    document.querySelectorAll('script[src], link[rel=stylesheet], link[rel=icon]').forEach(function (node) {
      var url = new URL(node.src || node.href, location.href);
      if (url.origin === location.origin) urls.push(url.pathname + url.search);
    });
    worker.postMessage({type: 'cache', urls: urls});
  }
  if ('serviceWorker' in navigator && window.isSecureContext) {
    navigator.serviceWorker.addEventListener('message', function (event) {
      if (event.data && event.data.type === 'cached') {
        form.dataset.offlineReady = '1';
        document.getElementById('offline-ready').hidden = false;
      }
    });
    navigator.serviceWorker.register(form.dataset.swUrl).then(function () {
      return navigator.serviceWorker.ready;
    }).then(function (registration) {
      if (navigator.onLine) cacheThisPage(registration);
    }).catch(function () {});
  }
})();
