/* The open conversation's lines: kept in sequence order, gaps fetched, live lines built with textContent.
   Server-rendered (Jinja-escaped) rows are the only HTML inserted. Needs inbox/format.js. */
(function () {
  "use strict";
  if (!document.getElementById("inbox")) return;
  var fmt = window.frontdeskFormat;
  var caughtUp = function () {}; // console.js: mark what is now on screen as read
  function csrfToken() {
    try { return JSON.parse(document.body.getAttribute("hx-headers"))["X-CSRF-Token"]; } catch (e) { return ""; }
  }
  function messagesEl() { return document.getElementById("messages"); }
  function currentId() { var m = messagesEl(); return m ? Number(m.dataset.conversationId) : null; }
  function lastSeq() {
    var items = document.querySelectorAll("#messages li[data-seq]");
    return items.length ? Number(items[items.length - 1].dataset.seq) : 0;
  }
  // The resume point: the last number with nothing missing below it (lines are kept in order, so a hole shows
  // as two neighbours more than one apart). A line missed below a later one is fetched, not skipped.
  function throughSeq() {
    var items = document.querySelectorAll("#messages li[data-seq]");
    for (var i = 1; i < items.length; i++) {
      if (Number(items[i].dataset.seq) !== Number(items[i - 1].dataset.seq) + 1) return Number(items[i - 1].dataset.seq);
    }
    return lastSeq();
  }
  function hasGap() { return throughSeq() !== lastSeq(); }
  // Puts a line where its number belongs (events may arrive out of order); false when it is already shown.
  function placeLine(box, li) {
    var seq = Number(li.dataset.seq);
    if (box.querySelector('li[data-seq="' + seq + '"]')) return false;
    var later = Array.prototype.find.call(box.querySelectorAll("li[data-seq]"), function (node) {
      return Number(node.dataset.seq) > seq;
    });
    box.insertBefore(li, later || null);
    return true;
  }
  var gapTimer = null;
  function checkGap() {
    if (!hasGap() || gapTimer) return;
    gapTimer = setTimeout(function () { gapTimer = null; if (hasGap()) resync(); }, 500);
  }
  function scrollDown() { var m = messagesEl(); if (m) m.scrollTop = m.scrollHeight; }

  function appendHtml(html) {
    var box = messagesEl();
    if (!box) return;
    var holder = document.createElement("ol");
    holder.innerHTML = html; // server-rendered and escaped by Jinja2
    Array.prototype.forEach.call(holder.querySelectorAll("li[data-seq]"), function (li) { placeLine(box, li); });
    scrollDown();
  }

  function appendMessage(msg) {
    var box = messagesEl();
    if (!box || box.querySelector('li[data-seq="' + msg.seq + '"]')) return;
    if (msg.attachments && msg.attachments.length) { resync(); return; } // the server renders files
    var li = document.createElement("li");
    li.className = "msg " + msg.author_type + " " + msg.kind;
    li.dataset.seq = String(msg.seq);
    var meta = document.createElement("div");
    meta.className = "meta";
    var who = msg.author_name || (msg.author_type === "visitor" ? "Visitor" : "Frontdesk");
    meta.textContent = (msg.kind === "note" && msg.author_type !== "system" ? "Private note · " : "") + who + " · ";
    var time = document.createElement("time");
    time.setAttribute("datetime", msg.created_at);
    time.textContent = fmt.time(msg.created_at);
    meta.appendChild(time);
    if (typeof msg.sentiment === "number") { // thresholds as in feedback/sentiment.py
      var tone = msg.sentiment >= 0.05 ? "positive" : (msg.sentiment <= -0.05 ? "negative" : "neutral");
      var score = document.createElement("span");
      score.className = "sentiment " + tone;
      score.title = "Sentiment, from -1 (negative) to +1 (positive)";
      score.textContent = tone + " " + (msg.sentiment >= 0 ? "+" : "") + msg.sentiment.toFixed(2);
      meta.appendChild(document.createTextNode(" · "));
      meta.appendChild(score);
    }
    var body = document.createElement("div");
    body.className = "body";
    body.textContent = msg.body;
    li.appendChild(meta); li.appendChild(body);
    placeLine(box, li);
    scrollDown();
    checkGap(); // a number beyond a hole: what is missing is fetched unless it arrives meanwhile
  }

  function resync() {
    var id = currentId();
    if (!id) return;
    fetch("/inbox/" + id + "/messages?after_seq=" + throughSeq(), { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.text() : ""; }).then(function (html) {
        if (currentId() === id) { appendHtml(html); caughtUp(); }
      });
  }
  window.frontdeskThread = {
    csrfToken: csrfToken, messagesEl: messagesEl, currentId: currentId, lastSeq: lastSeq, scrollDown: scrollDown,
    appendHtml: appendHtml, appendMessage: appendMessage, resync: resync,
    onCaughtUp: function (callback) { caughtUp = callback; }
  };
})();
