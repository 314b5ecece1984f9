// What every staff map shares (issue 15): a Leaflet map with the configured basemap, a plain
// background and a notice when the tiles cannot load, and the protected-area outlines.
// Settings come from the map element's data-* attributes, words from #map-strings.
(function () {
  "use strict";

  var strings = null;

  function t(key) {
    if (strings === null) {
      var block = document.getElementById("map-strings");
      strings = block ? JSON.parse(block.getAttribute("data-strings")) : {};
    }
    return strings[key] || key;
  }

  function notice(el, text, kind) {
    var box = el.parentNode.querySelector(".map-notice[data-for='" + el.id + "']");
    if (!box) {
      box = document.createElement("p");
      box.className = "map-notice";
      box.setAttribute("data-for", el.id);
      box.setAttribute("role", "status");
      el.parentNode.insertBefore(box, el.nextSibling);
    }
    box.textContent = text;
    box.classList.toggle("warn", kind === "warn");
    return box;
  }

  // A map in `el` centred on the Alto Mayo until data arrives; tiles from data-tiles.
  function create(el, options) {
    var map = L.map(el, Object.assign({ scrollWheelZoom: false }, options || {}));
    map.setView([-5.7, -77.4], 10);
    var layers = {};
    var streets = el.dataset.tiles;
    if (streets) {
      layers[t("streets")] = L.tileLayer(streets, {
        attribution: el.dataset.attribution || "",
        maxZoom: 19,
      });
    }
    if (el.dataset.satellite) {
      layers[t("satellite")] = L.tileLayer(el.dataset.satellite, {
        attribution: el.dataset.satelliteAttribution || "",
        maxZoom: 19,
      });
    }
    var names = Object.keys(layers);
    var warned = false;
    names.forEach(function (name) {
      layers[name].on("tileerror", function () {
        // No network, or the tile server refuses: keep the plain background, say so once.
        el.classList.add("tiles-off");
        if (!warned) {
          warned = true;
          notice(el, t("tiles_unavailable"), "warn");
        }
      });
    });
    if (names.length) {
      layers[names[0]].addTo(map);
    } else {
      el.classList.add("tiles-off");
    }
    if (names.length > 1) {
      L.control.layers(layers, null, { collapsed: false }).addTo(map);
    }
    L.control.scale({ imperial: false }).addTo(map);
    return map;
  }

  function fetchJSON(url) {
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) {
          throw new Error(response.status + " " + url);
        }
        return response.json();
      });
  }

  function escapeHTML(text) {
    var div = document.createElement("div");
    div.textContent = text == null ? "" : String(text);
    return div.innerHTML;
  }

  // Protected areas (solid) and buffer zones (dashed), under the plots; labelled approximate.
  // With {interactive: false} (the plot editor) clicks go through to the drawing tools.
  function addAreas(map, url, options) {
    var interactive = !(options && options.interactive === false);
    return fetchJSON(url).then(function (data) {
      var layer = L.geoJSON(data, {
        interactive: interactive,
        pmIgnore: true,
        style: function (feature) {
          var buffer = feature.properties.kind === "buffer_zone";
          return {
            color: buffer ? "#7a5c1e" : "#1b5e20",
            weight: 2,
            dashArray: buffer ? "6 6" : feature.properties.approximate ? "2 6" : null,
            fillColor: buffer ? "#c9a227" : "#2e7d32",
            fillOpacity: 0.08,
          };
        },
        onEachFeature: function (feature, item) {
          if (!interactive) return;
          var p = feature.properties;
          var label = p.name + " · " + t(p.kind) + (p.approximate ? " (" + t("approximate") + ")" : "");
          item.bindTooltip(escapeHTML(label), { sticky: true, className: "area-label" });
          item.bindPopup(
            "<strong>" + escapeHTML(p.name) + "</strong><br>" + escapeHTML(t(p.kind)) +
              (p.approximate ? "<br><em>" + escapeHTML(t("approximate")) + "</em>" : "") +
              (p.source ? "<br>" + escapeHTML(t("source")) + ": " + escapeHTML(p.source) : "")
          );
        },
      });
      layer.addTo(map);
      layer.bringToBack();
      layer.eachLayer(function (item) {
        var path = item.getElement && item.getElement();
        if (path) path.setAttribute("data-area", item.feature.properties.name);
      });
      return layer;
    });
  }

  // Zoom to the layers' extent (plots first; the areas only when there are no plots).
  function fit(map, layers) {
    for (var i = 0; i < layers.length; i++) {
      var bounds = layers[i] && layers[i].getLayers().length && layers[i].getBounds();
      if (bounds && bounds.isValid()) {
        // Without animation: a fit never races a zoom still running (data arriving late).
        map.fitBounds(bounds, { padding: [20, 20], maxZoom: 17, animate: false });
        return true;
      }
    }
    return false;
  }

  window.CoopMaps = {
    t: t,
    create: create,
    notice: notice,
    fetchJSON: fetchJSON,
    escapeHTML: escapeHTML,
    addAreas: addAreas,
    fit: fit,
  };
})();
