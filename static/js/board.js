// The pipeline board: drag and drop between stages (SortableJS), a "Move to…" dialog for the
// keyboard, the reason a closing move needs, collapsible columns. Every move is POSTed with htmx
// to the board's move endpoint, which answers with the columns' new counts and totals
// (out-of-band swaps) or with the reason it refused, shown beside the card; a refused or failed
// move puts the card back where it was. No inline script: the CSP forbids it.
(function () {
  "use strict";

  function ready(fn) {
    if (document.readyState === "loading") {
      document.addEventListener("DOMContentLoaded", fn);
    } else {
      fn();
    }
  }

  ready(function () {
    var board = document.getElementById("board");
    if (!board) {
      return;
    }
    var dialog = document.getElementById("board-dialog");
    var form = document.getElementById("board-dialog-form");
    var stageSelect = document.getElementById("board-dialog-stage");
    var reasonGroup = document.getElementById("board-dialog-reason-group");
    var reason = document.getElementById("board-dialog-reason");
    var reasonError = document.getElementById("board-dialog-error");
    var dialogTitle = document.getElementById("board-dialog-card");
    var status = document.getElementById("board-status");
    var moveUrl = board.dataset.moveUrl;
    var placeholder = board.dataset.placeholder;
    var collapsedKey = "crm.board." + board.dataset.definition + ".collapsed";
    var dialogCard = null;

    function listFor(stageId) {
      return board.querySelector('.board-cards[data-stage="' + stageId + '"]');
    }

    function note(card, text, kind) {
      var slot = card.querySelector(".board-note");
      if (slot) {
        slot.textContent = text;
        slot.className = "board-note small " + (kind || "");
      }
    }

    function remember(card) {
      // Where the card was before this move: a refusal puts it back there.
      if (!card.boardOrigin) {
        var from = card.parentNode;
        card.boardOrigin = { from: from, index: Array.prototype.indexOf.call(from.children, card) };
      }
    }

    function putBack(card) {
      var origin = card.boardOrigin;
      card.boardOrigin = null;
      if (origin && card.parentNode !== origin.from) {
        origin.from.insertBefore(card, origin.from.children[origin.index] || null);
      }
    }

    function focusCard(card) {
      var button = card.querySelector(".board-move");
      if (button) {
        button.focus();
      }
    }

    function send(card, stageId, text) {
      card.classList.add("board-card-saving");
      card.setAttribute("aria-busy", "true");
      note(card, "");
      htmx.ajax("POST", moveUrl.replace(placeholder, card.dataset.card), {
        source: card,
        swap: "none",
        values: { stage: stageId, from_stage: card.dataset.stage, reason: text || "" },
      });
    }

    document.body.addEventListener("htmx:afterRequest", function (event) {
      var card = event.detail.elt;
      if (!card.classList || !card.classList.contains("board-card")) {
        return;
      }
      card.classList.remove("board-card-saving");
      card.removeAttribute("aria-busy");
      // The answer says in X-Board-Move what became of the move: "moved", "refused" or
      // "conflict" (its message, beside the card, came in with the swap).
      var xhr = event.detail.xhr;
      var outcome = xhr && xhr.status === 200 ? xhr.getResponseHeader("X-Board-Move") : null;
      var list = card.parentNode;
      if (outcome === "moved") {
        card.boardOrigin = null;
        if (list && list.dataset.terminal) {
          // Closed: it leaves the board (the status line says so).
          card.remove();
          if (status) {
            status.focus();
          }
          return;
        }
        card.dataset.stage = list.dataset.stage;
        if (card.contains(document.activeElement) || card.dataset.keyboard) {
          focusCard(card);
        }
        delete card.dataset.keyboard;
        return;
      }
      putBack(card);
      if (outcome === "conflict") {
        // Someone else was first: show the card where it is now, or, closed, no longer movable.
        var now = xhr.getResponseHeader("X-Board-Stage");
        var there = now ? listFor(now) : null;
        if (there) {
          there.insertBefore(card, there.firstElementChild);
          card.dataset.stage = now;
        } else {
          card.removeAttribute("data-movable");
          var button = card.querySelector(".board-move");
          if (button) {
            button.remove();
          }
        }
      } else if (outcome !== "refused") {
        note(card, board.dataset.msgFailed, "text-danger");
      }
      if (card.dataset.keyboard) {
        focusCard(card);
        delete card.dataset.keyboard;
      }
    });

    function needsReason(stageId) {
      var option = stageSelect.querySelector('option[value="' + stageId + '"]');
      return Boolean(option && option.dataset.needsReason);
    }

    function showReason() {
      var needed = needsReason(stageSelect.value);
      reasonGroup.hidden = !needed;
      reason.required = needed;
    }

    function openDialog(card, stageId, dragged) {
      dialogCard = card;
      dialog.dataset.dragged = dragged ? "1" : "";
      dialogTitle.textContent = card.dataset.title;
      Array.prototype.forEach.call(stageSelect.options, function (option) {
        option.disabled = option.value === card.dataset.stage;
      });
      stageSelect.value = stageId || "";
      stageSelect.disabled = Boolean(dragged);
      reason.value = "";
      reasonError.textContent = "";
      reason.classList.remove("is-invalid");
      showReason();
      dialog.showModal();
      (dragged ? reason : stageSelect).focus();
    }

    function closeDialog(moved) {
      var card = dialogCard;
      dialogCard = null;
      if (dialog.open) {
        dialog.close();
      }
      if (card && !moved) {
        // Cancelled: a dragged card goes back to its column.
        putBack(card);
        focusCard(card);
      }
    }

    stageSelect.addEventListener("change", showReason);
    reason.addEventListener("input", function () {
      reasonError.textContent = "";
      reason.classList.remove("is-invalid");
    });

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var card = dialogCard;
      var stageId = stageSelect.value;
      if (!card || !stageId) {
        stageSelect.focus();
        return;
      }
      if (needsReason(stageId) && !reason.value.trim()) {
        reasonError.textContent = board.dataset.msgReason;
        reason.classList.add("is-invalid");
        reason.focus();
        return;
      }
      var target = listFor(stageId);
      remember(card);
      if (card.parentNode !== target) {
        target.insertBefore(card, target.firstElementChild);
      }
      if (!dialog.dataset.dragged) {
        card.dataset.keyboard = "1";
      }
      closeDialog(true);
      send(card, stageId, reason.value.trim());
    });

    dialog.querySelector("[data-cancel]").addEventListener("click", function () {
      closeDialog(false);
    });
    dialog.addEventListener("cancel", function (event) {
      // Escape: the same as Cancel.
      event.preventDefault();
      closeDialog(false);
    });

    board.addEventListener("click", function (event) {
      var button = event.target.closest(".board-move");
      if (button) {
        openDialog(button.closest(".board-card"), "", false);
      }
      var toggle = event.target.closest(".board-collapse");
      if (toggle) {
        var column = toggle.closest(".board-column");
        collapse(column, !column.classList.contains("board-column-collapsed"));
        saveCollapsed();
      }
    });

    // Collapsible columns, remembered per browser (and so per user) in localStorage.
    function collapse(column, collapsed) {
      column.classList.toggle("board-column-collapsed", collapsed);
      var toggle = column.querySelector(".board-collapse");
      toggle.setAttribute("aria-expanded", collapsed ? "false" : "true");
      toggle.title = collapsed ? board.dataset.msgExpand : board.dataset.msgCollapse;
    }

    function saveCollapsed() {
      var ids = Array.prototype.map.call(
        board.querySelectorAll(".board-column-collapsed"),
        function (column) {
          return column.dataset.stage;
        }
      );
      try {
        window.localStorage.setItem(collapsedKey, JSON.stringify(ids));
      } catch (e) {
        // Storage off (private mode): columns just do not stay collapsed.
      }
    }

    var stored = [];
    try {
      stored = JSON.parse(window.localStorage.getItem(collapsedKey) || "[]");
    } catch (e) {
      stored = [];
    }
    Array.prototype.forEach.call(board.querySelectorAll(".board-column"), function (column) {
      collapse(column, stored.indexOf(column.dataset.stage) !== -1);
    });

    // Drag and drop: any card the user may move, to any other column or outcome.
    Array.prototype.forEach.call(board.querySelectorAll(".board-cards"), function (list) {
      new Sortable(list, {
        group: { name: "board", pull: !list.dataset.terminal, put: true },
        sort: false,
        draggable: ".board-card[data-movable]",
        filter: ".board-move, a",
        preventOnFilter: false,
        forceFallback: true,
        fallbackTolerance: 4,
        ghostClass: "board-card-ghost",
        chosenClass: "board-card-chosen",
        scroll: true,
        bubbleScroll: true,
        onEnd: function (event) {
          if (event.from === event.to) {
            return;
          }
          var card = event.item;
          card.boardOrigin = { from: event.from, index: event.oldIndex };
          if (event.to.dataset.needsReason) {
            openDialog(card, event.to.dataset.stage, true);
          } else {
            send(card, event.to.dataset.stage, "");
          }
        },
      });
    });
  });
})();
