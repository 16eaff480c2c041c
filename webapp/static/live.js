// Processing page: reconnect quickly, show the connection state, announce milestones politely.
(function () {
  "use strict";
  if (window.htmx) {
    // The ws extension's default backoff grows to about a minute: cap it near 5 s, with jitter.
    htmx.config.wsReconnectDelay = function (retryCount) {
      var base = Math.min(5000, 250 * Math.pow(2, retryCount));
      return base / 2 + Math.random() * base / 2;
    };
  }

  function finished() {
    var region = document.getElementById("progress");
    return region && region.dataset.finished === "true";
  }

  function setPill(state, text) {
    var pill = document.getElementById("connection-pill");
    if (!pill || pill.dataset.final === "true") return;
    pill.className = "pill pill-" + state;
    pill.textContent = text;
  }

  document.addEventListener("htmx:wsOpen", function () { setPill("live", "Live"); });
  document.addEventListener("htmx:wsClose", function () {
    if (!finished()) setPill("reconnecting", "Reconnecting…");
  });
  document.addEventListener("htmx:wsAfterMessage", function () {
    var region = document.getElementById("progress");
    var announcer = document.getElementById("progress-announcer");
    if (region && announcer && announcer.textContent !== region.dataset.milestone) {
      announcer.textContent = region.dataset.milestone;
    }
  });
})();
