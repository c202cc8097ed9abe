/* A case's BPMN diagram (bpmn-js NavigatedViewer, served from node_modules) with the path taken
   so far, the current steps and the waiting timers marked. The case page shows its stored state
   (#diagram); the audit page shows the state after a chosen event through window.cgDiagram.show. */
(function () {
  "use strict";

  function controls(el, canvas) {
    if (el.querySelector(".diagram-controls")) return;
    var bar = document.createElement("div");
    bar.className = "diagram-controls";
    [["＋", "放大", function () { canvas.zoom(canvas.zoom() * 1.25); }],
     ["－", "缩小", function () { canvas.zoom(canvas.zoom() / 1.25); }],
     ["全图", "显示全图", function () { canvas.zoom("fit-viewport"); }]].forEach(function (spec) {
      var button = document.createElement("button");
      button.type = "button";
      button.textContent = spec[0];
      button.title = spec[1];
      button.setAttribute("aria-label", spec[1]);
      button.addEventListener("click", spec[2]);
      bar.appendChild(button);
    });
    el.appendChild(bar);
  }

  function render(el, data) {
    var status = el.querySelector(".diagram-status");
    if (status) status.remove();
    var viewer = el.cgViewer || (el.cgViewer = new window.BpmnJS({ container: el }));
    return viewer.importXML(data.xml).then(function () {
      var canvas = viewer.get("canvas");
      var registry = viewer.get("elementRegistry");
      function mark(ids, cls) {
        ids.forEach(function (id) {
          var element = registry.get(id);
          if (!element) return;
          canvas.addMarker(id, element.type === "bpmn:SubProcess" ? cls + "-sub" : cls);
        });
      }
      mark(data.completed, "cg-done");
      mark(data.waiting, "cg-waiting");
      mark(data.active, "cg-active");
      var taken = {};
      data.flows.forEach(function (pair) { taken[pair[0] + ">" + pair[1]] = true; });
      registry.filter(function (e) { return e.type === "bpmn:SequenceFlow"; }).forEach(function (e) {
        var bo = e.businessObject;
        if (bo.sourceRef && bo.targetRef && taken[bo.sourceRef.id + ">" + bo.targetRef.id]) canvas.addMarker(e.id, "cg-flow");
      });
      canvas.zoom("fit-viewport");
      var fitted = canvas.zoom();
      // On a narrow screen the whole diagram is too small to read: start at the current step
      // (or the last one reached) at a readable scale; the buttons zoom out to the whole.
      var focus = data.active.concat(data.last ? [data.last] : []).map(function (id) { return registry.get(id); })
        .filter(function (e) { return e && e.type !== "bpmn:SubProcess"; })[0];
      if (el.clientWidth < 700 && fitted < 0.5 && focus) {
        var scale = 0.9, size = canvas.getSize();
        canvas.viewbox({ x: focus.x + focus.width / 2 - size.width / 2 / scale,
                         y: focus.y + focus.height / 2 - size.height / 2 / scale,
                         width: size.width / scale, height: size.height / scale });
      }
      controls(el, canvas);
      el.dataset.ready = "1";
      return data;
    });
  }

  function fail(el, text) {
    var status = el.querySelector(".diagram-status");
    if (!status) {
      status = document.createElement("p");
      status.className = "muted diagram-status";
      el.appendChild(status);
    }
    status.textContent = text;
    el.dataset.ready = "error";
  }

  function show(el, url) {
    if (!window.BpmnJS) { fail(el, "流程图组件未安装（请运行 npm ci）"); return Promise.resolve(null); }
    el.dataset.ready = "0";
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) {
        return r.json().catch(function () { return {}; }).then(function (data) {
          if (!r.ok) throw new Error(data.error || ("HTTP " + r.status));
          return data;
        });
      })
      .then(function (data) { return render(el, data); })
      .catch(function (err) { fail(el, "流程图加载失败：" + err.message); return null; });
  }

  window.cgDiagram = { show: show };
  var el = document.getElementById("diagram");
  if (el && el.dataset.src) show(el, el.dataset.src);
})();
