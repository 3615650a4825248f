// Storekeeper page glue: CSRF header for htmx, focus after swaps, online/offline badge.
// The camera, hardware-scanner and offline-queue modules hook in through the events named here.
(function () {
  "use strict";
  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }
  window.Storekeeper = window.Storekeeper || {};
  window.Storekeeper.csrfToken = csrfToken;

  // Every htmx request that changes state carries the CSRF token in a header (Flask-WTF reads X-CSRFToken).
  document.addEventListener("htmx:configRequest", function (ev) {
    if (ev.detail.verb !== "get") ev.detail.headers["X-CSRFToken"] = csrfToken();
  });

  function focusScan() {
    var input = document.querySelector("[data-scan-input]");
    if (input && document.activeElement !== input && !document.querySelector("dialog[open]")) {
      input.focus({ preventScroll: true });
      input.select();
    }
  }
  window.Storekeeper.focusScan = focusScan;
  // After every swap the scan field is ready for the next scan, so work goes on without touching the screen.
  document.addEventListener("htmx:afterSettle", focusScan);
  document.addEventListener("DOMContentLoaded", focusScan);

  function showOnline() {
    var badge = document.getElementById("offline-badge");
    if (badge) badge.hidden = navigator.onLine;
  }
  window.addEventListener("online", showOnline);
  window.addEventListener("offline", showOnline);
  document.addEventListener("DOMContentLoaded", showOnline);
})();
