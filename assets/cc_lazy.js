/* Component libraries the page did not load (server/lazy_bundles.py turns their <script> into a
 * placeholder: AG Grid on the Overview and Layers, Cytoscape on the detail pages). Each such
 * library's namespace becomes a stand-in, so Dash's renderer finds its components; a stand-in
 * component loads the real bundle the first time it renders, then renders the real component
 * inside itself (always the same element type, so React never remounts it). The bundle's own
 * `window.<namespace> = ...` is caught by a setter and kept as the real library. */
(function () {
  "use strict";
  // statics Dash's renderer reads off a component (copied once the real one is there)
  var STATICS = ["dashRenderType", "dashChildrenUpdate", "dashPersistence", "persistenceTransforms"];

  function standIn(tag) {
    var ns = tag.getAttribute("data-namespace");
    var src = tag.getAttribute("data-src");
    var names = (tag.getAttribute("data-components") || "").split(",").filter(Boolean);
    var real = null;
    var loading = null;

    function load() {
      if (!loading) {
        loading = new Promise(function (resolve, reject) {
          var script = document.createElement("script");
          script.src = src;
          script.onload = function () { resolve(real); };
          script.onerror = reject;
          document.head.appendChild(script);
        });
      }
      return loading;
    }

    var components = {};
    names.forEach(function (name) {
      function Lazy(props) {
        var state = React.useState(function () { return real ? real[name] : null; });
        var Real = state[0];
        var setReal = state[1];
        React.useEffect(function () {
          if (!Real) {
            load().then(function (lib) {
              setReal(function () { return lib[name]; });
            });
          }
        }, []);
        return Real ? React.createElement(Real, props) : null;
      }
      Lazy.displayName = "Lazy(" + ns + "." + name + ")";
      // Dash waits for this before running callbacks that involve the component
      Object.defineProperty(Lazy, "_dashprivate_isLazyComponentReady", {
        get: function () {
          if (!real) return load().then(function () { return true; });
          return real[name]._dashprivate_isLazyComponentReady || true;
        },
      });
      components[name] = Lazy;
    });

    function adopt(lib) {
      real = lib;
      names.forEach(function (name) {
        STATICS.forEach(function (key) {
          if (lib[name] && key in lib[name]) components[name][key] = lib[name][key];
        });
      });
    }

    var face = new Proxy(components, {
      get: function (target, key) {
        if (key in target) return target[key];
        return real ? real[key] : undefined;
      },
    });
    Object.defineProperty(window, ns, {
      configurable: true,
      get: function () { return face; },
      set: adopt,
    });
  }

  document.querySelectorAll('script[type="cc/lazy"]').forEach(standIn);
})();
