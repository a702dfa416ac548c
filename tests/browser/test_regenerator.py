"""``assets/cc_regenerator.js`` drives Babel-compiled async functions the way the real runtime
does: in order, with each awaited value sent back, ``abrupt("return")`` resolving, a rejection
thrown into the machine rejecting the call, and a machine with try blocks refused at once."""

from __future__ import annotations

from tests.conftest import REPO

SHIM = (REPO / "assets" / "cc_regenerator.js").read_text(encoding="utf-8")

# Babel's asyncToGenerator helper and machines in the shape Babel compiles them to
_RUN = """
const done = arguments[arguments.length - 1];
delete window.regeneratorRuntime;
%s
const R = window.regeneratorRuntime;
function step(gen, resolve, reject, next, thr, key, arg) {
  let info, value;
  try { info = gen[key](arg); value = info.value; } catch (e) { reject(e); return; }
  if (info.done) resolve(value); else Promise.resolve(value).then(next, thr);
}
function asyncToGenerator(fn) {
  return function () {
    const self = this, args = arguments;
    return new Promise(function (resolve, reject) {
      const gen = fn.apply(self, args);
      function next(v) { step(gen, resolve, reject, next, thr, "next", v); }
      function thr(e) { step(gen, resolve, reject, next, thr, "throw", e); }
      next(undefined);
    });
  };
}
const log = [];
const sum = asyncToGenerator(R.mark(function outer(a) {
  let x;
  return R.wrap(function (t) {
    for (;;) switch (t.prev = t.next) {
      case 0: log.push("start"); t.next = 2; return Promise.resolve(a + 1);
      case 2: x = t.sent; log.push("got " + x); t.next = 5; return x * 10;
      case 5: if (t.sent > 100) { t.next = 8; break; } return t.abrupt("return", "small " + t.sent);
      case 8: return t.abrupt("return", "big");
      case 9: case "end": return t.stop();
    }
  }, outer);
}));
const failing = asyncToGenerator(R.mark(function outer() {
  return R.wrap(function (t) {
    for (;;) switch (t.prev = t.next) {
      case 0: t.next = 2; return Promise.reject(new Error("boom"));
      case 2: log.push("never"); case "end": return t.stop();
    }
  }, outer);
}));
let refused = "";
try { R.wrap(function () {}, function () {}, null, [[0, 5]]); } catch (e) { refused = e.message; }
Promise.all([sum(1), sum(20), failing().then(() => "resolved", (e) => e.message)])
  .then((out) => done({out: out, log: log, refused: refused}), (e) => done({error: String(e)}));
"""


def test_the_shim_runs_compiled_async_functions(driver):
    driver.get("about:blank")
    result = driver.execute_async_script(_RUN % SHIM)
    assert result.get("error") is None, result
    assert result["out"] == ["small 20", "big", "boom"]
    assert result["log"].count("start") == 2 and "got 2" in result["log"] and "never" not in result["log"]
    assert "try blocks" in result["refused"]
