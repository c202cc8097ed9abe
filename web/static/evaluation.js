/* 考评: each table sorts by the column whose header is clicked (numbers as numbers, empty cells
   last, a second click reverses), and draws its chart (the columns marked data-chart, per row, in
   the table's order) above it. The numbers come from the table itself (data-sort). */
(function () {
  "use strict";
  var charts = window.cgCharts;

  function number(text) {
    if (text === "" || text === undefined) return null;
    var value = Number(text);
    return isNaN(value) ? null : value;
  }

  function draw(table) {
    var box = document.querySelector('[data-chart-for="' + table.id + '"]');
    if (!box) return;
    var heads = Array.prototype.slice.call(table.tHead.rows[0].cells);
    var labelAt = heads.findIndex(function (th) { return th.dataset.labelColumn; });
    var columns = heads.map(function (th, i) { return th.dataset.chart ? i : -1; }).filter(function (i) { return i >= 0; });
    var rows = Array.prototype.slice.call(table.tBodies[0].rows);
    if (!columns.length || labelAt < 0) { box.hidden = true; return; }
    var names = rows.map(function (tr) { return tr.cells[labelAt].textContent.trim(); });
    var series = columns.map(function (i) {
      var key = heads[i].dataset.key, rate = /_rate$/.test(key);
      return { name: heads[i].textContent.trim() + (rate ? "（%）" : ""), type: "bar", barMaxWidth: 40,
               data: rows.map(function (tr) {
                 var v = number(tr.cells[i].dataset.sort);
                 return v === null ? null : rate ? Math.round(v * 1000) / 10 : v;
               }) };
    });
    box.style.height = Math.max(260, Math.min(520, 28 * names.length + 90)) + "px";
    var horizontal = names.length > 8 || charts.narrow();
    var categories = { type: "category", data: names, inverse: horizontal, axisLabel: { interval: 0 } };
    var values = { type: "value" };
    charts.chart(box, {
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } }, legend: { top: 0 },
      grid: { left: 8, right: 24, top: 36, bottom: 8, containLabel: true },
      xAxis: horizontal ? values : categories, yAxis: horizontal ? categories : values, series: series
    });
  }

  function sortBy(table, index, ascending) {
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {
      var x = a.cells[index].dataset.sort, y = b.cells[index].dataset.sort;
      if (x === "" && y === "") return 0;
      if (x === "") return 1;                      // nothing to show: last, either way
      if (y === "") return -1;
      var nx = number(x), ny = number(y);
      var order = nx !== null && ny !== null ? nx - ny : x.localeCompare(y, "zh-CN");
      return ascending ? order : -order;
    });
    rows.forEach(function (row) { body.appendChild(row); });
  }

  document.querySelectorAll("table.sortable").forEach(function (table) {
    var heads = Array.prototype.slice.call(table.tHead.rows[0].cells);
    heads.forEach(function (th, index) {
      var button = th.querySelector("button.sort");
      if (!button) return;
      button.addEventListener("click", function () {
        var ascending = th.getAttribute("aria-sort") !== "ascending";
        heads.forEach(function (other) { other.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
        sortBy(table, index, ascending);
        draw(table);
      });
    });
    draw(table);
  });
})();
