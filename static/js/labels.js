// Label sheets: the Print button (no inline handlers under our CSP).
(function () {
  "use strict";
  document.addEventListener("click", function (ev) {
    if (ev.target.closest("[data-print]")) window.print();
  });
})();
