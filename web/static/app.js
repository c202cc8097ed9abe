/* The web UI's small enhancements; every page works without them. */
(function () {
  "use strict";

  // A search box that narrows a long <select> (the category catalogue). Options are rebuilt rather
  // than hidden, since mobile browsers ignore `hidden` on <option>.
  document.querySelectorAll("input.select-search[data-for]").forEach(function (box) {
    var select = document.getElementById(box.dataset.for);
    if (!select) return;
    var original = Array.prototype.map.call(select.children, function (node) { return node.cloneNode(true); });
    box.addEventListener("input", function () {
      var words = box.value.trim().split(/\s+/).filter(Boolean);
      var current = select.value;
      var matches = function (option) {
        if (!option.value) return true;
        var text = option.textContent + " " + (option.parentNode && option.parentNode.label || "");
        return words.every(function (w) { return text.indexOf(w) !== -1; });
      };
      select.textContent = "";
      var found = [];
      original.forEach(function (node) {
        if (node.tagName === "OPTGROUP") {
          var group = node.cloneNode(false);
          Array.prototype.forEach.call(node.children, function (option) {
            var copy = option.cloneNode(true);
            group.appendChild(copy);
            if (matches(copy)) { found.push(copy.value); } else { group.removeChild(copy); }
          });
          if (group.children.length) select.appendChild(group);
        } else if (matches(node)) {
          select.appendChild(node.cloneNode(true));
        }
      });
      if (found.indexOf(current) !== -1) select.value = current;
      else if (found.length === 1) select.value = found[0];
      else select.value = "";
      if (select.value !== current) select.dispatchEvent(new Event("change", { bubbles: true }));
      offer(box, select, words.length ? found : []);
    });
  });

  // Under the search box, the matches as buttons (a closed <select> hides them): one tap chooses.
  var MAX_OFFERED = 8;
  function offer(box, select, found) {
    var list = document.getElementById(box.dataset.for + "-matches");
    if (!list) {
      list = document.createElement("div");
      list.id = box.dataset.for + "-matches";
      list.className = "matches";
      list.setAttribute("role", "group");
      list.setAttribute("aria-label", "匹配的选项");
      box.insertAdjacentElement("afterend", list);
    }
    list.textContent = "";
    var count = document.createElement("p");
    count.className = "hint";
    list.appendChild(count);
    if (!found.length) {
      count.textContent = box.value.trim() ? "没有匹配的选项" : "";
      list.hidden = !box.value.trim();
      return;
    }
    list.hidden = found.length === 1;
    count.textContent = "找到 " + found.length + " 项" + (found.length > MAX_OFFERED ? "，请输入更多字缩小范围，或在下方列表中选择" : "，点击选择：");
    if (found.length > MAX_OFFERED) return;
    found.forEach(function (value) {
      var option = select.querySelector('option[value="' + value + '"]');
      var button = document.createElement("button");
      button.type = "button";
      button.className = "match";
      button.dataset.value = value;
      button.textContent = option ? option.textContent : value;
      button.addEventListener("click", function () {
        select.value = value;
        select.dispatchEvent(new Event("change", { bubbles: true }));
        list.hidden = true;
      });
      list.appendChild(button);
    });
  }

  // The accept form: the chosen category's 立案条件 and the urgency hint with its time limits (as the
  // case's version's table answers for each category, sent with the page).
  var standards = document.getElementById("category-standards");
  var category = document.getElementById("f-category");
  if (standards && category) {
    var byCode = JSON.parse(standards.textContent);
    category.addEventListener("change", function () {
      var found = byCode[category.value] || {};
      document.getElementById("standard-text").textContent = found.filing || "";
      document.getElementById("standard").hidden = !found.filing;
      var hint = document.querySelector('#task-form [data-field="urgency"] .hint');
      if (hint && found.hint) hint.textContent = found.hint;
    });
  }

  // The chosen photos shown before sending (the form sends the files themselves either way).
  document.querySelectorAll("input[type=file][data-preview]").forEach(function (input) {
    var box = document.getElementById(input.dataset.preview);
    if (!box || !window.URL || !URL.createObjectURL) return;
    var urls = [];
    input.addEventListener("change", function () {
      urls.forEach(function (url) { URL.revokeObjectURL(url); });
      urls = [];
      box.textContent = "";
      var files = Array.prototype.slice.call(input.files || []);
      files.forEach(function (file) {
        var figure = document.createElement("figure");
        figure.className = "preview";
        if (/^image\//.test(file.type)) {
          var img = document.createElement("img");
          var url = URL.createObjectURL(file);
          urls.push(url);
          img.src = url;
          img.alt = file.name;
          figure.appendChild(img);
        }
        var caption = document.createElement("figcaption");
        caption.textContent = file.name + "（" + Math.max(1, Math.round(file.size / 1024)) + " KB）";
        figure.appendChild(caption);
        box.appendChild(figure);
      });
      box.hidden = !files.length;
      box.dataset.count = String(files.length);
    });
  });

  // Fields that matter for one choice only (e.g. the unit when dispatching down): hidden and not
  // sent otherwise.
  var conditional = document.querySelectorAll("[data-show-when]");
  function refresh() {
    conditional.forEach(function (field) {
      var rule = field.dataset.showWhen.split("=");
      var checked = document.querySelector('input[name="' + rule[0] + '"]:checked');
      var show = !!checked && rule[1].split(",").indexOf(checked.value) !== -1;
      field.hidden = !show;
      field.querySelectorAll("input, select, textarea").forEach(function (input) { input.disabled = !show; });
    });
  }
  if (conditional.length) {
    document.addEventListener("change", function (e) { if (e.target.type === "radio") refresh(); });
    refresh();
  }

  // Coordinates from the phone's position (needs HTTPS or localhost).
  var locate = document.getElementById("locate");
  if (locate && navigator.geolocation) {
    var status = document.getElementById("locate-status");
    locate.hidden = false;
    locate.addEventListener("click", function () {
      status.textContent = "正在定位…";
      navigator.geolocation.getCurrentPosition(function (pos) {
        document.getElementById("f-lat").value = pos.coords.latitude.toFixed(6);
        document.getElementById("f-lng").value = pos.coords.longitude.toFixed(6);
        status.textContent = "已定位，精度约 " + Math.round(pos.coords.accuracy) + " 米";
      }, function (err) {
        status.textContent = "无法定位：" + (err.code === 1 ? "未获授权" : "请手动填写坐标");
      }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
    });
  }

  // No double submissions from an impatient tap.
  document.querySelectorAll("form[method=post]").forEach(function (form) {
    form.addEventListener("submit", function () {
      var button = form.querySelector("button[type=submit]");
      if (button) setTimeout(function () { button.disabled = true; }, 0);
    });
  });
})();

/* A "select all" box over a table of checkboxes (e.g. the cases to migrate). */
(function () {
  "use strict";
  var all = document.getElementById("check-all");
  if (!all) return;
  var boxes = document.querySelectorAll('#running-cases input[type=checkbox][name=case]');
  all.addEventListener("change", function () {
    boxes.forEach(function (box) { box.checked = all.checked; });
  });
})();
