/* Frontdesk agent inbox: live updates over WebSocket. Message text is always set as text, never as HTML. */
(function () {
  "use strict";
  var inbox = document.getElementById("inbox");
  if (!inbox) return;
  var socket = null, backoff = 500, unread = 0, baseTitle = document.title, typingTimer = null, lastTyping = 0;
  var listTimer = null;

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
    var li = document.createElement("li");
    li.className = "msg " + msg.author_type + " " + msg.kind;
    li.dataset.seq = String(msg.seq);
    var meta = document.createElement("div");
    meta.className = "meta";
    var who = msg.author_name || (msg.author_type === "visitor" ? "Visitor" : "Frontdesk");
    meta.textContent = (msg.kind === "note" && msg.author_type !== "system" ? "Private note · " : "") + who + " · " +
      new Date(msg.created_at).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
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
      .then(function (r) { return r.ok ? r.text() : ""; }).then(appendHtml);
  }

  function refreshList() {
    clearTimeout(listTimer);
    listTimer = setTimeout(function () {
      var list = document.querySelector("#conversation-list ul");
      var query = list ? list.dataset.query : "";
      if (window.htmx) window.htmx.ajax("GET", "/inbox?" + query, { target: "#conversation-list" });
    }, 250);
  }

  function cue() {
    if (!document.hidden) return;
    unread += 1;
    document.title = "(" + unread + ") " + baseTitle;
    try {
      var ctx = new (window.AudioContext || window.webkitAudioContext)();
      var osc = ctx.createOscillator(); osc.frequency.value = 880; osc.connect(ctx.destination);
      osc.start(); osc.stop(ctx.currentTime + 0.12);
    } catch (e) { /* sound is a nicety */ }
  }
  document.addEventListener("visibilitychange", function () {
    if (!document.hidden) { unread = 0; document.title = baseTitle; }
  });

  function handle(event) {
    if (event.type === "message") {
      if (event.conversation_id === currentId()) appendMessage(event.message);
      updateListItem(event);
      if (event.message.author_type === "visitor") {
        cue();
        var item = document.querySelector('#conversation-list li[data-id="' + event.conversation_id + '"]');
        if (item && event.conversation_id !== currentId()) item.classList.add("unread");
      }
    } else if (event.type === "conversation") {
      refreshList();
    } else if (event.type === "typing" && event.author_type === "visitor" && event.conversation_id === currentId()) {
      var t = document.getElementById("typing");
      if (t) { t.hidden = false; clearTimeout(typingTimer); typingTimer = setTimeout(function () { t.hidden = true; }, 3000); }
    } else if (event.type === "resync") {
      resync(); refreshList();
    }
  }

  function updateListItem(event) {
    var item = document.querySelector('#conversation-list li[data-id="' + event.conversation_id + '"]');
    if (!item) { if (event.message.author_type === "visitor") refreshList(); return; }
    if (event.message.kind === "message") {
      var preview = item.querySelector(".preview");
      if (preview) preview.textContent = event.message.body.slice(0, 200);
    }
    if (event.conversation && !event.conversation.unanswered) {
      var badge = item.querySelector(".badge");
      if (badge) badge.remove();
    }
  }

  function send(frame) { if (socket && socket.readyState === 1) socket.send(JSON.stringify(frame)); }

  function connect() {
    socket = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/console/ws");
    socket.onopen = function () { backoff = 500; resync(); refreshList(); inbox.dataset.live = "true"; };
    socket.onmessage = function (e) {
      var data = JSON.parse(e.data);  // one event, or an array of events sent together
      (Array.isArray(data) ? data : [data]).forEach(handle);
    };
    socket.onclose = function () {
      inbox.dataset.live = "false";
      setTimeout(connect, backoff); backoff = Math.min(backoff * 2, 10000);
    };
  }
  setInterval(function () { send({ type: "ping" }); }, 20000);
  connect();

  var presence = document.getElementById("presence");
  if (presence) presence.addEventListener("change", function () { send({ type: "presence", status: presence.value }); });

  function newClientId() {
    return (window.crypto && crypto.randomUUID) ? crypto.randomUUID().replace(/-/g, "") :
      String(Date.now()) + Math.random().toString(16).slice(2);
  }

  document.body.addEventListener("htmx:configRequest", function (e) {
    var form = e.detail.elt;
    if (form.id !== "composer") return;
    // The same client id for every retry of this text: the server stores it once.
    if (!form.elements.client_id.value) form.elements.client_id.value = newClientId();
    e.detail.parameters.client_id = form.elements.client_id.value;
  });
  document.body.addEventListener("htmx:afterRequest", function (e) {
    var form = e.detail.elt;
    if (form.id !== "composer" || !e.detail.successful) return;
    appendHtml(e.detail.xhr.responseText);
    form.elements.body.value = "";
    form.elements.client_id.value = "";
  });
  document.body.addEventListener("keydown", function (e) {
    var area = e.target;
    if (!area.form || area.form.id !== "composer" || area.name !== "body") return;
    var canned = {};
    try { canned = JSON.parse(area.form.dataset.canned || "{}"); } catch (err) { canned = {}; }
    var shortcut = area.value.match(/^\/([\w-]+)$/);
    if ((e.key === "Tab" || e.key === "Enter") && shortcut && canned[shortcut[1].toLowerCase()]) {
      e.preventDefault();
      area.value = canned[shortcut[1].toLowerCase()];
      return;
    }
    if (e.key === "Enter" && !e.shiftKey) { e.preventDefault(); area.form.requestSubmit(); return; }
    var now = Date.now();
    if (now - lastTyping > 2000 && currentId()) {
      lastTyping = now;
      send({ type: "typing", conversation_id: currentId(), private: area.form.elements.kind.checked });
    }
  });
  document.body.addEventListener("htmx:afterSwap", scrollDown);
  scrollDown();
  window.frontdeskInbox = { csrfToken: csrfToken, lastSeq: lastSeq };
})();
