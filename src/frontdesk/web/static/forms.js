// Small form behaviours the templates ask for with data attributes, so pages need no inline script
// (the Content-Security-Policy allows scripts from /static only).
//   <select data-submit-on-change>        submits its form when the choice changes
//   <form data-reset-on-success>          is cleared after HTMX sent it successfully
"use strict";
document.addEventListener("change", function (event) {
  var target = event.target;
  if (target instanceof HTMLSelectElement && target.hasAttribute("data-submit-on-change") && target.form) {
    target.form.requestSubmit();
  }
});
document.addEventListener("htmx:afterRequest", function (event) {
  var form = event.target;
  if (form instanceof HTMLFormElement && form.hasAttribute("data-reset-on-success") && event.detail.successful) {
    form.reset();
  }
});

// Contact pickers (templates/partials/contact_picker.html): a combobox that searches /contacts/search.json.
// Arrow keys move through the list, Enter or a click chooses, Escape closes; the chosen id goes into the
// hidden input. Names are set with textContent: they are what customers typed.
(function () {
  function setUp(root) {
    if (root.dataset.pickerReady) { return; }
    root.dataset.pickerReady = "1";
    var input = root.querySelector("[role=combobox]");
    var hidden = root.querySelector("[data-picked-id]");
    var list = root.querySelector("[role=listbox]");
    var status = root.querySelector(".picker-status");
    var options = [], active = -1, timer = null, asked = 0;

    function close() {
      list.hidden = true; input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant"); active = -1;
    }
    function highlight(index) {
      options.forEach(function (option, i) { option.setAttribute("aria-selected", i === index ? "true" : "false"); });
      active = index;
      if (index >= 0) { input.setAttribute("aria-activedescendant", options[index].id); options[index].scrollIntoView({ block: "nearest" }); }
    }
    function choose(option) {
      hidden.value = option.dataset.id; input.value = option.dataset.name;
      input.removeAttribute("aria-invalid");
      if (status) { status.textContent = option.dataset.name + " chosen"; }
      close();
    }
    function show(found) {
      list.textContent = ""; options = [];
      found.forEach(function (contact, i) {
        var option = document.createElement("li");
        option.id = list.id + "-" + i; option.setAttribute("role", "option");
        option.dataset.id = String(contact.id); option.dataset.name = contact.name;
        var name = document.createElement("span"); name.textContent = contact.name; option.appendChild(name);
        if (contact.email) { var mail = document.createElement("small"); mail.textContent = contact.email; option.appendChild(mail); }
        option.addEventListener("mousedown", function (event) { event.preventDefault(); choose(option); });
        list.appendChild(option); options.push(option);
      });
      if (!found.length) {
        var none = document.createElement("li"); none.className = "picker-none"; none.textContent = "No contact matches";
        list.appendChild(none);
      }
      list.hidden = false; input.setAttribute("aria-expanded", "true"); highlight(found.length ? 0 : -1);
      if (status) { status.textContent = found.length + (found.length === 1 ? " contact" : " contacts") + " found"; }
    }
    function search() {
      var text = input.value.trim();
      if (!text) { close(); return; }
      var ticket = ++asked;
      var url = "/contacts/search.json?q=" + encodeURIComponent(text) + (root.dataset.exclude ? "&exclude=" + root.dataset.exclude : "");
      fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
        .then(function (response) { return response.ok ? response.json() : []; })
        .then(function (found) { if (ticket === asked) { show(found); } })
        .catch(function () { /* offline: the typed text still goes with the form */ });
    }
    input.addEventListener("input", function () {
      hidden.value = "";  // typing again un-chooses: the server then matches the text itself
      clearTimeout(timer); timer = setTimeout(search, 150);
    });
    input.addEventListener("keydown", function (event) {
      var open = !list.hidden;
      if (event.key === "ArrowDown") {
        event.preventDefault();
        if (!open) { search(); } else if (options.length) { highlight((active + 1) % options.length); }
      } else if (event.key === "ArrowUp" && open && options.length) {
        event.preventDefault(); highlight(active <= 0 ? options.length - 1 : active - 1);
      } else if (event.key === "Enter" && open && active >= 0) {
        event.preventDefault(); choose(options[active]);
      } else if (event.key === "Escape" && open) {
        event.preventDefault(); close();
      }
    });
    input.addEventListener("blur", function () { setTimeout(close, 100); });
  }
  function setUpAll(scope) {
    if (scope && scope.querySelectorAll) { scope.querySelectorAll("[data-contact-picker]").forEach(setUp); }
  }
  setUpAll(document);
  document.addEventListener("htmx:load", function (event) { setUpAll(event.detail.elt); });
})();

// Bulk selection (contacts list): <input data-select-all> checks every row's box; the bar counts the selection.
(function () {
  function update(form) {
    var boxes = form.querySelectorAll("input[name=ids]");
    var checked = form.querySelectorAll("input[name=ids]:checked").length;
    var all = form.querySelector("[data-select-all]");
    if (all) { all.checked = checked > 0 && checked === boxes.length; all.indeterminate = checked > 0 && checked < boxes.length; }
    var count = form.querySelector("[data-selected-count]");
    if (count) { count.textContent = checked ? checked + (checked === 1 ? " contact selected" : " contacts selected") : "Select contacts to act on several at once."; }
  }
  document.addEventListener("change", function (event) {
    var target = event.target;
    if (!(target instanceof HTMLInputElement) || !target.form || !target.form.hasAttribute("data-bulk-form")) { return; }
    if (target.hasAttribute("data-select-all")) {
      target.form.querySelectorAll("input[name=ids]").forEach(function (box) { box.checked = target.checked; });
    }
    update(target.form);
  });
})();

// File uploads of console forms (<form data-raw-upload>, the contact import): the file goes as the raw
// request body, since the input guard takes multipart bodies only for API uploads. The server answers with
// a redirect to the progress page, or the form page again with the reason a file was refused.
(function () {
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.hasAttribute("data-raw-upload") || !window.fetch) { return; }
    var input = form.querySelector("input[type=file]");
    var file = input && input.files && input.files[0];
    if (!file) { return; }  // the browser's own "required" message
    event.preventDefault();
    var limit = Number(form.dataset.maxBytes || 0);
    var status = form.querySelector("[data-upload-status]");
    if (limit && file.size > limit) {
      if (status) { status.textContent = "This file is larger than " + Math.floor(limit / 1048576) + " MB: import it with the command line (frontdesk contacts import) or the API."; }
      return;
    }
    var atomic = form.querySelector("input[name=atomic]");
    var token = form.querySelector("input[name=csrf_token]");
    var button = form.querySelector("button[type=submit]");
    if (button) { button.disabled = true; }
    if (status) { status.textContent = "Uploading " + file.name + "…"; }
    fetch(form.action + (atomic && atomic.checked ? "?atomic=on" : ""), {
      method: "POST", body: file, credentials: "same-origin",
      headers: { "Content-Type": "text/csv", "X-CSRF-Token": token ? token.value : "", "X-File-Name": encodeURIComponent(file.name) }
    }).then(function (response) {
      if (response.redirected) { window.location.assign(response.url); return null; }
      return response.text().then(function (html) {
        var page = new DOMParser().parseFromString(html, "text/html");
        var main = page.querySelector("main");
        if (main) { document.querySelector("main").replaceWith(document.importNode(main, true)); }
      });
    }).catch(function () {
      if (status) { status.textContent = "The upload failed: check the connection and try again."; }
      if (button) { button.disabled = false; }
    });
  });
})();
