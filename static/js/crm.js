// Behaviour that must not be inline (the Content-Security-Policy forbids inline scripts).
document.addEventListener("change", function (event) {
  // Filter forms submit themselves when a select changes.
  var form = event.target.closest("form[data-autosubmit]");
  if (form && event.target.tagName === "SELECT") {
    form.requestSubmit();
  }
});

// The navigation bar's search: "/" focuses it from anywhere but a field being typed in;
// Escape empties its dropdown and leaves the box.
(function () {
  function typingIn(element) {
    if (!element) return false;
    var tag = element.tagName;
    return element.isContentEditable || tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT";
  }
  function results() {
    return document.getElementById("global-search-results");
  }
  document.addEventListener("keydown", function (event) {
    var box = document.getElementById("global-search");
    if (!box) return;
    if (event.key === "/" && !event.ctrlKey && !event.metaKey && !event.altKey &&
        !typingIn(document.activeElement)) {
      event.preventDefault();
      box.focus();
      box.select();
    } else if (event.key === "Escape" && box.form && box.form.contains(document.activeElement)) {
      var dropdown = results();
      if (dropdown) dropdown.replaceChildren();
      document.activeElement.blur();
    }
  });
  // A click outside the search closes its dropdown.
  document.addEventListener("click", function (event) {
    var dropdown = results();
    if (dropdown && !event.target.closest(".global-search")) dropdown.replaceChildren();
  });
})();
