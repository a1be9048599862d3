// Reading entry on a tablet: Enter moves to the next reading; Enter on the last one saves.
document.addEventListener("keydown", function (event) {
  var input = event.target;
  if (event.key !== "Enter" || !input.matches || !input.matches("form[data-entry] input.big-input")) return;
  var inputs = Array.prototype.slice.call(input.form.querySelectorAll("input.big-input"));
  var next = inputs[inputs.indexOf(input) + 1];
  if (next) {
    event.preventDefault();
    next.focus();
    next.select();
  }
});

// Start where the inspector left off: the first reading still empty.
document.addEventListener("DOMContentLoaded", function () {
  var empty = Array.prototype.filter.call(document.querySelectorAll("form[data-entry] input.big-input"), function (i) {
    return !i.value;
  });
  if (empty.length) empty[0].focus();
});
