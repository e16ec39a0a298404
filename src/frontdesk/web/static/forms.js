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
