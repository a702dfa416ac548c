/* Layers page: one delegated listener for the tree's rows, sort buttons and pager, and the
 * keyboard (Enter selects, Space toggles, ← collapses, → expands, ↓/↑ move the selection).
 * Events go to the server through the "layers-event" store (dash_clientside.set_props), so the
 * server can re-render the table freely; the selection is shown at once, before the reply. */
(function () {
  "use strict";
  var STORE = "layers-event";
  var TREE = "#layers-tree";

  function send(data) {
    if (!(window.dash_clientside && window.dash_clientside.set_props)) return;
    data.t = Date.now();
    window.dash_clientside.set_props(STORE, { data: data });
  }

  function rowOf(el) {
    var row = el && el.closest ? el.closest(".cc-ly-row") : null;
    return row && row.closest(TREE) ? row : null;
  }

  function info(row) {
    return { node: row.getAttribute("data-node"), kids: row.getAttribute("data-kids") === "1",
             open: row.getAttribute("data-open") === "1" };
  }

  function select(row) {
    document.querySelectorAll(TREE + " .cc-ly-selected").forEach(function (r) {
      if (r !== row) r.classList.remove("cc-ly-selected");
    });
    row.classList.add("cc-ly-selected");
  }

  document.addEventListener("click", function (evt) {
    var target = evt.target;
    if (!target || !target.closest) return;
    var sort = target.closest(TREE + " [data-sort]");
    if (sort) {
      evt.preventDefault();
      evt.stopPropagation();
      send({ action: "sort", model: sort.getAttribute("data-sort") });
      return;
    }
    var step = target.closest(".cc-ly-pager [data-page]");
    if (step) {
      if (!step.disabled) send({ action: "page", delta: parseInt(step.getAttribute("data-page"), 10) });
      return;
    }
    var row = rowOf(target);
    if (row) {
      var i = info(row);
      select(row);
      row.focus({ preventScroll: true });
      send({ action: "toggle", node: i.node, kids: i.kids });
    }
  });

  document.addEventListener("keydown", function (evt) {
    var row = rowOf(document.activeElement);
    if (!row) return;
    var i = info(row);
    if (evt.key === "ArrowDown" || evt.key === "ArrowUp") {
      evt.preventDefault();
      var all = Array.prototype.slice.call(document.querySelectorAll(TREE + " .cc-ly-row"));
      var next = all[all.indexOf(row) + (evt.key === "ArrowDown" ? 1 : -1)];
      if (next) {
        select(next);
        next.focus();
        send({ action: "select", node: next.getAttribute("data-node") });
      }
    } else if (evt.key === "Enter") {
      evt.preventDefault();
      select(row);
      send({ action: "select", node: i.node });
    } else if (evt.key === " ") {
      evt.preventDefault();
      select(row);
      send({ action: "toggle", node: i.node, kids: i.kids });
    } else if (evt.key === "ArrowRight") {
      evt.preventDefault();
      if (i.kids && !i.open) send({ action: "expand", node: i.node, kids: true });
    } else if (evt.key === "ArrowLeft") {
      evt.preventDefault();
      if (i.kids && i.open) send({ action: "collapse", node: i.node, kids: true });
    }
  });

  /* Hover text of a histogram column, written on first hover from its data attributes:
   * "p% between a and b", then each change bin's share (stacked model columns only). */
  var CHANGES = ["< 20%", "20–40%", "40–60%", "60–80%", "80–100%", "≥ 100%", "not comparable"];
  function fmt(x) { return Number(x.toPrecision(3)).toString(); }
  function pct(x) { return (x * 100).toFixed(1) + "%"; }
  document.addEventListener("mouseover", function (evt) {
    var col = evt.target && evt.target.closest ? evt.target.closest(".cc-ly-col") : null;
    if (!col || col.title) return;
    var hist = col.parentElement;
    var counts = (col.getAttribute("data-c") || "").split(",").map(Number);
    var i = Number(col.getAttribute("data-i"));
    var off = Number(hist.getAttribute("data-off")), step = Number(hist.getAttribute("data-step"));
    var total = Number(hist.getAttribute("data-n"));
    var sum = counts.reduce(function (a, b) { return a + b; }, 0);
    var lines = [pct(sum / total) + " between " + fmt((off + i) * step) + " and " + fmt((off + i + 1) * step)];
    if (!col.classList.contains("cc-ly-col-base")) {
      counts.forEach(function (c, k) { if (c) lines.push("change " + CHANGES[k] + ": " + pct(c / sum)); });
    }
    col.title = lines.join("\n");
  });

  /* After a re-render, keep the keyboard focus on the selected row if the tree had it. */
  var treeFocused = false;
  document.addEventListener("focusin", function (evt) { treeFocused = !!rowOf(evt.target); });
  document.addEventListener("mousedown", function (evt) { treeFocused = !!rowOf(evt.target); });
  new MutationObserver(function () {
    if (!treeFocused) return;
    var selected = document.querySelector(TREE + " .cc-ly-selected");
    if (selected && document.activeElement !== selected) selected.focus({ preventScroll: true });
  }).observe(document.documentElement, { childList: true, subtree: true });
})();
