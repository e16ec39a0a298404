/* Notices while the inbox is in the background: the tab title counts, a sound and a desktop notification,
   as the agent's preferences allow (data-notify-desktop, data-notify-sound on #inbox). */
(function () {
  "use strict";
  var inbox = document.getElementById("inbox");
  if (!inbox) return;
  var prefs = { desktop: inbox.dataset.notifyDesktop === "on", sound: inbox.dataset.notifySound === "on" };
  var unseen = 0, baseTitle = document.title, onOpen = function () {};

  /* ---- Notifications: a new conversation, or a message in mine, while the tab is in the background ---- */
  function beep() {
    try {
      var ctx = new (window.AudioContext || window.webkitAudioContext)();
      var osc = ctx.createOscillator(); osc.frequency.value = 880; osc.connect(ctx.destination);
      osc.start(); osc.stop(ctx.currentTime + 0.12);
    } catch (e) { /* sound is a nicety */ }
  }
  function notify(title, text, id) {
    if (!document.hidden) return;
    unseen += 1;
    document.title = "(" + unseen + ") " + baseTitle;
    if (prefs.sound) beep();
    if (prefs.desktop && "Notification" in window && Notification.permission === "granted") {
      try {
        var note = new Notification(title, { body: String(text).slice(0, 140), tag: "frontdesk-" + id });
        note.onclick = function () { window.focus(); onOpen(id); note.close(); };
      } catch (e) { /* some browsers only notify from a service worker */ }
    }
  }
  var enable = document.getElementById("enable-notifications");
  if (enable && prefs.desktop && "Notification" in window && Notification.permission === "default") {
    enable.hidden = false;
    enable.addEventListener("click", function () { // a user gesture: browsers ask only then
      Notification.requestPermission().then(function () { enable.hidden = true; });
    });
  }
  document.addEventListener("visibilitychange", function () {
    if (!document.hidden) { unseen = 0; document.title = baseTitle; }
  });

  window.frontdeskAlerts = { notify: notify, onOpen: function (callback) { onOpen = callback; } };
})();
