/* Times in the inbox, as the server writes them (conversations/inbox_time.py): "2026-11-30 14:05" in the
   agent's time zone (data-time-zone on #inbox), and waiting times in words ("12 min"). */
(function () {
  "use strict";
  var inbox = document.getElementById("inbox");
  var zone = (inbox && inbox.dataset.timeZone) || "UTC";
  var formatter;
  try {
    formatter = new Intl.DateTimeFormat("en-GB", {
      timeZone: zone, year: "numeric", month: "2-digit", day: "2-digit",
      hour: "2-digit", minute: "2-digit", hourCycle: "h23"
    });
  } catch (e) { // an unknown zone: UTC, as the server falls back to
    formatter = new Intl.DateTimeFormat("en-GB", {
      timeZone: "UTC", year: "numeric", month: "2-digit", day: "2-digit",
      hour: "2-digit", minute: "2-digit", hourCycle: "h23"
    });
  }
  function time(iso) {
    if (!iso) return "";
    var date = new Date(iso);
    if (isNaN(date.getTime())) return "";
    var parts = {};
    formatter.formatToParts(date).forEach(function (part) { parts[part.type] = part.value; });
    return parts.year + "-" + parts.month + "-" + parts.day + " " + parts.hour + ":" + parts.minute;
  }
  function waited(iso, now) {
    if (!iso) return "";
    var seconds = Math.max(0, Math.floor(((now || Date.now()) - new Date(iso).getTime()) / 1000));
    if (seconds < 60) return seconds + " s";
    var minutes = Math.floor(seconds / 60);
    if (minutes < 60) return minutes + " min";
    var hours = Math.floor(minutes / 60); minutes = minutes % 60;
    if (hours < 48) return minutes ? hours + " h " + minutes + " min" : hours + " h";
    return Math.floor(hours / 24) + " d";
  }
  window.frontdeskFormat = { time: time, waited: waited, zone: zone };
})();
