/* The audit page: the diagram as it stood after the event chosen with the slider (or a row's
   "此时的流程图" link), on the version the case was on then. */
(function () {
  "use strict";
  var el = document.getElementById("audit-diagram");
  var slider = document.getElementById("event-slider");
  var label = document.getElementById("event-label");
  if (!el || !slider || !window.cgDiagram) return;
  var seqs = JSON.parse(el.dataset.events);
  var base = el.dataset.src.replace(/\/0\.json$/, "/");
  var timer = null, shown = null;

  function row(seq) { return document.querySelector('#history tr[data-seq="' + seq + '"]'); }

  function showEvent() {
    var seq = seqs[Number(slider.value) - 1];
    var tr = row(seq);
    label.textContent = "#" + seq + " " + (tr ? tr.dataset.title + " · " + tr.dataset.at : "");
    document.querySelectorAll("#history tr.chosen").forEach(function (r) { r.classList.remove("chosen"); });
    if (tr) tr.classList.add("chosen");
    if (shown === seq) return;
    shown = seq;
    clearTimeout(timer);
    timer = setTimeout(function () {
      el.dataset.seq = seq;
      window.cgDiagram.show(el, base + seq + ".json").then(function (data) {
        if (data && shown === seq) label.textContent += " · 版本 " + data.version;
      });
    }, 150);
  }

  slider.addEventListener("input", showEvent);
  document.querySelectorAll("a.show-diagram").forEach(function (link) {
    link.addEventListener("click", function (e) {
      e.preventDefault();
      slider.value = String(seqs.indexOf(Number(link.dataset.seq)) + 1);
      showEvent();
      document.getElementById("diagram-card").scrollIntoView({ behavior: "smooth" });
    });
  });
  showEvent();
})();
