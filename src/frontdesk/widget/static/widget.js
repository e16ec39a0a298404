/*! Frontdesk chat widget. One file, no dependencies. Paste into any page:
 *  <script src="https://FRONTDESK/widget.js" data-frontdesk="PUBLIC_WIDGET_TOKEN" async></script>
 * Optional, for logged-in users: data-user-id="42" data-user-hash="HMAC-SHA256(identity secret, user id)".
 * Everything a visitor or agent wrote is shown with textContent: it can never run as HTML.
 */
(function () {
  "use strict";
  var script = document.currentScript || document.querySelector("script[data-frontdesk]");
  if (!script || window.__frontdeskWidget) return;
  window.__frontdeskWidget = true;
  var token = script.getAttribute("data-frontdesk");
  var base = new URL(script.src, location.href).origin;
  var key = "frontdesk:" + token + ":";
  var state = {
    // through: every sequence number up to it is shown (or not meant for visitors); above: those beyond a gap.
    visitorToken: localStorage.getItem(key + "visitor"), conversation: null, through: 0, above: {}, online: {},
    open: false, unread: 0, socket: null, backoff: 500, typingAt: 0, team: null, profile: null,
    pending: JSON.parse(localStorage.getItem(key + "pending") || "[]"), settings: {}
  };

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) { node.setAttribute(name, attrs[name]); });
    if (text !== undefined) node.textContent = text;
    return node;
  }
  function savePending() { localStorage.setItem(key + "pending", JSON.stringify(state.pending)); }
  function newId() {
    return (window.crypto && crypto.randomUUID) ? crypto.randomUUID().replace(/-/g, "") :
      String(Date.now()) + Math.random().toString(16).slice(2);
  }

  // ---- UI ----------------------------------------------------------------------------------------------
  var css = ".fdw-bubble{position:fixed;right:20px;bottom:20px;width:56px;height:56px;border-radius:50%;border:0;" +
    "background:#2456d3;color:#fff;font:600 24px system-ui;cursor:pointer;box-shadow:0 4px 14px rgba(0,0,0,.25);z-index:2147483000}" +
    ".fdw-badge{position:absolute;top:-4px;right:-4px;background:#d92d20;color:#fff;border-radius:10px;font:600 12px system-ui;padding:2px 6px}" +
    ".fdw-panel{position:fixed;right:20px;bottom:88px;width:340px;max-width:calc(100vw - 24px);height:480px;max-height:calc(100vh - 110px);" +
    "background:#fff;border-radius:12px;box-shadow:0 8px 30px rgba(0,0,0,.25);display:flex;flex-direction:column;font:14px/1.4 system-ui;color:#1d2330;z-index:2147483000}" +
    ".fdw-panel[hidden]{display:none}.fdw-head{background:#2456d3;color:#fff;padding:12px 14px;border-radius:12px 12px 0 0}" +
    ".fdw-head strong{display:block}.fdw-log{flex:1;overflow:auto;padding:10px;margin:0;list-style:none}" +
    ".fdw-msg{margin:6px 0;max-width:85%}.fdw-msg .fdw-body{white-space:pre-wrap;overflow-wrap:anywhere;padding:7px 10px;border-radius:10px;background:#eef1f6}" +
    ".fdw-msg.fdw-visitor{margin-left:auto}.fdw-msg.fdw-visitor .fdw-body{background:#2456d3;color:#fff}.fdw-meta{font-size:11px;color:#5f6b7a}" +
    ".fdw-msg.fdw-pending .fdw-body{opacity:.6}.fdw-note{color:#5f6b7a;font-size:12px;padding:4px 10px}" +
    ".fdw-form{display:flex;flex-direction:column;gap:6px;padding:10px;border-top:1px solid #e3e7ee}" +
    ".fdw-form input,.fdw-form textarea,.fdw-form select{font:inherit;padding:7px;border:1px solid #b8c0cc;border-radius:6px}" +
    ".fdw-form button,.fdw-stars button{font:inherit;font-weight:600;padding:7px 12px;border:0;border-radius:6px;background:#2456d3;color:#fff;cursor:pointer}" +
    ".fdw-stars{display:flex;gap:4px;flex-wrap:wrap;padding:0 10px 10px}.fdw-error{color:#b42318;font-size:12px;padding:0 10px}" +
    ".fdw-panel :focus{outline:3px solid #9db7f5;outline-offset:1px}.fdw-panel [hidden],.fdw-badge[hidden]{display:none!important}" +
    ".fdw-bubble svg{width:28px;height:28px;fill:#fff;vertical-align:middle}";
  var style = el("style"); style.textContent = css; document.head.appendChild(style);

  var bubble = el("button", { "class": "fdw-bubble", "aria-label": "Open chat", "aria-expanded": "false",
    "aria-controls": "fdw-panel", "type": "button" });
  var icon = document.createElementNS("http://www.w3.org/2000/svg", "svg");
  icon.setAttribute("viewBox", "0 0 24 24"); icon.setAttribute("aria-hidden", "true");
  var path = document.createElementNS("http://www.w3.org/2000/svg", "path");
  path.setAttribute("d", "M4 3h16a2 2 0 0 1 2 2v11a2 2 0 0 1-2 2H9l-5 4v-4H4a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2z");
  icon.appendChild(path); bubble.appendChild(icon);
  var badge = el("span", { "class": "fdw-badge", "aria-label": "unread messages", "hidden": "" }, "0");
  bubble.appendChild(badge);
  var panel = el("section", { "class": "fdw-panel", "id": "fdw-panel", "role": "dialog", "aria-label": "Chat", "hidden": "" });
  var head = el("div", { "class": "fdw-head" });
  var title = el("strong", {}, "Chat with us"); var subtitle = el("span", {}, "");
  head.appendChild(title); head.appendChild(subtitle);
  var log = el("ol", { "class": "fdw-log", "aria-live": "polite" });
  var typing = el("div", { "class": "fdw-note", "hidden": "" }, "");
  var errorLine = el("div", { "class": "fdw-error", "role": "alert" }, "");
  var rating = el("div", { "class": "fdw-stars", "hidden": "" });
  var form = el("form", { "class": "fdw-form" });
  var prechat = el("div", { "hidden": "" });
  var nameInput = el("input", { "name": "name", "placeholder": "Your name (optional)", "aria-label": "Your name", "autocomplete": "name" });
  var emailInput = el("input", { "name": "email", "type": "email", "placeholder": "Your e-mail", "aria-label": "Your e-mail", "autocomplete": "email" });
  var teamSelect = el("select", { "name": "team", "aria-label": "Topic" });
  teamSelect.appendChild(el("option", { "value": "sales" }, "Sales question"));
  teamSelect.appendChild(el("option", { "value": "support" }, "Support"));
  [nameInput, emailInput, teamSelect].forEach(function (n) { prechat.appendChild(n); });
  var text = el("textarea", { "name": "body", "rows": "2", "placeholder": "Write a message…", "aria-label": "Message", "maxlength": "5000" });
  var sendButton = el("button", { "type": "submit" }, "Send");
  form.appendChild(prechat); form.appendChild(text); form.appendChild(sendButton);
  [head, log, typing, errorLine, rating, form].forEach(function (n) { panel.appendChild(n); });

  function mount() { document.body.appendChild(panel); document.body.appendChild(bubble); }
  if (document.body) mount(); else document.addEventListener("DOMContentLoaded", mount);

  function toggle(open) {
    state.open = open === undefined ? !state.open : open;
    panel.hidden = !state.open;
    bubble.setAttribute("aria-expanded", String(state.open));
    bubble.setAttribute("aria-label", state.open ? "Close chat" : "Open chat");
    if (state.open) { state.unread = 0; badge.hidden = true; text.focus(); log.scrollTop = log.scrollHeight; }
  }
  bubble.addEventListener("click", function () { toggle(); });
  panel.addEventListener("keydown", function (e) { if (e.key === "Escape") { toggle(false); bubble.focus(); } });

  function teamOnline() { return !!state.online[teamSelect.value || "support"]; }
  function renderHeader() {
    var online = state.conversation ? true : teamOnline();
    subtitle.textContent = online ? (state.settings.welcome_message || "") : (state.settings.offline_message || "");
    var needsPrechat = !state.conversation;
    prechat.hidden = !needsPrechat;
    emailInput.required = needsPrechat && !teamOnline();
    emailInput.placeholder = emailInput.required ? "Your e-mail (so we can reply)" : "Your e-mail (optional)";
  }
  teamSelect.addEventListener("change", renderHeader);

  // ---- sequence numbers: nothing missed, nothing twice, always in order --------------------------------------
  function sawSeq(seq) {
    if (seq <= state.through || state.above[seq]) return false;
    state.above[seq] = true;
    while (state.above[state.through + 1]) { delete state.above[state.through + 1]; state.through += 1; }
    return true;
  }
  function coverSeq(through) {
    if (!(through > state.through)) return;
    state.through = through;
    Object.keys(state.above).forEach(function (s) { if (Number(s) <= through) delete state.above[s]; });
    while (state.above[state.through + 1]) { delete state.above[state.through + 1]; state.through += 1; }
  }
  function hasGap() { return Object.keys(state.above).length > 0; }
  function checkGap() {
    // A number beyond a gap: the server fills it within half a second; if not, ask for what is missing.
    if (!hasGap() || state.gapTimer) return;
    state.gapTimer = setTimeout(function () {
      state.gapTimer = null;
      if (hasGap()) send({ type: "resume", after_seq: state.through });
    }, 1500);
  }

  function showMessage(msg, pending) {
    var existing = log.querySelector('[data-client-id="' + msg.client_id + '"]');
    if (existing) existing.remove();
    if (!pending && msg.seq && log.querySelector('[data-seq="' + msg.seq + '"]')) return;
    var li = el("li", { "class": "fdw-msg fdw-" + msg.author_type + (pending ? " fdw-pending" : ""),
      "data-client-id": msg.client_id });
    if (msg.seq) li.setAttribute("data-seq", String(msg.seq));
    if (msg.author_type === "agent") li.appendChild(el("div", { "class": "fdw-meta" }, msg.author_name || "Agent"));
    li.appendChild(el("div", { "class": "fdw-body" }, msg.body));
    // In sequence order even when lines arrive out of order; lines not yet stored stay last.
    var later = null;
    if (msg.seq) {
      later = Array.prototype.find.call(log.querySelectorAll("li"), function (node) {
        var seq = node.getAttribute("data-seq");
        return !seq || Number(seq) > msg.seq;
      }) || null;
    }
    log.insertBefore(li, later);
    log.scrollTop = log.scrollHeight;
    if (msg.seq) sawSeq(msg.seq);
    if (!pending && msg.author_type === "agent" && !state.open) {
      state.unread += 1; badge.textContent = String(state.unread); badge.hidden = false;
    }
  }

  function showRating() {
    var c = state.conversation;
    rating.hidden = !(c && c.status === "resolved" && !c.csat_rating);
    if (rating.hidden || rating.childNodes.length) return;
    rating.appendChild(el("span", { "class": "fdw-note" }, "How did we do?"));
    var comment = el("input", { "placeholder": "Comment (optional)", "aria-label": "Comment" });
    [1, 2, 3, 4, 5].forEach(function (n) {
      var b = el("button", { "type": "button", "aria-label": "Rate " + n + " out of 5" }, n + "★");
      b.addEventListener("click", function () { send({ type: "rate", rating: n, comment: comment.value || null }); });
      rating.appendChild(b);
    });
    rating.appendChild(comment);
  }

  // ---- transport -------------------------------------------------------------------------------------
  function send(frame) {
    if (state.socket && state.socket.readyState === 1) { state.socket.send(JSON.stringify(frame)); return true; }
    return false;
  }
  function flushPending() { state.pending.forEach(function (frame) { send(frame); }); }

  form.addEventListener("submit", function (e) {
    e.preventDefault();
    errorLine.textContent = "";
    var body = text.value.trim();
    if (!body) return;
    if (!state.conversation && emailInput.required && !emailInput.value.trim()) {
      errorLine.textContent = "Leave your e-mail so we can answer you."; emailInput.focus(); return;
    }
    var frame = { type: "send", client_id: newId(), body: body };
    if (!state.conversation) {
      frame.team = teamSelect.value;
      if (nameInput.value.trim()) frame.name = nameInput.value.trim();
      if (emailInput.value.trim()) frame.email = emailInput.value.trim();
    }
    // Kept until the server acknowledges it: a reload or a dropped connection sends it again, same client id.
    state.pending.push(frame); savePending();
    showMessage({ client_id: frame.client_id, body: body, author_type: "visitor" }, true);
    text.value = "";
    send(frame);
  });
  text.addEventListener("keydown", function (e) {
    if (e.key === "Enter" && !e.shiftKey) { e.preventDefault(); form.requestSubmit(); return; }
    var now = Date.now();
    if (state.conversation && now - state.typingAt > 2000) { state.typingAt = now; send({ type: "typing" }); }
  });

  function handle(event) {
    if (event.type === "ready") {
      if (event.conversation) state.conversation = event.conversation;
      (event.messages || []).forEach(function (m) { showMessage(m, false); });
      coverSeq(event.through_seq || 0);
      flushPending();
    } else if (event.type === "seq") {
      sawSeq(event.seq); // a number the visitor is not meant to see (an agents' note)
    } else if (event.type === "ack") {
      state.pending = state.pending.filter(function (f) { return f.client_id !== event.client_id; }); savePending();
      if (!state.conversation) state.conversation = { id: event.conversation_id, status: "open" };
      showMessage(event.message, false);
    } else if (event.type === "message") {
      showMessage(event.message, false);
    } else if (event.type === "typing" && event.author_type === "agent") {
      typing.textContent = "Agent is typing…"; typing.hidden = false;
      clearTimeout(state.typingTimer); state.typingTimer = setTimeout(function () { typing.hidden = true; }, 3000);
    } else if (event.type === "status") {
      if (state.conversation) state.conversation.status = event.status;
      if (event.status !== "resolved") { rating.hidden = true; }
      showRating();
    } else if (event.type === "rated") {
      if (state.conversation) state.conversation.csat_rating = event.rating;
      rating.hidden = true;
      log.appendChild(el("li", { "class": "fdw-note" }, "Thanks for your rating!"));
    } else if (event.type === "error") {
      errorLine.textContent = event.message || "Something went wrong";
      if (event.client_id && event.code !== "rate_limited") {
        state.pending = state.pending.filter(function (f) { return f.client_id !== event.client_id; }); savePending();
      }
    }
    checkGap();
    renderHeader();
    showRating();
  }

  function connect() {
    var ws = new WebSocket(base.replace(/^http/, "ws") + "/widget/ws");
    state.socket = ws;
    ws.onopen = function () {
      state.backoff = 500;
      // Resume from the last number with nothing missing below it: a line missed earlier is fetched too.
      ws.send(JSON.stringify({ type: "hello", widget_token: token, visitor_token: state.visitorToken, after_seq: state.through }));
    };
    ws.onmessage = function (e) { handle(JSON.parse(e.data)); };
    ws.onclose = function (e) {
      if (e.code === 4403 || e.code === 4404) { refused({ error: e.code === 4403 ? "origin_not_allowed" : "unknown_widget" }); return; }
      setTimeout(connect, state.backoff); state.backoff = Math.min(state.backoff * 2, 15000);
    };
  }

  // Refused for good (this site is not allowed, or the token is wrong): the widget leaves the page and says why,
  // once, in the console, rather than showing a chat whose messages would stay "pending" forever.
  function refused(data) {
    if (state.refused) return;
    state.refused = true;
    if (state.socket) { state.socket.onclose = null; try { state.socket.close(); } catch (e) { /* closed */ } }
    bubble.remove(); panel.remove();
    var site = (data && data.origin) || location.origin;
    var message = data && data.error === "unknown_widget" ?
      "Frontdesk: the chat widget token on this page is unknown; copy the snippet again from Settings → Live chat." :
      "Frontdesk: this site (" + site + ") is not allowed to use this chat; add it under Settings → Live chat → Sites allowed to show the widget.";
    if (window.console) console.error(message);
  }

  function start() {
    var body = { widget_token: token, visitor_token: state.visitorToken,
      user_id: script.getAttribute("data-user-id"), user_hash: script.getAttribute("data-user-hash") };
    fetch(base + "/widget/api/session", { method: "POST", body: JSON.stringify(body), headers: { "Content-Type": "text/plain" } })
      .then(function (r) { return r.json().then(function (data) { return { ok: r.ok, status: r.status, data: data }; }); })
      .then(function (res) {
        if (res.status === 403 || res.status === 404) { refused(res.data); return; }
        if (!res.ok) { setTimeout(start, 5000); return; }
        var data = res.data;
        state.visitorToken = data.visitor_token; localStorage.setItem(key + "visitor", data.visitor_token);
        state.online = data.online || {}; state.settings = data;
        state.conversation = data.conversation;
        (data.messages || []).forEach(function (m) { showMessage(m, false); });
        coverSeq(data.through_seq || 0);
        state.pending.forEach(function (f) { showMessage({ client_id: f.client_id, body: f.body, author_type: "visitor" }, true); });
        renderHeader(); showRating();
        connect();
      })
      .catch(function () { setTimeout(start, 5000); });
  }
  start();
})();
