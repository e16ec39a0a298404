/* Frontdesk agent inbox: one live page. Conversations open without a page load (the URL follows them),
   and everything on screen follows the console socket's events. Text from visitors is always set with
   textContent; only server-rendered (Jinja-escaped) fragments go through innerHTML.
   Needs, before it: inbox/format.js, inbox/thread.js, inbox/list.js, inbox/alerts.js; inbox/picker.js adds the
   canned-reply picker and macros. */
(function () {
  "use strict";
  var inbox = document.getElementById("inbox");
  if (!inbox) return;
  var thread = window.frontdeskThread, list = window.frontdeskList, alerts = window.frontdeskAlerts;
  var csrfToken = thread.csrfToken, currentId = thread.currentId, lastSeq = thread.lastSeq;
  var scrollDown = thread.scrollDown, appendHtml = thread.appendHtml, appendMessage = thread.appendMessage;
  var resync = thread.resync, notify = alerts.notify;
  var filtersForm = list.filtersForm, listQuery = list.listQuery, itemOf = list.itemOf, field = list.field;
  var refreshList = list.refreshList, markCurrent = list.markCurrent, setUnread = list.setUnread;
  var fetchCounts = list.fetchCounts, markRead = list.markRead, applyToItem = list.applyToItem;
  var applyConversation = list.applyConversation, showFirstResponse = list.showFirstResponse;
  var myId = Number(inbox.dataset.agentId);
  var socket = null, backoff = 500, typingTimer = null, lastTyping = 0, opening = 0, focusIndex = -1;
  var known = {}; // conversations this console has listed or heard of
  Array.prototype.forEach.call(document.querySelectorAll("#conversation-list li[data-id]"), function (li) {
    known[li.dataset.id] = true;
  });
  thread.onCaughtUp(markRead);
  alerts.onOpen(function (id) { openConversation(id, true); });
  document.addEventListener("visibilitychange", function () { if (!document.hidden) markRead(); });

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
  // The filters as the address says (back and forward walk them too); true when they changed.
  function filtersFromUrl() {
    var form = filtersForm(), params = new URLSearchParams(location.search), changed = false;
    if (!form) return false;
    [["view", "all"], ["status", "open"], ["team", ""], ["q", ""]].forEach(function (pair) {
      var value = params.has(pair[0]) ? params.get(pair[0]) : pair[1];
      if (form.elements[pair[0]].value !== value) { form.elements[pair[0]].value = value; changed = true; }
    });
    Array.prototype.forEach.call(document.querySelectorAll("button[data-view]"), function (b) {
      b.classList.toggle("active", b.dataset.view === form.elements.view.value);
      b.setAttribute("aria-pressed", b.dataset.view === form.elements.view.value ? "true" : "false");
    });
    return changed;
  }
  window.addEventListener("popstate", function () {
    if (filtersFromUrl()) refreshList(true);
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

  /* ---- Events from the socket ---- */
  function hideTyping() { var t = document.getElementById("typing"); if (t) t.hidden = true; clearTimeout(typingTimer); }
  function handle(event) {
    if (event.type === "message") {
      var msg = event.message, id = event.conversation_id;
      var wasKnown = known[id];
      known[id] = true;
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
          // Counted here, without asking the server, unless the row is not on screen.
          var count = item ? field(item, "unread") : null;
          var before = count ? Number(count.textContent || 0) : null;
          if (count) setUnread(id, before + 1);
          if (before === 0 && event.conversation) list.bumpViewCounts(event.conversation.assignee_id);
          else if (before === null) fetchCounts();
        }
        // New: its first line, or (a conversation a team opened, e.g. a proactive invitation) the first visitor
        // line this console hears of an unanswered conversation it has never listed.
        var unanswered = event.conversation && event.conversation.unanswered;
        if (msg.seq === 1 || (unanswered && !wasKnown && !item)) notify("New conversation", msg.body, id);
        else if (event.conversation && event.conversation.assignee_id === myId) notify("New message", msg.body, id);
      }
    } else if (event.type === "conversation") {
      applyConversation(event.conversation);
      fetchCounts();
    } else if (event.type === "presence") {
      // The assignee picker says who is online: "Ann (online)".
      var option = document.querySelector('#conv-head [data-field="assignee"] option[value="' + event.agent_id + '"]');
      if (option) option.textContent = option.textContent.replace(/\((online|away|offline)\)$/, "(" + event.status + ")");
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
    // The same client id for every retry of this text (the server stores it once); other text, another id.
    var body = String(e.detail.parameters.body || "");
    if (!composer.elements.client_id.value || composer.dataset.sentBody !== body) {
      composer.elements.client_id.value = newClientId();
    }
    composer.dataset.sentBody = body;
    e.detail.parameters.client_id = composer.elements.client_id.value;
  });
  document.body.addEventListener("htmx:afterRequest", function (e) {
    var elt = e.detail.elt;
    if (!e.detail.successful) return;
    if (elt.id === "composer") {
      appendHtml(e.detail.xhr.responseText);
      // Sent: gone from the box; whatever the agent typed after it meanwhile stays.
      var box = elt.elements.body, sent = elt.dataset.sentBody || "";
      if (sent && box.value.indexOf(sent) === 0) {
        box.value = box.value.slice(sent.length).replace(/^\s+/, "");
        elt.elements.client_id.value = "";
      }
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
  list.countsFromList();
  list.updateWaiting();
  scrollDown();
  window.frontdeskInbox = {
    csrfToken: csrfToken, lastSeq: lastSeq, appendHtml: appendHtml, currentId: currentId, open: openConversation
  };
})();
