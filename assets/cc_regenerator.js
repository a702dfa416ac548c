/* The global `regeneratorRuntime` that Dash's lazy loader needs, without Dash's 100 KB core-js
 * polyfill (server/scripts.py leaves that out: every browser Dash 4 supports has what it adds,
 * and evaluating it took ~0.13 s of main thread on every first paint).
 *
 * dash-renderer's and dcc's `asyncDecorator` are async functions compiled by Babel into
 * regenerator state machines: `regeneratorRuntime.mark(outer)` and
 * `regeneratorRuntime.wrap(inner, outer, self, tryLocs)`, driven by `next` / `throw`. This is
 * that protocol for state machines without try blocks, which is all Dash's bundles compile to
 * (tests/unit/test_scripts.py checks every bundle the app serves); a try block throws at once
 * rather than run wrong. */
(function () {
  "use strict";
  if (window.regeneratorRuntime) return;
  const CONTINUE = {};

  function wrap(inner, outer, self, tryLocs) {
    if (tryLocs && tryLocs.length) {
      throw new Error("cc_regenerator.js: a generator with try blocks needs the full regenerator runtime");
    }
    let running = false;
    const context = {
      prev: 0, next: 0, sent: undefined, done: false, rval: undefined,
      stop: function () { this.done = true; return this.rval; },
      abrupt: function (type, arg) {
        if (type === "throw") throw arg;
        if (type === "return") { this.rval = arg; this.next = "end"; }
        else if (type === "break" || type === "continue") this.next = arg;
        return CONTINUE;
      },
    };
    function step(arg) {
      if (running) throw new TypeError("Generator is already running");
      if (context.done) return { value: undefined, done: true };
      context.sent = arg;
      running = true;
      try {
        for (;;) {
          const value = inner.call(self, context);
          if (value === CONTINUE) continue;
          return { value: value, done: context.done };
        }
      } catch (error) {
        context.done = true;
        throw error;
      } finally {
        running = false;
      }
    }
    return {
      next: step,
      throw: function (error) { context.done = true; throw error; },
      return: function (value) { context.done = true; return { value: value, done: true }; },
    };
  }

  window.regeneratorRuntime = { mark: function (fn) { return fn; }, wrap: wrap };
})();
