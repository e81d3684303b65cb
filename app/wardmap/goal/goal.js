// Phủ Sóng goal slider: a Streamlit component (protocol v1, no build step).
//
// While the thumb moves, the wards of every map on the page are recoloured at
// once in the browser (each map's window.phusongRecolour, same-origin frames);
// when it is released (or a key moves it), the new target goes to Python, which
// then updates the verdict, the figures and the tables.
(function () {
  "use strict";
  var args = {};
  var range = document.getElementById("range");
  var shown = document.getElementById("value");

  function send(type, data) {
    window.parent.postMessage(Object.assign({ isStreamlitMessage: true, type: type }, data || {}), "*");
  }

  function recolourMaps(target) {
    var frames = window.parent.document.querySelectorAll("iframe[title='" + args.map + "']");
    frames.forEach(function (f) {
      try {
        if (f.contentWindow && f.contentWindow.phusongRecolour) { f.contentWindow.phusongRecolour(target); }
      } catch (e) { /* another origin: Python's rerun recolours it */ }
    });
  }

  function show(i) {
    shown.textContent = args.labels[i];
    range.setAttribute("aria-valuetext", args.labels[i]);
  }

  range.addEventListener("input", function () {
    var i = Number(range.value);
    show(i);
    recolourMaps(args.options[i]);
  });
  range.addEventListener("change", function () {
    send("streamlit:setComponentValue", { value: args.options[Number(range.value)], dataType: "json" });
  });

  window.addEventListener("message", function (event) {
    var data = event.data || {};
    if (data.type !== "streamlit:render") { return; }
    args = data.args || {};
    document.getElementById("label").textContent = args.label || "";
    document.getElementById("label").title = args.help || "";
    document.getElementById("low").textContent = args.labels[0];
    document.getElementById("high").textContent = args.labels[args.labels.length - 1];
    range.max = String(args.options.length - 1);
    range.setAttribute("aria-label", args.label || "");
    if (document.activeElement !== range || args.force) {
      var i = args.options.indexOf(args.value);
      range.value = String(i < 0 ? args.options.length - 1 : i);
    }
    show(Number(range.value));
    send("streamlit:setFrameHeight", { height: 70 });
  });
  send("streamlit:componentReady", { apiVersion: 1 });
})();
