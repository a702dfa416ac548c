/* Read-only tables built from JSON (components/shared/data_table.py): a host div carries the
 * table in its data-table attribute, and this builds the <table> inside it when the host
 * appears or its JSON changes. Text only: no cell is ever parsed as HTML. One Dash component
 * instead of one per cell (the Compare tab's table for 16 models was 136 of them, 0.15-0.2 s
 * of its first paint). */
(function () {
  "use strict";

  function build(spec) {
    const table = document.createElement("table");
    table.className = spec.className || "";
    const headRow = table.createTHead().insertRow();
    (spec.head || []).forEach((text) => {
      const th = document.createElement("th");
      th.textContent = text;
      headRow.appendChild(th);
    });
    const classes = spec.classes || [];
    const titled = new Set(spec.titled || []);
    const body = table.createTBody();
    (spec.rows || []).forEach((row) => {
      const tr = body.insertRow();
      row.forEach((text, j) => {
        const td = tr.insertCell();
        td.textContent = text;
        if (classes[j]) td.className = classes[j];
        if (titled.has(j)) td.title = text;
      });
    });
    return table;
  }

  function render(host) {
    const json = host.getAttribute("data-table");
    if (json === null || host._ccTable === json) return;
    host._ccTable = json;
    let spec;
    try {
      spec = JSON.parse(json);
    } catch (e) {
      host.textContent = "This table could not be read.";
      return;
    }
    host.replaceChildren(build(spec));
  }

  function scan(node) {
    if (node.nodeType !== 1) return;
    if (node.hasAttribute("data-table")) render(node);
    node.querySelectorAll("[data-table]").forEach(render);
  }

  new MutationObserver((records) => {
    records.forEach((record) => {
      if (record.type === "attributes") render(record.target);
      else record.addedNodes.forEach(scan);
    });
  }).observe(document.documentElement, {
    childList: true, subtree: true, attributes: true, attributeFilter: ["data-table"],
  });
  scan(document.documentElement);
})();
