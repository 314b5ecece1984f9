// The merge page's running total: the kilograms of the ticked lots (what is typed in a lot's
// "kg to take", else all it has available), updated as the clerk ticks and types. Without
// JavaScript the server shows the total of the lots picked when the page was opened.
(function () {
  var form = document.querySelector("form.merge-form");
  var out = document.getElementById("merge-total");
  if (!form || !out) return;
  var group = out.dataset.group, decimal = out.dataset.decimal;

  function number(text) {
    text = (text || "").trim();
    if (/^\d*,\d+$/.test(text)) text = text.replace(",", ".");
    return text === "" ? NaN : Number(text);
  }
  function grams(value) { return Math.round(value * 1000); }
  function show(totalGrams) {
    // Whole kilograms from 100 kg, a tenth below (formatting.kg_rounded), in the page's locale.
    var kg = totalGrams / 1000, places = Math.abs(kg) >= 100 ? 0 : 1;
    var fixed = kg.toFixed(places).split(".");
    var whole = fixed[0].replace(/\B(?=(\d{3})+(?!\d))/g, group);
    var text = fixed.length > 1 && fixed[1] !== "0" ? whole + decimal + fixed[1] : whole;
    out.textContent = text + " kg";
  }
  function update() {
    var total = 0, count = 0;
    form.querySelectorAll("tr[data-available]").forEach(function (row) {
      var box = row.querySelector("input[type=checkbox][name=lot]");
      if (!box || !box.checked) return;
      var typed = number(row.querySelector("input.kg-input").value);
      total += grams(isFinite(typed) && typed > 0 ? typed : Number(row.dataset.available));
      count += 1;
      row.classList.add("picked");
    });
    form.querySelectorAll("tr[data-available]").forEach(function (row) {
      var box = row.querySelector("input[type=checkbox][name=lot]");
      if (box && !box.checked) row.classList.remove("picked");
    });
    show(total);
    document.getElementById("merge-count").textContent = String(count);
  }
  form.addEventListener("change", update);
  form.addEventListener("input", update);
  update();
})();
