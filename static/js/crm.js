// Behaviour that must not be inline (the Content-Security-Policy forbids inline scripts).
document.addEventListener("change", function (event) {
  // Filter forms submit themselves when a select changes.
  var form = event.target.closest("form[data-autosubmit]");
  if (form && event.target.tagName === "SELECT") {
    form.requestSubmit();
  }
});

// The navigation bar's search, a combobox whose popup is a small dialog of links (WAI-ARIA's
// combobox pattern, with the focus moving into the popup): "/" focuses the box from anywhere but
// a field being typed in; ArrowDown (ArrowUp) goes from the box to the first (last) result
// (past the first group's "more" link, which ArrowUp from that result reaches),
// ArrowUp/ArrowDown, Home/End move between them, ArrowUp from the first returns to the box;
// Escape closes the dropdown and returns to the box, and a second Escape leaves the box.
(function () {
  function typingIn(element) {
    if (!element) return false;
    var tag = element.tagName;
    return element.isContentEditable || tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT";
  }
  function results() {
    return document.getElementById("global-search-results");
  }
  function links() {
    var dropdown = results();
    return dropdown ? Array.prototype.slice.call(dropdown.querySelectorAll("a[href]")) : [];
  }
  // Closed by the user: an answer still on its way stays hidden until they type again.
  function close(box) {
    box.form.dataset.closed = "1";
    var dropdown = results();
    if (dropdown) dropdown.replaceChildren();
  }
  document.addEventListener("keydown", function (event) {
    var box = document.getElementById("global-search");
    if (!box) return;
    var dropdown = results();
    var inResults = dropdown && dropdown.contains(event.target);
    var modified = event.ctrlKey || event.metaKey || event.altKey;
    if (event.key === "/" && !modified && !typingIn(document.activeElement)) {
      event.preventDefault();
      box.focus();
      box.select();
    } else if (event.target === box && !modified &&
               (event.key === "ArrowDown" || event.key === "ArrowUp")) {
      var found = links();
      if (found.length) {
        event.preventDefault();
        // Down: the first result itself, not its group's "more" link above it.
        var first = found.filter(function (link) {
          return link.classList.contains("list-group-item-action");
        })[0] || found[0];
        (event.key === "ArrowDown" ? first : found[found.length - 1]).focus();
      } else if (event.key === "ArrowDown" && box.value.trim().length >= 2 && window.htmx) {
        // Closed with Escape: ArrowDown opens it again, with fresh results.
        event.preventDefault();
        delete box.form.dataset.closed;
        window.htmx.ajax("GET", box.getAttribute("hx-get"), {source: box, target: dropdown});
      }
    } else if (inResults && !modified &&
               ["ArrowDown", "ArrowUp", "Home", "End"].indexOf(event.key) >= 0) {
      var items = links();
      var at = items.indexOf(document.activeElement);
      event.preventDefault();
      if (event.key === "Home") items[0].focus();
      else if (event.key === "End") items[items.length - 1].focus();
      else if (event.key === "ArrowDown") items[Math.min(at + 1, items.length - 1)].focus();
      else if (at > 0) items[at - 1].focus();
      else box.focus();
    } else if (event.key === "Escape" && box.form.contains(document.activeElement)) {
      if (dropdown && dropdown.children.length) {
        event.preventDefault(); // the search box would also empty itself
        close(box);
        box.focus();
      } else {
        document.activeElement.blur();
      }
    }
  });
  // The box says whether its dropdown is open, whoever opened or emptied it.
  (function () {
    var box = document.getElementById("global-search");
    var dropdown = results();
    if (!box || !dropdown) return;
    new MutationObserver(function () {
      box.setAttribute("aria-expanded", dropdown.children.length ? "true" : "false");
    }).observe(dropdown, {childList: true});
  })();
  document.addEventListener("input", function (event) {
    var box = event.target;
    if (box.id === "global-search" && box.form) delete box.form.dataset.closed;
  });
  // A click outside the search closes its dropdown, and so does the focus leaving it (Tab).
  document.addEventListener("click", function (event) {
    var dropdown = results();
    if (dropdown && !event.target.closest(".global-search")) dropdown.replaceChildren();
  });
  document.addEventListener("focusout", function (event) {
    var form = event.target.closest && event.target.closest("form.global-search");
    var dropdown = results();
    if (form && dropdown && event.relatedTarget && !form.contains(event.relatedTarget)) {
      dropdown.replaceChildren();
    }
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
  // Results that arrive after the user has left the box or closed the dropdown (Escape, a click
  // elsewhere) stay hidden; so do results that would replace the one the user is on.
  document.body.addEventListener("htmx:beforeSwap", function (event) {
    var form = event.target.closest && event.target.closest("form.global-search");
    if (!form) return;
    var dropdown = results();
    if (form.dataset.closed || !form.contains(document.activeElement) ||
        (dropdown && dropdown.contains(document.activeElement))) {
      event.detail.shouldSwap = false;
    }
  });
})();

// A form sent back with its errors: the focus moves to the first thing refused (a field, whose
// label and error, its aria-describedby, a screen reader then reads; or the form's own error),
// instead of staying at the top of the page. On a page load, and when htmx brings a form back
// after its submit button went away with the old one. Never while the user is elsewhere.
(function () {
  var REFUSED = [
    'form [aria-invalid="true"]', "form .is-invalid", // a field (Django, crispy-forms, by hand)
    "form .alert-danger", "form .errorlist.nonfield", // the form's own errors
  ].join(", ");
  var CONTROL = "input, select, textarea";
  function shown(element) {
    return element.getClientRects().length > 0 && !element.disabled && element.type !== "hidden";
  }
  function firstRefused(root) {
    var found = root.querySelectorAll(REFUSED);
    for (var i = 0; i < found.length; i++) {
      var element = found[i];
      if (element.closest("form.global-search")) continue;
      if (element.matches(".alert-danger, .errorlist")) {
        if (!shown(element)) continue;
        if (!element.hasAttribute("tabindex")) element.setAttribute("tabindex", "-1");
        return element;
      }
      var control = element.matches(CONTROL) ? element : element.querySelector(CONTROL);
      if (control && shown(control)) return control;
    }
    return null;
  }
  function idle() {
    var active = document.activeElement;
    // An autofocused field (the log-in form's username) is where the page put the focus, not
    // the user.
    return !active || active === document.body || active.hasAttribute("autofocus");
  }
  function focusRefused(root) {
    var target = firstRefused(root);
    if (!target) return;
    target.focus({preventScroll: true});
    // The label above the field and the error below it in view, not only the field.
    target.scrollIntoView({block: "center"});
  }
  if (idle()) focusRefused(document);
  // A field's errors brought out of band by htmx (a list filtered as the user types, whose
  // controls stay as typed): the field says whether it is refused, and where it is said why.
  document.body.addEventListener("htmx:oobAfterSwap", function (event) {
    var box = event.detail && event.detail.target;
    if (!box || !box.id || box.id.slice(-6) !== "_error") return;
    var control = document.getElementById(box.id.slice(0, -6));
    if (!control) return;
    if (box.textContent.trim()) {
      control.setAttribute("aria-invalid", "true");
      control.setAttribute("aria-describedby", box.id);
    } else {
      control.removeAttribute("aria-invalid");
      control.removeAttribute("aria-describedby");
    }
  });
  document.body.addEventListener("htmx:afterSettle", function (event) {
    if (idle() && event.target && event.target.querySelectorAll) focusRefused(event.target);
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
