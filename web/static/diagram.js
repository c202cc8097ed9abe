/* A case's BPMN diagram (bpmn-js NavigatedViewer, served from node_modules) with the path taken
   so far, the current steps and the waiting timers marked. The case page shows its stored state
   (#diagram); the audit page shows the state after a chosen event through window.cgDiagram.show.
   The whole process fitted into a card has labels a few pixels high, so the diagram opens at a
   readable scale centred on the current step (or the last one reached); the bar under the canvas
   zooms, fits and finds the step again, and holds the bpmn.io watermark, which so covers no
   element. On a touch screen one finger pans and two fingers zoom. */
(function () {
  "use strict";

  // Scale at which bpmn-js's 12-px labels read as 11-12 px: on a phone a little smaller, to show
  // the neighbouring steps too.
  function readableScale(el) { return el.clientWidth < 700 ? 0.9 : 1; }

  function focusOn(canvas, element, scale) {
    var size = canvas.getSize();
    canvas.viewbox({ x: element.x + element.width / 2 - size.width / 2 / scale,
                     y: element.y + element.height / 2 - size.height / 2 / scale,
                     width: size.width / scale, height: size.height / scale });
  }

  /* The diagram at a readable scale on its focus; the whole of it when that is readable already. */
  function open(el, canvas, focus) {
    canvas.zoom("fit-viewport", "auto");
    var scale = readableScale(el);
    if (canvas.zoom() >= scale || !focus) return;
    focusOn(canvas, focus, scale);
  }

  function controls(el, viewer) {
    var canvas = viewer.get("canvas");
    var bar = el.querySelector(".diagram-controls");
    if (!bar) {
      bar = document.createElement("div");
      bar.className = "diagram-controls";
      [["zoom-in", "＋", "放大", function () { canvas.zoom(canvas.zoom() * 1.25, "auto"); }],
       ["zoom-out", "－", "缩小", function () { canvas.zoom(canvas.zoom() / 1.25, "auto"); }],
       ["fit", "全图", "显示整个流程图", function () { canvas.zoom("fit-viewport", "auto"); }],
       ["focus", "当前环节", "回到当前环节", function () { open(el, canvas, el.cgFocus); }]].forEach(function (spec) {
        var button = document.createElement("button");
        button.type = "button";
        button.dataset.action = spec[0];
        button.textContent = spec[1];
        button.title = spec[2];
        button.setAttribute("aria-label", spec[2]);
        button.addEventListener("click", spec[3]);
        bar.appendChild(button);
      });
      el.appendChild(bar);
    }
    bar.querySelector('[data-action="focus"]').hidden = !el.cgFocus;
  }

  /* One finger pans, two zoom about their midpoint (diagram-js itself reads mouse and wheel only). */
  function touch(el, viewer) {
    var canvas = viewer.get("canvas");
    var box = canvas.getContainer();
    var points = {};
    function list() { return Object.keys(points).map(function (k) { return points[k]; }); }
    function spread(p) { return Math.hypot(p[0].x - p[1].x, p[0].y - p[1].y); }
    function mid(p) { return { x: (p[0].x + p[1].x) / 2, y: (p[0].y + p[1].y) / 2 }; }
    box.addEventListener("pointerdown", function (e) {
      if (e.pointerType !== "touch") return;
      points[e.pointerId] = { x: e.clientX, y: e.clientY };
      if (box.setPointerCapture) { try { box.setPointerCapture(e.pointerId); } catch (err) { /* synthetic */ } }
    });
    box.addEventListener("pointermove", function (e) {
      var at = points[e.pointerId];
      if (!at) return;
      var before = list();
      var was = before.length === 2 ? { spread: spread(before), mid: mid(before) } : null;
      points[e.pointerId] = { x: e.clientX, y: e.clientY };
      var now = list();
      e.preventDefault();
      if (now.length === 1) {
        canvas.scroll({ dx: e.clientX - at.x, dy: e.clientY - at.y });
      } else if (was && now.length === 2) {
        var rect = box.getBoundingClientRect(), centre = mid(now);
        canvas.scroll({ dx: centre.x - was.mid.x, dy: centre.y - was.mid.y });
        if (was.spread > 0) {
          canvas.zoom(canvas.zoom() * spread(now) / was.spread, { x: centre.x - rect.left, y: centre.y - rect.top });
        }
      }
    });
    function up(e) { delete points[e.pointerId]; }
    box.addEventListener("pointerup", up);
    box.addEventListener("pointercancel", up);
  }

  function render(el, data) {
    var status = el.querySelector(".diagram-status");
    if (status) status.remove();
    var fresh = !el.cgViewer;
    var viewer = el.cgViewer || (el.cgViewer = new window.BpmnJS({ container: el }));
    if (fresh) touch(el, viewer);
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
      // The current step (or the last one reached; else where the process starts).
      el.cgFocus = data.active.concat(data.last ? [data.last] : []).map(function (id) { return registry.get(id); })
        .filter(function (e) { return e && e.type !== "bpmn:SubProcess" && e.type !== "label"; })[0] ||
        registry.filter(function (e) { return e.type === "bpmn:StartEvent"; })[0] || null;
      el.dataset.focus = el.cgFocus ? el.cgFocus.id : "";
      open(el, canvas, el.cgFocus);
      controls(el, viewer);
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
