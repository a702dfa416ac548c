/* The Model Map's column headers (spec §1.3, "Column header strip"): an HTML strip over the top
 * of the map that follows Cytoscape's horizontal pan and zoom but never scrolls away vertically,
 * and whose labels keep a readable font size at any zoom (drawn on the canvas they shrank with
 * the map). Below zoom 0.5 they turn −45°, as the reference's do; unlike the reference they stay
 * at −45° below 0.25 too, where a column is still wide enough for one line of slanted text and
 * slanted text reads better than vertical. The strip is as tall as the longest slanted label
 * needs, and the map's fit leaves room for the last label's overhang at the right (see
 * `reserve`), so no label is cut. The labels come from the map's hidden `colhead` nodes, so
 * they always match the current elements. Clicking a label selects every unfaded model of
 * that column (and of the unlabelled sub-columns after it: a busy time bucket's on the
 * timeline); shift-click adds them. */
(function () {
  "use strict";

  const WIDE = 52; // strip height (px) for horizontal labels: three lines
  const LINE = 13; // label line height (px), as in style.css
  const MAX_LEN = 200; // a slanted label longer than this (px) ends in an ellipsis
  const FONT = '600 11px system-ui, -apple-system, "Segoe UI", sans-serif'; // slanted, as style.css
  let measure = null;

  function mode(zoom) {
    return zoom < 0.5 ? "d" : "h";
  }

  const widths = new Map(); // label -> px (render runs every frame while the map pans)

  function textWidth(text) {
    if (!widths.has(text)) {
      measure = measure || document.createElement("canvas").getContext("2d");
      measure.font = FONT;
      widths.set(text, measure.measureText(text).width);
    }
    return widths.get(text);
  }

  /* Room the labels take at a zoom: the strip's height, and how far the last slanted label
   * reaches right of its column (the map's fit keeps both free). */
  function reserve(cy, zoom) {
    if (mode(zoom) === "h") return { top: WIDE, right: 0 };
    let len = 0;
    cy.nodes(".colhead").forEach((n) => { len = Math.max(len, textWidth(String(n.data("label") || ""))); });
    len = Math.min(MAX_LEN, Math.ceil(len) + 4);
    return { top: Math.ceil((len + LINE) * Math.SQRT1_2) + 10, right: Math.ceil(len * Math.SQRT1_2) };
  }

  /* A label's columns: its own, and the unlabelled ones after it (the timeline gives a busy
   * time bucket extra sub-columns and labels only the first). */
  function labelColumns(cy, col) {
    const cols = new Set([col]);
    const heads = cy.nodes(".colhead").sort((a, b) => a.data("column") - b.data("column"));
    heads.forEach((n) => {
      const c = n.data("column");
      if (c === col + cols.size && !String(n.data("label") || "")) cols.add(c);
    });
    return cols;
  }

  function columnModels(cy, col) {
    const cols = labelColumns(cy, col);
    return cy.nodes()
      .filter((n) => !n.hasClass("colhead") && !n.hasClass("faded") && cols.has(n.data("column")))
      .map((n) => n.id());
  }

  function selectColumn(cy, storeId, col, add) {
    const ids = columnModels(cy, col);
    const next = add ? Array.from(new Set(cy.nodes(":selected").map((n) => n.id()).concat(ids))) : ids;
    cy.batch(() => {
      cy.nodes(":selected").unselect();
      next.forEach((id) => cy.getElementById(id).select());
    });
    if (window.dash_clientside && window.dash_clientside.set_props) {
      window.dash_clientside.set_props(storeId, { data: next });
    }
  }

  function render(cy) {
    const strip = cy._ccHeads;
    if (!strip || !strip.isConnected || cy.destroyed()) return;
    const heads = cy.nodes(".colhead").sort((a, b) => a.data("column") - b.data("column"));
    const zoom = cy.zoom();
    const pan = cy.pan();
    const m = mode(zoom);
    const xs = heads.map((n) => pan.x + n.position("x") * zoom);
    const pitch = xs.length > 1 ? xs[1] - xs[0] : 192 * zoom;
    const hovered = new Set(cy.nodes(".hovered").map((n) => n.data("column")));
    while (strip.children.length > heads.length) strip.lastChild.remove();
    while (strip.children.length < heads.length) {
      const el = document.createElement("div");
      el.className = "cc-colhead";
      strip.appendChild(el);
    }
    strip.className = "cc-colheads cc-colheads-" + m;
    strip.style.height = reserve(cy, zoom).top + "px";
    heads.forEach((n, i) => {
      const el = strip.children[i];
      const label = String(n.data("label") || "");
      if (el.textContent !== label) {
        el.textContent = label; // text, never HTML: operation names come from the config
        el.title = label ? label + " (click: select the column; shift-click: add it)" : "";
      }
      el.classList.toggle("cc-colhead-empty", !label); // a time bucket's extra sub-column
      el.dataset.column = String(n.data("column"));
      el.style.left = xs[i] + "px";
      el.classList.toggle("cc-colhead-hovered", hovered.has(n.data("column")));
      el.style.width = m === "h" ? Math.max(40, pitch - 8) + "px" : ""; // horizontal: a column wide
    });
  }

  function schedule(cy) {
    if (cy._ccHeadsQueued) return;
    cy._ccHeadsQueued = true;
    requestAnimationFrame(() => {
      cy._ccHeadsQueued = false;
      render(cy);
    });
  }

  /* Create the strip beside the map's container (not inside it: Cytoscape would take a click on
   * a label for a tap on the background) and follow the viewport and the elements. */
  function install(cy, storeId) {
    if (cy._ccHeads && cy._ccHeads.isConnected) return;
    const host = cy.container() && cy.container().parentNode;
    if (!host) return;
    const strip = document.createElement("div");
    strip.className = "cc-colheads";
    host.appendChild(strip);
    cy._ccHeads = strip;
    strip.addEventListener("click", (e) => {
      const el = e.target.closest ? e.target.closest(".cc-colhead") : null;
      if (el) selectColumn(cy, storeId, Number(el.dataset.column), e.shiftKey);
    });
    cy.on("viewport resize add remove position data", () => schedule(cy));
    render(cy);
  }

  window.ccMapHeaders = { install: install, render: render, schedule: schedule, reserve: reserve, mode: mode };
})();
