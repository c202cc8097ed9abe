/* 态势: draws the dashboard from its JSON (GET /dashboard/data, the API's document): every number a
   link to the case list of exactly its cases, the charts (each item clickable, with its numbers as
   links below it), and the evaluation's ranking of the level below with the drill-down. Fetched
   again every data-refresh seconds, for a wall screen. */
(function () {
  "use strict";
  var root = document.getElementById("dashboard");
  if (!root) return;
  var labels = JSON.parse(root.dataset.labels);
  var charts = window.cgCharts;
  var percent = charts.percent;
  var KIND = { center: "全市", district: "区", street: "街道（镇）", community: "社区", department: "市直部门", grid: "网格" };

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) {
      if (attrs[key] === null || attrs[key] === undefined) return;
      if (key === "text") node.textContent = attrs[key];
      else if (key === "cls") node.className = attrs[key];
      else node.setAttribute(key, attrs[key]);
    });
    (children || []).forEach(function (child) { if (child) node.appendChild(child); });
    return node;
  }

  // A number as a tile linking to its cases; `path` names it for tests and people alike.
  function tile(figure, name, path, cls) {
    return el("a", { cls: "tile " + (cls || ""), href: figure.link, "data-figure": path, "data-value": figure.value,
                     title: "查看这些案件" }, [
      el("span", { cls: "value", text: String(figure.value) }),
      el("span", { cls: "name", text: name })
    ]);
  }

  function rateTile(rate, name, path) {
    var attrs = { cls: "tile rate", "data-figure": path, "data-value": rate.value === null ? "" : rate.value,
                  title: "按期处置数 ÷ 应处置数（考评）" };
    var tag = rate.link ? "a" : "div";
    if (rate.link) attrs.href = rate.link;
    return el(tag, attrs, [
      el("span", { cls: "value", text: percent(rate.value) }),
      el("span", { cls: "name", text: name }),
      rate.due === null ? null : el("span", { cls: "sub", text: "按期 " + rate.on_time + " / 应处置 " + rate.due })
    ]);
  }

  function section(title, id, children) {
    return el("section", { cls: "dash-section", id: id }, [el("h2", { text: title })].concat(children));
  }

  function tiles(children, cls) { return el("div", { cls: "tiles " + (cls || "") }, children); }

  function flows(block, prefix, when) {
    var main = tiles([
      tile(block.reported, when + "上报", prefix + ".reported"),
      tile(block.filed, when + "立案", prefix + ".filed"),
      tile(block.closed, when + "结案", prefix + ".closed"),
      rateTile(block.on_time_rate, when + "按期处置率", prefix + ".on_time_rate")
    ]);
    var channels = tiles(block.channels.filter(function (f) { return f.value; }).map(function (f) {
      return tile(f, labels.channel[f.key] || f.key, prefix + ".channel." + f.key, "small");
    }), "small");
    if (!channels.children.length) channels.appendChild(el("p", { cls: "hint", text: "无上报" }));
    return [main, el("h3", { text: "按来源渠道" }), channels];
  }

  function current(block) {
    var main = tiles([
      tile(block.open, "在办案件", "current.open"),
      tile(block.due_today, "今日到期", "current.due_today", "warn"),
      tile(block.overdue, "超期未结案", "current.overdue", "alarm")
    ].concat(block.lights.map(function (f) {
      return tile(f, labels.light[f.key], "current.light." + f.key, "light-" + f.key);
    })));
    var statuses = tiles(block.statuses.map(function (f) {
      return tile(f, labels.status[f.key] || f.key, "current.status." + f.key, "small");
    }), "small");
    return [main, el("h3", { text: "各状态在办" }), statuses];
  }

  // A chart box with a caption, and its numbers as links (a table below it, folded on phones).
  function chartCard(title, id, rows) {
    var box = el("div", { cls: "chart", id: id, role: "img", "aria-label": title });
    var table = el("table", { cls: "table mini" }, [el("tbody", {}, rows.map(function (row) {
      return el("tr", {}, row.map(function (cell, i) {
        if (cell && cell.figure) {
          return el("td", {}, [el("a", { href: cell.figure.link, "data-figure": cell.path, "data-value": cell.figure.value,
                                         text: String(cell.figure.value) })]);
        }
        return el(i ? "td" : "th", { text: cell === null || cell === undefined ? "" : String(cell) });
      }));
    }))]);
    var data = el("details", { cls: "chart-data" }, [el("summary", { text: "数据" }), table]);
    if (!charts.narrow()) data.open = false;
    return { card: el("figure", { cls: "card chart-card" }, [el("figcaption", { text: title }), box, data]), box: box };
  }

  function ageLabel(age) {
    if (age.most === 0) return "当天";
    if (age.most === null) return age.fewest + "天以上";
    return age.fewest + "–" + age.most + "天";
  }

  function drawCharts(doc, host) {
    var month = doc.month, now = doc.current, rows = doc.ranking.rows;
    var grid = el("div", { cls: "chart-grid" });
    host.appendChild(grid);
    var todo = [];

    // reports and closures per day of the month
    var daily = chartCard(doc.period.title + "每日上报与结案", "chart-daily", [["日期", "上报", "结案"]].concat(
      month.daily.map(function (d) {
        return [d.date.slice(5), { figure: d.reported, path: "month.daily." + d.date + ".reported" },
                { figure: d.closed, path: "month.daily." + d.date + ".closed" }];
      })));
    grid.appendChild(daily.card);
    todo.push(function () {
      charts.chart(daily.box, {
        tooltip: { trigger: "axis" }, legend: { top: 0, data: ["上报", "结案"] },
        grid: { left: 40, right: 16, top: 36, bottom: 28 },
        xAxis: { type: "category", data: month.daily.map(function (d) { return d.date.slice(8); }) },
        yAxis: { type: "value", minInterval: 1 },
        series: [{ name: "上报", type: "line", data: month.daily.map(function (d) { return d.reported.value; }) },
                 { name: "结案", type: "line", data: month.daily.map(function (d) { return d.closed.value; }) }]
      }, function (p) {
        var day = month.daily[p.dataIndex];
        return day && (p.seriesIndex === 0 ? day.reported.link : day.closed.link);
      });
    });

    // the on-time rate of the next level down, ranked
    if (rows.length) {
      var ranked = rows.slice().sort(function (a, b) {
        var x = a.handling.on_time_rate, y = b.handling.on_time_rate;
        if (x === y) return a.unit < b.unit ? -1 : 1;
        if (x === null || x === undefined) return 1;
        if (y === null || y === undefined) return -1;
        return y - x;
      });
      var rankCard = chartCard("下一级按期处置率排名（" + doc.period.title + "）", "chart-ranking",
        [["单位", "按期处置率", "按期 / 应处置"]].concat(ranked.map(function (r) {
          return [r.name, percent(r.handling.on_time_rate), r.handling.on_time + " / " + r.handling.due];
        })));
      grid.appendChild(rankCard.card);
      todo.push(function () {
        var shown = ranked.slice().reverse();          // the best at the top of a horizontal bar chart
        charts.chart(rankCard.box, {
          tooltip: { trigger: "axis", axisPointer: { type: "shadow" },
                     valueFormatter: function (v) { return v === null ? "—" : v + "%"; } },
          grid: { left: 8, right: 48, top: 12, bottom: 12, containLabel: true },
          xAxis: { type: "value", max: 100, axisLabel: { formatter: "{value}%" } },
          yAxis: { type: "category", data: shown.map(function (r) { return r.name; }) },
          series: [{ type: "bar", name: "按期处置率", barMaxWidth: 36, label: { show: true, position: "right",
                       formatter: function (p) { return p.value === null ? "—" : p.value + "%"; } },
                     data: shown.map(function (r) {
                       var v = r.handling.on_time_rate;
                       return v === null || v === undefined ? null : Math.round(v * 1000) / 10;
                     }) }]
        }, function (p) { return drillLink(doc, shown[p.dataIndex]); });
      });
    }

    // the month's reports by major class
    var classes = chartCard(doc.period.title + "上报按大类", "chart-categories", month.categories.map(function (f) {
      return [f.label, { figure: f, path: "month.category." + f.key }];
    }));
    grid.appendChild(classes.card);
    todo.push(function () {
      charts.chart(classes.box, {
        tooltip: { trigger: "item" },
        series: [{ type: "pie", radius: ["35%", "65%"], label: { formatter: "{b}\n{c}" },
                   data: month.categories.map(function (f) { return { name: f.label, value: f.value }; }) }]
      }, function (p) { return month.categories[p.dataIndex] && month.categories[p.dataIndex].link; });
    });

    // the open cases by age (calendar days since the report) and urgency
    var urgencies = now.ages[0].figures.map(function (f) { return f.key; });
    var ages = chartCard("在办案件按上报天数与紧急程度", "chart-ages",
      [["上报天数"].concat(urgencies.map(function (u) { return labels.urgency[u]; }))].concat(now.ages.map(function (a) {
        return [ageLabel(a)].concat(a.figures.map(function (f) {
          return { figure: f, path: "current.age." + a.key + "." + f.key };
        }));
      })));
    grid.appendChild(ages.card);
    todo.push(function () {
      charts.chart(ages.box, {
        tooltip: { trigger: "axis", axisPointer: { type: "shadow" } }, legend: { top: 0 },
        color: ["#c62828", "#f2a900", "#2e7d32", "#90a4ae"],
        grid: { left: 40, right: 16, top: 36, bottom: 28 },
        xAxis: { type: "category", data: now.ages.map(ageLabel) }, yAxis: { type: "value", minInterval: 1 },
        series: urgencies.map(function (u, i) {
          return { name: labels.urgency[u], type: "bar", stack: "age",
                   data: now.ages.map(function (a) { return a.figures[i].value; }) };
        })
      }, function (p) { return now.ages[p.dataIndex].figures[p.seriesIndex].link; });
    });

    // the lights
    var lights = chartCard("时限灯（当前在办）", "chart-lights", now.lights.map(function (f) {
      return [labels.light[f.key], { figure: f, path: "current.light." + f.key }];
    }));
    grid.appendChild(lights.card);
    todo.push(function () {
      charts.chart(lights.box, {
        tooltip: { trigger: "item" }, color: ["#2e7d32", "#f2a900", "#c62828"],
        grid: { left: 40, right: 16, top: 16, bottom: 28 },
        xAxis: { type: "category", data: now.lights.map(function (f) { return labels.light[f.key]; }) },
        yAxis: { type: "value", minInterval: 1 },
        series: [{ type: "bar", barMaxWidth: 80, label: { show: true, position: "top" }, colorBy: "data",
                   data: now.lights.map(function (f) { return f.value; }) }]
      }, function (p) { return now.lights[p.dataIndex].link; });
    });
    return todo;
  }

  function drillLink(doc, row) {
    return root.dataset.page + "?" + new URLSearchParams({ period: doc.period.label, unit: row.unit }).toString();
  }

  function rankingTable(doc) {
    var ranking = doc.ranking, children = [];
    if (doc.standing) {
      var s = doc.standing;
      children.push(el("p", { cls: "standing", id: "dash-standing", text: s.name + "在同级中排名 " + s.rank_text +
        "，综合指标值 " + (s.handling.composite === null ? "—" : s.handling.composite) +
        (s.handling.grade ? "，等级 " + s.handling.grade : "") }));
    }
    if (!ranking.rows.length) {
      children.push(el("p", {}, [el("a", { cls: "button", href: doc.unit.cases_link, id: "dash-unit-cases",
                                            text: "查看" + doc.unit.name + "的全部案件" })]));
      return section("考评排名", "dash-ranking", children);
    }
    var head = ["排名", "单位", "综合指标值", "等级", "按期处置率", "应处置", "按期", "超期未处置", "扣分", "得分", "案件"];
    var body = [];
    ranking.levels.forEach(function (level, i) {
      var rows = ranking.rows.filter(function (r) { return r.kind === level; });
      if (ranking.levels.length > 1) {
        body.push(el("tr", { cls: "group" }, [el("th", { colspan: head.length, text: ranking.level_names[i] })]));
      }
      rows.forEach(function (r) {
        var h = r.handling;
        var cells = [r.rank_text, null, h.composite === null ? "—" : h.composite, h.grade || "—", percent(h.on_time_rate),
                     h.due, h.on_time, h.overdue_open, h.points, h.score, null];
        body.push(el("tr", { "data-unit": r.unit }, cells.map(function (value, j) {
          var td = el("td", { "data-label": head[j] });
          if (j === 1) td.appendChild(el("a", { href: drillLink(doc, r), cls: "drill", text: r.name }));
          else if (j === 10) td.appendChild(el("a", { href: r.cases_link, text: "案件" }));
          else td.textContent = String(value);
          return td;
        })));
      });
    });
    children.push(el("div", { cls: "scroll" }, [el("table", { cls: "table responsive ranking", id: "ranking-table" }, [
      el("thead", {}, [el("tr", {}, head.map(function (h) { return el("th", { scope: "col", text: h }); }))]),
      el("tbody", {}, body)
    ])]));
    children.push(el("p", { cls: "hint", text: "点单位名称逐级下钻（市 → 区 → 街道 → 社区 → 案件）；排名按综合指标值，图表按按期处置率。" }));
    return section("考评排名：" + ranking.level_names.join("、") + "（" + doc.period.title + "）", "dash-ranking", children);
  }

  function render(doc) {
    var at = doc.now.slice(0, 16).replace("T", " ");
    charts.disposeWithin(root);
    root.textContent = "";
    root.dataset.loaded = doc.now;
    root.appendChild(el("p", { cls: "hint stamp", id: "dash-stamp", text: (KIND[doc.unit.kind] || "") + " · " +
      doc.unit.name + " · 数据时间 " + at + "（北京时间）· 考评规则：流程版本 " + doc.rules_version }));
    root.appendChild(section("当前", "dash-current", current(doc.current)));
    var two = el("div", { cls: "grid2" }, [
      section("今日（" + doc.today.date + "）", "dash-today", flows(doc.today, "today", "今日")),
      section(doc.period.title, "dash-month", flows(doc.month, "month", "本月"))
    ]);
    root.appendChild(two);
    var chartHost = el("section", { cls: "dash-section", id: "dash-charts" }, [el("h2", { text: "图表" })]);
    root.appendChild(chartHost);
    var todo = drawCharts(doc, chartHost);
    root.appendChild(rankingTable(doc));
    todo.forEach(function (draw) { draw(); });     // once their boxes are in the page and have a size
  }

  function load() {
    fetch(root.dataset.source, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        return response.json().then(function (body) { return { ok: response.ok, body: body }; });
      })
      .then(function (answer) {
        if (!answer.ok) throw new Error(answer.body.error || "加载失败");
        render(answer.body);
      })
      .catch(function (err) {
        var shown = document.getElementById("dash-loading") || root.appendChild(el("p", { id: "dash-loading" }));
        shown.className = "error";
        shown.textContent = "态势数据加载失败：" + err.message;
      });
  }

  load();
  var every = parseInt(root.dataset.refresh, 10);
  if (every > 0) setInterval(load, every * 1000);
})();
