// Phủ Sóng ward map: a Streamlit component (protocol v1, no build step) on Leaflet.
//
// Geometry (wards, gaps, point layers) is built once per `data_key`; every other
// render only restyles: ward colours (`style`), tooltips (`info`), the selected
// ward and the legend. So moving the goal slider recolours the map without
// rebuilding it. A click on a ward highlights it at once and sends
// {ward_id, seq} back to Python.
(function () {
  "use strict";

  var map = null;
  var built = null;           // data_key of the layers on the map
  var wardLayer = null, gapLayer = null, labelLayer = null, control = null;
  var pointLayers = [];
  var byId = {};              // ward id -> Leaflet layer
  var args = {};
  var selected = null;
  var seq = 0;
  var legend = null;
  var banner = null;
  var tileErrors = 0;
  var attribution = "";

  function send(type, data) {
    var msg = Object.assign({ isStreamlitMessage: true, type: type }, data || {});
    window.parent.postMessage(msg, "*");
  }

  function setHeight(h) {
    document.getElementById("map").style.height = h + "px";
    send("streamlit:setFrameHeight", { height: h });
    if (map) { map.invalidateSize(); }
  }

  function wardStyle(id) {
    var fill = args.style && args.style[id];
    var isSel = selected !== null && id === selected;
    return {
      fillColor: fill || "#ffffff",
      fillOpacity: fill ? (isSel ? 0.85 : 0.72) : 0.2,
      color: isSel ? "#000000" : "#555555",
      weight: isSel ? 3.5 : 0.7,
    };
  }

  var styled = 0;            // renders that coloured the wards (for tests and timing)
  var labelAt = {};          // ward id -> label point

  function restyle() {
    styled += 1;
    Object.keys(byId).forEach(function (id) {
      var layer = byId[id];
      layer.setStyle(wardStyle(id));
      var html = args.info && args.info[id];
      if (html) { layer.setTooltipContent(html); }
    });
    if (selected !== null && byId[selected]) { byId[selected].bringToFront(); }
  }

  function makeMap() {
    map = L.map("map", {
      preferCanvas: true,
      zoomSnap: 0.25,
      zoomDelta: 0.5,
      attributionControl: true,
    });
    map.attributionControl.setPrefix(false);
    var tiles = L.tileLayer("https://tile.openstreetmap.org/{z}/{x}/{y}.png", {
      maxZoom: 19,
      attribution: "",
    });
    tiles.on("tileerror", function () {
      tileErrors += 1;
      if (tileErrors >= 3) { document.getElementById("map").classList.add("no-tiles"); }
    });
    tiles.on("tileload", function () {
      tileErrors = 0;
      document.getElementById("map").classList.remove("no-tiles");
    });
    tiles.addTo(map);
    L.control.scale({ imperial: false, metric: true }).addTo(map);
    map.on("zoomend", showLabels);
  }

  function showLabels() {
    if (!labelLayer) { return; }
    var want = map.getZoom() >= (args.label_zoom || 13);
    if (want && !map.hasLayer(labelLayer)) { labelLayer.addTo(map); }
    if (!want && map.hasLayer(labelLayer)) { map.removeLayer(labelLayer); }
  }

  function clearLayers() {
    [wardLayer, gapLayer, labelLayer].concat(pointLayers).forEach(function (l) {
      if (l && map.hasLayer(l)) { map.removeLayer(l); }
    });
    if (control) { map.removeControl(control); }
    wardLayer = gapLayer = labelLayer = control = null;
    pointLayers = [];
    byId = {};
  }

  function buildWards(overlays) {
    if (!args.wards) { return; }
    wardLayer = L.geoJSON(JSON.parse(args.wards), {
      style: function (f) { return wardStyle(String(f.properties.id)); },
      onEachFeature: function (f, layer) {
        var id = String(f.properties.id);
        byId[id] = layer;
        layer.bindTooltip((args.info && args.info[id]) || f.properties.name || id, {
          sticky: true, direction: "top", opacity: 0.95,
        });
        layer.on("mouseover", function () {
          if (id !== selected) { layer.setStyle({ weight: 2, color: "#222222" }); }
        });
        layer.on("mouseout", function () { layer.setStyle(wardStyle(id)); });
        if (args.clickable) {
          layer.on("click", function () {
            selected = id;
            restyle();
            seq += 1;
            send("streamlit:setComponentValue", {
              value: { ward_id: id, seq: seq }, dataType: "json",
            });
          });
        }
      },
    }).addTo(map);
    overlays[(args.layers && args.layers.wards) || "wards"] = wardLayer;
    labelAt = {};
    (args.labels || []).forEach(function (r) { if (r[3] !== undefined) { labelAt[String(r[3])] = [r[0], r[1]]; } });
    if (args.labels && args.labels.length) {
      labelLayer = L.layerGroup(args.labels.map(function (r) {
        return L.tooltip({
          permanent: true, direction: "center", className: "pm-label", interactive: false,
        }).setLatLng([r[0], r[1]]).setContent(r[2]);
      }));
    }
  }

  function buildGaps(overlays) {
    if (!args.gaps) { return; }
    gapLayer = L.geoJSON(JSON.parse(args.gaps), {
      style: { color: "#1a1a1a", weight: 1, dashArray: "3 3", fill: false },
      interactive: false,
    }).addTo(map);
    overlays[(args.layers && args.layers.gaps) || "gaps"] = gapLayer;
  }

  function buildPoints(overlays) {
    (args.points || []).forEach(function (spec) {
      var group = L.layerGroup();
      spec.rows.forEach(function (r) {
        var m = L.circleMarker([r[0], r[1]], {
          radius: spec.radius || 3,
          color: spec.outline || spec.colour,
          weight: spec.outline ? 1.2 : 0,
          fillColor: spec.colour,
          fillOpacity: spec.opacity || 0.9,
          interactive: !!spec.interactive,
          bubblingMouseEvents: false,
        });
        if (spec.interactive && r[2]) { m.bindTooltip(r[2], { direction: "top" }); }
        group.addLayer(m);
      });
      if (spec.shown !== false) { group.addTo(map); }
      overlays[(args.layers && args.layers[spec.id]) || spec.name] = group;
      pointLayers.push(group);
    });
  }

  var recolourData = null;   // per-ward values and the colour scale, for phusongRecolour

  function goalColour(v, target, sc) {
    // The library's rule (phusong.output.maps.goal_colours): the darkest class below the
    // target whose threshold the shortfall exceeds; blues at or above it; grey if unknown.
    if (v === null || v === undefined || !isFinite(v)) { return sc.unknown; }
    var shortfall = target - v;
    if (shortfall <= 1e-9) { return v >= 99.95 ? sc.full : sc.meets; }
    for (var k = 0; k < sc.below.length; k++) {
      if (shortfall > sc.below[k][0]) { return sc.below[k][1]; }
    }
    return sc.below[sc.below.length - 1][1];
  }

  function build() {
    clearLayers();
    recolourData = args.recolour || null;
    var overlays = {};
    buildWards(overlays);
    buildGaps(overlays);
    buildPoints(overlays);
    if (Object.keys(overlays).length > 1) {
      control = L.control.layers(null, overlays, { collapsed: true, position: "topright" });
      control.addTo(map);
    }
    if (args.fit) { map.fitBounds(args.fit, { padding: [8, 8] }); }
    showLabels();
    built = args.data_key;
    styled += 1;
  }

  function renderLegend() {
    if (legend) { map.removeControl(legend); legend = null; }
    var spec = args.legend;
    if (!spec) { return; }
    legend = L.control({ position: "bottomleft" });
    legend.onAdd = function () {
      var div = L.DomUtil.create("div", "pm-box pm-legend");
      var narrow = document.getElementById("map").clientWidth < 520;
      if (narrow) { div.classList.add("collapsed"); }
      var btn = L.DomUtil.create("button", "pm-toggle", div);
      btn.type = "button";
      btn.textContent = spec.title + " ▾";
      btn.onclick = function () { div.classList.toggle("collapsed"); };
      var rows = L.DomUtil.create("div", "pm-rows", div);
      spec.rows.forEach(function (r) {
        var row = L.DomUtil.create("div", "pm-row", rows);
        if (r[2] === "text") {
          row.classList.add("pm-line");
        } else {
          var sw = L.DomUtil.create("span", "pm-swatch", row);
          if (r[2] === "dot") { sw.classList.add("pm-dot"); }
          if (r[2] === "outline") { sw.classList.add("pm-outline"); }
          sw.style.background = r[0];
        }
        row.appendChild(document.createTextNode(r[1]));
      });
      if (spec.note) {
        var note = L.DomUtil.create("div", "pm-note", rows);
        note.textContent = spec.note;
      }
      L.DomEvent.disableClickPropagation(div);
      L.DomEvent.disableScrollPropagation(div);
      return div;
    };
    legend.addTo(map);
  }

  function renderBanner() {
    if (banner) { map.removeControl(banner); banner = null; }
    if (!args.synthetic) { return; }
    banner = L.control({ position: "topleft" });
    banner.onAdd = function () {
      var div = L.DomUtil.create("div", "pm-synthetic");
      div.textContent = args.synthetic;
      return div;
    };
    banner.addTo(map);
  }

  function render(newArgs) {
    args = newArgs || {};
    setHeight(args.height || 520);
    if (!map) { makeMap(); }
    if (args.selected !== undefined) {
      selected = args.selected === null ? null : String(args.selected);
    }
    if (attribution !== (args.attribution || "")) {
      if (attribution) { map.attributionControl.removeAttribution(attribution); }
      attribution = args.attribution || "";
      map.attributionControl.addAttribution(attribution);
    }
    if (built !== args.data_key) {
      if (args.wards === null || args.wards === undefined) {
        // This map does not hold the geometry (it was just made): ask for it.
        seq += 1;
        send("streamlit:setComponentValue", {
          value: { need: args.data_key, seq: seq }, dataType: "json",
        });
        return;
      }
      build();
    } else {
      restyle();
    }
    renderLegend();
    keepNewerTarget();
    renderBanner();
  }

  window.addEventListener("message", function (event) {
    var data = event.data || {};
    if (data.type === "streamlit:render") { render(data.args); }
  });
  // Recolour the wards for another goal target at once, in the browser (the goal
  // slider calls it while it moves); Python's next render confirms the colours.
  // A render from Python answers an earlier slider move; if the slider has moved again
  // since (the browser recoloured for a newer target), keep the newer colours.
  var clientTarget = null;
  function keepNewerTarget() {
    if (clientTarget === null || !recolourData) { return; }
    var legend = JSON.stringify(args.legend || null);
    var i = recolourData.legends.map(function (l) { return JSON.stringify(l); }).indexOf(legend);
    var serverTarget = i >= 0 ? recolourData.targets[i] : null;
    if (serverTarget === clientTarget) { clientTarget = null; return; }
    window.phusongRecolour(clientTarget);
  }
  window.phusongRecolour = function (target) {
    if (!map || !recolourData) { return false; }
    clientTarget = target;
    var style = {};
    Object.keys(recolourData.values).forEach(function (id) {
      style[id] = goalColour(recolourData.values[id], target, recolourData.scale);
    });
    args.style = style;
    var i = recolourData.targets.indexOf(target);
    if (i >= 0) { args.legend = recolourData.legends[i]; renderLegend(); }
    restyle();
    return true;
  };

  // For tests and debugging: the Leaflet map, the selected ward, how many times the
  // wards were coloured, and where a ward's label point is in the map's frame [px].
  window.phusongMap = function () { return map; };
  window.phusongSelected = function () { return selected; };
  window.phusongStyled = function () { return styled; };
  window.phusongWardPoint = function (id) {
    var at = labelAt[String(id)];
    if (!at || !map) { return null; }
    var p = map.latLngToContainerPoint(at);
    return [p.x, p.y];
  };
  window.phusongFills = function () {
    var out = {};
    Object.keys(byId).forEach(function (id) { out[id] = byId[id].options.fillColor; });
    return out;
  };
  window.phusongValues = function () { return recolourData ? recolourData.values : null; };
  window.phusongFill = function (id) {
    var layer = byId[String(id)];
    return layer ? layer.options.fillColor : null;
  };
  send("streamlit:componentReady", { apiVersion: 1 });
})();
