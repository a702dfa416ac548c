/* Clientside helpers of the overview (and Behaviors' normalizeQuery): hover and selection
 * feedback applied directly to the Cytoscape instance (60–130 ms at 10k nodes, against 1–2 s
 * for a stylesheet swap), and the linked hover between the map and the scatterplot. The
 * Cytoscape instance is only reachable through dash-cytoscape's undocumented `_cyreg`, so every
 * access goes through cyOf(). */
(function () {
  "use strict";

  function cyOf(id) {
    const el = document.getElementById(id);
    return el && el._cyreg ? el._cyreg.cy : null;
  }

  function sameSet(a, b) {
    if (a.length !== b.length) return false;
    const s = new Set(a);
    return b.every((x) => s.has(x));
  }

  /* Height of what sits over the bottom of the map (the legend, the expansion buttons). */
  function bottomOverlays(cy) {
    const pane = cy.container() && cy.container().parentNode;
    let h = 0;
    if (pane) {
      pane.querySelectorAll(".cc-legend, .cc-map-buttons").forEach((el) => {
        if (el.offsetHeight) h = Math.max(h, pane.clientHeight - el.offsetTop);
      });
    }
    return Math.min(h, cy.height() / 4);
  }

  /* Fit the whole forest (every column, every root) between the column-header strip and the
   * legend and buttons, centred, zoom capped at 1.5; past the minimum zoom (huge forests) show
   * its top left corner. The strip is taller for slanted labels (zoom < 0.5), so the fit is
   * solved for each height. */
  function fitForest(cy) {
    const nodes = cy.nodes().filter((n) => !n.hasClass("colhead"));
    if (!nodes.length || cy.width() === 0 || cy.height() === 0) return false;
    const bb = nodes.boundingBox({ includeLabels: false, includeOverlays: false });
    const pad = 16;
    const bottom = bottomOverlays(cy);
    const heads = window.ccMapHeaders;
    const room = (z) => (heads ? heads.reserve(cy, z) : { top: 0, right: 0 });
    const fit = (r) => Math.min((cy.width() - 2 * pad - r.right) / Math.max(bb.w, 1),
                                (cy.height() - r.top - bottom - 2 * pad) / Math.max(bb.h, 1));
    let zoom = fit(room(1));
    if (heads && heads.mode(zoom) !== heads.mode(1)) zoom = fit(room(zoom));
    zoom = Math.max(cy.minZoom(), Math.min(1.5, zoom));
    const r = room(zoom);
    const spareX = cy.width() - 2 * pad - r.right - bb.w * zoom;
    const spareY = cy.height() - r.top - bottom - 2 * pad - bb.h * zoom;
    cy.viewport({
      zoom: zoom,
      pan: { x: pad + Math.max(0, spareX / 2) - bb.x1 * zoom,
             y: r.top + pad + Math.max(0, spareY / 2) - bb.y1 * zoom },
    });
    return true;
  }

  /* Node labels (a model's operation parameters) are drawn only where they are readable: at
   * zoom >= LABEL_ZOOM (the stylesheet's min-zoomed-font-size 11 over font-size 10). Cytoscape
   * still measures every label when it styles a node, about a third of its first-render work
   * for 1,000 nodes, so the stylesheet starts without them (components/overview/model_map.py)
   * and they are added the first time the map is at a readable zoom. The collapsed nodes'
   * badge rule is appended again after them so it still wins. */
  const LABEL_ZOOM = 1.1;
  function labelWhenReadable(cy) {
    if (cy._ccLabels !== undefined) return;
    const add = () => {
      if (cy._ccLabels || cy.zoom() < LABEL_ZOOM) return;
      cy._ccLabels = true;
      cy.off("zoom", add);
      cy.style()
        .selector("node[color]").style({ label: "data(params)" })
        .selector("node.collapsed").style({ label: "data(badge)" })
        .update();
    };
    cy._ccLabels = false;
    cy.on("zoom", add);
    add();
  }

  /* Cytoscape resizes (a full redraw: 50–90 ms at 1,000 models) whenever its container's
   * ResizeObserver, attribute observer or the window's resize event fires, which includes the
   * observer's first report on a map whose size never changed. Keep the redraw for a real
   * change of size (Cytoscape's own test: its canvas no longer matches the container) and
   * otherwise only refresh the container's cached position, which clicks are mapped with. */
  function resizeOnlyWhenSized(cy) {
    const r = cy.renderer && cy.renderer();
    if (cy._ccResize || !r || !r.findContainerClientCoords || !r.getPixelRatio) return;
    const resize = cy.resize;
    cy._ccResize = true;
    cy.resize = function () {
      r.invalidateContainerClientCoordsCache();
      const box = r.findContainerClientCoords();
      const ratio = r.getPixelRatio();
      if (box[2] * ratio === r.canvasWidth && box[3] * ratio === r.canvasHeight) return cy;
      return resize.apply(cy, arguments);
    };
  }

  /* Fit once and put up the header strip, as soon as the instance exists and has a size. No
   * timer: while dash-cytoscape is still creating the instance, the next frame looks again;
   * while its container has no size, a ResizeObserver (which also reports the first size)
   * fits it when it gets one. */
  function ensureFitted(mapId, storeId, frames) {
    const cy = cyOf(mapId);
    if (!cy) {
      if ((frames || 0) < 120) requestAnimationFrame(() => ensureFitted(mapId, storeId, (frames || 0) + 1));
      return;
    }
    resizeOnlyWhenSized(cy);
    if (window.ccMapHeaders) window.ccMapHeaders.install(cy, storeId);
    if (cy._ccFitted) return;
    if (fitForest(cy)) {
      cy._ccFitted = true;
      labelWhenReadable(cy);
      return;
    }
    const box = cy.container();
    if (box && !cy._ccSizeWatch && window.ResizeObserver) {
      cy._ccSizeWatch = new ResizeObserver(() => {
        if (cy._ccFitted || !box.clientWidth || !box.clientHeight) return;
        cy.resize();
        if (fitForest(cy)) {
          cy._ccFitted = true;
          labelWhenReadable(cy);
          cy._ccSizeWatch.disconnect();
        }
      });
      cy._ccSizeWatch.observe(box);
    }
  }

  /* Select exactly these map nodes (nothing changes when they already are). */
  function selectExactly(cy, want) {
    if (sameSet(want, cy.nodes(":selected").map((n) => n.id()))) return;
    cy.batch(() => {
      cy.nodes(":selected").unselect();
      want.forEach((id) => cy.getElementById(id).select());
    });
  }

  /* The map's first frame at its fitted viewport with the page's selection. syncMapSelection
   * (below) fits and selects too, but Dash runs it a few tasks after React mounted the map,
   * after Cytoscape's first frame: the forest was drawn at zoom 1 with nothing selected and at
   * once again (50–90 ms at 1,000 models). A MutationObserver runs right after the task that
   * mounted the map, before its first animation frame; the pane carries the selection the
   * page opened with (components/overview/page.py), and syncMapSelection then finds nothing
   * to do. At a fitted (small) zoom, Cytoscape's first frame would also draw every element into
   * its layered textures before showing anything (~250 ms at 1,000 models): marking that first
   * request as done makes it draw the visible elements now and fill the textures in idle time,
   * as it does on every later frame. */
  const MAP_ID = "overview-map";
  const SELECTION_ID = "overview-selection";
  function fitWhenMounted() {
    if (!window.MutationObserver) return;
    new MutationObserver(() => {
      const cy = cyOf(MAP_ID);
      if (!cy || cy._ccMounted) return;
      cy._ccMounted = true;
      const layers = cy.renderer && cy.renderer().data && cy.renderer().data.lyrTxrCache;
      if (layers && layers.firstGet === true) layers.firstGet = false;
      ensureFitted(MAP_ID, SELECTION_ID);
      const pane = cy.container() && cy.container().closest("[data-selected]");
      let chosen = [];
      try { chosen = JSON.parse(pane ? pane.getAttribute("data-selected") : "[]") || []; } catch (e) { chosen = []; }
      if (cy.nodes(":selected").length === 0) selectExactly(cy, chosen);
    }).observe(document, { childList: true, subtree: true });
  }
  fitWhenMounted();

  function graphDiv(id) {
    const outer = document.getElementById(id);
    return outer ? outer.querySelector(".js-plotly-plot") : null;
  }

  window.dash_clientside = Object.assign({}, window.dash_clientside, {
    cc: {
      /* selection store -> map: select exactly these nodes (no server round trip). */
      syncMapSelection: function (selection, elements, mapId, storeId) {
        ensureFitted(mapId, storeId);
        const cy = cyOf(mapId);
        if (!cy) return window.dash_clientside.no_update;
        selectExactly(cy, selection || []);
        return window.dash_clientside.no_update;
      },
      /* hovered model -> ring on the map node and hover label on the scatter point. */
      showHover: function (hovered, mapId, scatterId) {
        const cy = cyOf(mapId);
        if (cy) {
          cy.batch(() => {
            cy.nodes(".hovered").removeClass("hovered");
            if (hovered) cy.getElementById(hovered).addClass("hovered");
          });
          if (window.ccMapHeaders) window.ccMapHeaders.schedule(cy);  // bold its column's label
        }
        const gd = graphDiv(scatterId);
        if (gd && gd.data && gd.data[0] && window.Plotly) {
          const ids = gd.data[0].customdata || [];
          const i = hovered ? Array.prototype.indexOf.call(ids, hovered) : -1;
          if (i >= 0 && !gd._ccFromScatter) {
            window.Plotly.Fx.hover(gd, [{ curveNumber: 0, pointNumber: i }]);
          } else if (i < 0) {
            window.Plotly.Fx.unhover(gd);
          }
          gd._ccFromScatter = false;
        }
        return window.dash_clientside.no_update;
      },
      /* map selection -> selection store, in the browser: no round trip, so a quick second
       * click can never be overwritten by the answer to the first. Keeps the current order. */
      selectionFromMap: function (nodes, current) {
        const chosen = (nodes || []).map((n) => n.id).filter((id) => !id.startsWith("__"));
        current = current || [];
        if (sameSet(chosen, current)) return window.dash_clientside.no_update;
        const set = new Set(chosen);
        const keep = current.filter((id) => set.has(id));
        const kept = new Set(keep);
        return keep.concat(chosen.filter((id) => !kept.has(id)));
      },
      /* filtered-out models fade and cannot be selected; Pareto-front models are marked. Only
       * elements whose state changes are touched: Cytoscape's toggleClass(c, false) restyles an
       * element that never had the class, and restyling all 2,000 elements of a 1,000-model map
       * on the first paint cost a full extra style pass and redraw. */
      fadeFiltered: function (passing, elements, front, mapId) {
        const cy = cyOf(mapId);
        if (!cy) return window.dash_clientside.no_update;
        const keep = passing ? new Set(passing) : null;
        const onFront = new Set(front || []);
        const set = (ele, cls, on) => { if (ele.hasClass(cls) !== on) ele.toggleClass(cls, on); };
        cy.batch(() => {
          cy.nodes().forEach((n) => {
            if (n.hasClass("colhead")) return;
            const out = keep !== null && !keep.has(n.id());
            set(n, "faded", out);
            set(n, "frontier", onFront.has(n.id()));
            if (out) {
              if (n.selected()) n.unselect();
              if (n.selectable()) n.unselectify();
            } else if (!n.selectable()) {
              n.selectify();
            }
          });
          cy.edges().forEach((e) => {
            set(e, "faded", e.source().hasClass("faded") || e.target().hasClass("faded"));
          });
        });
        return window.dash_clientside.no_update;
      },
      /* After a selection change, drop what Plotly keeps of a box or lasso on the scatterplot:
       * the dashed outline (a click inside it would not reach the point under it, so the click
       * after a box did nothing) and, once nothing is selected, its dimming of the other
       * points. Plotly reports each reset as an empty selection, which the server ignores
       * (actions.is_scatter_selection). Run only after the selection store changed: an earlier
       * reset would supersede the box's own request. */
      clearScatterBox: function (selection, slotId) {
        const gd = graphDiv(slotId);
        if (!gd || !gd._fullLayout || !window.Plotly) return window.dash_clientside.no_update;
        if (gd.layout && gd.layout.selections && gd.layout.selections.length) {
          window.Plotly.relayout(gd, { selections: [] });
        }
        const trace = gd.data && gd.data[0];
        if (!(selection || []).length && trace && trace.selectedpoints) {
          window.Plotly.restyle(gd, { selectedpoints: [null] }, [0]);
        }
        return window.dash_clientside.no_update;
      },
      /* Behaviors, on load: the URL's query as the page writes it (computed into the layout) goes
       * into the address bar only where it differs from what is there, with no round trip. */
      normalizeQuery: function (query) {
        if (typeof query !== "string" || query === window.location.search) {
          return window.dash_clientside.no_update;
        }
        return query;
      },
      /* map node hover -> hovered model id (column headers are not models). */
      hoverFromMap: function (mapNode) {
        return mapNode && mapNode.id && !mapNode.id.startsWith("__") ? mapNode.id : null;
      },
      /* scatter hover -> hovered model id; remember it came from the scatter (no echo). */
      hoverFromScatter: function (scatterHover, scatterSlotId) {
        const gd = graphDiv(scatterSlotId);
        if (gd) gd._ccFromScatter = true;
        const pt = scatterHover && scatterHover.points && scatterHover.points[0];
        return pt && pt.customdata ? pt.customdata : null;
      },
      /* Compare tab: a hovered bar -> its model id (the map rings it, the scatter shows it). */
      hoverFromBars: function () {
        const t = (window.dash_clientside.callback_context.triggered || [])[0];
        if (!t) return window.dash_clientside.no_update;
        const p = t.value && t.value.points && t.value.points[0];
        return p && typeof p.customdata === "string" ? p.customdata : null;
      },
      /* Compare tab: hovering a chip rings every model with that value on the map and hovers
       * their scatter points. One delegated listener on the tab body survives re-renders; the
       * chip's models are read from its data-models attribute. */
      installChipHover: function (_children, hostId, mapId, slotId) {
        const host = document.getElementById(hostId);
        if (!host || host._ccChipHover) return;
        host._ccChipHover = true;
        function show(models) {
          const cy = cyOf(mapId);
          if (cy) {
            cy.batch(() => {
              cy.nodes(".hovered").removeClass("hovered");
              models.forEach((id) => cy.getElementById(id).addClass("hovered"));
            });
          }
          const gd = graphDiv(slotId);
          if (!gd || !gd.data || !gd.data[0] || !window.Plotly) return;
          const cd = Array.from(gd.data[0].customdata || []);
          const pts = models.map((id) => cd.indexOf(id)).filter((i) => i >= 0)
            .map((i) => ({ curveNumber: 0, pointNumber: i }));
          if (pts.length) window.Plotly.Fx.hover(gd, pts); else window.Plotly.Fx.unhover(gd);
        }
        host.addEventListener("mouseover", (e) => {
          const chip = e.target.closest ? e.target.closest(".cc-chip") : null;
          if (!chip || chip === host._ccChip) return;
          host._ccChip = chip;
          try { show(JSON.parse(chip.getAttribute("data-models") || "[]")); } catch (err) { show([]); }
        });
        host.addEventListener("mouseout", (e) => {
          const chip = e.target.closest ? e.target.closest(".cc-chip") : null;
          if (!chip || (e.relatedTarget && chip.contains(e.relatedTarget))) return;
          host._ccChip = null;
          show([]);
        });
      },
    },
  });
})();
