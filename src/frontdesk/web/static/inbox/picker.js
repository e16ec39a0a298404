/* The composer's canned-reply picker (type "/" at the start) and the conversation's macros menu.
   Contracts: GET /inbox/{id}/canned-replies.json?q= -> [{id, shortcut, title, body}] (placeholders filled);
   GET /inbox/{id}/macros.json -> [{id, name, summary}]; POST /inbox/{id}/macros/{macro_id} -> 204, whose
   effects reach the page as live events. All text is set with textContent. */
(function () {
  "use strict";
  var items = [], active = 0, timer = null, asked = 0;

  function csrf() {
    try { return JSON.parse(document.body.getAttribute("hx-headers"))["X-CSRF-Token"]; } catch (e) { return ""; }
  }
  function composer() { return document.getElementById("composer"); }
  function list() { return document.getElementById("canned-picker"); }
  function isOpen() { var l = list(); return !!(l && !l.hidden); }
  function close() { var l = list(); if (l) { l.hidden = true; l.textContent = ""; } items = []; }

  // The replies the page was rendered with, when the JSON endpoint is not there (older servers).
  function fromPage(form, q) {
    var canned = {};
    try { canned = JSON.parse(form.dataset.canned || "{}"); } catch (e) { canned = {}; }
    return Object.keys(canned).filter(function (key) { return key.indexOf(q.toLowerCase()) === 0; })
      .map(function (key) { return { id: key, shortcut: key, title: "", body: canned[key] }; });
  }

  function show(found) {
    var l = list();
    if (!l) return;
    items = found; active = 0; l.textContent = "";
    if (!found.length) { l.hidden = true; return; }
    found.forEach(function (item, i) {
      var li = document.createElement("li");
      li.setAttribute("role", "option");
      li.id = "canned-option-" + i;
      li.dataset.index = String(i);
      var head = document.createElement("strong");
      head.textContent = "/" + item.shortcut + (item.title ? " · " + item.title : "");
      var body = document.createElement("span");
      body.className = "muted small";
      body.textContent = " " + String(item.body || "").slice(0, 120);
      li.appendChild(head); li.appendChild(body);
      l.appendChild(li);
    });
    l.hidden = false;
    mark();
  }
  function mark() {
    var l = list();
    Array.prototype.forEach.call(l.children, function (li, i) {
      li.setAttribute("aria-selected", i === active ? "true" : "false");
    });
    var area = composer() && composer().elements.body;
    if (area) area.setAttribute("aria-activedescendant", "canned-option-" + active);
  }
  function insert(index) {
    var form = composer();
    var item = items[index];
    if (!form || !item) return;
    form.elements.body.value = item.body;
    close();
    form.elements.body.focus();
  }

  function lookUp(form, q) {
    var ticket = ++asked;
    fetch(form.dataset.cannedUrl + "?q=" + encodeURIComponent(q), { credentials: "same-origin" })
      .then(function (r) { if (!r.ok) throw new Error(String(r.status)); return r.json(); })
      .then(function (found) { if (ticket === asked) show(Array.isArray(found) ? found : []); })
      .catch(function () { if (ticket === asked) show(fromPage(form, q)); });
  }

  document.addEventListener("input", function (e) {
    var area = e.target;
    if (!area.form || area.form.id !== "composer" || area.name !== "body") return;
    var typed = area.value.match(/^\/(\S*)$/);
    if (!typed) { close(); return; }
    clearTimeout(timer);
    timer = setTimeout(function () { lookUp(area.form, typed[1]); }, 120);
  });
  // Capture phase: the picker's keys never reach the composer's own handler (Enter would send).
  document.addEventListener("keydown", function (e) {
    if (!isOpen() || !e.target.form || e.target.form.id !== "composer") return;
    if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      active = (active + (e.key === "ArrowDown" ? 1 : items.length - 1)) % items.length; mark();
    } else if (e.key === "Enter" || e.key === "Tab") {
      insert(active);
    } else if (e.key === "Escape") {
      close();
    } else {
      return;
    }
    e.preventDefault(); e.stopPropagation();
  }, true);
  document.addEventListener("click", function (e) {
    var option = e.target.closest && e.target.closest("#canned-picker li");
    if (option) { insert(Number(option.dataset.index)); return; }
    var button = e.target.closest && e.target.closest("#macros-button");
    if (button) { toggleMacros(button); return; }
    var macro = e.target.closest && e.target.closest("#macros-menu button[data-macro-id]");
    if (macro) { runMacro(macro); return; }
    var menu = document.getElementById("macros-menu");
    if (menu && !menu.hidden && !(e.target.closest && e.target.closest(".macros"))) closeMacros();
  });

  function closeMacros() {
    var menu = document.getElementById("macros-menu"), button = document.getElementById("macros-button");
    if (menu) menu.hidden = true;
    if (button) button.setAttribute("aria-expanded", "false");
  }
  function say(menu, text) {
    menu.textContent = "";
    var p = document.createElement("p"); p.className = "muted small"; p.textContent = text; menu.appendChild(p);
  }
  function toggleMacros(button) {
    var menu = document.getElementById("macros-menu");
    if (!menu) return;
    if (!menu.hidden) { closeMacros(); return; }
    menu.hidden = false; button.setAttribute("aria-expanded", "true");
    say(menu, "Loading…");
    fetch(button.dataset.macrosUrl, { credentials: "same-origin" })
      .then(function (r) { if (!r.ok) throw new Error(String(r.status)); return r.json(); })
      .then(function (macros) {
        if (!macros.length) { say(menu, "No macros yet: an admin adds them in Settings."); return; }
        menu.textContent = "";
        macros.forEach(function (m) {
          var b = document.createElement("button");
          b.type = "button"; b.setAttribute("role", "menuitem"); b.dataset.macroId = String(m.id);
          var name = document.createElement("strong"); name.textContent = m.name;
          var summary = document.createElement("span"); summary.className = "muted small";
          summary.textContent = m.summary ? " " + m.summary : "";
          b.appendChild(name); b.appendChild(summary);
          menu.appendChild(b);
        });
        var first = menu.querySelector("button"); if (first) first.focus();
      })
      .catch(function () { say(menu, "Macros are not available."); });
  }
  function runMacro(button) {
    var menu = document.getElementById("macros-menu");
    var url = document.getElementById("macros-button").dataset.macrosUrl.replace(/macros\.json$/, "macros/") +
      encodeURIComponent(button.dataset.macroId);
    button.disabled = true;
    fetch(url, { method: "POST", credentials: "same-origin", headers: { "X-CSRF-Token": csrf(), "HX-Request": "true" } })
      .then(function (r) {
        if (!r.ok) return r.text().then(function (t) { throw new Error(t || String(r.status)); });
        closeMacros(); // what the macro did arrives as live events
      })
      .catch(function (err) { say(menu, "The macro failed: " + err.message); });
  }
  window.frontdeskPicker = { isOpen: isOpen, close: close };
})();
