/* Review flags on the Model Map: each flagged node gets the classes `flagged` and
 * `flag-<status>` (the map's stylesheet draws them as a coloured ring). Classes on the live
 * Cytoscape instance, not element data, so a flag changes no element and costs no redraw; they
 * are applied again when the map's elements are replaced. */
(function () {
  "use strict";

  function cyOf(id) {
    const el = document.getElementById(id);
    return el && el._cyreg ? el._cyreg.cy : null;
  }

  function slug(status) {
    return "flag-" + (String(status).toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "") || "other");
  }

  /* Only nodes whose flag changes are touched (each touched node is restyled, and the map is
   * redrawn): at load the layout's elements already carry their flags
   * (components/overview/model_map.with_view_classes). */
  function paint(cy, flags) {
    const want = {};
    Object.entries(flags || {}).forEach(([id, status]) => { want[id] = slug(status); });
    cy.batch(() => {
      cy.nodes(".flagged").forEach((n) => {
        if (want[n.id()] && n.hasClass(want[n.id()])) {
          delete want[n.id()];
          return;
        }
        n.classes(n.classes().filter((c) => c !== "flagged" && !c.startsWith("flag-")));
      });
      Object.entries(want).forEach(([id, cls]) => {
        const node = cy.getElementById(id);
        if (node && node.length) node.addClass(["flagged", cls]);
      });
    });
  }

  window.dash_clientside = Object.assign({}, window.dash_clientside, {
    ccNotes: {
      flagMap: function (flags, _elements, mapId) {
        // next frame: after dash-cytoscape applied new elements; at page load the Cytoscape
        // instance may not exist yet, so look again for a bounded number of frames
        const attempt = (frames) => {
          const cy = cyOf(mapId);
          if (cy && cy.nodes().length) paint(cy, flags);
          else if (frames < 240) requestAnimationFrame(() => attempt(frames + 1));
        };
        requestAnimationFrame(() => attempt(0));
        return window.dash_clientside.no_update;
      },
      // Behaviors: after a note was saved, the infinite grid asks again for the pages it holds
      // (same sort and position), so the instance's badge shows where it is
      refreshGrid: function (saved) {
        const api = saved && saved.grid && window.dash_ag_grid && window.dash_ag_grid.getApi(saved.grid);
        if (api) api.refreshInfiniteCache();
        return window.dash_clientside.no_update;
      },
    },
  });
})();
