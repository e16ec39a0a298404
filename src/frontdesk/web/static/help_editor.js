// The help center's article editor (templates/pages/help_editor.html): "Insert image" uploads the chosen file
// to /console/help/images and inserts the Markdown it answers at the cursor; "Link to article" inserts
// [Title](article:ID). Both then fire an input event so the HTMX preview updates as if the editor had typed.
"use strict";
(function () {
  var form = document.getElementById("help-editor");
  var body = document.getElementById("help-body");
  if (!form || !body) { return; }
  var status = form.querySelector("[data-help-upload-status]");

  function insert(text) {
    var start = body.selectionStart, end = body.selectionEnd;
    body.value = body.value.slice(0, start) + text + body.value.slice(end);
    body.selectionStart = body.selectionEnd = start + text.length;
    body.focus();
    body.dispatchEvent(new Event("input", { bubbles: true }));
  }

  var link = form.querySelector("[data-help-link]");
  if (link) {
    link.addEventListener("change", function () {
      if (!link.value) { return; }
      var title = link.options[link.selectedIndex].textContent.replace(/[\[\]]/g, "");
      insert("[" + title + "](article:" + link.value + ")");
      link.value = "";
    });
  }

  var picker = form.querySelector("[data-help-image]");
  if (picker) {
    picker.addEventListener("change", function () {
      var file = picker.files && picker.files[0];
      if (!file) { return; }
      var data = new FormData();
      data.append("file", file);
      data.append("csrf_token", form.dataset.csrf);
      status.textContent = "Uploading " + file.name + "…";
      fetch(form.dataset.uploadUrl, {
        method: "POST", body: data, credentials: "same-origin", headers: { "X-CSRF-Token": form.dataset.csrf }
      }).then(function (response) {
        return response.json().then(function (answer) { return { ok: response.ok, answer: answer }; });
      }).then(function (result) {
        if (result.ok) {
          // An image is a paragraph of its own: on a new line unless the cursor already starts one.
          var before = body.value.slice(0, body.selectionStart);
          insert((before && !/\n$/.test(before) ? "\n\n" : "") + result.answer.markdown + "\n");
          status.textContent = "Image inserted.";
        } else {
          status.textContent = result.answer.message || "The image was refused.";
        }
      }).catch(function () {
        status.textContent = "The upload failed; check the connection and try again.";
      }).finally(function () { picker.value = ""; });
    });
  }
})();
