/* 一张图: the city map, drawn with ECharts (served from node_modules) over Xiamen's district
   boundaries (web/static/geo/xiamen.geojson, registered as the map "xiamen"). The cases are points
   coloured by their deadline light and sized by urgency, hollow where a case came without
   coordinates and is placed at its grid's or community's centre; the districts are shaded by their
   number of cases (or of overdue ones); the streets are bubbles at their centre points; the cameras
   are squares. A click on a point or a camera opens its card. The data is the page's
   /map/data.json (the same JSON as GET /api/v1/map). */
(function () {
  "use strict";
  var el = document.getElementById("city-map");
  if (!el || !el.dataset.src || !window.echarts) return;

  // [light, legend name, colour]; red ripples (effectScatter) so that overdue cases catch the eye.
  var LIGHTS = [
    ["red", "红灯·已超期", "#c62828"],
    ["yellow", "黄灯·临近时限", "#f2a900"],
    ["green", "绿灯·时限内", "#2e7d32"],
    ["none", "待立案", "#1e88e5"],
    ["done-late", "超期办结", "#8d6e63"],
    ["done", "按期办结", "#9e9e9e"]
  ];
  var LIGHT_TEXT = { red: "已超期", yellow: "临近时限（黄灯）", green: "时限内（绿灯）", none: "尚未立案",
                     "done-late": "已办结，超期", done: "按期办结" };
  var SIZE = { A: 18, B: 13, C: 9 };
  var STREETS = "街道案件数", CAMERAS = "视频监控";
  var statuses = JSON.parse(el.dataset.statuses || "{}");
  var urgencies = JSON.parse(el.dataset.urgencies || "{}");
  var summary = document.getElementById("map-summary");
  var card = document.getElementById("map-card");
  var encode = window.echarts.format.encodeHTML;
  var chart = null, data = null, shade = "count";

  function getJSON(url) {
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } }).then(function (r) {
      if (!r.ok) throw new Error("HTTP " + r.status);
      return r.json();
    });
  }

  // --- small DOM helpers (text only: nothing from the data is parsed as HTML) ---
  function h(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === "text") node.textContent = attrs[k];
      else if (k === "className") node.className = attrs[k];
      else node.setAttribute(k, attrs[k]);
    });
    (children || []).forEach(function (c) { if (c) node.appendChild(typeof c === "string" ? document.createTextNode(c) : c); });
    return node;
  }
  function beijing(text) {     // "2026-03-03T09:05:00+08:00" -> "2026-03-03 09:05（+08:00）"
    return text ? text.slice(0, 10) + " " + text.slice(11, 16) + "（+08:00）" : "—";
  }
  function caseLink(no) {
    return h("a", { href: el.dataset.caseUrl.replace("CASE_NO", encodeURIComponent(no)), className: "case-no", text: no });
  }
  function kv(pairs) {
    var dl = h("dl", { className: "kv" });
    pairs.forEach(function (pair) {
      dl.appendChild(h("dt", { text: pair[0] }));
      dl.appendChild(h("dd", {}, [pair[1]]));
    });
    return dl;
  }

  // --- the chart ---
  function districtData() {      // no value: the region keeps the plain colour of the map
    return data.areas.districts.map(function (d) {
      return { name: d.name, value: shade === "none" ? null : d[shade], code: d.code, count: d.count, overdue: d.overdue };
    });
  }
  function visualMap() {
    var max = Math.max(1, Math.max.apply(null, data.areas.districts.map(function (d) { return d[shade] || 0; })));
    return { type: "continuous", seriesIndex: 0, min: 0, max: shade === "none" ? 1 : max, show: shade !== "none",
             calculable: true, left: 6, bottom: 6, itemWidth: 10, itemHeight: 80, text: [shade === "overdue" ? "超期多" : "多", "少"],
             textStyle: { fontSize: 11 },
             inRange: { color: shade === "overdue" ? ["#fff3f2", "#ef9a9a", "#c62828"] : ["#eef4fb", "#8ab8e6", "#0b5cad"] } };
  }
  function pointItem(p) {
    return { name: p.case_no, value: [p.lng, p.lat], point: p, symbol: p.placed === "unit" ? "emptyCircle" : "circle",
             symbolSize: SIZE[p.urgency] || 9 };
  }
  function series() {
    var list = [{ type: "map", name: "区县", geoIndex: 0, data: districtData() }];
    LIGHTS.forEach(function (light) {
      list.push({
        type: light[0] === "red" ? "effectScatter" : "scatter", name: light[1], coordinateSystem: "geo", z: 5,
        data: data.points.filter(function (p) { return (p.light || "none") === light[0]; }).map(pointItem),
        itemStyle: { color: light[2], borderColor: light[2], opacity: 0.9 },
        rippleEffect: { scale: 2.2, brushType: "stroke", number: 2 }, emphasis: { scale: 1.5 }
      });
    });
    var most = Math.max(1, Math.max.apply(null, data.areas.streets.map(function (s) { return s.count; }).concat([1])));
    list.push({
      type: "scatter", name: STREETS, coordinateSystem: "geo", z: 3,
      data: data.areas.streets.filter(function (s) { return s.lng !== null && s.lat !== null; }).map(function (s) {
        return { name: s.name, value: [s.lng, s.lat, s.count], street: s };
      }),
      symbolSize: function (value) { return 14 + 30 * Math.sqrt(value[2] / most); },
      itemStyle: { color: "rgba(11,92,173,0.22)", borderColor: "#0b5cad", borderWidth: 1 },
      label: { show: true, formatter: function (p) { return p.value[2]; }, color: "#084785", fontSize: 11 }
    });
    list.push({
      type: "scatter", name: CAMERAS, coordinateSystem: "geo", z: 6, symbol: "roundRect", symbolSize: [13, 10],
      data: data.cameras.map(function (c) {
        return { name: c.name, value: [c.lng, c.lat], camera: c, itemStyle: { color: c.active ? "#37474f" : "#b0bec5" } };
      }),
      itemStyle: { color: "#37474f", borderColor: "#fff", borderWidth: 1 }
    });
    return list;
  }
  function tooltip(params) {
    var item = params.data || {};
    if (params.seriesType === "map") {
      var d = item.code ? item : null;
      return encode(params.name) + (d ? "<br>案件 " + d.count + " 件，超期 " + d.overdue + " 件" : "");
    }
    if (item.point) {
      var p = item.point;
      return encode(p.case_no) + "<br>" + encode(p.category_name) + " · " + encode(urgencies[p.urgency] || "未定级") +
        "<br>" + encode(LIGHT_TEXT[p.light || "none"]) + (p.placed === "unit" ? "<br>（无坐标，按" + encode(p.placed_at_name || "") + "中心定位）" : "");
    }
    if (item.street) return encode(item.street.name) + "<br>案件 " + item.street.count + " 件，超期 " + item.street.overdue + " 件";
    if (item.camera) return "摄像头 " + encode(item.camera.name) + "<br>识别 " + item.camera.detections_total + " 次";
    return encode(params.name || "");
  }
  function option() {
    var phone = el.clientWidth < 600;
    return {
      animation: false,
      tooltip: { trigger: "item", confine: true, formatter: tooltip },
      legend: { type: "scroll", top: 0, left: 0, right: 0, itemWidth: 12, itemHeight: 10, textStyle: { fontSize: phone ? 11 : 12 },
                data: LIGHTS.map(function (l) { return l[1]; }).concat([STREETS, CAMERAS]) },
      geo: { map: "xiamen", roam: true, scaleLimit: { min: 0.8, max: 20 }, top: phone ? 48 : 36, bottom: 10,
             label: { show: true, color: "#455a64", fontSize: phone ? 10 : 12 },
             itemStyle: { areaColor: "#f4f6f8", borderColor: "#90a4ae", borderWidth: 1 },
             emphasis: { label: { show: true }, itemStyle: { areaColor: "#ffe8c2" } }, select: { disabled: true } },
      visualMap: visualMap(),
      series: series()
    };
  }

  // --- cards ---
  function showCard(children) {
    card.textContent = "";
    var close = h("button", { type: "button", className: "link-dark close", "aria-label": "关闭", text: "×" });
    close.addEventListener("click", function () { card.hidden = true; });
    card.appendChild(close);
    children.forEach(function (c) { card.appendChild(c); });
    card.hidden = false;
    if (window.innerWidth < 960) card.scrollIntoView({ block: "nearest" });
  }
  function showCase(p) {
    var light = p.light || "none";
    var place = p.placed === "unit"
      ? "上报时无坐标，按" + (p.placed_at_name || "所属单位") + "中心点定位（示意位置，非实际地点）"
      : "按上报坐标定位";
    showCard([
      h("h2", {}, ["案件 ", caseLink(p.case_no)]),
      kv([
        ["类别", p.category_name + "（" + p.category + "）"],
        ["状态", statuses[p.status] || p.status],
        ["紧急程度", urgencies[p.urgency] || "未定级"],
        ["承办单位", p.holder_name || "—"],
        ["处置时限", beijing(p.due_at) + (p.due_provisional ? "（暂定）" : "")],
        ["时限灯", h("span", { className: "light light-" + light }, [h("span", { className: "dot", "aria-hidden": "true" }), LIGHT_TEXT[light]])],
        ["所在区", p.district_name || "—"],
        ["地址", p.address || "—"],
        ["定位", h("span", { className: "placed-" + p.placed, "data-placed": p.placed, text: place })],
        ["上报时间", beijing(p.reported_at)]
      ]),
      h("a", { className: "button primary", href: el.dataset.caseUrl.replace("CASE_NO", encodeURIComponent(p.case_no)), text: "查看案件详情" })
    ]);
    card.dataset.case = p.case_no;
  }
  function showCamera(c) {
    var list = h("ul", { className: "plain detections" });
    c.detections.forEach(function (d) {
      list.appendChild(h("li", {}, [beijing(d.detected_at).slice(5, 16) + " " + d.violation_name + " · ", caseLink(d.case_no),
                                    d.filed ? "（立案）" : "（追加到在办案件）"]));
    });
    if (!c.detections.length) list.appendChild(h("li", { className: "muted", text: "暂无识别记录" }));
    var open = h("p", {}, ["在办案件："].concat(c.open_cases.length ? [] : ["无"]));
    c.open_cases.forEach(function (no, i) { if (i) open.appendChild(document.createTextNode("、")); open.appendChild(caseLink(no)); });
    showCard([
      h("h2", { text: "摄像头 " + c.name }),
      kv([["编号", c.code], ["网格", c.grid_name], ["状态", c.active ? "在用" : "停用"],
          ["累计识别", c.detections_total + " 次"], ["最近识别", beijing(c.last_detection_at)]]),
      h("h3", { text: "最近识别" }), list, open
    ]);
    card.dataset.case = "";
  }

  // --- the figures beside the map ---
  function rows(tbody, areas) {
    tbody.textContent = "";
    areas.forEach(function (a) {
      tbody.appendChild(h("tr", { "data-code": a.code }, [
        h("td", { text: a.name }), h("td", { className: "num n-count", text: String(a.count) }),
        h("td", { className: "num n-overdue" + (a.overdue ? " late" : ""), text: String(a.overdue) })]));
    });
    if (!areas.length) tbody.appendChild(h("tr", {}, [h("td", { colspan: "3", className: "muted", text: "无" })]));
  }
  function figures() {
    var s = data.summary;
    function n(key, value) { return h("b", { "data-key": key, text: String(value) }); }
    summary.textContent = "";
    [data.filters.period ? data.filters.period.title + "上报 " : "在办 ", n("total", s.total), " 件；图上 ", n("shown", s.shown),
     " 件（按上报坐标 ", n("reported", s.reported), "，按网格或社区中心 ", n("unit", s.unit), "）；超期 ", n("overdue", s.overdue),
     " 件；摄像头 ", n("cameras", data.cameras.length), " 个"].forEach(function (part) {
      summary.appendChild(typeof part === "string" ? document.createTextNode(part) : part);
    });
    if (s.truncated) summary.appendChild(document.createTextNode("。案件较多，图上仅显示最新上报的 " + s.shown + " 件"));
    if (s.unplaced) summary.appendChild(document.createTextNode("。另有 " + s.unplaced + " 件既无坐标、所属单位也无中心点，未能上图"));
    rows(document.querySelector("#district-counts tbody"), data.areas.districts);
    rows(document.querySelector("#street-counts tbody"), data.areas.streets);
  }

  document.querySelectorAll('#map-tools input[name="shade"]').forEach(function (radio) {
    radio.addEventListener("change", function () {
      if (!radio.checked || !chart) return;
      shade = radio.value;
      chart.setOption({ visualMap: visualMap(), series: [{ data: districtData() }] });
    });
  });

  // The whole city, or Xiamen island (思明、湖里: where most cases are) at a readable scale.
  var VIEWS = { city: { center: null, zoom: 1 }, island: { center: [118.125, 24.485], zoom: 3.4 } };
  document.querySelectorAll("#map-tools button[data-view]").forEach(function (button) {
    button.addEventListener("click", function () {
      if (!chart) return;
      chart.setOption({ geo: VIEWS[button.dataset.view] });
      document.querySelectorAll("#map-tools button[data-view]").forEach(function (b) {
        b.setAttribute("aria-pressed", String(b === button));
      });
    });
  });

  Promise.all([getJSON(el.dataset.geo), getJSON(el.dataset.src)]).then(function (found) {
    window.echarts.registerMap("xiamen", found[0]);
    data = found[1];
    chart = window.echarts.init(el);
    chart.setOption(option());
    chart.on("click", function (params) {
      var item = params.data || {};
      if (item.point) showCase(item.point);
      else if (item.camera) showCamera(item.camera);
    });
    figures();
    el.dataset.ready = "true";
    window.addEventListener("resize", function () { chart.resize(); });
  }).catch(function (err) {
    summary.textContent = "地图数据加载失败（" + err.message + "），请刷新重试。";
    summary.className = "error";
  });
})();
