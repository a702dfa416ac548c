/* Cell renderers of the Behaviors grid. Every number, colour and label is computed on the
   server (components/behaviors/grid.py); these only draw, and React escapes all text. */
var dagcomponentfuncs = (window.dashAgGridComponentFunctions = window.dashAgGridComponentFunctions || {});

(function () {
  const h = React.createElement;

  function Thumb(props) {
    const [big, setBig] = React.useState(false);
    return h("img", {
      src: props.src, alt: "instance " + props.id, title: big ? "Click to shrink" : "Click to enlarge",
      className: big ? "bh-thumb bh-thumb-big" : "bh-thumb",
      onClick: function (e) { e.stopPropagation(); setBig(!big); },
    });
  }

  dagcomponentfuncs.BhItem = function (props) {
    const d = props.value;
    if (!d) return h("span", { className: "cc-hint" }, "Loading…");
    if (d.kind === "class") {
      return h("div", { className: "bh-item bh-class", title: "Click to list this class's instances" },
        h("b", null, d.name), h("span", { className: "cc-hint" }, " " + d.count.toLocaleString() + " instances"));
    }
    return h("div", { className: "bh-item bh-instance" },
      d.image ? h(Thumb, { src: d.image, id: d.id }) : null,
      h("div", { className: "bh-item-text" },
        d.text !== undefined ? h("div", { className: "bh-text" }, d.text) : null,
        h("code", null, d.id),
        h("div", { className: "cc-hint" }, "Label: " + d.label),
        d.flag ? h("span", { className: d.flagClass, title: "Latest review status of this instance" }, d.flag) : null,
        h("span", { className: "bh-item-links" },
          d.layers ? h("a", { href: d.layers, className: "bh-layers-link", title: "Per-layer activation distance of each model to the base on this input",
                             onClick: function (e) { e.stopPropagation(); } }, "Layers ›") : null,
          d.notes ? h("button", { className: "bh-note-button", title: "Review notes on this instance: read them or flag it",
                                  onClick: function (e) { e.stopPropagation(); props.setData({ instance: d.id, label: d.label }); } },
                      "Note ✎") : null)));
  };

  /* A model column's header text: its name and what its sort does, in the server's words
     (components/behaviors/grid.py sort_labels); the grid still handles the click and cycle. */
  dagcomponentfuncs.BhHeader = function (props) {
    const col = props.column;
    const [sort, setSort] = React.useState(col.getSort() || null);
    React.useEffect(function () {
      const changed = function () { setSort(col.getSort() || null); };
      col.addEventListener("sortChanged", changed);
      return function () { col.removeEventListener("sortChanged", changed); };
    }, [col]);
    const labels = props.sortLabels || {};
    const sortable = !!props.enableSorting;
    return h("span", { className: "bh-head", title: sortable ? props.sortTitle : props.displayName },
      h("span", { className: "bh-head-name" }, props.displayName),
      sortable ? h("span", { className: sort ? "bh-sort bh-sort-on" : "bh-sort" }, labels[sort || "none"] || "") : null);
  };

  dagcomponentfuncs.BhCell = function (props) {
    const c = props.value;
    if (!c) return null;
    let bar = null;
    if (c.frac !== null && c.frac !== undefined) {
      const pct = (c.centered ? 50 : 100) * c.frac;
      const style = { width: pct + "%", background: c.color };
      if (c.centered) {
        if (c.neg) { style.right = "50%"; } else { style.left = "50%"; }
      } else { style.left = "0"; }
      bar = h("div", { className: "bh-bar", title: c.title },
        h("div", { className: "bh-bar-fill", style: style }),
        c.centered ? h("div", { className: "bh-bar-dot" }) : null);
    }
    return h("div", { className: "bh-cell", title: c.title },
      c.pred !== null && c.pred !== undefined ? h("div", { className: "bh-pred" }, c.pred) : null,
      c.text ? h("div", { className: "bh-value" }, c.text) : null,
      h("div", { className: "bh-bar-row" }, bar, c.label ? h("span", { className: "bh-bar-label" }, c.label) : null));
  };
})();
