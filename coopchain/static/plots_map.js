// Plots maps (issue 15): the cooperative map and a producer's plots. Each .plots-map element
// loads its plots (data-plots-url) and the protected areas (data-areas-url). When a form
// #<id>-filters exists, plots are coloured by the chosen status and filtered, with a legend.
(function () {
  "use strict";
  var M = window.CoopMaps;
  var PLAIN = "#1b5e20";

  function optionsOf(form, name) {
    var select = form && form.elements[name];
    var found = {};
    if (select) {
      Array.prototype.forEach.call(select.options, function (o) {
        if (o.value) found[o.value] = { label: o.textContent, color: o.dataset.color };
      });
    }
    return found;
  }

  function popup(p, form) {
    var e = M.escapeHTML;
    var html = "<strong>" + e(p.name) + "</strong><br>" + e(p.member_code + " · " + p.producer);
    if (p.area_ha != null) html += "<br>" + e(p.area_ha) + " " + e(M.t("hectares"));
    if (form) {
      ["forest", "organic", "agreement", "geometry_status"].forEach(function (name) {
        var known = optionsOf(form, name)[p[name]];
        var title = form.elements[name].closest("label").querySelector("span").textContent;
        html += "<br>" + e(title) + ": " + e(known ? known.label : p[name]);
      });
    }
    if (p.issues && p.issues.length) {
      html += "<ul class='map-issues'>" + p.issues.map(function (m) {
        return "<li>" + e(m) + "</li>";
      }).join("") + "</ul>";
    }
    html += "<br><a href='" + e(p.producer_url) + "'>" + e(M.t("producer_page")) + "</a>";
    if (p.edit_url) html += " · <a href='" + e(p.edit_url) + "'>" + e(M.t("edit_plot")) + "</a>";
    return html;
  }

  function start(el) {
    var map = M.create(el);
    var form = document.getElementById(el.id + "-filters");
    var legend = document.getElementById(el.id + "-legend");
    var plots = L.geoJSON(null, {
      pointToLayer: function (feature, latlng) {
        return L.circleMarker(latlng, { radius: 7 });
      },
      onEachFeature: function (feature, layer) {
        layer.bindPopup(popup(feature.properties, form));
        layer.bindTooltip(M.escapeHTML(feature.properties.name));
      },
    }).addTo(map);
    var data = { features: [] };

    function colourBy() {
      return form ? form.elements.colour_by.value : null;
    }

    function shown(p) {
      if (!form) return true;
      return Array.prototype.every.call(form.querySelectorAll("[data-filter]"), function (s) {
        return !s.value || p[s.name] === s.value;
      });
    }

    function draw() {
      var by = colourBy();
      var palette = optionsOf(form, by);
      var counts = {};
      plots.clearLayers();
      data.features.forEach(function (feature) {
        var p = feature.properties;
        if (!shown(p)) return;
        counts[p[by]] = (counts[p[by]] || 0) + 1;
        var color = (palette[p[by]] && palette[p[by]].color) || PLAIN;
        plots.addData(feature);
        var layer = plots.getLayers()[plots.getLayers().length - 1];
        layer.setStyle({ color: color, fillColor: color, weight: 2, fillOpacity: 0.35 });
        layer.feature.properties.shownColor = color;
        if (layer.getElement && layer.getElement()) {
          layer.getElement().setAttribute("data-plot-id", p.id);
        }
      });
      if (legend) {
        legend.innerHTML = "";
        Object.keys(palette).forEach(function (value) {
          var item = document.createElement("li");
          var swatch = document.createElement("span");
          swatch.className = "swatch";
          swatch.style.background = palette[value].color;
          item.appendChild(swatch);
          item.appendChild(document.createTextNode(palette[value].label + ": " + (counts[value] || 0)));
          legend.appendChild(item);
        });
        var total = document.createElement("li");
        total.className = "total";
        total.textContent = plots.getLayers().length + " " + M.t("shown");
        legend.appendChild(total);
      }
    }

    if (form) {
      form.addEventListener("change", draw);
      form.addEventListener("submit", function (event) {
        event.preventDefault();
      });
    }
    var areas = el.dataset.areasUrl ? M.addAreas(map, el.dataset.areasUrl) : Promise.resolve(null);
    var loaded = M.fetchJSON(el.dataset.plotsUrl).then(function (json) {
      data = json;
      draw();
      if (!data.features.length) M.notice(el, M.t("no_plots"));
    });
    Promise.all([loaded, areas]).then(function (layers) {
      // The outlines page opens on the outlines; the other maps on the plots.
      M.fit(map, el.dataset.fit === "areas" ? [layers[1], plots] : [plots, layers[1]]);
      el.setAttribute("data-ready", "true");
    }).catch(function () {
      M.notice(el, M.t("load_failed"), "warn");
      el.setAttribute("data-ready", "error");
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll(".plots-map"), start);
  });
})();
