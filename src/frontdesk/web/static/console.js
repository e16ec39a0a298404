/* Frontdesk agent inbox: one live page. Conversations open without a page load (the URL follows them),
   and everything on screen follows the console socket's events. Text from visitors is always set with
   textContent; only server-rendered (Jinja-escaped) fragments go through innerHTML.
   Needs inbox/format.js (times) before it; inbox/picker.js adds the canned-reply picker and macros. */
(function () {
  "use strict";
  var inbox = document.getElementById("inbox");
  if (!inbox) return;
  var fmt = window.frontdeskFormat;
  var myId = Number(inbox.dataset.agentId);
  var prefs = { desktop: inbox.dataset.notifyDesktop === "on", sound: inbox.dataset.notifySound === "on" };
  var socket = null, backoff = 500, unseen = 0, baseTitle = document.title, typingTimer = null, lastTyping = 0;
  var listTimer = null, countsTimer = null, readTimer = null, opening = 0, focusIndex = -1;

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
        if (currentId() === id) { appendHtml(html); markRead(); }
      });
  }

  /* ---- The list: filters, order, unread counts ---- */
  function filtersForm() { return document.getElementById("inbox-filters"); }
  function listQuery() {
    var form = filtersForm();
    return form ? new URLSearchParams(new FormData(form)).toString() : "";
  }
  function listEl() { return document.querySelector("#conversation-list ul.conversations"); }
  function itemOf(id) { return document.querySelector('#conversation-list li[data-id="' + id + '"]'); }
  function field(root, name) { return root ? root.querySelector('[data-field="' + name + '"]') : null; }

  function refreshList(now) {
    clearTimeout(listTimer);
    listTimer = setTimeout(function () {
      var query = listQuery();
      fetch("/inbox?" + query, { credentials: "same-origin", headers: { "HX-Request": "true" } })
        .then(function (r) {
          if (r.status === 401) { location.href = r.headers.get("HX-Redirect") || "/login"; return ""; }
          return r.ok ? r.text() : "";
        })
        .then(function (html) {
          if (!html || query !== listQuery()) return; // the filters changed meanwhile: a newer fetch follows
          document.getElementById("conversation-list").innerHTML = html; // server-rendered
          markCurrent();
          countsFromList();
          updateWaiting();
        });
    }, now ? 0 : 250);
  }
  function markCurrent() {
    var id = currentId();
    Array.prototype.forEach.call(document.querySelectorAll("#conversation-list li[data-id]"), function (li) {
      li.classList.toggle("current", Number(li.dataset.id) === id);
      if (Number(li.dataset.id) === id) li.querySelector("a").setAttribute("aria-current", "true");
      else li.querySelector("a").removeAttribute("aria-current");
    });
  }
  // The order the server sorts by: waiting first (longest first), then the latest activity, then the newest.
  function sortList() {
    var list = listEl();
    if (!list) return;
    var items = Array.prototype.slice.call(list.querySelectorAll("li[data-id]"));
    var sorted = items.slice().sort(function (a, b) {
      var wa = a.dataset.waitingSince, wb = b.dataset.waitingSince;
      if (!!wa !== !!wb) return wa ? -1 : 1;
      if (wa && wb && wa !== wb) return Date.parse(wa) - Date.parse(wb);
      var la = Date.parse(a.dataset.lastActivity || 0), lb = Date.parse(b.dataset.lastActivity || 0);
      if (la !== lb) return lb - la;
      return Number(b.dataset.id) - Number(a.dataset.id);
    });
    if (sorted.some(function (li, i) { return li !== items[i]; })) {
      sorted.forEach(function (li) { list.appendChild(li); });
    }
  }
  function setUnread(id, n) {
    var item = itemOf(id);
    if (!item) return;
    var count = field(item, "unread");
    count.textContent = String(n);
    count.hidden = !n;
    item.classList.toggle("unread", n > 0);
  }
  function applyCounts(counts) {
    Array.prototype.forEach.call(document.querySelectorAll("#conversation-list li[data-id]"), function (li) {
      setUnread(li.dataset.id, counts.conversations[li.dataset.id] || 0);
    });
    Object.keys(counts.views).forEach(function (view) {
      var el = document.querySelector('[data-view-count="' + view + '"]');
      if (el) { el.textContent = String(counts.views[view]); el.hidden = !counts.views[view]; }
    });
  }
  function countsFromList() {
    var data = document.getElementById("unread-counts");
    if (data) { try { applyCounts(JSON.parse(data.textContent)); } catch (e) { /* refetched below */ } }
  }
  function fetchCounts() {
    clearTimeout(countsTimer);
    countsTimer = setTimeout(function () {
      fetch("/inbox/unread.json", { credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (counts) { if (counts) applyCounts(counts); });
    }, 300);
  }
  // The open conversation, seen: the server moves this agent's read mark (and the other consoles' counts follow).
  function markRead() {
    clearTimeout(readTimer);
    readTimer = setTimeout(function () {
      var id = currentId();
      if (!id || document.hidden) return;
      var body = new URLSearchParams({ seq: String(lastSeq()) });
      fetch("/inbox/" + id + "/read", {
        method: "POST", credentials: "same-origin", body: body, headers: { "X-CSRF-Token": csrfToken() }
      }).then(fetchCounts);
    }, 200);
  }
  function updateWaiting() {
    Array.prototype.forEach.call(document.querySelectorAll('#conversation-list [data-field="waiting"]'), function (el) {
      el.hidden = !el.dataset.since;
      if (el.dataset.since) el.textContent = "waiting " + fmt.waited(el.dataset.since);
    });
  }
  setInterval(updateWaiting, 15000);

  function visibleName(c) { return c.display_name || c.contact_name || "Visitor"; }
  function statusBadge(el, status) {
    if (!el) return;
    el.textContent = status;
    el.className = "badge status-" + status;
  }
  // What a summary (sent with every message) or a whole conversation says, shown in its list row.
  function applyToItem(c) {
    var item = itemOf(c.id), list = listEl();
    var listStatus = list ? list.dataset.status : "open";
    if (!item) {
      if (c.status === listStatus) refreshList(); // it belongs in this list now (new, or reopened)
      return;
    }
    if (c.status !== item.dataset.status) {
      item.dataset.status = c.status;
      statusBadge(field(item, "status"), c.status);
      if (c.status !== listStatus) refreshList(); // it leaves this list
    }
    if ("assignee_id" in c) {
      var before = item.dataset.assigneeId;
      item.dataset.assigneeId = c.assignee_id === null ? "" : String(c.assignee_id);
      if (list && before !== item.dataset.assigneeId && list.dataset.view !== "all") refreshList();
    }
    if ("unanswered" in c) field(item, "unanswered").hidden = !c.unanswered;
    if ("waiting_since" in c) {
      item.dataset.waitingSince = c.waiting_since || "";
      field(item, "waiting").dataset.since = c.waiting_since || "";
    }
    if (c.last_activity_at) {
      item.dataset.lastActivity = c.last_activity_at;
      var time = field(item, "last-time");
      time.setAttribute("datetime", c.last_activity_at);
      time.textContent = fmt.time(c.last_activity_at);
    }
    if ("contact_name" in c) {
      field(item, "name").textContent = visibleName(c);
      field(item, "assignment").textContent = (c.team || "") + (c.assignee_name ? " · " + c.assignee_name : "");
      if (c.last_message) field(item, "preview").textContent = c.last_message;
    }
    updateWaiting();
    sortList();
  }
  function showFirstResponse(c) {
    var head = document.getElementById("conv-head");
    if (!head || c.id !== currentId() || !("first_response_seconds" in c)) return;
    field(head, "first-response").textContent =
      c.first_response_seconds === null ? "—" : Math.floor(c.first_response_seconds) + " s";
  }
  // A whole conversation (ConversationRead): the list row and, when it is open, the header.
  function applyConversation(c) {
    applyToItem(c);
    var head = document.getElementById("conv-head");
    if (!head || c.id !== currentId()) return;
    head.dataset.status = c.status;
    field(head, "name").textContent = visibleName(c);
    statusBadge(field(head, "status"), c.status);
    Array.prototype.forEach.call(head.querySelectorAll("[data-show-when]"), function (button) {
      button.hidden = (button.dataset.showWhen === "resolved") !== (c.status === "resolved");
    });
    var assignee = field(head, "assignee");
    if (assignee) assignee.value = c.assignee_id === null ? "" : String(c.assignee_id);
    var team = field(head, "team");
    if (team && c.team) team.value = c.team;
    showFirstResponse(c);
    var rating = field(head, "rating");
    rating.hidden = !c.csat_rating;
    if (c.csat_rating) {
      rating.querySelector(".csat").textContent =
        "Rated " + c.csat_rating + "/5" + (c.csat_comment ? ": “" + c.csat_comment + "”" : "");
    }
  }

  /* ---- Opening conversations without a page load; the URL follows ---- */
  function openConversation(id, push) {
    var ticket = ++opening;
    return fetch("/inbox/" + id, {
      credentials: "same-origin", headers: { "HX-Request": "true", "HX-Target": "conversation" }
    }).then(function (r) {
      if (r.status === 401) { location.href = r.headers.get("HX-Redirect") || "/login"; return null; }
      if (!r.ok) { location.href = "/inbox/" + id; return null; } // the server's own error page
      return r.text();
    }).then(function (html) {
      if (html === null || ticket !== opening) return;
      var section = document.getElementById("conversation");
      section.innerHTML = html; // server-rendered and escaped by Jinja2
      if (window.htmx) window.htmx.process(section);
      inbox.dataset.conversationId = String(id);
      inbox.classList.add("has-selected");
      if (push) history.pushState({ conversation: id }, "", "/inbox/" + id + "?" + listQuery());
      markCurrent();
      setUnread(id, 0); // opening it marked it read
      fetchCounts();
      scrollDown();
      resync(); // a line stored after the page was rendered, whose event came before the swap
      hideTyping();
      section.dispatchEvent(new CustomEvent("frontdesk:conversation-opened", { bubbles: true, detail: { id: id } }));
    });
  }
  function closeConversation() {
    opening++;
    var section = document.getElementById("conversation");
    var p = document.createElement("p");
    p.className = "empty";
    p.textContent = "Choose a conversation.";
    section.textContent = "";
    section.appendChild(p);
    inbox.dataset.conversationId = "";
    inbox.classList.remove("has-selected");
    markCurrent();
  }
  function backToList() {
    history.pushState({ conversation: null }, "", "/inbox?" + listQuery());
    closeConversation();
  }
  window.addEventListener("popstate", function () {
    var found = location.pathname.match(/^\/inbox\/(\d+)$/);
    if (found) openConversation(Number(found[1]), false); else closeConversation();
  });
  history.replaceState({ conversation: currentId() }, "", location.href);

  document.addEventListener("click", function (e) {
    if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    var link = e.target.closest && e.target.closest("#conversation-list li[data-id] a, a[data-open-conversation]");
    if (link) {
      var id = Number(link.dataset.openConversation || link.closest("li").dataset.id);
      e.preventDefault();
      openConversation(id, true);
      return;
    }
    var back = e.target.closest && e.target.closest("[data-back-to-list]");
    if (back) { e.preventDefault(); backToList(); return; }
    var tab = e.target.closest && e.target.closest("button[data-view]");
    if (tab) {
      filtersForm().elements.view.value = tab.dataset.view;
      Array.prototype.forEach.call(document.querySelectorAll("button[data-view]"), function (b) {
        b.classList.toggle("active", b === tab);
        b.setAttribute("aria-pressed", b === tab ? "true" : "false");
      });
      filtersChanged(true);
    }
  });

  function filtersChanged(now) {
    var id = currentId();
    history.replaceState(history.state, "", (id ? "/inbox/" + id : "/inbox") + "?" + listQuery());
    refreshList(now);
  }
  var form = filtersForm();
  if (form) {
    form.addEventListener("submit", function (e) { e.preventDefault(); filtersChanged(true); });
    form.addEventListener("change", function (e) { if (e.target.id !== "presence") filtersChanged(true); });
    form.elements.q.addEventListener("input", function () { filtersChanged(false); });
  }

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
        note.onclick = function () { window.focus(); openConversation(id, true); note.close(); };
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
    if (!document.hidden) { unseen = 0; document.title = baseTitle; markRead(); }
  });

  /* ---- Events from the socket ---- */
  function hideTyping() { var t = document.getElementById("typing"); if (t) t.hidden = true; clearTimeout(typingTimer); }
  function handle(event) {
    if (event.type === "message") {
      var msg = event.message, id = event.conversation_id;
      var open = id === currentId();
      if (open) {
        appendMessage(msg);
        if (msg.author_type === "visitor") { hideTyping(); markRead(); }
      }
      var item = itemOf(id);
      if (item && msg.kind === "message") field(item, "preview").textContent = msg.body.slice(0, 200);
      if (event.conversation) { applyToItem(event.conversation); showFirstResponse(event.conversation); }
      if (msg.author_type === "visitor" && msg.kind === "message") {
        if (!open || document.hidden) {
          var count = item ? field(item, "unread") : null;
          if (count) setUnread(id, Number(count.textContent || 0) + 1);
          fetchCounts();
        }
        if (msg.seq === 1) notify("New conversation", msg.body, id);
        else if (event.conversation && event.conversation.assignee_id === myId) notify("New message", msg.body, id);
      }
    } else if (event.type === "conversation") {
      applyConversation(event.conversation);
      fetchCounts();
    } else if (event.type === "typing" && event.author_type === "visitor" && event.conversation_id === currentId()) {
      var t = document.getElementById("typing");
      if (t) { t.hidden = false; clearTimeout(typingTimer); typingTimer = setTimeout(hideTyping, 3000); }
    } else if (event.type === "resync") {
      resync(); refreshList(true); fetchCounts();
    }
  }

  function send(frame) { if (socket && socket.readyState === 1) socket.send(JSON.stringify(frame)); }

  function connect() {
    socket = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/console/ws");
    socket.onopen = function () { backoff = 500; resync(); refreshList(true); fetchCounts(); inbox.dataset.live = "true"; };
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

  /* ---- Changing the conversation: header form, keyboard ---- */
  function postUpdate(fields) {
    var id = currentId();
    if (!id) return;
    var body = new URLSearchParams(fields);
    body.set("csrf_token", csrfToken());
    fetch("/inbox/" + id + "/update", {
      method: "POST", credentials: "same-origin", body: body, headers: { "HX-Request": "true" }
    }).then(function (r) { return r.ok ? r.json() : null; })
      .then(function (answer) { if (answer) applyConversation(answer.conversation); });
  }
  function typingInField(target) {
    return target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName);
  }
  function moveFocus(step) {
    var items = document.querySelectorAll("#conversation-list li[data-id]");
    if (!items.length) return;
    if (focusIndex < 0) {
      focusIndex = Array.prototype.findIndex.call(items, function (li) { return li.classList.contains("current"); });
    }
    focusIndex = Math.max(0, Math.min(items.length - 1, focusIndex + step));
    var link = items[focusIndex].querySelector("a");
    link.focus();
    link.scrollIntoView({ block: "nearest" });
  }
  document.addEventListener("keydown", function (e) {
    if (e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey) return;
    if (typingInField(e.target)) {
      if (e.key === "Escape" && e.target.name === "q") e.target.blur();
      return;
    }
    if (e.key === "j" || e.key === "k") { moveFocus(e.key === "j" ? 1 : -1); }
    else if (e.key === "Enter" && e.target.closest && e.target.closest("#conversation-list li[data-id]")) {
      openConversation(Number(e.target.closest("li").dataset.id), true);
    }
    else if (e.key === "e") { postUpdate({ status: "resolved" }); }
    else if (e.key === "a") { postUpdate({ assignee_id: String(myId) }); }
    else if (e.key === "/") {
      var q = filtersForm().elements.q;
      if (q.offsetParent === null) backToList(); // a phone shows the list or the conversation, not both
      q.focus(); q.select();
    }
    else return;
    e.preventDefault();
  });

  function newClientId() {
    return (window.crypto && crypto.randomUUID) ? crypto.randomUUID().replace(/-/g, "") :
      String(Date.now()) + Math.random().toString(16).slice(2);
  }
  document.body.addEventListener("htmx:configRequest", function (e) {
    var composer = e.detail.elt;
    if (composer.id !== "composer") return;
    // The same client id for every retry of this text: the server stores it once.
    if (!composer.elements.client_id.value) composer.elements.client_id.value = newClientId();
    e.detail.parameters.client_id = composer.elements.client_id.value;
  });
  document.body.addEventListener("htmx:afterRequest", function (e) {
    var elt = e.detail.elt;
    if (!e.detail.successful) return;
    if (elt.id === "composer") {
      appendHtml(e.detail.xhr.responseText);
      elt.elements.body.value = "";
      elt.elements.client_id.value = "";
    } else if (elt.hasAttribute && elt.hasAttribute("data-conversation-update")) {
      try { applyConversation(JSON.parse(e.detail.xhr.responseText).conversation); } catch (err) { /* page reloads */ }
    }
  });
  document.body.addEventListener("keydown", function (e) {
    var area = e.target;
    if (!area.form || area.form.id !== "composer" || area.name !== "body") return;
    if (e.key === "Enter" && !e.shiftKey) { e.preventDefault(); area.form.requestSubmit(); return; }
    var now = Date.now();
    if (now - lastTyping > 2000 && currentId()) {
      lastTyping = now;
      send({ type: "typing", conversation_id: currentId(), private: area.form.elements.kind.checked });
    }
  });
  countsFromList();
  updateWaiting();
  scrollDown();
  window.frontdeskInbox = {
    csrfToken: csrfToken, lastSeq: lastSeq, appendHtml: appendHtml, currentId: currentId, open: openConversation
  };
})();
