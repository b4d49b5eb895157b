// Behaviour that must not be inline (the Content-Security-Policy forbids inline scripts).
document.addEventListener("change", function (event) {
  // Filter forms submit themselves when a select changes.
  var form = event.target.closest("form[data-autosubmit]");
  if (form && event.target.tagName === "SELECT") {
    form.requestSubmit();
  }
});
