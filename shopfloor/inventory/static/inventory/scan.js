// Barcode scanners in keyboard-wedge mode type the code and press Enter. On a scan page, Enter
// in a field moves on to the next empty required field instead of submitting half a form; when
// none is left, Enter submits. Optional fields (lot, serial...) are reached by touch or Tab, or
// the server sends the form back with the missing one focused (a lot-tracked item needs its lot).
// The first field (or the first with an error) gets the focus.
(function () {
  function fields(form) {
    return Array.prototype.filter.call(form.querySelectorAll("input, select, textarea"), function (el) {
      return el.type !== "hidden" && !el.disabled && el.offsetParent !== null;
    });
  }
  function setup(form) {
    var list = fields(form);
    var firstError = form.querySelector(".has-error input, .has-error select");
    var first = firstError || list[0];
    if (first) { first.focus(); if (first.select) first.select(); }
    form.addEventListener("keydown", function (event) {
      if (event.key !== "Enter" || event.target.tagName === "TEXTAREA" || event.target.tagName === "BUTTON") return;
      var items = fields(form);
      var index = items.indexOf(event.target);
      if (index < 0) return;
      var next = items.slice(index + 1).find(function (el) { return el.required && !el.value; });
      if (next) {
        event.preventDefault();
        next.focus();
      }
      // else: let the browser submit the form
    });
  }
  function init() { document.querySelectorAll("form[data-scan-form]").forEach(setup); }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init); else init();
})();
