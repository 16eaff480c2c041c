// Processing page: keep the live socket connected until the report is finished, show the
// connection state, announce milestones politely. "Reconnecting…" always means a retry is on
// its way: the ws extension retries only closes 1006/1011/1012/1013, so this file retries every
// other close itself, and reloads the page when the server refuses the viewer (1008), once the
// server answers: the reload then lands on the login page, or on the report (see refused()).
(function () {
  "use strict";
  if (!window.htmx) return;

  var EXTENSION_RETRIES = [1006, 1011, 1012, 1013];
  var REFUSED = 1008;
  var socket = null;      // the newest socket the extension opened; older ones are ignored
  var wrapper = null;     // the extension's socket wrapper, for reconnect()
  var retries = 0;
  var retryTimer = null;
  var reloading = false;  // refused: the page reloads, the socket stays closed

  // Capped near 5 s with jitter (the extension's own backoff grows to about a minute).
  function retryDelay(count) {
    var base = Math.min(5000, 250 * Math.pow(2, count));
    return base / 2 + Math.random() * base / 2;
  }
  htmx.config.wsReconnectDelay = retryDelay;

  var createSocket = htmx.createWebSocket;
  htmx.createWebSocket = function (url) {
    socket = createSocket(url);
    return socket;
  };

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

  function reconnectNow() {
    clearTimeout(retryTimer);
    retryTimer = null;
    if (wrapper && !finished()) wrapper.reconnect();
  }

  setPill("connecting", "Connecting…");  // the page's own text is for readers without JS

  document.addEventListener("htmx:wsOpen", function (evt) {
    wrapper = evt.detail.socketWrapper;
    retries = 0;
    setPill("live", "Live");
  });

  document.addEventListener("htmx:wsClose", function (evt) {
    var closed = evt.detail.event;
    wrapper = evt.detail.socketWrapper;
    if (closed.target !== socket || finished()) return;
    if (closed.code === REFUSED) {
      refused();
      return;
    }
    setPill("reconnecting", "Reconnecting…");
    if (EXTENSION_RETRIES.indexOf(closed.code) < 0 && retryTimer === null) {
      retryTimer = setTimeout(reconnectNow, retryDelay(retries++));
    }
  });

  // A refused socket reloads the page once: the reload lands on the login page or the report.
  // Refused again right after a reload (the server refuses this page itself, say behind a
  // proxy that rewrites the host), the page stops and says so instead of reloading for ever.
  var RELOADED = "vb-live-reloaded:" + location.pathname;
  function refused() {
    var last = Number(sessionStorage.getItem(RELOADED) || 0);
    if (Date.now() - last < 30000) {
      setPill("ended", "Not connected: reload the page");
      return;
    }
    sessionStorage.setItem(RELOADED, String(Date.now()));
    setPill("reconnecting", "Reloading…");
    reloading = true;
    setTimeout(reloadWhenServing, retryDelay(0));
  }

  // The refusal may come from a server that is going away (a deploy): reloading then would
  // leave the browser's error page, without this script to try again. Reload only once the
  // server answers an HTTP request (any status: the reload shows the login page or the report).
  function reloadWhenServing() {
    fetch(location.href, { method: "HEAD", cache: "no-store", credentials: "same-origin" }).then(
      function () { location.reload(); },
      function () { setTimeout(reloadWhenServing, retryDelay(retries++)); }
    );
  }

  // A tab coming back, or a page restored from the back/forward cache, must not wait for a
  // retry timer that may have been throttled in the background.
  function resumeIfClosed() {
    if (socket && socket.readyState === WebSocket.CLOSED && !finished() && !reloading) reconnectNow();
  }
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible") resumeIfClosed();
  });
  window.addEventListener("pageshow", function (evt) {
    if (evt.persisted) resumeIfClosed();
  });

  document.addEventListener("htmx:wsAfterMessage", function () {
    var region = document.getElementById("progress");
    var announcer = document.getElementById("progress-announcer");
    if (region && announcer && announcer.textContent !== region.dataset.milestone) {
      announcer.textContent = region.dataset.milestone;
    }
  });
})();
