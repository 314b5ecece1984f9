// The score sheet's live total (progressive enhancement: the form works without it and the
// server recomputes every score; quality/rules.py is the authority).
//
// Exact arithmetic only: SCA 2004 scores are added in hundredths of a point (8.25 → 825) and
// CVA 2024 scores in 1/32 of a point (0.65625 = 21/32, 52.75 = 1688/32), all integers, so no
// float error can creep in; the result is rounded half up to two decimals, as the server
// shows it.
(function () {
  'use strict';
  var form = document.getElementById('sheet-form');
  if (!form) return;
  var protocol = form.dataset.protocol;
  var decimal = form.dataset.decimal || '.';
  var out = {
    total: document.getElementById('live-total'),
    defects: document.getElementById('live-defects'),
    final: document.getElementById('live-final')
  };
  var SCA = ['fragrance_aroma', 'flavor', 'aftertaste', 'acidity', 'body', 'balance', 'overall'];
  var SCA_CUPS = ['uniformity', 'clean_cup', 'sweetness'];
  var CVA = ['fragrance', 'aroma', 'flavor', 'aftertaste', 'acidity', 'sweetness', 'mouthfeel', 'overall'];

  // "8.25" or "8,25" (a Spanish tablet's keyboard) → 825; null when it is not a number with at
  // most two significant decimals.
  function hundredths(text) {
    var m = /^\+?(\d+)(?:[.,](\d*))?$/.exec(text.trim());
    if (!m) return null;
    var frac = m[2] || '';
    if (frac.length > 2) {
      if (!/^0+$/.test(frac.slice(2))) return null;
      frac = frac.slice(0, 2);
    }
    while (frac.length < 2) frac += '0';
    return parseInt(m[1], 10) * 100 + parseInt(frac, 10);
  }

  // Hundredths (an integer) → "84.75" with the page's decimal symbol.
  function show(h) {
    var sign = h < 0 ? '-' : '';
    h = Math.abs(h);
    var cents = String(h % 100);
    return sign + Math.floor(h / 100) + decimal + (cents.length < 2 ? '0' + cents : cents);
  }

  // 1/32 points (an integer) → hundredths, rounded half up like the server (ROUND_HALF_UP).
  function thirtySecondsToHundredths(n) {
    var sign = n < 0 ? -1 : 1, scaled = Math.abs(n) * 100;
    var whole = Math.floor(scaled / 32), rest = scaled % 32;
    return sign * (whole + (2 * rest >= 32 ? 1 : 0));
  }

  function cups(name) {
    var field = form.elements[name];
    var n = field ? parseInt(field.value, 10) : 0;
    return n >= 0 && n <= 5 ? n : null;
  }

  function mark(input, ok) {
    var box = input.closest('.field, .scale-row');
    if (box) box.classList.toggle('invalid', !ok && input.value.trim() !== '');
  }

  function sca() {
    var total = 0, complete = true;
    SCA.forEach(function (name) {
      var input = form.elements[name], h = hundredths(input.value);
      var ok = h !== null && h >= 600 && h <= 1000 && h % 25 === 0;
      mark(input, ok);
      if (ok) total += h; else complete = false;
    });
    SCA_CUPS.forEach(function (name) {
      total += 200 * form.querySelectorAll('input[data-cups="' + name + '"]:checked').length;
    });
    var taint = cups('taint_cups'), fault = cups('fault_cups');
    var defects = taint === null || fault === null || taint + fault > 5 ? null : (2 * taint + 4 * fault) * 100;
    return {total: complete ? total : null, defects: defects};
  }

  function cva() {
    var sum = 0, complete = true;
    CVA.forEach(function (name) {
      var chosen = form.querySelector('input[name="' + name + '"]:checked');
      var n = chosen ? parseInt(chosen.value, 10) : NaN;
      if (n >= 1 && n <= 9) sum += n; else complete = false;
    });
    var u = cups('non_uniform_cups'), d = cups('defective_cups');
    // S = 21/32·Σ + 1688/32 − 2u − 4d, in 1/32 points.
    var total = complete ? 21 * sum + 1688 : null;
    var defects = u === null || d === null ? null : 32 * (2 * u + 4 * d);
    return {
      total: total === null ? null : thirtySecondsToHundredths(total),
      defects: defects === null ? null : thirtySecondsToHundredths(defects),
      final: total === null || defects === null ? null : thirtySecondsToHundredths(total - defects)
    };
  }

  function update() {
    var r = protocol === 'cva_2024' ? cva() : sca();
    if (r.final === undefined) r.final = r.total === null || r.defects === null ? null : r.total - r.defects;
    out.total.textContent = r.total === null ? '—' : show(r.total);
    out.defects.textContent = r.defects === null ? '—' : show(r.defects);
    out.final.textContent = r.final === null ? '—' : show(r.final);
  }

  form.addEventListener('input', update);
  form.addEventListener('change', update);
  // No double save from a double tap (re-enabled when the page comes back from history).
  var button = form.querySelector('button[type=submit]');
  form.addEventListener('submit', function () { button.disabled = true; });
  window.addEventListener('pageshow', function () { button.disabled = false; update(); });
  update();
})();
