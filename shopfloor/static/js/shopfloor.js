/* Shopfloor shell behaviour: theme toggle, responsive menu, auto-submitting switchers.
   Everything here is an enhancement: each control is a plain form that works without it. */
(function () {
  "use strict";

  var root = document.documentElement;

  // Theme: flip the page at once; htmx posts the form, which saves the choice on the user.
  document.addEventListener("htmx:beforeRequest", function (event) {
    var form = event.detail.elt;
    if (!form || !form.matches || !form.matches("[data-theme-form]")) return;
    var input = form.querySelector("input[name=theme]");
    var next = input.value;
    root.setAttribute("data-theme", next);
    input.value = next === "dark" ? "light" : "dark";
  });

  // Reset a form after htmx added what it created (e.g. a type-list entry).
  document.addEventListener("htmx:afterRequest", function (event) {
    var form = event.detail.elt;
    if (!form || !form.matches || !form.matches("form[data-reset-on-success]")) return;
    if (!event.detail.successful || event.detail.xhr.getResponseHeader("HX-Retarget")) return;
    form.reset();
    form.querySelectorAll(".errorlist, .form-errors").forEach(function (el) { el.remove(); });
    form.querySelectorAll(".has-error").forEach(function (el) { el.classList.remove("has-error"); });
    var first = form.querySelector("input:not([type=hidden])");
    if (first) first.focus();
  });

  document.addEventListener("change", function (event) {
    var el = event.target;
    var form = el.form;
    if (!form) return;
    if (form.matches("[data-autosubmit]") || el.matches("[data-autosubmit-select]")) {
      if (el.tagName === "SELECT" && el.value === "" && form.matches("[data-autosubmit]") && el.name === "organization") return;
      form.requestSubmit ? form.requestSubmit() : form.submit();
    }
  });

  document.addEventListener("click", function (event) {
    var toggle = event.target.closest("[data-nav-toggle]");
    if (toggle) {
      var open = document.body.classList.toggle("nav-open");
      document.querySelectorAll("button[data-nav-toggle]").forEach(function (b) {
        b.setAttribute("aria-expanded", open ? "true" : "false");
      });
      return;
    }
    // Open a <dialog> (e.g. the signature dialog); its Cancel button closes it without JS.
    var opener = event.target.closest("[data-open-dialog]");
    if (opener) {
      var dialog = document.getElementById(opener.getAttribute("data-open-dialog"));
      if (dialog && dialog.showModal) {
        dialog.showModal();
        var field = dialog.querySelector("input:not([type=hidden]), textarea");
        if (field) field.focus();
      }
      return;
    }
    var copy = event.target.closest("[data-copy]");
    if (copy) {
      var source = document.querySelector(copy.getAttribute("data-copy"));
      if (source) {
        source.select();
        if (navigator.clipboard) {
          navigator.clipboard.writeText(source.value).then(function () { copy.textContent = "Copied"; });
        }
      }
      return;
    }
    // Close the account menu when clicking elsewhere.
    document.querySelectorAll("details.user-menu[open]").forEach(function (menu) {
      if (!menu.contains(event.target)) menu.removeAttribute("open");
    });
  });

  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape") {
      document.body.classList.remove("nav-open");
      document.querySelectorAll("details.user-menu[open]").forEach(function (m) { m.removeAttribute("open"); });
    }
  });
})();
