"""Cross-page links: which models a detail page compares, and the query that carries them.

Why one module: the Overview's toolbar, the top bar, the detail pages' sidebars and every
"open in Behaviors/Layers" link must agree on what a comparison is (at most ``MAX_MODELS``
known ids, the base first) and spell it the same way in the URL, so going from one page to
another never loses the compared models.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from urllib.parse import parse_qsl

from backend.viewstate.codec import (
    build_query,
    decode_ids,
    encode_ids,
    first,
    ignored,
    known_ids,
    unknown_ids,
)

MAX_MODELS = 16  # the reference's MaxModelTableSize: the most models one comparison shows
DETAIL_PAGES = ("behaviors", "layers")  # the pages that take models= and base=
# Query keys that refer to one model's column; they are dropped when that model goes away.
_PER_MODEL_KEYS = ("sort", "brush")


def detail_models(models: str | list[str] | None, base: str | list[str] | None, known: Mapping | set,
                  limit: int = MAX_MODELS) -> tuple[list[str], str | None, list[str]]:
    """A detail page's models (base first, known ids, at most ``limit``), its base, and notices.

    An unknown base falls back to the first model so a stale bookmark still opens a view;
    unknown ids and models past the limit are reported, never silently lost.
    """
    chosen, dropped = known_ids(decode_ids(models), known)
    notices = [unknown_ids(dropped)] if dropped else []
    if len(chosen) > limit:
        notices.append(ignored(f"at most {limit} models are compared; "
                               f"{len(chosen) - limit} more were dropped"))
        chosen = chosen[:limit]
    base = first(base)
    if base not in chosen:
        base = chosen[0] if chosen else None
    if base is not None:
        chosen = [base] + [m for m in chosen if m != base]
    return chosen, base, notices


def detail_query(models: Sequence[str], base: str | None = None, **extra: str | None) -> str:
    """'?models=..&base=..' (base first, at most MAX_MODELS), then any extra keys in order."""
    models = list(dict.fromkeys(models))
    if base is None or base not in models:
        base = models[0] if models else None
    if base is not None:
        models = [base] + [m for m in models if m != base]
    return build_query({"models": encode_ids(models[:MAX_MODELS]), "base": base, **extra})


def overview_query(selection: Sequence[str]) -> str:
    """'?sel=..' for the Overview with these models selected."""
    return build_query({"sel": encode_ids(selection)})


def compared(page: str, query: Mapping[str, str | list[str]], known: Mapping | set,
             default_base: str | None = None) -> tuple[list[str], str | None]:
    """The models and base a page's URL is about (the Overview's selection, a detail page's models).

    ``default_base`` is the Overview's choice of base for its selection (the tree's common
    ancestor, ``backend.overview.collapse.compare_base``); detail pages name theirs.
    """
    if page in DETAIL_PAGES:
        models, base, _ = detail_models(query.get("models"), query.get("base"), known)
        return models, base
    selection, _ = known_ids(decode_ids(query.get("sel")), known)
    base = default_base if default_base in selection else (selection[0] if selection else None)
    return selection[:MAX_MODELS], base


def after_change(search: str | None, models: list[str], base: str | None, removed: str | None = None) -> str:
    """A detail page's query after a base change or a removal: other view keys kept, page reset."""
    params = dict(parse_qsl((search or "").lstrip("?"), keep_blank_values=False))
    params.pop("page", None)
    if removed is not None:
        models = [m for m in models if m != removed]
        for key in _PER_MODEL_KEYS:
            params.pop(key, None)
        if base == removed:
            base = models[0] if models else None
    if base is not None:
        models = [base] + [m for m in models if m != base]
    params["models"] = encode_ids(models)
    params["base"] = base or ""
    ordered = {"models": params.pop("models"), "base": params.pop("base"), **params}
    return build_query(ordered)
