/* The conversation list: filters, the server's order kept live, unread counts, rows and the open
   conversation's header updated from events. Needs inbox/format.js and inbox/thread.js. */
(function () {
  "use strict";
  if (!document.getElementById("inbox")) return;
  var fmt = window.frontdeskFormat, thread = window.frontdeskThread;
  var currentId = thread.currentId, lastSeq = thread.lastSeq, csrfToken = thread.csrfToken;
  var listTimer = null, countsTimer = null, readTimer = null;
  var myId = Number(document.getElementById("inbox").dataset.agentId);

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
  // A conversation has become unread: the views it is in count one more.
  function bumpViewCounts(assigneeId) {
    ["all", assigneeId === null ? "unassigned" : (assigneeId === myId ? "mine" : "")].forEach(function (view) {
      var el = view && document.querySelector('[data-view-count="' + view + '"]');
      if (el) { el.textContent = String(Number(el.textContent || 0) + 1); el.hidden = false; }
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
  // What was on screen is noted now; the request may go later (browsers delay timers), even after a switch.
  var readPending = {};
  function markRead() {
    var id = currentId();
    if (!id || document.hidden) return;
    readPending[id] = Math.max(readPending[id] || 0, lastSeq());
    clearTimeout(readTimer);
    readTimer = setTimeout(function () {
      var pending = readPending;
      readPending = {};
      Object.keys(pending).forEach(function (conversationId) {
        fetch("/inbox/" + conversationId + "/read", {
          method: "POST", credentials: "same-origin", body: new URLSearchParams({ seq: String(pending[conversationId]) }),
          headers: { "X-CSRF-Token": csrfToken() }
        }).then(function () { fetchCounts(); });
      });
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
    var resolution = document.querySelector('#conversation [data-field="resolution"]');
    if (resolution) {
      resolution.textContent = c.resolution_seconds === null ? "—" : Math.floor(c.resolution_seconds) + " s";
    }
    var rating = field(head, "rating");
    rating.hidden = !c.csat_rating;
    if (c.csat_rating) {
      rating.querySelector(".csat").textContent =
        "Rated " + c.csat_rating + "/5" + (c.csat_comment ? ": “" + c.csat_comment + "”" : "");
    }
  }
  window.frontdeskList = {
    filtersForm: filtersForm, listQuery: listQuery, itemOf: itemOf, field: field, refreshList: refreshList,
    markCurrent: markCurrent, setUnread: setUnread, countsFromList: countsFromList, fetchCounts: fetchCounts,
    bumpViewCounts: bumpViewCounts,
    markRead: markRead, updateWaiting: updateWaiting, applyToItem: applyToItem, applyConversation: applyConversation,
    showFirstResponse: showFirstResponse
  };
})();
