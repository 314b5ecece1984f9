// Progressive help for the intake form (lots/delivery_form.html); without it the server does
// the same on the next page: plots of the chosen producer, product forms of the plot's crop,
// the net weight. Without a connection the plots come from the lists the device keeps
// (intake_offline.js, window.CoopChainOffline).
(function () {
  var form = document.getElementById('delivery-form');
  var producer = form.elements.producer_code, plot = form.elements.plot_id;
  var productForm = form.elements.product_form, out = document.getElementById('net-kg');
  var cropForms = JSON.parse(form.dataset.cropForms);
  var cropLabels = JSON.parse(form.dataset.cropLabels);
  var hint = document.getElementById('plot-hint'), nameBox = document.getElementById('producer-name');
  var lang = document.documentElement.lang || undefined;
  var loaded = producer.value.trim();

  function code() { return producer.value.split(' — ')[0].trim(); }
  function known(c) {
    var options = document.getElementById('producer-options').options;
    for (var i = 0; i < options.length; i++) {
      if (options[i].value === c) return options[i].textContent.split(' — ').slice(1).join(' — ');
    }
    return null;
  }
  function filterForms() {
    var crops = {}, chosen = plot.options[plot.selectedIndex];
    if (chosen && chosen.dataset.crop) crops[chosen.dataset.crop] = true;
    else for (var i = 0; i < plot.options.length; i++) {
      if (plot.options[i].dataset.crop) crops[plot.options[i].dataset.crop] = true;
    }
    var names = Object.keys(crops), allowed = names.length === 1 ? cropForms[names[0]] : null;
    var shown = [];
    for (var j = 0; j < productForm.options.length; j++) {
      var o = productForm.options[j];
      if (!o.value) continue;
      var ok = !allowed || allowed.indexOf(o.value) >= 0;
      o.hidden = o.disabled = !ok;
      if (ok) shown.push(o.value);
    }
    var current = productForm.options[productForm.selectedIndex];
    if (current && current.disabled) productForm.value = '';
    if (shown.length === 1) productForm.value = shown[0];
    if (unitBox) showUnit();
  }
  function fill(plots, c) {
    var keep = plot.value;
    while (plot.options.length > 1) plot.remove(1);
    plots.forEach(function (p) {
      var o = new Option(p.name + ' · ' + (cropLabels[p.crop] || p.crop), String(p.id));
      o.dataset.crop = p.crop;
      plot.add(o);
    });
    plot.value = plots.length === 1 ? String(plots[0].id) : keep;
    if (plot.selectedIndex < 0) plot.value = '';
    hint.textContent = c && !plots.length ? (known(c) === null ? form.dataset.unknown : form.dataset.noPlots) : '';
    filterForms();
  }
  function loadPlots() {
    var c = code();
    nameBox.textContent = known(c) || '';
    if (c === loaded) return;
    loaded = c;
    if (!c) { fill([], c); return; }
    fetch(form.dataset.plotsUrl + '?producer=' + encodeURIComponent(c),
          {credentials: 'same-origin', headers: {Accept: 'application/json'}})
      .then(function (r) { return r.ok ? r.json() : []; })
      .then(function (plots) { if (code() === c) fill(plots, c); })
      .catch(function () {
        var kept = window.CoopChainOffline && window.CoopChainOffline.plotsOf(c);
        if (kept && code() === c) fill(kept, c);
      });
  }
  function number(text) {
    text = text.trim();
    if (/^-?\d*,\d+$/.test(text)) text = text.replace(',', '.');
    return text === '' ? NaN : Number(text);
  }
  function showNet() {
    var gross = number(form.elements.gross_kg.value);
    var tareText = form.elements.tare_kg.value.trim();
    var net = gross - (tareText === '' ? 0 : number(tareText));
    out.textContent = isFinite(net) ? net.toLocaleString(lang, {maximumFractionDigits: 3}) + ' kg' : '—';
    out.classList.toggle('negative', isFinite(net) && net <= 0);
  }
  // Picking from the list (or typing a whole code) loads at once; anything else on leaving.
  producer.addEventListener('input', function () { if (known(code()) !== null) loadPlots(); });
  producer.addEventListener('change', loadPlots);
  var unitBox = document.getElementById('price-unit');
  function showUnit() {
    var units = JSON.parse(unitBox.dataset.units), labels = JSON.parse(unitBox.dataset.labels);
    unitBox.textContent = labels[units[productForm.value] || 'kg'];
  }
  productForm.addEventListener('change', showUnit);
  plot.addEventListener('change', filterForms);
  form.elements.gross_kg.addEventListener('input', showNet);
  form.elements.tare_kg.addEventListener('input', showNet);
  // No double tickets from a double tap on a slow connection (re-enabled on "back").
  form.addEventListener('submit', function () { form.querySelector('button[type=submit]').disabled = true; });
  window.addEventListener('pageshow', function () { form.querySelector('button[type=submit]').disabled = false; });
  // The offline queue refills the form to fix a ticket (intake_offline.js).
  window.CoopChainIntake = {
    fill: fill,
    showNet: showNet,
    forget: function () { loaded = null; }
  };
  filterForms();
  showNet();
})();
