// Refreshes the saga list in place: asks the console for the list's fragment every few seconds
// and swaps it in, so new sagas and new outcomes appear without a reload (docs/adr/0024).
// Skipped while focus is inside the list (a swap would take it away) or the tab is hidden.
(function () {
  "use strict";
  function start() {
    var list = document.getElementById("saga-list");
    if (!list) return;
    var toggle = document.getElementById("auto-refresh");
    var every = Math.max(parseFloat(list.dataset.refreshS) || 2, 0.2) * 1000;
    var busy = false;
    function refresh() {
      if (busy || document.hidden || (toggle && !toggle.checked)) return;
      if (list.contains(document.activeElement)) return;
      busy = true;
      fetch(list.dataset.fragmentUrl, { headers: { Accept: "text/html" } })
        .then(function (response) { return response.ok ? response.text() : null; })
        .then(function (html) {
          if (html !== null && !list.contains(document.activeElement)) {
            list.innerHTML = html;
            list.dataset.refreshedAt = String(Date.now());
          }
        })
        .catch(function () { /* the console or orders is restarting: try again next time */ })
        .finally(function () { busy = false; });
    }
    setInterval(refresh, every);
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
