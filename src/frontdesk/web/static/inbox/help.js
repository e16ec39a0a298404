/* The help center in the inbox: "Insert link" on the suggested articles beside a conversation, and the composer's
   "Help article" menu that searches published articles and inserts "Title: https://…" into the reply.
   Contract: GET /console/help/link-search?q= -> {items: [{title, url, text, snippet_html}]}. Results are built
   with textContent (titles are the editors' text, never HTML here). */
(function () {
  "use strict";
  if (!document.getElementById("inbox")) return;
  var asked = 0, timer = null;

  function byId(id) { return document.getElementById(id); }
  function insertIntoReply(text) {
    var form = byId("composer");
    var area = form && form.elements.body;
    if (!area) return;
    var start = area.selectionStart == null ? area.value.length : area.selectionStart;
    var end = area.selectionEnd == null ? start : area.selectionEnd;
    var before = area.value.slice(0, start), after = area.value.slice(end);
    var spaced = (before && !/\s$/.test(before) ? " " : "") + text + (after && !/^\s/.test(after) ? " " : "");
    area.value = before + spaced + after;
    var caret = (before + spaced).length;
    area.focus();
    area.setSelectionRange(caret, caret);
    area.dispatchEvent(new Event("input", { bubbles: true }));
  }

  function menu() { return byId("help-link-menu"); }
  function closeMenu() {
    var m = menu(), b = byId("help-link-button");
    if (m) m.hidden = true;
    if (b) b.setAttribute("aria-expanded", "false");
  }
  function openMenu() {
    var m = menu(), b = byId("help-link-button");
    if (!m) return;
    m.hidden = false;
    if (b) b.setAttribute("aria-expanded", "true");
    var q = byId("help-link-query");
    if (q) { q.focus(); if (q.value) search(q.value); }
  }
  function say(text) {
    var list = byId("help-link-results");
    if (!list) return;
    list.textContent = "";
    var li = document.createElement("li"); li.className = "muted small"; li.textContent = text; list.appendChild(li);
  }
  function show(items) {
    var list = byId("help-link-results");
    if (!list) return;
    if (!items.length) { say("No published article matches."); return; }
    list.textContent = "";
    items.forEach(function (item) {
      var li = document.createElement("li");
      var b = document.createElement("button");
      b.type = "button"; b.dataset.helpInsert = item.text; b.title = item.url;
      var title = document.createElement("strong"); title.textContent = item.title;
      var url = document.createElement("span"); url.className = "muted small url"; url.textContent = " " + item.url;
      b.appendChild(title); b.appendChild(url);
      li.appendChild(b); list.appendChild(li);
    });
  }
  function search(q) {
    var input = byId("help-link-query");
    if (!input) return;
    if (!q.trim()) { say("Type words from the article's title."); return; }
    var ticket = ++asked;
    fetch(input.dataset.helpSearchUrl + "?q=" + encodeURIComponent(q), { credentials: "same-origin" })
      .then(function (r) { if (!r.ok) throw new Error(String(r.status)); return r.json(); })
      .then(function (found) { if (ticket === asked) show(found.items || []); })
      .catch(function () { if (ticket === asked) say("Articles cannot be searched right now."); });
  }

  document.addEventListener("click", function (e) {
    var target = e.target.closest ? e.target : null;
    if (!target) return;
    var insert = target.closest("[data-help-insert]");
    if (insert) { insertIntoReply(insert.dataset.helpInsert); closeMenu(); return; }
    if (target.closest("#help-link-button")) {
      if (menu() && menu().hidden) openMenu(); else closeMenu();
      return;
    }
    var m = menu();
    if (m && !m.hidden && !target.closest(".help-link")) closeMenu();
  });
  document.addEventListener("input", function (e) {
    if (e.target.id !== "help-link-query") return;
    clearTimeout(timer);
    var q = e.target.value;
    timer = setTimeout(function () { search(q); }, 150);
  });
  // Capture phase: Enter in the search box must not send the reply it sits in.
  document.addEventListener("keydown", function (e) {
    if (e.target.id !== "help-link-query") return;
    if (e.key === "Enter") {
      var first = document.querySelector("#help-link-results button[data-help-insert]");
      if (first) { insertIntoReply(first.dataset.helpInsert); closeMenu(); }
    } else if (e.key === "Escape") {
      closeMenu(); var b = byId("help-link-button"); if (b) b.focus();
    } else {
      return;
    }
    e.preventDefault(); e.stopImmediatePropagation();
  }, true);
})();
