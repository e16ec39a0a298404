/*! Frontdesk chat widget. One file, no dependencies. Paste into any page:
 *  <script src="https://FRONTDESK/widget.js" data-frontdesk="PUBLIC_WIDGET_TOKEN" async></script>
 * Optional, for logged-in users: data-user-id="42" data-user-hash="HMAC-SHA256(identity secret, user id)".
 * Preview (Settings page): data-preview="true" data-config='{...}' shows the widget with that config, open,
 * without calling the server; window.frontdeskPreview(config) applies a changed config.
 * Everything a visitor or agent wrote is shown with textContent: it can never run as HTML.
 */
(function () {
  "use strict";
  var script = document.currentScript || document.querySelector("script[data-frontdesk]");
  if (!script || window.__frontdeskWidget) return;
  window.__frontdeskWidget = true;
  var preview = script.getAttribute("data-preview") === "true";
  var token = script.getAttribute("data-frontdesk") || "";
  var base = new URL(script.src, location.href).origin;
  var key = "frontdesk:" + token + ":";
  var loadedAt = Date.now();
  var store = storage("localStorage"), visit = storage("sessionStorage");

  // ---- texts: every string the widget shows, per language (a test checks both languages have every key) ----
  // TEXTS-BEGIN
  var TEXTS = {
    "en": {
      "open_chat": "Open chat", "close_chat": "Close chat", "close": "Close", "chat": "Chat",
      "title": "Chat with us", "unread": "{n} unread messages",
      "name_label": "Your name", "name_placeholder": "Your name (optional)",
      "email_label": "Your e-mail", "email_optional": "E-mail (optional)", "email_required": "E-mail, so we can reply",
      "topic_label": "Topic", "topic_sales": "Sales question", "topic_support": "Support",
      "message_label": "Message", "message_placeholder": "Write a message…", "send": "Send",
      "attach": "Attach a file", "drop_here": "Drop a file to send it",
      "uploading": "Sending {name}…", "upload_failed": "Could not send {name}.",
      "agent": "Agent", "you": "You", "typing": "{name} is typing…",
      "email_needed": "Leave your e-mail so we can answer you.", "error": "Something went wrong. Try again.",
      "rate_question": "How did we do?", "rate_star": "Rate {n} out of 5",
      "comment_label": "Add a comment (optional)", "comment_send": "Send comment",
      "rated_thanks": "Thanks for your rating!", "commented_thanks": "Thanks for your comment!",
      "ended": "This conversation has ended.", "ended_hint": "Write below to reopen it, or start a new one.",
      "conversations": "Your conversations", "new_conversation": "New conversation",
      "no_conversations": "No conversations yet.", "no_messages": "No messages",
      "status_open": "Open", "status_pending": "Waiting", "status_snoozed": "Open", "status_resolved": "Ended",
      "reply_minutes": "Usually replies in a few minutes", "reply_hour": "Usually replies in under an hour",
      "reply_hours": "Usually replies in a few hours", "reply_day": "Usually replies within a day",
      "reply_days": "Usually replies in a few days",
      "offline": "We're away right now. Leave a message and your e-mail and we'll get back to you.",
      "invitation_from": "Message from {name}", "invitation_reply": "Reply", "dismiss": "Dismiss",
      "team": "Our team", "today": "Today",
      "suggested": "Suggested articles", "back": "Back", "helpful_question": "Did this answer your question?",
      "yes": "Yes", "no": "No", "vote_thanks": "Thanks!", "still_need_help": "Still need help?",
      "chat_with_us": "Chat with us", "read_online": "Open in a new tab"
    },
    "de": {
      "open_chat": "Chat öffnen", "close_chat": "Chat schließen", "close": "Schließen", "chat": "Chat",
      "title": "Schreiben Sie uns", "unread": "{n} ungelesene Nachrichten",
      "name_label": "Ihr Name", "name_placeholder": "Ihr Name (optional)",
      "email_label": "Ihre E-Mail", "email_optional": "E-Mail (optional)", "email_required": "E-Mail für unsere Antwort",
      "topic_label": "Thema", "topic_sales": "Frage zum Kauf", "topic_support": "Hilfe",
      "message_label": "Nachricht", "message_placeholder": "Nachricht schreiben…", "send": "Senden",
      "attach": "Datei anhängen", "drop_here": "Datei hier ablegen, um sie zu senden",
      "uploading": "{name} wird gesendet…", "upload_failed": "{name} konnte nicht gesendet werden.",
      "agent": "Team", "you": "Sie", "typing": "{name} schreibt…",
      "email_needed": "Hinterlassen Sie Ihre E-Mail, damit wir antworten können.",
      "error": "Etwas ist schiefgegangen. Bitte erneut versuchen.",
      "rate_question": "Wie war unser Service?", "rate_star": "Mit {n} von 5 Sternen bewerten",
      "comment_label": "Kommentar (optional)", "comment_send": "Kommentar senden",
      "rated_thanks": "Danke für Ihre Bewertung!", "commented_thanks": "Danke für Ihren Kommentar!",
      "ended": "Dieses Gespräch ist beendet.",
      "ended_hint": "Schreiben Sie unten, um es fortzusetzen, oder beginnen Sie ein neues.",
      "conversations": "Ihre Gespräche", "new_conversation": "Neues Gespräch",
      "no_conversations": "Noch keine Gespräche.", "no_messages": "Keine Nachrichten",
      "status_open": "Offen", "status_pending": "Wartet", "status_snoozed": "Offen", "status_resolved": "Beendet",
      "reply_minutes": "Antwortet meist in wenigen Minuten", "reply_hour": "Antwortet meist in unter einer Stunde",
      "reply_hours": "Antwortet meist in wenigen Stunden", "reply_day": "Antwortet meist innerhalb eines Tages",
      "reply_days": "Antwortet meist in wenigen Tagen",
      "offline": "Wir sind gerade nicht da. Hinterlassen Sie eine Nachricht und Ihre E-Mail, wir melden uns.",
      "invitation_from": "Nachricht von {name}", "invitation_reply": "Antworten", "dismiss": "Ausblenden",
      "team": "Unser Team", "today": "Heute",
      "suggested": "Passende Artikel", "back": "Zurück", "helpful_question": "Hat das Ihre Frage beantwortet?",
      "yes": "Ja", "no": "Nein", "vote_thanks": "Danke!", "still_need_help": "Brauchen Sie weitere Hilfe?",
      "chat_with_us": "Mit uns chatten", "read_online": "In neuem Tab öffnen"
    }
  };
  // TEXTS-END
  var lang = "en";
  function t(name, vars) {
    var text = (TEXTS[lang] && TEXTS[lang][name]) || TEXTS.en[name] || name;
    Object.keys(vars || {}).forEach(function (k) { text = text.split("{" + k + "}").join(String(vars[k])); });
    return text;
  }

  var state = {
    // through: every sequence number up to it is shown (or not meant for visitors); above: those beyond a gap.
    visitorToken: store.get("visitor"), conversation: null, startNew: false, through: 0, above: {}, online: {},
    open: false, unread: 0, socket: null, backoff: 500, typingAt: 0, conversations: [], config: {}, settings: {},
    pending: parseJSON(store.get("pending"), []), invitation: null, view: "chat"
  };

  function storage(kind) {
    // Private windows and strict sites may refuse storage: the widget then works for this page only.
    var memory = {};
    function area() { try { return window[kind]; } catch (e) { return null; } }
    return {
      get: function (name) {
        try { var a = area(); return a ? a.getItem(key + name) : (memory[name] || null); } catch (e) { return memory[name] || null; }
      },
      set: function (name, value) {
        memory[name] = value;
        try { var a = area(); if (a) a.setItem(key + name, value); } catch (e) { /* kept in memory */ }
      }
    };
  }
  function parseJSON(text, fallback) { try { return text ? JSON.parse(text) : fallback; } catch (e) { return fallback; } }
  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) { node.setAttribute(name, attrs[name]); });
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }
  function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); }
  function savePending() { store.set("pending", JSON.stringify(state.pending)); }
  function newId() {
    return (window.crypto && crypto.randomUUID) ? crypto.randomUUID().replace(/-/g, "") :
      String(Date.now()) + Math.random().toString(16).slice(2);
  }
  // A URL the server gave (a file, an avatar): relative ones are the Frontdesk server's; nothing but http(s).
  function serverUrl(url) {
    if (typeof url !== "string") return null;
    if (url.charAt(0) === "/" && url.charAt(1) !== "/") return base + url;
    return /^https?:\/\//i.test(url) ? url : null;
  }

  // ---- the visit: referral code, pages of this browser session, context for the agents ----------------------
  var ref = new URLSearchParams(location.search).get("ref");
  if (ref && /^[A-Za-z0-9_-]{1,20}$/.test(ref)) store.set("ref", ref);
  // Page titles are the site's text: no NUL or broken UTF-16, which the server refuses to store.
  function clean(text, max) {
    text = String(text || "");
    if (text.toWellFormed) text = text.toWellFormed();
    return text.replace(/\u0000/g, "").slice(0, max);
  }
  var pages = parseJSON(visit.get("pages"), []);
  if (!Array.isArray(pages)) pages = [];
  if (!pages.length || pages[pages.length - 1].url !== location.href) {
    pages.push({ url: clean(location.href, 2000), title: clean(document.title, 300), at: new Date().toISOString() });
  }
  pages = pages.slice(-20);
  visit.set("pages", JSON.stringify(pages));
  function visitContext() {
    var zone = null;
    try { zone = Intl.DateTimeFormat().resolvedOptions().timeZone || null; } catch (e) { /* unknown */ }
    return { page_url: clean(location.href, 2000), page_title: clean(document.title, 300),
      referrer: clean(document.referrer, 2000) || null, language: navigator.language || null, time_zone: zone,
      utc_offset_minutes: -new Date().getTimezoneOffset(), pages: pages };
  }

  // ---- look --------------------------------------------------------------------------------------------
  var css = ".fdw-root{--fdw-color:#2456d3;--fdw-on-color:#fff;font:14px/1.4 system-ui,sans-serif;color:#1d2330}" +
    ".fdw-root *{box-sizing:border-box}" +
    ".fdw-bubble{position:fixed;right:20px;bottom:20px;min-width:56px;height:56px;padding:0 16px;border-radius:28px;border:0;" +
    "background:var(--fdw-color);color:var(--fdw-on-color);font:600 15px system-ui,sans-serif;cursor:pointer;display:flex;" +
    "align-items:center;justify-content:center;gap:8px;box-shadow:0 4px 14px rgba(0,0,0,.25);z-index:2147483000}" +
    ".fdw-left .fdw-bubble,.fdw-left .fdw-invite{right:auto;left:20px}.fdw-left .fdw-panel{right:auto;left:20px}" +
    ".fdw-bubble svg{width:28px;height:28px;fill:currentColor;flex:none}" +
    ".fdw-badge{position:absolute;top:-4px;right:-4px;background:#b42318;color:#fff;border-radius:10px;font:600 12px system-ui;padding:2px 6px}" +
    ".fdw-panel{position:fixed;right:20px;bottom:88px;width:340px;max-width:calc(100vw - 24px);height:520px;max-height:calc(100vh - 110px);" +
    "background:#fff;border-radius:12px;box-shadow:0 8px 30px rgba(0,0,0,.25);display:flex;flex-direction:column;overflow:hidden;z-index:2147483000}" +
    ".fdw-head{background:var(--fdw-color);color:var(--fdw-on-color);padding:10px 12px;display:flex;gap:8px;align-items:flex-start}" +
    ".fdw-head h2{font-size:16px;margin:0}.fdw-head p{margin:2px 0 0;font-size:13px}.fdw-headtext{flex:1;min-width:0}" +
    ".fdw-icon{background:transparent;border:0;color:inherit;font:600 20px/1 system-ui;width:32px;height:32px;border-radius:6px;cursor:pointer;flex:none}" +
    ".fdw-agents{display:flex;align-items:center;gap:6px;margin-top:6px;font-size:12px}.fdw-faces{display:flex}" +
    ".fdw-face{width:28px;height:28px;border-radius:50%;border:2px solid var(--fdw-color);margin-right:-6px;background:#eef1f6;color:#1d2330;" +
    "font:600 11px/24px system-ui;text-align:center;overflow:hidden;object-fit:cover}.fdw-agents span{margin-left:10px}" +
    ".fdw-view{flex:1;overflow:auto;display:flex;flex-direction:column;min-height:0}" +
    ".fdw-log{flex:1;padding:10px;margin:0;list-style:none}" +
    ".fdw-msg{margin:6px 0;max-width:85%}.fdw-body{white-space:pre-wrap;overflow-wrap:anywhere;padding:7px 10px;border-radius:10px;background:#eef1f6}" +
    ".fdw-msg.fdw-visitor{margin-left:auto}.fdw-msg.fdw-visitor .fdw-body{background:var(--fdw-color);color:var(--fdw-on-color)}" +
    ".fdw-meta{font-size:11px;color:#4f5b6a;display:flex;gap:6px}.fdw-visitor .fdw-meta{justify-content:flex-end}" +
    ".fdw-msg.fdw-pending .fdw-body{opacity:.75}.fdw-note{color:#4f5b6a;font-size:12px;padding:4px 10px}" +
    ".fdw-files{display:flex;flex-direction:column;gap:4px;margin-top:4px}.fdw-files img{max-width:100%;max-height:180px;border-radius:8px;display:block}" +
    ".fdw-files a{color:#1d4fbf;overflow-wrap:anywhere}.fdw-visitor .fdw-files{align-items:flex-end}" +
    ".fdw-ended{margin:8px 10px;padding:8px 10px;border-radius:8px;background:#f3f4f6;font-size:13px}" +
    ".fdw-ended p{margin:0 0 6px}" +
    ".fdw-form{display:flex;flex-direction:column;gap:6px;padding:10px;border-top:1px solid #e3e7ee}.fdw-fields{display:flex;flex-direction:column;gap:6px}" +
    ".fdw-form input,.fdw-form textarea,.fdw-form select,.fdw-rate textarea{width:100%;font:inherit;font-weight:400;padding:7px;" +
    "border:1px solid #8a94a3;border-radius:6px;color:#1d2330;background:#fff}" +
    ".fdw-form textarea,.fdw-rate textarea{resize:vertical;min-height:40px}" +
    ".fdw-row{display:flex;gap:6px;justify-content:flex-end;align-items:center}" +
    ".fdw-btn{font:inherit;font-weight:600;padding:7px 12px;border:0;border-radius:6px;background:var(--fdw-color);color:var(--fdw-on-color);cursor:pointer}" +
    ".fdw-plain{font:inherit;padding:7px 10px;border:1px solid #8a94a3;border-radius:6px;background:#fff;color:#1d2330;cursor:pointer}" +
    ".fdw-attach{margin-right:auto;display:flex;align-items:center}.fdw-attach svg{width:18px;height:18px;fill:currentColor}" +
    ".fdw-rate{padding:0 10px 10px;display:flex;flex-direction:column;gap:6px}.fdw-stars{display:flex;gap:4px}" +
    ".fdw-stars button{font:20px/1 system-ui;width:40px;height:40px;border:1px solid #8a94a3;border-radius:6px;background:#fff;color:#8a5a00;cursor:pointer}" +
    ".fdw-stars button[aria-pressed=true]{background:#fff4d6;border-color:#8a5a00}" +
    ".fdw-error{color:#b42318;font-size:12px;padding:0 10px}" +
    ".fdw-list{list-style:none;margin:0;padding:8px}.fdw-list li{margin:0 0 6px}" +
    ".fdw-item{width:100%;text-align:left;font:inherit;color:#1d2330;background:#fff;border:1px solid #d0d5dd;border-radius:8px;padding:8px 10px;cursor:pointer}" +
    ".fdw-item strong{display:flex;justify-content:space-between;gap:8px;font-size:12px;color:#4f5b6a}" +
    ".fdw-item span{display:block;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}" +
    ".fdw-newrow{padding:8px;border-top:1px solid #e3e7ee}.fdw-newrow .fdw-btn{width:100%}" +
    ".fdw-invite{position:fixed;right:20px;bottom:88px;width:300px;max-width:calc(100vw - 40px);background:#fff;color:#1d2330;" +
    "border-radius:12px;box-shadow:0 6px 24px rgba(0,0,0,.25);padding:12px;z-index:2147483000}" +
    ".fdw-invite h2{font-size:13px;margin:0 28px 4px 0;color:#4f5b6a}.fdw-invite p{margin:0 0 8px;white-space:pre-wrap;overflow-wrap:anywhere}" +
    ".fdw-invite .fdw-icon{position:absolute;top:6px;right:6px;color:#4f5b6a}" +
    ".fdw-drop{outline:3px dashed var(--fdw-color);outline-offset:-6px}" +
    ".fdw-root :focus-visible{outline:3px solid #1d4fbf;outline-offset:2px}.fdw-head :focus-visible,.fdw-bubble:focus-visible{outline-color:#fff;box-shadow:0 0 0 5px #1d2330}" +
    ".fdw-root [hidden]{display:none!important}" +
    ".fdw-help{padding:0 8px}.fdw-help h3{font-size:12px;margin:0;padding:4px 2px;color:#4f5b6a}.fdw-help .fdw-list{padding:0}" +
    ".fdw-article{padding:10px;overflow-wrap:anywhere}.fdw-article h3{font-size:16px;margin:8px 0}.fdw-article img{max-width:100%;height:auto}" +
    ".fdw-article pre{overflow:auto}.fdw-article a{color:#1d4fbf}.fdw-article>.fdw-plain{align-self:flex-start}.fdw-article .fdw-row{justify-content:flex-start;flex-wrap:wrap}" +
    ".fdw-ask{margin-top:12px;padding-top:10px;border-top:1px solid #e3e7ee}.fdw-ask p{margin:0 0 6px}" +
    ".fdw-sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}" +
    "@media (max-width:480px){.fdw-panel,.fdw-left .fdw-panel{left:8px;right:8px;width:auto;max-width:none;bottom:84px;height:calc(100vh - 100px)}}";

  // Icons of the launcher (Settings: launcher_icon): small inline paths, no image requests.
  var ICONS = {
    chat: "M4 3h16a2 2 0 0 1 2 2v11a2 2 0 0 1-2 2H9l-5 4v-4H4a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2z",
    help: "M12 2a10 10 0 1 0 0 20 10 10 0 0 0 0-20zm1 17h-2v-2h2zm2.1-7.8-.9.9C13.5 12.8 13 13.5 13 15h-2v-.5c0-1.1.5-2.1 " +
      "1.2-2.8l1.2-1.3A2 2 0 1 0 10 9H8a4 4 0 1 1 7.1 2.2z",
    wave: "M7.5 11.2 4.3 8a1.4 1.4 0 0 1 2-2l4.2 4.2.7-.7-5.6-5.6a1.4 1.4 0 0 1 2-2l5.6 5.6.7-.7-4.6-4.6a1.4 1.4 0 0 1 2-2l6.4 " +
      "6.4a7 7 0 0 1-9.9 9.9L2.6 11.3a1.4 1.4 0 0 1 2-2z",
    clip: "M16.5 6v11.5a4 4 0 0 1-8 0V5a2.5 2.5 0 0 1 5 0v10.5a1 1 0 0 1-2 0V6H10v9.5a2.5 2.5 0 0 0 5 0V5a4 4 0 0 0-8 0v12.5a5.5 " +
      "5.5 0 0 0 11 0V6z"
  };
  function svgIcon(name) {
    var ns = "http://www.w3.org/2000/svg";
    var svg = document.createElementNS(ns, "svg");
    svg.setAttribute("viewBox", "0 0 24 24"); svg.setAttribute("aria-hidden", "true"); svg.setAttribute("focusable", "false");
    var path = document.createElementNS(ns, "path");
    path.setAttribute("d", ICONS[name] || ICONS.chat);
    svg.appendChild(path);
    return svg;
  }

  // ---- the parts -------------------------------------------------------------------------------------------
  var root = el("div", { "class": "fdw-root" });
  var style = el("style"); style.textContent = css;
  var bubble = el("button", { "class": "fdw-bubble", "aria-expanded": "false", "aria-controls": "fdw-panel", "type": "button" });
  var bubbleText = el("span", {});
  var badge = el("span", { "class": "fdw-badge", "aria-hidden": "true", "hidden": "" }, "0");
  var panel = el("section", { "class": "fdw-panel", "id": "fdw-panel", "role": "dialog", "aria-labelledby": "fdw-title", "hidden": "" });
  var head = el("div", { "class": "fdw-head" });
  var listButton = el("button", { "class": "fdw-icon", "type": "button", "hidden": "" }, "☰");
  var headText = el("div", { "class": "fdw-headtext" });
  var title = el("h2", { "id": "fdw-title" });
  var subtitle = el("p", {});
  var agentsRow = el("div", { "class": "fdw-agents", "hidden": "" });
  var replyTime = el("p", { "hidden": "" });
  var closeButton = el("button", { "class": "fdw-icon", "type": "button" }, "×");
  headText.appendChild(title); headText.appendChild(subtitle); headText.appendChild(agentsRow); headText.appendChild(replyTime);
  [listButton, headText, closeButton].forEach(function (n) { head.appendChild(n); });

  var listView = el("div", { "class": "fdw-view", "hidden": "" });
  var listHeading = el("h3", { "class": "fdw-sr", "id": "fdw-list-title" });
  var list = el("ul", { "class": "fdw-list", "aria-labelledby": "fdw-list-title" });
  var newRow = el("div", { "class": "fdw-newrow" });
  var newButton = el("button", { "class": "fdw-btn", "type": "button" });
  newRow.appendChild(newButton);
  [listHeading, list].forEach(function (n) { listView.appendChild(n); });

  var chatView = el("div", { "class": "fdw-view" });
  var log = el("ol", { "class": "fdw-log", "aria-live": "polite" });
  var typing = el("div", { "class": "fdw-note", "hidden": "", "aria-live": "polite" });
  var ended = el("div", { "class": "fdw-ended", "role": "status", "hidden": "" });
  var endedText = el("p", {});
  var endedNew = el("button", { "class": "fdw-plain", "type": "button" });
  ended.appendChild(endedText); ended.appendChild(endedNew);
  var rating = el("div", { "class": "fdw-rate", "hidden": "" });
  var ratingQuestion = el("p", { "class": "fdw-note", "id": "fdw-rate-q" });
  var stars = el("div", { "class": "fdw-stars", "role": "group", "aria-labelledby": "fdw-rate-q" });
  var commentBox = el("div", { "hidden": "" });
  var commentLabel = el("label", { "for": "fdw-comment", "class": "fdw-note" });
  var comment = el("textarea", { "id": "fdw-comment", "rows": "2", "maxlength": "2000" });
  var commentRow = el("div", { "class": "fdw-row" });
  var commentSend = el("button", { "class": "fdw-btn", "type": "button" });
  commentRow.appendChild(commentSend);
  [commentLabel, comment, commentRow].forEach(function (n) { commentBox.appendChild(n); });
  [ratingQuestion, stars, commentBox].forEach(function (n) { rating.appendChild(n); });
  var thanks = el("p", { "class": "fdw-note", "role": "status" });
  // Suggested articles while a visitor writes their first message (help center, before a chat).
  var helpBox = el("div", { "class": "fdw-help", "hidden": "" });
  var helpHeading = el("h3", { "id": "fdw-help-title" });
  var helpList = el("ul", { "class": "fdw-list", "aria-labelledby": "fdw-help-title" });
  helpBox.appendChild(helpHeading); helpBox.appendChild(helpList);
  [log, typing, ended, rating, thanks, helpBox].forEach(function (n) { chatView.appendChild(n); });
  var articleView = el("div", { "class": "fdw-view fdw-article", "hidden": "" });
  var articleBack = el("button", { "class": "fdw-plain", "type": "button" });
  var articleTitle = el("h3", { "id": "fdw-article-title", "tabindex": "-1" });
  var articleBody = el("div", {});
  var articleLink = el("a", { "target": "_blank", "rel": "noopener noreferrer" });
  var vote = el("div", { "class": "fdw-ask", "role": "group", "aria-labelledby": "fdw-vote-q" });
  var voteQuestion = el("p", { "id": "fdw-vote-q" });
  var voteRow = el("div", { "class": "fdw-row" });
  var voteYes = el("button", { "class": "fdw-plain", "type": "button" }), voteNo = el("button", { "class": "fdw-plain", "type": "button" });
  var voteThanks = el("p", { "role": "status" });
  voteRow.appendChild(voteYes); voteRow.appendChild(voteNo);
  [voteQuestion, voteRow, voteThanks].forEach(function (n) { vote.appendChild(n); });
  var ask = el("div", { "class": "fdw-ask" });
  var askText = el("p", {});
  var askButton = el("button", { "class": "fdw-btn", "type": "button" });
  ask.appendChild(askText); ask.appendChild(askButton);
  [articleBack, articleTitle, articleBody, articleLink, vote, ask].forEach(function (n) { articleView.appendChild(n); });

  var errorLine = el("div", { "class": "fdw-error", "role": "alert" });
  var form = el("form", { "class": "fdw-form", "novalidate": "" });
  var prechat = el("div", { "class": "fdw-fields", "hidden": "" });
  var nameInput = el("input", { "name": "name", "autocomplete": "name", "maxlength": "200" });
  var emailInput = el("input", { "name": "email", "type": "email", "autocomplete": "email", "maxlength": "320" });
  var teamSelect = el("select", { "name": "team" });
  [nameInput, emailInput, teamSelect].forEach(function (n) { prechat.appendChild(n); });
  var text = el("textarea", { "name": "body", "rows": "2", "maxlength": "5000" });
  var row = el("div", { "class": "fdw-row" });
  var attachButton = el("button", { "class": "fdw-plain fdw-attach", "type": "button" });
  attachButton.appendChild(svgIcon("clip"));
  var fileInput = el("input", { "type": "file", "hidden": "", "tabindex": "-1", "aria-hidden": "true" });
  var sendButton = el("button", { "class": "fdw-btn", "type": "submit" });
  [attachButton, fileInput, sendButton].forEach(function (n) { row.appendChild(n); });
  [prechat, text, row].forEach(function (n) { form.appendChild(n); });
  [head, listView, newRow, chatView, articleView, errorLine, form].forEach(function (n) { panel.appendChild(n); });

  var invite = el("div", { "class": "fdw-invite", "role": "dialog", "aria-labelledby": "fdw-invite-title", "hidden": "" });
  var inviteTitle = el("h2", { "id": "fdw-invite-title" });
  var inviteText = el("p", {});
  var inviteReply = el("button", { "class": "fdw-btn", "type": "button" });
  var inviteClose = el("button", { "class": "fdw-icon", "type": "button" }, "×");
  [inviteTitle, inviteText, inviteReply, inviteClose].forEach(function (n) { invite.appendChild(n); });
  // The card does not take the focus from what the visitor is doing: a screen reader hears it from here.
  var inviteNews = el("p", { "class": "fdw-sr", "role": "status" });
  [style, panel, invite, inviteNews, bubble].forEach(function (n) { root.appendChild(n); });

  function mount() { document.body.appendChild(root); }
  if (document.body) mount(); else document.addEventListener("DOMContentLoaded", mount);

  // ---- texts and branding --------------------------------------------------------------------------------
  function setTexts() {
    title.textContent = t("title");
    listButton.setAttribute("aria-label", t("conversations"));
    closeButton.setAttribute("aria-label", t("close_chat"));
    listHeading.textContent = t("conversations");
    newButton.textContent = t("new_conversation"); endedNew.textContent = t("new_conversation");
    endedText.textContent = t("ended") + " " + t("ended_hint");
    log.setAttribute("aria-label", t("chat"));
    nameInput.placeholder = t("name_placeholder"); nameInput.setAttribute("aria-label", t("name_label"));
    emailInput.setAttribute("aria-label", t("email_label"));
    teamSelect.setAttribute("aria-label", t("topic_label"));
    text.placeholder = t("message_placeholder"); text.setAttribute("aria-label", t("message_label"));
    attachButton.setAttribute("aria-label", t("attach")); attachButton.title = t("attach");
    sendButton.textContent = t("send");
    ratingQuestion.textContent = t("rate_question");
    commentLabel.textContent = t("comment_label"); commentSend.textContent = t("comment_send");
    inviteReply.textContent = t("invitation_reply"); inviteClose.setAttribute("aria-label", t("dismiss"));
    helpHeading.textContent = t("suggested"); articleBack.textContent = "‹ " + t("back");
    voteQuestion.textContent = t("helpful_question"); voteYes.textContent = t("yes"); voteNo.textContent = t("no");
    askText.textContent = t("still_need_help"); askButton.textContent = t("chat_with_us"); articleLink.textContent = t("read_online");
    clear(stars);
    [1, 2, 3, 4, 5].forEach(function (n) {
      var b = el("button", { "type": "button", "aria-label": t("rate_star", { n: n }), "aria-pressed": "false", "data-stars": String(n) }, "★");
      b.addEventListener("click", function () { rate(n); });
      stars.appendChild(b);
    });
    renderTeams();
    renderBubble();
  }

  function luminance(hex) {
    var channels = [1, 3, 5].map(function (i) {
      var c = parseInt(hex.substr(i, 2), 16) / 255;
      return c <= 0.03928 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4);
    });
    return 0.2126 * channels[0] + 0.7152 * channels[1] + 0.0722 * channels[2];
  }
  // White or near-black text on the business's colour: whichever contrasts more (WCAG formula).
  function textOn(hex) {
    var l = luminance(hex);
    return (1.05 / (l + 0.05)) >= ((l + 0.05) / (luminance("#1d2330") + 0.05)) ? "#ffffff" : "#1d2330";
  }

  function applyConfig(config) {
    state.config = config || {};
    var c = state.config;
    lang = TEXTS[c.language] ? c.language : "en";
    var color = /^#[0-9a-fA-F]{6}$/.test(c.color || "") ? c.color : "#2456d3";
    root.style.setProperty("--fdw-color", color);
    root.style.setProperty("--fdw-on-color", textOn(color));
    root.classList.toggle("fdw-left", c.position === "left");
    root.setAttribute("lang", lang);
    setTexts();
    renderAgents();
    renderHeader();
  }

  function renderBubble() {
    clear(bubble);
    bubble.appendChild(svgIcon(state.config.launcher_icon));
    var label = (state.config.launcher_text || "").trim();
    bubbleText.textContent = label;
    if (label) bubble.appendChild(bubbleText);
    bubble.appendChild(badge);
    // A launcher with text is named by that text (what sighted users see); aria-expanded says open or closed.
    var name = label || (state.open ? t("close_chat") : t("open_chat"));
    bubble.setAttribute("aria-label", state.unread ? name + " (" + t("unread", { n: state.unread }) + ")" : name);
  }

  function initials(name) {
    return String(name || "?").split(/\s+/).filter(Boolean).slice(0, 2).map(function (p) { return p.charAt(0); }).join("").toUpperCase();
  }
  function renderAgents() {
    clear(agentsRow);
    var agents = (state.config.agents || []).slice(0, 3);
    agentsRow.hidden = !agents.length;
    if (!agents.length) return;
    var faces = el("div", { "class": "fdw-faces", "aria-hidden": "true" });
    agents.forEach(function (a) {
      var src = serverUrl(a.avatar_url);
      faces.appendChild(src ? el("img", { "class": "fdw-face", "src": src, "alt": "" }) :
        el("span", { "class": "fdw-face" }, a.initials || initials(a.name)));
    });
    agentsRow.appendChild(faces);
    agentsRow.appendChild(el("span", {}, agents.map(function (a) { return a.name; }).join(", ")));
  }

  // "Usually replies in …", rounded to what a visitor can plan with.
  function replyTimeText(seconds) {
    if (typeof seconds !== "number" || !(seconds >= 0)) return "";
    if (seconds <= 5 * 60) return t("reply_minutes");
    if (seconds <= 60 * 60) return t("reply_hour");
    if (seconds <= 4 * 3600) return t("reply_hours");
    if (seconds <= 24 * 3600) return t("reply_day");
    return t("reply_days");
  }

  function teams() {
    var given = state.config.teams || {};
    var keys = Object.keys(given);
    if (keys.length) return keys.map(function (k) { return { key: k, name: given[k].name || k }; });
    return [{ key: "sales", name: t("topic_sales") }, { key: "support", name: t("topic_support") }];
  }
  function renderTeams() {
    var chosen = teamSelect.value;
    clear(teamSelect);
    teams().forEach(function (team) { teamSelect.appendChild(el("option", { "value": team.key }, team.name)); });
    if (chosen) teamSelect.value = chosen;
  }
  // Office hours and presence: outside the team's hours, or with nobody online, the offline form shows.
  function teamAvailable(teamKey) {
    var team = (state.config.teams || {})[teamKey];
    if (team) return !!team.open_now && !!team.online;
    return !!state.online[teamKey];
  }

  // ---- views -------------------------------------------------------------------------------------------
  function renderHeader() {
    var inChat = state.view === "chat";
    var available = state.conversation ? true : teamAvailable(teamSelect.value || "support");
    subtitle.textContent = available ? (state.config.greeting || state.settings.welcome_message || "") :
      (state.config.offline_message || state.settings.offline_message || t("offline"));
    var reply = available ? replyTimeText(state.config.reply_time_seconds) : "";
    replyTime.textContent = reply; replyTime.hidden = !reply;
    listButton.hidden = !(inChat && (state.conversations.length || state.conversation));
    listView.hidden = state.view !== "list"; newRow.hidden = listView.hidden; chatView.hidden = !inChat; form.hidden = !inChat;
    articleView.hidden = state.view !== "article";
    helpBox.hidden = !(helpOn() && helpList.children.length);
    var needsPrechat = !state.conversation && inChat;
    prechat.hidden = !needsPrechat;
    emailInput.required = needsPrechat && !state.emailKnown && !teamAvailable(teamSelect.value || "support");
    emailInput.placeholder = emailInput.required ? t("email_required") : t("email_optional");
    var c = state.conversation;
    ended.hidden = !(c && c.status === "resolved");
    renderRating();
  }
  teamSelect.addEventListener("change", renderHeader);

  function formatTime(iso) {
    var d = new Date(iso || Date.now());
    if (isNaN(d.getTime())) return "";
    var time = d.toLocaleTimeString(lang, { hour: "2-digit", minute: "2-digit" });
    if (d.toDateString() === new Date().toDateString()) return time;
    return d.toLocaleDateString(lang, { day: "numeric", month: "short" }) + " " + time;
  }

  function showList() {
    state.view = "list";
    clear(list);
    if (!state.conversations.length) list.appendChild(el("li", { "class": "fdw-note" }, t("no_conversations")));
    state.conversations.forEach(function (c) {
      var item = el("button", { "class": "fdw-item", "type": "button", "data-conversation-id": String(c.id) });
      var line = el("strong", {});
      line.appendChild(el("span", {}, t("status_" + c.status)));
      line.appendChild(el("time", { "datetime": c.last_activity_at || "" }, formatTime(c.last_activity_at)));
      item.appendChild(line);
      item.appendChild(el("span", {}, c.last_message || t("no_messages")));
      item.addEventListener("click", function () { openConversation(c); });
      var li = el("li", {}); li.appendChild(item); list.appendChild(li);
    });
    renderHeader();
    newButton.focus();
  }
  function refreshList() {
    if (preview || !state.visitorToken) return;
    var headers = { "X-Frontdesk-Widget": token, "X-Frontdesk-Visitor": state.visitorToken };
    fetch(base + "/widget/api/conversations", { headers: headers })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) { if (data) { state.conversations = data.conversations || []; if (state.view === "list") showList(); } })
      .catch(function () { /* the list stays as it was */ });
  }
  listButton.addEventListener("click", function () { showList(); refreshList(); });

  function resetLog() {
    clear(log); state.through = 0; state.above = {}; thanks.textContent = ""; typing.hidden = true;
    commentBox.hidden = true; comment.value = "";
  }
  function openConversation(summary) {
    state.view = "chat"; state.startNew = false; resetLog();
    state.conversation = { id: summary.id, status: summary.status, csat_rating: summary.csat_rating || null };
    store.set("conversation", String(summary.id));
    showPendingFor(summary.id);
    send({ type: "follow", conversation_id: summary.id });
    renderHeader(); text.focus();
  }
  function startNew() {
    state.view = "chat"; state.startNew = true; state.conversation = null; resetLog();
    store.set("conversation", "");
    showPendingFor(null);
    send({ type: "follow", conversation_id: null });
    renderHeader(); (prechat.hidden ? text : nameInput).focus();
  }
  newButton.addEventListener("click", startNew);
  endedNew.addEventListener("click", startNew);

  function toggle(open) {
    state.open = open === undefined ? !state.open : open;
    panel.hidden = !state.open;
    bubble.setAttribute("aria-expanded", String(state.open));
    if (state.open) { state.unread = 0; badge.hidden = true; }
    renderBubble();
    if (state.open) {
      invite.hidden = true;
      log.scrollTop = log.scrollHeight;
      (state.view === "list" ? newButton : state.view === "article" ? articleTitle : (prechat.hidden ? text : nameInput)).focus();
    }
  }
  bubble.addEventListener("click", function () { toggle(); });
  closeButton.addEventListener("click", function () { toggle(false); bubble.focus(); });
  panel.addEventListener("keydown", function (e) { if (e.key === "Escape") { toggle(false); bubble.focus(); } });

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

  function fileLinks(files) {
    var box = el("div", { "class": "fdw-files" });
    (files || []).forEach(function (f) {
      var href = serverUrl(f.url);
      if (!href) return;
      var link = el("a", { "href": href, "target": "_blank", "rel": "noopener noreferrer" });
      if (f.is_image) link.appendChild(el("img", { "src": href, "alt": f.filename || "", "loading": "lazy" }));
      else link.textContent = (f.filename || "file") + " (" + Math.max(1, Math.round((f.size || 0) / 1024)) + " kB)";
      box.appendChild(link);
    });
    return box;
  }

  function showMessage(msg, pending) {
    var existing = log.querySelector('[data-client-id="' + String(msg.client_id).replace(/"/g, "") + '"]');
    if (existing) existing.remove();
    if (!pending && msg.seq && log.querySelector('[data-seq="' + msg.seq + '"]')) return;
    var li = el("li", { "class": "fdw-msg fdw-" + msg.author_type + (pending ? " fdw-pending" : ""), "data-client-id": msg.client_id });
    if (msg.seq) li.setAttribute("data-seq", String(msg.seq));
    var meta = el("div", { "class": "fdw-meta" });
    var who = msg.author_type === "visitor" ? t("you") : (msg.author_name || t("agent"));
    meta.appendChild(el("span", {}, who));
    meta.appendChild(el("time", { "datetime": msg.created_at || new Date().toISOString() }, formatTime(msg.created_at)));
    li.appendChild(meta);
    if (msg.body) li.appendChild(el("div", { "class": "fdw-body" }, msg.body));
    if (msg.attachments && msg.attachments.length) li.appendChild(fileLinks(msg.attachments));
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
      state.unread += 1; badge.textContent = String(state.unread); badge.hidden = false; renderBubble();
    }
  }
  function showPendingFor(conversationId) {
    state.pending.forEach(function (f) {
      var mine = conversationId ? f.conversation_id === conversationId : !f.conversation_id;
      if (mine) showMessage({ client_id: f.client_id, body: f.body, author_type: "visitor" }, true);
    });
  }

  // ---- rating: stars first, then an optional comment --------------------------------------------------------
  function renderRating() {
    var c = state.conversation;
    rating.hidden = !(c && c.status === "resolved" && state.view === "chat" && !c.csat_commented);
    Array.prototype.forEach.call(stars.children, function (b) {
      b.setAttribute("aria-pressed", String(!!(c && Number(b.getAttribute("data-stars")) === c.csat_rating)));
    });
    // Stars first; once they are chosen, the optional comment (sent as a second frame to the same rating).
    var starred = !!(c && c.csat_rating);
    ratingQuestion.hidden = starred; stars.hidden = starred; commentBox.hidden = !starred;
  }
  function rate(n) {
    if (preview) return;
    send({ type: "rate", rating: n });
  }
  commentSend.addEventListener("click", function () {
    var words = comment.value.trim();
    if (!words) { comment.focus(); return; }
    send({ type: "rate", comment: words });
  });

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
    if (!body || preview) return;
    if (!state.conversation && emailInput.required && !emailInput.value.trim()) {
      errorLine.textContent = t("email_needed"); emailInput.focus(); return;
    }
    var frame = { type: "send", client_id: newId(), body: body };
    if (state.conversation) {
      frame.conversation_id = state.conversation.id;
    } else {
      frame.team = teamSelect.value;
      if (nameInput.value.trim()) frame.name = nameInput.value.trim();
      if (emailInput.value.trim()) { frame.email = emailInput.value.trim(); state.emailKnown = true; }
      frame.context = visitContext();
      if (state.startNew) frame.new_conversation = true;
      if (state.invitation) { frame.invitation_id = state.invitation.id; if (state.invitation.team) frame.team = state.invitation.team; }
    }
    // Kept until the server acknowledges it: a reload or a dropped connection sends it again, same client id.
    state.pending.push(frame); savePending();
    showMessage({ client_id: frame.client_id, body: body, author_type: "visitor" }, true);
    text.value = ""; suggestions([]);
    send(frame);
  });
  text.addEventListener("keydown", function (e) {
    if (e.key === "Enter" && !e.shiftKey) { e.preventDefault(); form.requestSubmit(); return; }
    var now = Date.now();
    if (state.conversation && now - state.typingAt > 2000) { state.typingAt = now; send({ type: "typing" }); }
  });

  // ---- help center: articles suggested while the first message is written, read here, voted on ------------------
  // Asked after a 300 ms pause and from 3 characters on; the server logs one search per question, not per key.
  var helpAsked = "", helpTimer = null;
  function helpOn() {
    var help = state.config.help;
    return !!(help && help.enabled && !preview && !state.conversation && state.visitorToken);
  }
  function helpFetch(path, body) {
    var init = body ? { method: "POST", headers: { "Content-Type": "text/plain" },
      body: JSON.stringify(Object.assign({ widget_token: token, visitor_token: state.visitorToken }, body)) } :
      { headers: { "X-Frontdesk-Widget": token, "X-Frontdesk-Visitor": state.visitorToken } };
    return fetch(base + "/widget/api/help/" + path, init)
      .then(function (r) { return r.ok ? r.json() : null; }).catch(function () { return null; });
  }
  function suggestions(results) {
    clear(helpList);
    results.slice(0, 5).forEach(function (found) {
      var item = el("button", { "class": "fdw-item", "type": "button", "data-article-id": String(found.id) });
      item.appendChild(el("span", {}, found.title));
      if (found.description) item.appendChild(el("span", { "class": "fdw-note" }, found.description));
      item.addEventListener("click", function () { openArticle(found.id); });
      var li = el("li", {}); li.appendChild(item); helpList.appendChild(li);
    });
    if (!results.length) helpAsked = "";
    renderHeader();
  }
  function suggest() {
    var question = text.value.trim();
    if (!helpOn() || question.length < 3) { if (helpList.children.length) suggestions([]); return; }
    if (question === helpAsked) return;
    helpAsked = question;
    helpFetch("search", { q: question, locale: state.config.help.locale || null }) // in a body: URLs are logged
      .then(function (data) { if (question === helpAsked && helpOn()) suggestions((data && data.results) || []); });
  }
  text.addEventListener("input", function () { clearTimeout(helpTimer); helpTimer = setTimeout(suggest, 300); });
  // A #section link scrolls within the article, not the page around the widget.
  articleBody.addEventListener("click", function (e) {
    var link = e.target.closest && e.target.closest("a[href^='#']");
    if (!link) return;
    e.preventDefault();
    var target = articleBody.querySelector("[id='" + CSS.escape(link.getAttribute("href").slice(1)) + "']");
    if (target) target.scrollIntoView();
  });
  function openArticle(id) {
    errorLine.textContent = "";
    helpFetch("articles/" + id).then(function (article) {
      if (!article) { errorLine.textContent = t("error"); return; }
      state.article = article; state.view = "article";
      articleTitle.textContent = article.title;
      // Sanitised by nh3 when published. Parsed in an inert <template>: images load nothing until their src is
      // the Frontdesk server's (relative ones would first be asked of this page's site). Links open a new tab,
      // but a #section of the article (its ids start "h-") and a mailto: address stay as they are.
      var parsed = document.createElement("template");
      parsed.innerHTML = article.html;
      Array.prototype.forEach.call(parsed.content.querySelectorAll("a[href], img[src]"), function (node) {
        var attr = node.tagName === "A" ? "href" : "src", value = node.getAttribute(attr), url = serverUrl(value);
        if (attr === "href" && /^(#|mailto:)/i.test(value)) return;
        if (url) node.setAttribute(attr, url); else node.removeAttribute(attr);
        if (attr === "href") { node.target = "_blank"; node.rel = "noopener noreferrer"; }
      });
      clear(articleBody); articleBody.appendChild(parsed.content);
      articleLink.href = serverUrl(article.url) || "#";
      voteRow.hidden = false; voteThanks.textContent = "";
      renderHeader(); articleView.scrollTop = 0; articleTitle.focus();
    });
  }
  function castVote(helpful) {
    var article = state.article;
    helpFetch("votes", { article_id: article.id, helpful: helpful }).then(function (answer) {
      if (!answer) { errorLine.textContent = t("error"); return; }
      voteRow.hidden = true; voteThanks.textContent = t("vote_thanks"); askButton.focus();
    });
  }
  voteYes.addEventListener("click", function () { castVote(true); });
  voteNo.addEventListener("click", function () { castVote(false); });
  function backToComposer() { state.view = "chat"; renderHeader(); text.focus(); }
  articleBack.addEventListener("click", backToComposer);
  // Still wants a person: back to the composer with the question as typed; the visitor sends it themselves.
  askButton.addEventListener("click", function () {
    helpFetch("continue", { question: text.value.slice(0, 5000) }).then(backToComposer);
  });

  // ---- files: the paper clip, drag and drop, paste ---------------------------------------------------------
  function upload(file) {
    if (!file || preview || !state.visitorToken) return;
    errorLine.textContent = "";
    var clientId = newId();
    var data = new FormData();
    data.append("widget_token", token); data.append("visitor_token", state.visitorToken);
    data.append("client_id", clientId);
    if (state.conversation) data.append("conversation_id", String(state.conversation.id));
    data.append("file", file, file.name);
    showMessage({ client_id: clientId, body: t("uploading", { name: file.name }), author_type: "visitor" }, true);
    fetch(base + "/widget/api/attachments", { method: "POST", body: data })
      .then(function (r) { return r.json().then(function (d) { return { ok: r.ok, data: d }; }); })
      .then(function (res) {
        if (res.ok && res.data && res.data.type === "ack") { handle(res.data); return; }
        failed(res.data && typeof res.data.message === "string" ? res.data.message : "");
      })
      .catch(function () { failed(""); });
    function failed(reason) {
      var line = log.querySelector('[data-client-id="' + clientId + '"]');
      if (line) line.remove();
      errorLine.textContent = t("upload_failed", { name: file.name }) + (reason ? " " + reason : "");
    }
  }
  attachButton.addEventListener("click", function () { fileInput.click(); });
  fileInput.addEventListener("change", function () {
    Array.prototype.forEach.call(fileInput.files || [], upload); fileInput.value = "";
  });
  panel.addEventListener("dragover", function (e) { e.preventDefault(); panel.classList.add("fdw-drop"); });
  panel.addEventListener("dragleave", function () { panel.classList.remove("fdw-drop"); });
  panel.addEventListener("drop", function (e) {
    e.preventDefault(); panel.classList.remove("fdw-drop");
    Array.prototype.forEach.call((e.dataTransfer && e.dataTransfer.files) || [], upload);
  });
  text.addEventListener("paste", function (e) {
    var files = (e.clipboardData && e.clipboardData.files) || [];
    if (files.length) { e.preventDefault(); Array.prototype.forEach.call(files, upload); }
  });

  // ---- events from the server ---------------------------------------------------------------------------
  function rememberConversation(summary) {
    var known = state.conversations.filter(function (c) { return c.id === summary.id; })[0];
    if (known) { known.status = summary.status; return; }
    state.conversations.unshift({ id: summary.id, status: summary.status, last_message: null,
      last_activity_at: new Date().toISOString() });
  }
  function current(event) {
    var id = event.conversation_id || (event.conversation && event.conversation.id);
    return !id || (state.conversation && state.conversation.id === id);
  }

  function handle(event) {
    if (event.type === "ready") {
      if (state.startNew && event.conversation) { send({ type: "follow", conversation_id: null }); return; }
      if (event.conversation) {
        if (!state.conversation || state.conversation.id !== event.conversation.id) { resetLog(); showPendingFor(event.conversation.id); }
        state.conversation = event.conversation; rememberConversation(event.conversation);
        store.set("conversation", String(event.conversation.id));
      }
      (event.messages || []).forEach(function (m) { showMessage(m, false); });
      coverSeq(event.through_seq || 0);
      flushPending();
    } else if (event.type === "ack") {
      state.pending = state.pending.filter(function (f) { return f.client_id !== event.client_id; }); savePending();
      var mine = state.conversation ? state.conversation.id === event.conversation_id : state.view === "chat";
      if (!state.conversation && mine) {
        state.conversation = event.conversation || { id: event.conversation_id, status: "open" };
        state.startNew = false; state.invitation = null;
        store.set("conversation", String(event.conversation_id));
        // A file can open the conversation over HTTP: the socket then follows it from here on.
        send({ type: "follow", conversation_id: event.conversation_id });
      }
      rememberConversation(event.conversation || { id: event.conversation_id, status: "open" });
      if (mine) showMessage(event.message, false);
    } else if (!current(event)) {
      return; // a late event of the conversation the visitor just left
    } else if (event.type === "seq") {
      sawSeq(event.seq); // a number the visitor is not meant to see (an agents' note)
    } else if (event.type === "message") {
      typing.hidden = true;
      showMessage(event.message, false);
    } else if (event.type === "typing" && event.author_type === "agent") {
      typing.textContent = t("typing", { name: t("agent") }); typing.hidden = false;
      clearTimeout(state.typingTimer); state.typingTimer = setTimeout(function () { typing.hidden = true; }, 3000);
    } else if (event.type === "status") {
      if (state.conversation) { state.conversation.status = event.status; rememberConversation(state.conversation); }
      if (event.status !== "resolved") thanks.textContent = "";
    } else if (event.type === "rated") {
      if (state.conversation) { state.conversation.csat_rating = event.rating; state.conversation.csat_commented = event.commented; }
      thanks.textContent = event.commented ? t("commented_thanks") : t("rated_thanks");
      renderRating();
      if (!event.commented) comment.focus(); // the optional comment comes next
    } else if (event.type === "error") {
      errorLine.textContent = event.message || t("error");
      if (event.client_id && event.code !== "rate_limited") {
        state.pending = state.pending.filter(function (f) { return f.client_id !== event.client_id; }); savePending();
      }
    }
    checkGap();
    renderHeader();
  }

  function connect() {
    var ws = new WebSocket(base.replace(/^http/, "ws") + "/widget/ws");
    state.socket = ws;
    ws.onopen = function () {
      state.backoff = 500;
      // Resume from the last number with nothing missing below it: a line missed earlier is fetched too.
      var hello = { type: "hello", widget_token: token, visitor_token: state.visitorToken, after_seq: state.through };
      if (state.conversation) hello.conversation_id = state.conversation.id;
      ws.send(JSON.stringify(hello));
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
    root.remove();
    var site = (data && data.origin) || location.origin;
    var message = data && data.error === "unknown_widget" ?
      "Frontdesk: the chat widget token on this page is unknown; copy the snippet again from Settings → Live chat." :
      "Frontdesk: this site (" + site + ") is not allowed to use this chat; add it under Settings → Live chat → Sites allowed to show the widget.";
    if (window.console) console.error(message);
  }

  // ---- proactive chat: an invitation near the launcher ---------------------------------------------------
  var INVITATION_CHECKS = [0, 10, 30, 60, 120, 300];
  function checkInvitation(index) {
    if (index >= INVITATION_CHECKS.length || state.refused) return;
    var wait = INVITATION_CHECKS[index] * 1000 - (Date.now() - loadedAt);
    setTimeout(function () {
      // Not while the chat is open or a conversation is going on: an invitation is for someone not yet talking.
      var talking = state.conversation && state.conversation.status !== "resolved";
      if (state.open || talking || state.invitation || !state.visitorToken) { checkInvitation(index + 1); return; }
      var body = { widget_token: token, visitor_token: state.visitorToken, page_url: clean(location.href, 2000),
        seconds_on_page: Math.round((Date.now() - loadedAt) / 1000) };
      fetch(base + "/widget/api/invitation", { method: "POST", body: JSON.stringify(body), headers: { "Content-Type": "text/plain" } })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (data) {
          if (data && data.invitation && !state.open) showInvitation(data.invitation); else checkInvitation(index + 1);
        })
        .catch(function () { checkInvitation(index + 1); });
    }, Math.max(0, wait));
  }
  function showInvitation(invitation) {
    state.invitation = invitation;
    var author = invitation.author_name || t("team");
    inviteTitle.textContent = t("invitation_from", { name: author });
    inviteText.textContent = invitation.message;
    invite.hidden = false;
    inviteNews.textContent = inviteTitle.textContent + ": " + invitation.message;
    invite.setAttribute("tabindex", "-1");
  }
  function answerInvitation() {
    var invitation = state.invitation;
    invite.hidden = true; inviteNews.textContent = "";
    state.view = "chat"; state.startNew = !!state.conversation; state.conversation = null; resetLog();
    state.invitation = invitation;
    showMessage({ client_id: "invitation-" + invitation.id, body: invitation.message, author_type: "agent",
      author_name: invitation.author_name || t("team") }, false);
    send({ type: "follow", conversation_id: null });
    if (invitation.team) teamSelect.value = invitation.team;
    toggle(true);
    renderHeader();
  }
  inviteReply.addEventListener("click", answerInvitation);
  function dismissInvitation() { invite.hidden = true; inviteNews.textContent = ""; state.invitation = null; bubble.focus(); }
  inviteClose.addEventListener("click", dismissInvitation);
  invite.addEventListener("keydown", function (e) { if (e.key === "Escape") dismissInvitation(); });

  // ---- start -------------------------------------------------------------------------------------------
  function start() {
    var wanted = Number(store.get("conversation")) || null;
    var body = { widget_token: token, visitor_token: state.visitorToken, context: visitContext(),
      referral_code: store.get("ref"), conversation_id: wanted,
      user_id: script.getAttribute("data-user-id"), user_hash: script.getAttribute("data-user-hash") };
    fetch(base + "/widget/api/session", { method: "POST", body: JSON.stringify(body), headers: { "Content-Type": "text/plain" } })
      .then(function (r) { return r.json().then(function (data) { return { ok: r.ok, status: r.status, data: data }; }); })
      .then(function (res) {
        if (res.status === 403 || res.status === 404) { refused(res.data); return; }
        if (!res.ok) { setTimeout(start, 5000); return; }
        var data = res.data;
        state.visitorToken = data.visitor_token; store.set("visitor", data.visitor_token);
        state.online = data.online || {}; state.settings = data; state.emailKnown = !!data.email_known;
        state.conversations = data.conversations || [];
        state.conversation = data.conversation;
        applyConfig(data.config || {});
        (data.messages || []).forEach(function (m) { showMessage(m, false); });
        coverSeq(data.through_seq || 0);
        showPendingFor(state.conversation ? state.conversation.id : null);
        renderHeader();
        connect();
        checkInvitation(0);
      })
      .catch(function () { setTimeout(start, 5000); });
  }

  if (preview) {
    // Settings' live preview: the given config, open, with a sample line; no request leaves the page.
    window.frontdeskPreview = function (config) { applyConfig(config); };
    applyConfig(parseJSON(script.getAttribute("data-config"), {}));
    state.online = { sales: true, support: true };
    renderHeader();
    toggle(true);
  } else {
    applyConfig({});
    start();
  }
})();
