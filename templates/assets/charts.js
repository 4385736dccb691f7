// Turns the static chart images into interactive Vega views once they scroll into view.
// Without JavaScript, or if anything fails, the static SVG stays: the page never depends on this.
(function () {
  "use strict";
  var script = document.currentScript;
  var frames = document.querySelectorAll(".chart-frame[data-spec-wide]");
  if (!script || !frames.length || !("IntersectionObserver" in window) || !window.fetch) return;
  var bundleUrl = script.getAttribute("data-vega");
  var bundle = null;

  function loadBundle() {
    if (!bundle) {
      bundle = new Promise(function (resolve, reject) {
        var tag = document.createElement("script");
        tag.src = bundleUrl;
        tag.onload = resolve;
        tag.onerror = reject;
        document.head.appendChild(tag);
      });
    }
    return bundle;
  }

  function upgrade(frame) {
    var wide = window.matchMedia(frame.getAttribute("data-media")).matches;
    var specUrl = frame.getAttribute(wide ? "data-spec-wide" : "data-spec-narrow");
    var image = frame.querySelector("img");
    Promise.all([loadBundle(), fetch(specUrl).then(function (r) { return r.json(); })])
      .then(function (results) {
        var spec = results[1];
        var live = document.createElement("div");
        live.className = "chart-live";
        live.setAttribute("role", "img");
        live.setAttribute("aria-label", image.getAttribute("alt"));
        var options = Object.assign({}, (spec.usermeta || {}).embedOptions, {
          ast: true, // Vega expressions run through its interpreter, so no eval is needed under the CSP
          defaultStyle: false,
          tooltip: { theme: "custom", disableDefaultStyle: true }
        });
        // Render off-screen first, then swap, so the page does not jump.
        return window.vegaEmbed(live, spec, options).then(function () {
          frame.replaceChildren(live);
        });
      })
      .catch(function () { /* keep the static chart */ });
  }

  var observer = new IntersectionObserver(function (entries) {
    entries.forEach(function (entry) {
      if (entry.isIntersecting) {
        observer.unobserve(entry.target);
        upgrade(entry.target);
      }
    });
  }, { rootMargin: "200px" });
  frames.forEach(function (frame) { observer.observe(frame); });
})();
