"""The Layers page's view state <-> its query string (every view is a bookmark).

Keys: ``models`` and ``base`` (the detail pages' pair, ``backend.viewstate.links``), ``tensor``
(sparsity | weights | activations), ``view`` (tree | heatmap; the field is ``display``, since a
"view" is this whole object), ``match`` (the module filter, a regular expression), ``sort``
(``<model>:desc`` or ``:asc``), ``page`` (from 1), ``open`` (expanded modules), ``sel`` (the
selected row), ``module`` (the heatmap's clicked module), ``instance`` (the drill-down's
dataset id). Defaults are left out of the URL. Values that do not parse are dropped, each with
one ``codec.ignored`` notice, never raised.

The same view is kept in the page's ``dcc.Store`` (``to_store``/``from_store``) so every
control changes one object, and :func:`apply_event` / :func:`set_control` are the pure
reducers of what the browser sends.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from backend.layers import TENSORS
from backend.viewstate.codec import build_query, decode_ids, encode_ids, first, ignored, parse_sort, sort_text
from backend.viewstate.links import detail_models

DISPLAYS = ("tree", "heatmap")
NODE_ACTIONS = ("select", "toggle", "expand", "collapse")


@dataclass(frozen=True)
class LayersView:
    """Everything that decides what the Layers page shows, apart from the data."""

    models: tuple[str, ...] = ()  # the base first
    base: str | None = None
    tensor: str = "sparsity"
    display: str = "tree"
    match: str = ""
    sort: tuple[str, str] | None = None  # (compared model, "desc" | "asc")
    page: int = 1
    open: tuple[str, ...] = ()
    sel: str | None = None
    module: str | None = None
    instance: str | None = None

    def with_(self, **changes: Any) -> LayersView:
        """A copy with some fields changed (frozen dataclasses need this spelled out)."""
        return replace(self, **changes)

    def to_query(self) -> str:
        """'?models=..&base=..&…' with only the keys that differ from the defaults."""
        return build_query({
            "models": encode_ids(self.models), "base": self.base,
            "tensor": self.tensor if self.tensor != "sparsity" else None,
            "view": self.display if self.display != "tree" else None,
            "match": self.match, "sort": sort_text(self.sort),
            "page": str(self.page) if self.page > 1 else None,
            "open": encode_ids(self.open), "sel": self.sel, "module": self.module,
            "instance": self.instance,
        })

    def to_store(self) -> dict[str, Any]:
        """JSON for the page's store: the URL's keys and spelling (``view``, ``sort`` as text)."""
        return {
            "models": list(self.models), "base": self.base, "tensor": self.tensor, "view": self.display,
            "match": self.match, "sort": sort_text(self.sort) or "", "page": self.page,
            "open": list(self.open), "sel": self.sel, "module": self.module, "instance": self.instance,
        }

    @classmethod
    def from_store(cls, data: Mapping[str, Any] | None) -> LayersView:
        """Inverse of ``to_store``; anything malformed (a hand-made request) falls back to defaults."""
        data = data if isinstance(data, Mapping) else {}
        models = _texts(data.get("models"))
        tensor, display = data.get("tensor"), data.get("view")
        page = data.get("page")
        return cls(
            models=models, base=_text(data.get("base")),
            tensor=tensor if tensor in TENSORS else "sparsity",
            display=display if display in DISPLAYS else "tree",
            match=data.get("match") if isinstance(data.get("match"), str) else "",
            sort=parse_sort(data.get("sort") if isinstance(data.get("sort"), str) else None, models),
            page=page if isinstance(page, int) and not isinstance(page, bool) and page >= 1 else 1,
            open=_texts(data.get("open")), sel=_text(data.get("sel")), module=_text(data.get("module")),
            instance=_text(data.get("instance")),
        )

    def instance_key(self) -> str | None:
        """What the drill-down panel shows depends on: instance, base and models (None: no panel)."""
        if not self.instance:
            return None
        return f"{self.instance}|{self.base}|{','.join(self.models)}"


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _texts(value: object) -> tuple[str, ...]:
    return tuple(v for v in value if isinstance(v, str)) if isinstance(value, list | tuple) else ()


def _or_list(options: Sequence[str]) -> str:
    return ", ".join(options[:-1]) + " or " + options[-1]


def parse(query: Mapping[str, str | list[str]], forest: Mapping | set) -> tuple[LayersView, list[str]]:
    """The view of a URL's query (as Dash hands it: one string, or a list for a repeated key)
    and one notice per part that had to be ignored."""
    models, base, notices = detail_models(query.get("models"), query.get("base"), forest)
    tensor = first(query.get("tensor")) or "sparsity"
    if tensor not in TENSORS:
        notices.append(ignored(f"tensor '{tensor}' is not {_or_list(TENSORS)}; showing sparsity"))
        tensor = "sparsity"
    display = first(query.get("view")) or "tree"
    if display not in DISPLAYS:
        notices.append(ignored(f"view '{display}' is not {_or_list(DISPLAYS)}; showing the tree"))
        display = "tree"
    sort_value = first(query.get("sort")) or ""
    sort = parse_sort(sort_value, models)
    if sort_value and sort is None:
        notices.append(ignored(f"sort '{sort_value}' is not <compared model>:desc or :asc"))
    page_text = first(query.get("page")) or "1"
    try:
        page = int(page_text)
    except ValueError:
        page = 0
    if page < 1:
        notices.append(ignored(f"page '{page_text}' is not a page number (1 or more)"))
        page = 1
    return LayersView(
        models=tuple(models), base=base, tensor=tensor, display=display,
        match=first(query.get("match")) or "", sort=sort, page=page,
        open=tuple(decode_ids(query.get("open"))), sel=first(query.get("sel")) or None,
        module=first(query.get("module")) or None, instance=first(query.get("instance")) or None,
    ), notices


# --- what the browser sends ---------------------------------------------------------------------
def apply_event(view: LayersView, event: object) -> LayersView:
    """A row click, key press, sort click or page step from ``assets/cc_layers.js``, applied.

    Rows: select, toggle/expand/collapse (only nodes with children open). Sort: none →
    descending → ascending → none, back to page 1. Anything malformed leaves the view as it is.
    """
    if not isinstance(event, dict):
        return view
    action, node = event.get("action"), event.get("node")
    if action in NODE_ACTIONS and isinstance(node, str):
        opened = list(view.open)
        kids = bool(event.get("kids"))
        if kids and (action == "expand" or (action == "toggle" and node not in opened)):
            if node not in opened:
                opened.append(node)
        elif action in ("collapse", "toggle") and node in opened:
            opened.remove(node)
        return view.with_(sel=node, open=tuple(opened))
    model = event.get("model")
    if action == "sort" and isinstance(model, str) and model in view.models:
        current = view.sort
        if current is None or current[0] != model:
            sort = (model, "desc")
        elif current[1] == "desc":
            sort = (model, "asc")
        else:
            sort = None
        return view.with_(sort=sort, page=1)
    if action == "page":
        try:
            return view.with_(page=max(1, view.page + int(event.get("delta") or 0)))
        except (TypeError, ValueError, OverflowError):
            return view
    return view


def set_control(view: LayersView, control: str | None, value: object) -> LayersView:
    """A change of one of the page's controls: ``match`` (back to page 1), ``tensor``,
    ``display`` or ``instance``; an unknown value leaves the view as it is."""
    text = value.strip() if isinstance(value, str) else ""
    if control == "match":
        return view.with_(match=text, page=1)
    if control == "tensor" and value in TENSORS:
        return view.with_(tensor=value)
    if control == "display" and value in DISPLAYS:
        return view.with_(display=value)
    if control == "instance":
        return view.with_(instance=text or None)
    return view


def pick_module(view: LayersView, module: str | None) -> LayersView:
    """A heatmap click: that module's distributions open and its row is selected."""
    return view.with_(module=module, sel=module) if module else view
