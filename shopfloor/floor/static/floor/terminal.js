// Shop floor terminal: the scanner (a keyboard wedge) types a code and Enter, so something that
// takes typing must always have the focus. After every page load or htmx swap the focus goes to
// the open step form's first field (complete, issue) or else to the scan field; keys pressed
// while nothing has the focus are sent to the scan field. In a step form Enter moves to the next
// empty field and submits from the last; Escape closes the form.
(function () {
  "use strict";

  function scanField() { return document.querySelector("[data-scan-field]"); }

  function focusTarget() {
    var step = document.querySelector("[data-step-form] [autofocus]");
    var target = step || scanField();
    if (target) { target.focus(); if (target.select) target.select(); }
  }

  function fields(form) {
    return Array.prototype.filter.call(form.querySelectorAll("input, select"), function (el) {
      return el.type !== "hidden" && !el.disabled;
    });
  }

  document.addEventListener("keydown", function (event) {
    var active = document.activeElement;
    var form = active && active.closest ? active.closest("[data-step-form]") : null;
    if (event.key === "Escape" && form) {
      var cancel = form.querySelector("[data-cancel]");
      if (cancel) { event.preventDefault(); cancel.click(); }
      return;
    }
    if (event.key === "Enter" && form && (active.tagName === "INPUT" || active.tagName === "SELECT")) {
      var list = fields(form);
      var index = list.indexOf(active);
      var next = list.slice(index + 1).find(function (el) { return !el.value && el.tagName === "INPUT"; });
      // Scrap entered: its reason is needed next (a select: letters pick the option, Enter goes on).
      var scrap = form.querySelector("input[name=scrap]");
      var reason = form.querySelector("select[name=scrap_reason]");
      if (active === scrap && reason && parseFloat(scrap.value) > 0 && !reason.value) next = reason;
      event.preventDefault();
      if (next) { next.focus(); return; }
      form.requestSubmit();
      return;
    }
    // A scan arriving while nothing is focused (after a tap on the page) still lands in the field.
    if ((!active || active === document.body) && event.key.length === 1 && !event.ctrlKey && !event.metaKey && !event.altKey) {
      var field = scanField();
      if (field) field.focus();
    }
  });

  document.addEventListener("htmx:afterSettle", focusTarget);
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", focusTarget); else focusTarget();
})();
