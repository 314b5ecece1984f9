// The plot form's map (issue 15). The GeoJSON textarea stays the one source of truth: drawing
// or editing with Geoman, walking the boundary with the phone's GPS, pasting and choosing a
// file all end in the textarea, and every change is checked by the server's geometry rules
// (POST data-check-url), whose messages are listed and drawn on the map.
(function () {
  "use strict";
  var M = window.CoopMaps;

  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (all, key) {
      return key in values ? values[key] : all;
    });
  }

  // GeoJSON text with every coordinate written with 6 decimals, as the EU system wants
  // (JSON.stringify would write -77.41 for -77.410000).
  function geometryText(geometry) {
    function coords(c) {
      return Array.isArray(c) ? "[" + c.map(coords).join(", ") + "]" : c.toFixed(6);
    }
    return '{"type": "' + geometry.type + '", "coordinates": ' + coords(geometry.coordinates) + "}";
  }

  function round6(n) {
    return Math.round(n * 1e6) / 1e6;
  }

  function ringOf(latlngs) {
    var ring = latlngs.map(function (p) {
      return [round6(p.lng), round6(p.lat)];
    });
    if (ring.length) ring.push(ring[0].slice());
    return ring;
  }

  // The drawn layers as one GeoJSON geometry: Point, Polygon or MultiPolygon.
  function geometryOf(group) {
    var polygons = [], points = [];
    group.eachLayer(function (layer) {
      if (layer instanceof L.Polygon) {
        // A polygon's latlngs are [outer, holes…]; a multi-polygon layer's, a list of those.
        // Every part and ring is kept, so the rules can still report holes.
        var latlngs = layer.getLatLngs();
        var parts = L.LineUtil.isFlat(latlngs[0]) ? [latlngs] : latlngs;
        parts.forEach(function (rings) {
          polygons.push(rings.map(ringOf));
        });
      } else if (layer instanceof L.Marker || layer instanceof L.CircleMarker) {
        var at = layer.getLatLng();
        points.push([round6(at.lng), round6(at.lat)]);
      }
    });
    if (polygons.length === 1 && !points.length) return { type: "Polygon", coordinates: polygons[0] };
    if (polygons.length > 1 && !points.length) return { type: "MultiPolygon", coordinates: polygons };
    if (points.length === 1 && !polygons.length) return { type: "Point", coordinates: points[0] };
    if (points.length > 1 && !polygons.length) return { type: "MultiPoint", coordinates: points };
    return null;
  }

  function start(el) {
    var block = document.getElementById("plot-map-block");
    var textarea = document.getElementById("geometry");
    var form = textarea.form;
    block.hidden = false;
    var map = M.create(el);
    var drawn = L.featureGroup().addTo(map);
    var marks = L.featureGroup().addTo(map);
    var list = document.getElementById("geometry-check");
    if (el.dataset.areasUrl) {
      M.addAreas(map, el.dataset.areasUrl, { interactive: false }).catch(function () {});
    }
    // The producer's other plots in grey, for reference (not editable); the map opens on them
    // (or on the cooperative's plots) so a new plot is drawn at the right place and scale.
    var others = L.geoJSON(null, {
      interactive: false,
      pmIgnore: true,
      style: { color: "#555", weight: 1, dashArray: "3 3", fillOpacity: 0.1 },
      pointToLayer: function (f, latlng) {
        return L.circleMarker(latlng, { radius: 5, interactive: false, pmIgnore: true });
      },
      filter: function (f) {
        return String(f.properties.id) !== el.dataset.plotId;
      },
    }).addTo(map);
    function reference(url, fallback) {
      return M.fetchJSON(url).then(function (data) {
        others.addData(data);
        if (!others.getLayers().length && fallback) return reference(fallback, null);
        if (!drawn.getLayers().length) M.fit(map, [others]);
      });
    }

    map.pm.setLang(document.documentElement.lang === "es" ? "es" : "en");
    map.pm.addControls({
      position: "topleft",
      drawCircle: false,
      drawCircleMarker: false,
      drawPolyline: false,
      drawText: false,
      cutPolygon: false,
      rotateMode: false,
    });
    // Geoman's buttons are links with an icon and a title on their wrapper: give each the
    // title as its accessible name, or a screen reader announces an empty link.
    map.getContainer().querySelectorAll(".leaflet-buttons-control-button").forEach(function (button) {
      var title = button.parentNode && button.parentNode.getAttribute("title");
      if (title && !button.getAttribute("aria-label")) button.setAttribute("aria-label", title);
    });
    // Crossing edges are allowed while drawing so the rules can point at them.
    map.pm.setGlobalOptions({ allowSelfIntersection: true, layerGroup: drawn, snappable: true });

    // --- textarea -> map -------------------------------------------------------------------
    function showText() {
      drawn.clearLayers();
      var text = textarea.value.trim();
      if (!text) return;
      var parsed;
      try {
        parsed = JSON.parse(text);
      } catch (e) {
        return;  // the check below reports where the JSON breaks
      }
      try {
        L.geoJSON(parsed, {
          pointToLayer: function (f, latlng) {
            return L.marker(latlng);
          },
        }).eachLayer(function (layer) {
          drawn.addLayer(layer);
        });
      } catch (e) {
        return;
      }
      if (drawn.getLayers().length) M.fit(map, [drawn]);
    }

    // --- map -> textarea -------------------------------------------------------------------
    function fromMap() {
      var geometry = geometryOf(drawn);
      textarea.value = geometry ? geometryText(geometry) : "";
      check();
    }

    map.on("pm:create", function (event) {
      event.layer.on("pm:edit pm:dragend", fromMap);
      fromMap();
    });
    map.on("pm:remove", fromMap);
    drawn.on("layeradd", function (event) {
      event.layer.on("pm:edit pm:dragend", fromMap);
    });

    // --- the server's rules, live ----------------------------------------------------------
    var timer = null, asked = 0;

    function item(kind, text) {
      var li = document.createElement("li");
      li.className = kind;
      li.textContent = text;
      list.appendChild(li);
      return li;
    }

    function drawMarks(issue) {
      (issue.marks || []).forEach(function (mark) {
        var color = issue.kind === "error" ? "#c62828" : "#c77700";
        var layer = mark.type === "edge"
          ? L.polyline([[mark.from[1], mark.from[0]], [mark.to[1], mark.to[0]]], { color: color, weight: 7, opacity: 0.8 })
          : L.circleMarker([mark.at[1], mark.at[0]], { radius: 10, color: color, weight: 3, fillOpacity: 0.2 });
        layer.bindTooltip(M.escapeHTML(issue.message), { className: "issue-mark" });
        marks.addLayer(layer);
        var path = layer.getElement();
        if (path) path.setAttribute("data-issue", issue.rule);
      });
    }

    function show(result) {
      list.innerHTML = "";
      marks.clearLayers();
      var issues = result.errors.map(function (i) { return Object.assign({ kind: "error" }, i); })
        .concat(result.warnings.map(function (i) { return Object.assign({ kind: "warning" }, i); }));
      issues.forEach(function (issue) {
        item(issue.kind, issue.message).setAttribute("data-rule", issue.rule);
        drawMarks(issue);
      });
      if (result.ok) {
        item("ok", M.t("check_ok") + (result.computed_area_ha ? " " + fill(M.t("check_area"), { area: result.computed_area_ha }) : ""));
      }
      list.setAttribute("data-state", result.ok ? "ok" : "invalid");
    }

    function check() {
      window.clearTimeout(timer);
      list.innerHTML = "";
      marks.clearLayers();
      if (!textarea.value.trim()) {
        list.removeAttribute("data-state");
        return;
      }
      item("muted", M.t("checking"));
      list.setAttribute("data-state", "checking");
      timer = window.setTimeout(function () {
        var mine = ++asked;
        fetch(el.dataset.checkUrl, {
          method: "POST",
          credentials: "same-origin",
          headers: { "Content-Type": "application/json", "X-CSRFToken": form.elements.csrf_token.value },
          body: JSON.stringify({
            geometry: textarea.value,
            crop: form.elements.crop.value,
            declared_area_ha: form.elements.declared_area_ha.value,
          }),
        }).then(function (response) {
          if (!response.ok) throw new Error(String(response.status));
          return response.json();
        }).then(function (result) {
          if (mine === asked) show(result);
        }).catch(function () {
          if (mine !== asked) return;
          list.innerHTML = "";
          item("warning", M.t("check_failed"));
          list.setAttribute("data-state", "unchecked");
        });
      }, 300);
    }

    textarea.addEventListener("input", function () {
      showText();
      check();
    });
    form.elements.crop.addEventListener("change", check);
    form.elements.declared_area_ha.addEventListener("change", check);
    var file = document.getElementById("geometry_file");
    if (file) {
      file.addEventListener("change", function () {
        if (!file.files.length) return;
        file.files[0].text().then(function (text) {
          textarea.value = text;
          showText();
          check();
        });
      });
    }

    // --- walking the boundary --------------------------------------------------------------
    var walk = { points: [], line: null };
    var panel = document.getElementById("walk-panel");
    var pointsList = document.getElementById("walk-points");
    var status = document.getElementById("walk-status");
    var limit = parseFloat(el.dataset.gpsMaxAccuracy) || 10;

    function redrawWalk() {
      if (walk.line) drawn.removeLayer(walk.line);
      walk.line = null;
      pointsList.innerHTML = "";
      walk.points.forEach(function (p, i) {
        var li = document.createElement("li");
        li.textContent = fill(M.t("walk_point"), { n: i + 1, m: Math.round(p.accuracy) });
        if (p.accuracy > limit) {
          li.className = "poor";
          li.textContent += " — " + fill(M.t("walk_poor"), { m: Math.round(p.accuracy), limit: limit });
        }
        pointsList.appendChild(li);
      });
      var latlngs = walk.points.map(function (p) { return [p.lat, p.lng]; });
      if (latlngs.length) {
        walk.line = latlngs.length >= 3 ? L.polygon(latlngs) : L.polyline(latlngs);
        drawn.clearLayers();
        drawn.addLayer(walk.line);
        map.fitBounds(walk.line.getBounds(), { maxZoom: 19, padding: [30, 30], animate: false });
      }
      if (latlngs.length >= 3) {
        var ring = ringOf(walk.line.getLatLngs()[0]);
        textarea.value = geometryText({ type: "Polygon", coordinates: [ring] });
        check();
      }
    }

    document.getElementById("walk-start").addEventListener("click", function () {
      panel.hidden = false;
      walk.points = [];
      status.textContent = navigator.geolocation ? "" : M.t("walk_no_gps");
      redrawWalk();
      document.getElementById("walk-add").focus();
    });
    document.getElementById("walk-add").addEventListener("click", function () {
      if (!navigator.geolocation) return;
      status.textContent = M.t("walk_waiting");
      navigator.geolocation.getCurrentPosition(function (position) {
        var c = position.coords;
        walk.points.push({ lat: c.latitude, lng: c.longitude, accuracy: c.accuracy });
        status.textContent = c.accuracy > limit
          ? fill(M.t("walk_poor"), { m: Math.round(c.accuracy), limit: limit })
          : "";
        redrawWalk();
      }, function (error) {
        status.textContent = fill(M.t("walk_denied"), { reason: error.message });
      }, { enableHighAccuracy: true, timeout: 20000, maximumAge: 0 });
    });
    document.getElementById("walk-undo").addEventListener("click", function () {
      walk.points.pop();
      redrawWalk();
    });
    document.getElementById("walk-done").addEventListener("click", function () {
      if (walk.points.length < 3) {
        status.textContent = M.t("walk_need");
        return;
      }
      status.textContent = fill(M.t("walk_closed"), { n: walk.points.length });
      panel.hidden = true;
    });

    showText();
    if (textarea.value.trim()) check();
    reference(el.dataset.plotsUrl, el.dataset.coopPlotsUrl).catch(function () {}).then(function () {
      el.setAttribute("data-ready", "true");
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var el = document.getElementById("plot-map");
    if (el && window.L && L.PM) start(el);
  });
})();
