// The field import's preview map (issue 17): every plot of the uploaded file, coloured by what
// the import would do with it (new, has problems, imported before), with its row and problems.
// The features come from the page itself (data-features), so the preview needs no request.
(function () {
  "use strict";
  var M = window.CoopMaps;
  var COLOURS = { "new": "#1b5e20", error: "#b71c1c", imported_before: "#616161" };
  var words = null;

  function w(key) {
    if (words === null) {
      var block = document.getElementById("field-import-strings");
      words = block ? JSON.parse(block.getAttribute("data-strings")) : {};
    }
    return words[key] || key;
  }

  function popup(p) {
    var e = M.escapeHTML;
    var html = "<strong>" + e(w("row")) + " " + e(p.row) + ": " + e(p.name || "") + "</strong>";
    html += "<br>" + e(p.member_code ? p.member_code + " · " + p.producer : p.producer || "");
    html += "<br>" + e(w(p.status));
    if (p.issues && p.issues.length) {
      html += "<ul class='map-issues'>" + p.issues.map(function (m) {
        return "<li>" + e(m) + "</li>";
      }).join("") + "</ul>";
    }
    return html;
  }

  function start(el) {
    var map = M.create(el);
    var data = JSON.parse(el.getAttribute("data-features"));
    var layer = L.geoJSON(data, {
      style: function (feature) {
        var colour = COLOURS[feature.properties.status] || COLOURS.error;
        return { color: colour, weight: 2, fillColor: colour, fillOpacity: 0.2 };
      },
      pointToLayer: function (feature, latlng) {
        return L.circleMarker(latlng, { radius: 7 });
      },
      onEachFeature: function (feature, item) {
        item.bindPopup(popup(feature.properties));
        item.bindTooltip(M.escapeHTML(w("row") + " " + feature.properties.row));
      },
    }).addTo(map);
    layer.eachLayer(function (item) {
      var path = item.getElement && item.getElement();
      if (path) {
        path.setAttribute("data-row", item.feature.properties.row);
        path.setAttribute("data-status", item.feature.properties.status);
      }
    });
    el.setAttribute("data-drawn", String(layer.getLayers().length));
    if (!M.fit(map, [layer])) {
      M.notice(el, M.t("no_plots"));
    }
    if (el.dataset.areasUrl) {
      M.addAreas(map, el.dataset.areasUrl).catch(function () {
        M.notice(el, M.t("load_failed"), "warn");
      });
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    var el = document.getElementById("field-import-map");
    if (el) start(el);
  });
})();
