/* The bell: the unread count of the header, kept current on an open page by asking the small count
   endpoint every few seconds (data-poll-seconds; not while the page is hidden, and at once when it
   is shown again). Short polling rather than a held-open stream: see README (notifications). */
(function () {
  "use strict";

  var bell = document.getElementById("bell");
  if (!bell || !window.fetch) return;
  var badge = bell.querySelector(".bell-count");
  var every = Math.max(1, parseFloat(bell.dataset.pollSeconds) || 20) * 1000;
  var timer = null;

  function show(unread) {
    if (String(unread) === bell.dataset.count) return;
    bell.dataset.count = String(unread);
    badge.textContent = unread > 99 ? "99+" : String(unread);
    badge.hidden = unread === 0;
    bell.setAttribute("aria-label", "通知，" + unread + " 条未读");
  }

  function ask() {
    if (document.hidden || !timer) return;
    fetch(bell.dataset.countUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (response.status === 401) { stop(); return null; }   // signed out elsewhere: stop asking
        return response.ok ? response.json() : null;
      })
      .then(function (body) { if (body && typeof body.unread === "number") show(body.unread); })
      .catch(function () { /* offline for a moment: the next round asks again */ });
  }

  function stop() { if (timer) { clearInterval(timer); timer = null; } }

  timer = setInterval(ask, every);
  document.addEventListener("visibilitychange", function () { if (!document.hidden) ask(); });
})();
