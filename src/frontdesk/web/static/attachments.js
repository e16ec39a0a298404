/* Frontdesk inbox: send files from the composer (paper-clip button, drag and drop onto the conversation, paste).
   Each file is uploaded on its own to the composer's data-attachments-url; the answer is the rendered line,
   handed to window.frontdeskInbox.appendHtml. Names and errors are set as text, never as HTML. */
(function () {
  "use strict";

  function csrfToken() {
    if (window.frontdeskInbox && window.frontdeskInbox.csrfToken) return window.frontdeskInbox.csrfToken();
    try { return JSON.parse(document.body.getAttribute("hx-headers"))["X-CSRF-Token"]; } catch (e) { return ""; }
  }
  function composer() { return document.querySelector("form#composer[data-attachments-url]"); }
  function clientId() {
    if (window.crypto && window.crypto.randomUUID) return window.crypto.randomUUID().replace(/-/g, "");
    return String(Date.now()) + Math.random().toString(16).slice(2);
  }
  function humanSize(bytes) {
    if (bytes < 1024) return bytes + " B";
    if (bytes < 1048576) return Math.round(bytes / 1024) + " KB";
    return (bytes / 1048576).toFixed(1) + " MB";
  }

  function statusBox(form) {
    var box = form.querySelector(".attachment-status");
    if (!box) {
      box = document.createElement("div");
      box.className = "attachment-status";
      box.setAttribute("role", "status");
      box.setAttribute("aria-live", "polite");
      form.insertBefore(box, form.querySelector(".composer-actions"));
    }
    return box;
  }

  // One line per upload: the name, a progress bar while it goes, then nothing (done) or the reason it failed.
  function uploadLine(form, file) {
    var line = document.createElement("p");
    line.className = "attachment-upload";
    var name = document.createElement("span");
    name.textContent = "Sending " + (file.name || "file") + " (" + humanSize(file.size) + ")";
    var bar = document.createElement("progress"); // no value: the browser shows it as "in progress"
    bar.setAttribute("aria-label", "Uploading " + (file.name || "file"));
    line.appendChild(name);
    line.appendChild(bar);
    statusBox(form).appendChild(line);
    return {
      done: function () { line.remove(); },
      failed: function (reason) {
        bar.remove();
        line.classList.add("error");
        name.textContent = (file.name || "file") + ": " + reason;
        var close = document.createElement("button");
        close.type = "button";
        close.className = "link";
        close.textContent = "Dismiss";
        close.addEventListener("click", function () { line.remove(); });
        line.appendChild(close);
      },
    };
  }

  function upload(form, file) {
    var line = uploadLine(form, file);
    var max = Number(form.dataset.attachmentsMax || 0);
    if (max && file.size > max) {
      line.failed("larger than " + humanSize(max));
      return Promise.resolve();
    }
    var data = new FormData();
    data.append("file", file, file.name || "pasted-image");
    data.append("client_id", clientId());
    return fetch(form.dataset.attachmentsUrl, {
      method: "POST",
      body: data,
      credentials: "same-origin",
      headers: { "X-CSRF-Token": csrfToken() },
    }).then(function (response) {
      return response.text().then(function (text) {
        if (!response.ok) {
          var reason = response.status === 403 ? "not allowed (reload the page and try again)" : text.slice(0, 300);
          line.failed(reason || "could not be sent (" + response.status + ")");
          return;
        }
        if (window.frontdeskInbox && window.frontdeskInbox.appendHtml) window.frontdeskInbox.appendHtml(text);
        line.done();
      });
    }).catch(function () { line.failed("could not be sent: check the connection and try again"); });
  }

  function uploadAll(files) {
    var form = composer();
    if (!form || !files || !files.length) return;
    var queue = Array.prototype.slice.call(files);
    (function next() { // one after another, so the lines arrive in the order the files were chosen
      var file = queue.shift();
      if (file) upload(form, file).then(next);
    })();
  }

  // Drawn, not an emoji: systems without an emoji font would show an empty box.
  function paperClip() {
    var ns = "http://www.w3.org/2000/svg";
    var svg = document.createElementNS(ns, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("width", "18");
    svg.setAttribute("height", "18");
    svg.setAttribute("aria-hidden", "true");
    var path = document.createElementNS(ns, "path");
    path.setAttribute("d", "M21 11.5l-8.6 8.6a5 5 0 0 1-7.1-7.1l8.6-8.6a3.3 3.3 0 0 1 4.7 4.7l-8.6 8.6a1.7 1.7 0 0 1-2.4-2.4l7.9-7.9");
    path.setAttribute("fill", "none");
    path.setAttribute("stroke", "currentColor");
    path.setAttribute("stroke-width", "2");
    path.setAttribute("stroke-linecap", "round");
    path.setAttribute("stroke-linejoin", "round");
    svg.appendChild(path);
    return svg;
  }

  function enhance(form) {
    if (form.dataset.attachmentsReady) return;
    form.dataset.attachmentsReady = "1";
    var actions = form.querySelector(".composer-actions");
    if (!actions) return;
    var input = document.createElement("input");
    input.type = "file";
    input.multiple = true;
    input.hidden = true;
    input.className = "attachment-input";
    var button = document.createElement("button");
    button.type = "button";
    button.className = "secondary attach-button";
    button.title = "Attach files (or drop or paste them here)";
    button.setAttribute("aria-label", "Attach files");
    button.appendChild(paperClip());
    button.addEventListener("click", function () { input.click(); });
    input.addEventListener("change", function () { uploadAll(input.files); input.value = ""; });
    actions.insertBefore(button, actions.firstChild);
    actions.appendChild(input);
  }

  function enhanceAll() { var form = composer(); if (form) enhance(form); }

  function dropZone(target) {
    return target && target.closest ? target.closest(".thread, #messages, form#composer") : null;
  }
  function carriesFiles(event) {
    var types = event.dataTransfer && event.dataTransfer.types;
    return !!types && Array.prototype.indexOf.call(types, "Files") !== -1;
  }
  document.addEventListener("dragover", function (event) {
    var zone = dropZone(event.target);
    if (!zone || !composer() || !carriesFiles(event)) return;
    event.preventDefault(); // allows the drop
    event.dataTransfer.dropEffect = "copy";
    zone.classList.add("drop-target");
  });
  document.addEventListener("dragleave", function (event) {
    var zone = dropZone(event.target);
    if (zone && !zone.contains(event.relatedTarget)) zone.classList.remove("drop-target");
  });
  document.addEventListener("drop", function (event) {
    var zone = dropZone(event.target);
    if (!zone || !composer() || !carriesFiles(event)) return;
    event.preventDefault(); // the browser would otherwise open the file in place of the inbox
    zone.classList.remove("drop-target");
    uploadAll(event.dataTransfer.files);
  });
  document.addEventListener("paste", function (event) {
    var form = composer();
    if (!form || !form.contains(event.target)) return;
    var files = event.clipboardData && event.clipboardData.files;
    if (!files || !files.length) return; // plain text pastes as usual
    event.preventDefault();
    uploadAll(files);
  });

  // Builds a message's file list as partials/message_attachments.html renders it, for lines that arrive live
  // as JSON (message.attachments). Only this server's /files/ links are used.
  function renderList(attachments) {
    var list = document.createElement("ul");
    list.className = "attachments";
    (attachments || []).forEach(function (a) {
      if (typeof a.url !== "string" || a.url.indexOf("/files/") !== 0) return;
      var item = document.createElement("li");
      var link = document.createElement("a");
      link.href = a.url;
      if (a.is_image) {
        item.className = "attachment image";
        link.target = "_blank";
        link.rel = "noopener";
        link.title = a.filename + " (" + humanSize(a.size) + ")";
        var img = document.createElement("img");
        img.src = a.url;
        img.alt = a.filename;
        img.loading = "lazy";
        link.appendChild(img);
      } else {
        item.className = "attachment file";
        link.setAttribute("download", a.filename);
        var name = document.createElement("span");
        name.className = "attachment-name";
        name.textContent = a.filename;
        var size = document.createElement("span");
        size.className = "attachment-size";
        size.textContent = humanSize(a.size);
        link.appendChild(name);
        link.appendChild(document.createTextNode(" "));
        link.appendChild(size);
      }
      item.appendChild(link);
      list.appendChild(item);
    });
    return list;
  }
  window.frontdeskAttachments = { renderList: renderList, upload: uploadAll };

  // The inbox swaps conversations without a page load: a new composer gets its button when it appears.
  enhanceAll();
  new MutationObserver(enhanceAll).observe(document.body, { childList: true, subtree: true });
})();
