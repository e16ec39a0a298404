// /settings/chat: the preview frame follows the look form as it is edited, before anything is saved.
// The frame loads /settings/chat/preview with the form's values; reloads are debounced so typing stays smooth.
(function () {
  "use strict";
  var LOOK_FIELDS = ["color", "position", "launcher_text", "launcher_icon", "language", "welcome_message", "offline_message"];
  var DELAY_MS = 300;

  function previewUrl(form) {
    var data = new FormData(form);
    var params = new URLSearchParams();
    LOOK_FIELDS.forEach(function (name) {
      var value = data.get(name);
      if (value !== null) params.set(name, String(value));
    });
    params.set("show_agents", data.get("show_agents") ? "on" : "");
    return "/settings/chat/preview?" + params.toString();
  }

  function start() {
    var form = document.getElementById("look-form");
    if (!form) return;
    var frame = document.getElementById(form.getAttribute("data-preview-target") || "");
    if (!frame) return;
    var timer = null;
    var shown = frame.getAttribute("src");
    function refresh() {
      timer = null;
      var next = previewUrl(form);
      if (next === shown) return;
      shown = next;
      frame.setAttribute("src", next);
    }
    function schedule() {
      if (timer !== null) clearTimeout(timer);
      timer = setTimeout(refresh, DELAY_MS);
    }
    form.addEventListener("input", schedule);
    form.addEventListener("change", schedule);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
