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
  // Enter opens the results page: no dropdown request is sent while the page is leaving (the
  // navigation would cut it off). Coming back to the page searches again.
  document.addEventListener("submit", function (event) {
    if (event.target.classList.contains("global-search")) event.target.dataset.leaving = "1";
  });
  window.addEventListener("pageshow", function () {
    var form = document.querySelector("form.global-search");
    if (form) delete form.dataset.leaving;
  });
  // A box emptied (or left with one letter) closes the dropdown without asking the server.
  document.body.addEventListener("htmx:beforeRequest", function (event) {
    var form = event.target.closest && event.target.closest("form.global-search");
    if (!form) return;
    if (form.dataset.leaving) {
      event.preventDefault();
    } else if (event.target.value !== undefined && event.target.value.trim().length < 2) {
      event.preventDefault();
      var dropdown = results();
      if (dropdown) dropdown.replaceChildren();
    }
  });
  // Results that arrive after the user has left the box (Escape, a click elsewhere) stay hidden.
  document.body.addEventListener("htmx:beforeSwap", function (event) {
    var form = event.target.closest && event.target.closest("form.global-search");
    if (form && !form.contains(document.activeElement)) event.detail.shouldSwap = false;
  });
})();
// Lists that act. A list filtered with htmx changes the address, not the page around the
// table: saving a view and exporting read the filters from the address when they are used.
function currentFilters() {
  var params = new URLSearchParams(window.location.search);
  params.delete("page");
  params.delete("format");
  return params.toString();
}
document.addEventListener("submit", function (event) {
  var form = event.target.closest("form[data-save-view]");
  if (form) {
    form.querySelector("input[name=query]").value = currentFilters();
  }
});
document.addEventListener("click", function (event) {
  var link = event.target.closest("a[data-export]");
  if (link) {
    var format = new URL(link.href, window.location.href).searchParams.get("format");
    var filters = currentFilters();
    link.href = "?" + (filters ? filters + "&" : "") + "format=" + format;
  }
});
// Bulk actions: "select all on this page", and the count of rows selected.
document.addEventListener("change", function (event) {
  var all = event.target.closest("input[data-select-all]");
  var form = document.getElementById(
    (all || event.target).getAttribute("form") || (all || event.target).dataset.selectAll || ""
  );
  if (all) {
    document.querySelectorAll('input[name="ids"][form="' + all.dataset.selectAll + '"]').forEach(
      function (box) { box.checked = all.checked; }
    );
  }
  if (form && form.hasAttribute("data-bulk")) {
    var count = document.querySelectorAll('input[name="ids"][form="' + form.id + '"]:checked').length;
    var counter = form.querySelector("[data-bulk-count]");
    if (counter) { counter.textContent = count; }
  }
});
