"""Isolation audit: no request writes per-user state into a module-level global.

Every module of backend/, components/ and pages/ is snapshotted (module globals that are mutable
containers, objects' attribute dicts, mutable class attributes, functools caches); then the app
answers real requests (the pages router for many URLs, every server-side callback on each page,
the background jobs run in this process as their job process runs them) and nothing may have
changed except the process-level caches listed in ALLOWED, each with the reason it is safe.
"""

from __future__ import annotations

import collections
import importlib
import json
import pkgutil
import re
import types

import pytest
from werkzeug.local import LocalProxy

from tests.conftest import REPO
from tests.support.bad_experiment import write_experiment
from tests.support.renderer import Renderer, run_job_inline

PACKAGES = ("backend", "components", "pages", "server")
# Process-level caches of results that are the same for every user (keys are what determines
# them, values immutable), so any worker may answer any user from them.
ALLOWED = {
    "server.context._versions": "newest version read of each experiment's models file "
                                    "(shared data: every user sees the same file)",
    "server.context._engine()": "one Engine per (experiment, process): a handle on the shared, "
                                    "on-disk result cache",
    "backend.overview.drawing._layout()": "memo of the map layout, a pure function of the immutable "
                                           "forest and the view's arrangement",
    "backend.overview.compare._records()": "memo of the forest's records, built once per immutable forest",
    "backend.experiment.derived._extend()": "memo of a forest with derived metrics, a pure function of the "
                                            "immutable forest and the definitions (the same for every user)",
    "backend.present.formatting._parse()": "memo of parsed d3-format strings (pure)",
    "backend.behaviors.store._lru": "per-process LRU of immutable derived arrays, keyed by the cache key "
                                   "that determines them (the same answer for every user)",
    "backend.demo.data._digits()": "the demo's fixed dataset, loaded once",
    "backend.layers.service._STATS_CACHE": "per-process LRU of per-pair layer statistics, keyed by the "
                                           "cache keys of both models' tensors (the same for every user)",
    "backend.layers.service._SUMMARY_CACHE": "per-process LRU of layer summaries, keyed by the compared "
                                             "models, base and tensor type (shared data, no user state)",
    "backend.snapshot.plotly_inline.plotly_gzip_base64()": "the installed plotly.js, gzipped once for "
                                                         "snapshots (a constant of the package)",
    "server.annotations._state": "this process's handle on the shared annotations database (its engine, "
                                 "or the last one-line failure); the notes themselves live in the database",
    "backend.behaviors.vectors._threads_state": "reference count around torch's process-wide thread setting "
                                        "(restored by the last reduction); holds no user data",
}
SCALARS = (str, bytes, int, float, complex, bool, type(None), range, re.Pattern, types.EllipsisType)
MUTABLE = (dict, list, set, bytearray, collections.deque)


def _fingerprint(value: object, depth: int = 0) -> object:
    """A comparable picture of a value: contents of containers, identity of other objects."""
    if isinstance(value, SCALARS):
        return value
    if depth > 5:
        return ("deep", id(value))
    if isinstance(value, dict):
        return ("dict", id(value), tuple((repr(k)[:200], _fingerprint(v, depth + 1)) for k, v in value.items()))
    if isinstance(value, list | tuple | collections.deque):
        return (type(value).__name__, id(value), tuple(_fingerprint(v, depth + 1) for v in value))
    if isinstance(value, set | frozenset):
        return ("set", id(value), tuple(sorted(repr(v)[:200] for v in value)))
    if isinstance(value, bytearray):
        return ("bytearray", bytes(value))
    return ("object", type(value).__qualname__, id(value))


def _modules() -> list[types.ModuleType]:
    out = []
    for package in PACKAGES:
        for info in pkgutil.walk_packages([str(REPO / package)], prefix=f"{package}."):
            if package == "pages" and info.name.split(".")[-1] in ("overview", "behaviors", "layers"):
                continue  # page modules: Dash executes them itself (register_page needs the app)
            out.append(importlib.import_module(info.name))
    import sys

    out += [sys.modules[f"pages.{p}"] for p in ("overview", "behaviors", "layers") if f"pages.{p}" in sys.modules]
    return out


def snapshot() -> dict[str, object]:
    """``{'module.name': fingerprint}`` for every piece of module-level state."""
    state: dict[str, object] = {}
    for module in _modules():
        prefix = module.__name__
        names = vars(module)
        state[f"{prefix}.<globals>"] = tuple(sorted(n for n in names if not n.startswith("__")))
        for name, value in list(names.items()):
            if type(value) is LocalProxy:  # flask.current_app and friends: per request by design
                continue
            if name.startswith("__") or isinstance(value, types.ModuleType):
                continue
            key = f"{prefix}.{name}"
            if callable(value) and hasattr(value, "cache_info"):  # functools.lru_cache / cache
                state[f"{key}()"] = value.cache_info().currsize
            elif isinstance(value, type):
                if value.__module__ == prefix:
                    for attr, item in vars(value).items():
                        if isinstance(item, MUTABLE):
                            state[f"{key}.{attr}"] = _fingerprint(item)
            elif isinstance(value, MUTABLE):
                state[key] = _fingerprint(value)
            elif not callable(value) and not isinstance(value, (*SCALARS, tuple, frozenset)) \
                    and hasattr(value, "__dict__"):
                state[key] = _fingerprint(vars(value))
    return state


URLS = [
    "/", "/?sel=a,b", "/?sel=a,b,c&tab=compare&refine=0:50%25", "/?sel=a&tab=filter&filter=acc:0.7:1",
    "/?tab=pareto&pareto=acc,size&budget=size<=4", "/?color=size&size=acc&x=size&y=acc&arrange=step",
    "/?arrange=time&sel=a", "/?sel=ghost&filter=nope:1:2",
    "/?sel=a,b&derived=r:acc%20/%20size&x=r&color=r&filter=r:0:1",
    "/behaviors?models=a,b&base=a", "/behaviors?models=a,b,c&base=b&mode=relative",
    "/layers?models=a,b&base=a", "/nowhere",
]


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """The small experiment's app and a renderer on it (in-process: its globals are ours)."""
    import app as cli

    folder = tmp_path_factory.mktemp("isolation")
    app = cli.create_app(write_experiment(folder), folder / "cache")
    renderer = Renderer.for_flask(app.server)
    renderer.open("/")  # the first request sets the app up (dash's own, once per process)
    return app, renderer


def _exercise(app, renderer: Renderer) -> list[str]:
    """Real requests: every URL, every server callback on each page, every background job."""
    fired = []
    for url in URLS:
        page = renderer.open(url)
        assert page.status == 200, url
        for dep in renderer.dependencies:
            if dep.get("clientside_function") or dep["output"].startswith(".._pages_content"):
                continue
            present = [s for s in dep["inputs"] if renderer._present(page, s["id"])]
            if not present:
                continue
            first = present[0]
            trigger = (json.loads(first["id"]) if first["id"].startswith("{") else first["id"], first["property"])
            body = renderer.payload(page, dep, trigger=trigger)
            fired.append(dep["output"])
            if app.callback_map[dep["output"]].get("background"):  # run here, as its job process would
                run_job_inline(app, body)
            else:
                answer = renderer.start(body)
                assert answer.status in (200, 204), (url, dep["output"], answer.body[-500:])
    return fired


def test_no_request_writes_module_state(served):
    before = snapshot()
    fired = _exercise(*served)
    after = snapshot()
    assert len(set(fired)) >= 20, "the audit exercised too few callbacks to mean anything"
    changed = sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))
    unexpected = [k for k in changed if k not in ALLOWED]
    assert unexpected == [], f"module-level state written during requests: {unexpected}"


def test_audit_catches_a_callback_that_remembers_a_user(served, monkeypatch):
    """The audit is not blind: the URL writer made to remember each user's selection in a module
    list (what a careless callback would do) fails it."""
    import backend.viewstate.codec
    import backend.viewstate.overview as overview_callbacks  # where the URL writer builds its query

    monkeypatch.setattr(backend.viewstate.codec, "_recent_selections", [], raising=False)
    real = overview_callbacks.build_query

    def remembering(params):
        backend.viewstate.codec._recent_selections.append(params.get("sel"))
        return real(params)

    monkeypatch.setattr(overview_callbacks, "build_query", remembering)
    before = snapshot()
    _exercise(*served)
    after = snapshot()
    changed = {k for k in before.keys() | after.keys() if before.get(k) != after.get(k)}
    assert "backend.viewstate.codec._recent_selections" in changed - set(ALLOWED)


def test_allow_list_names_real_state():
    """Every allowed entry exists (a renamed cache must be re-justified, not silently allowed)."""
    known = snapshot()
    stale = [k for k in ALLOWED if k not in known]
    assert stale == [], f"allow-listed but not found: {stale}"


def test_every_app_of_a_process_gets_every_callback(served, tmp_path):
    """Dash hands module-registered callbacks to the first app only; app.create_app shares them,
    so a second app (another experiment, a test) is complete, clientside code included."""
    import app as cli

    first_app, first = served
    second_app = cli.create_app(write_experiment(tmp_path), tmp_path / "cache")
    second = Renderer.for_flask(second_app.server)
    assert sorted(d["output"] for d in second.dependencies) == sorted(d["output"] for d in first.dependencies)
    assert len(first.dependencies) > 20
    assert second_app._inline_scripts == first_app._inline_scripts and first_app._inline_scripts
