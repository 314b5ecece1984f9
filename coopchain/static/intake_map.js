// The delivery form shows the chosen plot's outline (issue 15): it follows the plot select
// (data-plot-select), also when the form's own script refills its options.
(function () {
  "use strict";
  var M = window.CoopMaps;

  function start(el) {
    var block = document.getElementById("intake-map-block");
    var select = document.getElementById(el.dataset.plotSelect);
    if (!select) return;
    var map = null, outline = null, shownId = null;

    function show() {
      var id = select.value;
      if (id === shownId) return;
      shownId = id;
      if (!id) {
        block.hidden = true;
        return;
      }
      var url = el.dataset.plotsUrl + "?plot_id=" + encodeURIComponent(id);
      M.fetchJSON(url).then(function (data) {
        if (select.value !== id) return;
        block.hidden = !data.features.length;
        if (!data.features.length) return;
        if (!map) {
          map = M.create(el);
          M.addAreas(map, el.dataset.areasUrl).catch(function () {});
        }
        map.invalidateSize();
        if (outline) map.removeLayer(outline);
        outline = L.geoJSON(data, {
          style: { color: "#1b5e20", weight: 3, fillOpacity: 0.25 },
          pointToLayer: function (f, latlng) {
            return L.circleMarker(latlng, { radius: 8 });
          },
        }).addTo(map);
        M.fit(map, [outline]);
        el.setAttribute("data-plot-id", id);
      }).catch(function () {
        block.hidden = true;
      });
    }

    select.addEventListener("change", show);
    // The form's script refills the options and sets the value without a change event; the
    // observer runs after that script's task, when the value is already set.
    new MutationObserver(show).observe(select, { childList: true });
    show();
  }

  document.addEventListener("DOMContentLoaded", function () {
    var el = document.getElementById("intake-map");
    if (el && window.L) start(el);
  });
})();
