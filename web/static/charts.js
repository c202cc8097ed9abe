/* What the dashboard and the evaluation page share about charts: ECharts (served from
   node_modules at /vendor/echarts) sized to their box, redrawn on resize, a click on a data item
   opening its link; and how rates are written. */
(function () {
  "use strict";
  var made = [];
  var COLOURS = ["#0b5cad", "#2e7d32", "#f2a900", "#c62828", "#6a1b9a", "#00838f", "#8d6e63", "#546e7a"];

  function percent(value) {
    return value === null || value === undefined ? "—" : (value * 100).toFixed(1) + "%";
  }

  // A chart in `box` with `option`; `links(params)` gives the URL a clicked item opens (or nothing).
  function chart(box, option, links) {
    if (!window.echarts) { box.textContent = "图表组件未加载"; return null; }
    var old = window.echarts.getInstanceByDom(box);
    if (old) old.dispose();
    var instance = window.echarts.init(box, null, { renderer: "canvas" });
    option.color = option.color || COLOURS;
    option.textStyle = { fontFamily: getComputedStyle(document.documentElement).fontFamily };
    option.animation = false;
    instance.setOption(option);
    if (links) {
      instance.on("click", function (params) {
        var target = links(params);
        if (target) window.location.href = target;
      });
    }
    made = made.filter(function (c) { return !c.isDisposed(); });
    made.push(instance);
    return instance;
  }

  var pending = null;
  window.addEventListener("resize", function () {
    clearTimeout(pending);
    pending = setTimeout(function () { made.forEach(function (c) { if (!c.isDisposed()) c.resize(); }); }, 150);
  });

  function narrow() { return window.matchMedia("(max-width: 700px)").matches; }

  // Before a redraw replaces them: free the charts inside `node` (a wall screen redraws all day).
  function disposeWithin(node) {
    if (!window.echarts) return;
    made.forEach(function (c) { if (!c.isDisposed() && node.contains(c.getDom())) c.dispose(); });
    made = made.filter(function (c) { return !c.isDisposed(); });
  }

  window.cgCharts = { chart: chart, percent: percent, narrow: narrow, disposeWithin: disposeWithin };
})();
