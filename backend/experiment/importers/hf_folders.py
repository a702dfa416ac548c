"""Hugging Face folders importer: one ``save_pretrained`` folder per model, linked by model cards.

Why: a language-model compression workflow leaves a folder per model (``save_pretrained``) whose
``README.md`` model card already says what it came from: ``base_model`` (the parent),
``base_model_relation`` (``quantized``, ``finetune``, ``adapter``, ``merge``) and the standard
``model-index`` results (the metrics). Pointing the config at the folder that holds them is
all it takes, and each subfolder is the model's checkpoint, so ``backend.inference.hf``'s
inspectors load it with no Python.

A card's front matter is parsed with the project's bounded YAML loader (never PyYAML's full
loader). ``base_model`` matches another subfolder's name, else a card's ``model_name``,
``model_id`` or ``model-index`` name, else (for a Hub id ``org/name``) the part after the
slash; a base that matches nothing makes the model a root, with a warning naming the folder.
An optional ``compression:`` mapping in the card gives the operation's parameters.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from backend.experiment.importers import (
    Imported,
    ModelSource,
    declare_operations,
    finite_or_none,
    select_metrics,
    stat_stamp,
)
from backend.experiment.messages import describe, name
from backend.experiment.safe_yaml import MAX_FILE_BYTES, DocumentError, _load_yaml_text
from backend.experiment.schema import HuggingFaceImport, MetricSpec

CARD = "README.md"
RELATIONS = ("quantized", "finetune", "adapter", "merge")
MODEL_FILES = ("config.json", "adapter_config.json")  # a folder without a card is a model if it has one
_SCALARS = (str, int, float, bool, type(None))


class _CardProblem(Exception):
    """One problem line about a card; the model stays, as a root without metrics."""


def read_card(path: Path) -> dict[str, Any]:
    """A model card's YAML front matter (between the leading '---' lines) as a mapping; {} for a
    card without one. Line numbers in errors are the file's."""
    try:
        with path.open("rb") as fh:
            data = fh.read(MAX_FILE_BYTES + 1)
        if len(data) > MAX_FILE_BYTES:
            raise _CardProblem(f"{path}: file is over the {MAX_FILE_BYTES // 2**20} MiB limit")
        text = data.decode("utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise _CardProblem(f"{path}: cannot read the model card as UTF-8 text ({exc})") from None
    lines = text.splitlines()
    if not lines or lines[0].strip() != "---":
        return {}
    end = next((i for i in range(1, len(lines)) if lines[i].strip() in ("---", "...")), None)
    if end is None:
        raise _CardProblem(f"{path}: the card's YAML front matter starts with '---' on line 1 but has "
                           "no closing '---'")
    try:  # one blank line first: the YAML's line numbers are the file's
        doc = _load_yaml_text("\n" + "\n".join(lines[1:end]), path)
    except DocumentError as exc:
        raise _CardProblem(str(exc)) from None
    if doc is None:
        return {}
    if not isinstance(doc, dict):
        raise _CardProblem(f"{path}: the card's front matter must be a mapping, got {type(doc).__name__}")
    return doc


def _aliases(folder: str, card: dict[str, Any]) -> set[str]:
    """What another card's base_model may call this model: the folder, model_name, model_id and
    the model-index names."""
    out = {folder}
    for key in ("model_name", "model_id"):
        if isinstance(card.get(key), str) and card[key].strip():
            out.add(card[key].strip())
    index = card.get("model-index")
    if isinstance(index, list):
        out |= {e["name"].strip() for e in index if isinstance(e, dict) and isinstance(e.get("name"), str)}
    return out


def _flat_parameters(raw: Any, where: str, problems: list[str], prefix: str = "") -> dict[str, Any]:
    """The card's ``compression:`` mapping as scalar parameters; nested keys dotted, lists of
    scalars joined with ', '."""
    out: dict[str, Any] = {}
    for key, value in raw.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(_flat_parameters(value, where, problems, path + "."))
        elif isinstance(value, list) and all(isinstance(v, _SCALARS) for v in value):
            out[path] = ", ".join(str(v) for v in value)
        elif isinstance(value, _SCALARS):
            out[path] = value
        else:
            problems.append(f"{where}: compression.{name(path)}: must be a scalar (number, string, "
                            f"true/false or null), got {describe(value)}")
    return out


def _number(value: Any) -> float | None:
    """A metric value as a finite float ('87.0' too), else None (NaN, true, 'high')."""
    if isinstance(value, str):
        try:
            value = float(value.strip())
        except ValueError:
            return None
    return finite_or_none(value)


def _metrics(card: dict[str, Any], card_path: Path, out: Imported) -> dict[str, float | None]:
    """The card's model-index results: ``{name or type: value}``; a name met twice in one card
    gets its dataset's name appended."""
    index = card.get("model-index")
    if index is None:
        return {}
    values: dict[str, float | None] = {}
    if not isinstance(index, list):
        out.problems.append(f"{card_path}: model-index: must be a list of {{name, results}}, got "
                            f"{describe(index)}")
        return values
    for i, entry in enumerate(index):
        results = entry.get("results", []) if isinstance(entry, dict) else None
        if not isinstance(results, list):
            out.problems.append(f"{card_path}: model-index[{i}].results: must be a list of "
                                f"{{task, dataset, metrics}}, got "
                                f"{describe(entry.get('results') if isinstance(entry, dict) else entry)}")
            continue
        for j, result in enumerate(results):
            metrics = result.get("metrics", []) if isinstance(result, dict) else None
            if not isinstance(metrics, list):
                out.problems.append(f"{card_path}: model-index[{i}].results[{j}].metrics: must be a list of "
                                    f"{{type, value, name}}, got {describe(metrics)}")
                continue
            dataset = result.get("dataset") if isinstance(result.get("dataset"), dict) else {}
            for k, metric in enumerate(metrics):
                at = f"{card_path}: model-index[{i}].results[{j}].metrics[{k}]"
                if not isinstance(metric, dict):
                    out.problems.append(f"{at}: must be a mapping {{type, value, name}}, got "
                                        f"{describe(metric)}")
                    continue
                label = metric.get("name") or metric.get("type")
                if not isinstance(label, str) or not label.strip():
                    out.warnings.append(f"{at}: has neither a name nor a type; left out")
                    continue
                label = label.strip()
                if label in values:
                    data = dataset.get("name") or dataset.get("type")
                    label = f"{label} ({data})" if isinstance(data, str) and data else label
                if label in values:
                    out.warnings.append(f"{at}: '{name(label)}' is given twice in this card; the first "
                                        "is kept")
                    continue
                value = _number(metric.get("value"))
                if value is None:
                    out.warnings.append(f"{at}.value: {describe(metric.get('value'))} is not a number; "
                                        "left out")
                    continue
                values[label] = value
    return values


def _folders(root: Path) -> list[Path]:
    """The model folders: subfolders (not hidden) with a model card or a model's config file."""
    return sorted(p for p in root.iterdir() if os.path.isdir(p) and not p.name.startswith(".")
                  and any(os.path.isfile(p / f) for f in (CARD, *MODEL_FILES)))


def _probe(root: Path) -> tuple | None:
    """The times and sizes of the folder, each model folder, its card and config: a new folder
    or an edited card changes it."""
    top = stat_stamp(root)
    if top is None:
        return None
    try:
        children = sorted(p for p in root.iterdir() if os.path.isdir(p))
    except OSError:
        return None
    return (top, tuple((p.name, stat_stamp(p), stat_stamp(p / CARD), stat_stamp(p / MODEL_FILES[0]))
                       for p in children))


def _operation(card: dict[str, Any], folder: Path, has_base: bool, card_path: Path,
               out: Imported) -> dict[str, Any] | None:
    """The card's relation (or the Hub's inference when only base_model is given) and its
    ``compression:`` parameters."""
    relation = card.get("base_model_relation")
    if relation is not None and (not isinstance(relation, str) or not relation.strip()):
        out.problems.append(f"{card_path}: base_model_relation: must be one of {', '.join(RELATIONS)}, got "
                            f"{describe(relation)}")
        relation = None
    elif isinstance(relation, str):
        relation = relation.strip()
        if relation not in RELATIONS:
            out.warnings.append(f"{card_path}: base_model_relation: '{name(relation)}' is not one of "
                                f"{', '.join(RELATIONS)}; used as the operation's name")
    elif has_base:
        base = card.get("base_model")
        relation = ("adapter" if os.path.isfile(folder / "adapter_config.json") else
                    "merge" if isinstance(base, list) and len(base) > 1 else
                    "quantized" if os.path.isfile(folder / "cc_quantization.json") else "finetune")
    compression = card.get("compression")
    parameters: dict[str, Any] = {}
    if compression is not None:
        if not isinstance(compression, dict):
            out.problems.append(f"{card_path}: compression: must be a mapping of parameters, got "
                                f"{describe(compression)}")
        else:
            parameters = _flat_parameters(compression, str(card_path), out.problems)
    if relation is None:
        if parameters:
            out.warnings.append(f"{card_path}: compression: ignored on a card with neither base_model nor "
                                "base_model_relation")
        return None
    return {"name": relation, "parameters": parameters}


def import_hf_folders(spec: HuggingFaceImport, config_path: Path, metrics: list[MetricSpec],
                      operations: set[str]) -> Imported:
    """The models document of a folder of ``save_pretrained`` folders (see the module's docstring)."""
    where = f"{config_path}: models.huggingface"
    out = Imported()
    root = Path(spec.folder)
    try:
        root = root.expanduser()
    except RuntimeError:  # '~nobody/...': no such home; taken as written
        pass
    root = root if root.is_absolute() else config_path.parent / root
    if not os.path.isdir(root):  # os.path: False, not an OSError, for a name the system refuses
        what = "is not a folder" if os.path.exists(root) else "folder not found"
        out.problems.append(f"{where}.folder: {what}: {name(root, 1000)}")
        return out
    out.source = ModelSource(config_path, lambda: _probe(root))
    out.stamp = out.source.fresh_stamp()  # before reading: a folder added meanwhile re-reads
    try:
        folders = _folders(root)
    except OSError as exc:
        out.problems.append(f"{where}.folder: cannot list {name(root, 1000)} ({exc.strerror or exc})")
        return out
    cards: dict[str, dict[str, Any]] = {}
    for folder in folders:
        card_path = folder / CARD
        if not os.path.isfile(card_path):
            out.warnings.append(f"{where}: folder '{name(folder.name)}' has no {CARD} model card; shown as "
                                "a root without metrics")
            cards[folder.name] = {}
            continue
        try:
            cards[folder.name] = read_card(card_path)
        except _CardProblem as exc:
            out.problems.append(str(exc))
            cards[folder.name] = {}
    owners: dict[str, set[str]] = {}
    for folder_name, card in cards.items():
        for alias in _aliases(folder_name, card):
            owners.setdefault(alias, set()).add(folder_name)
    declared = {m.name: m for m in metrics}
    entries = []
    for folder in folders:
        card = cards[folder.name]
        card_path = folder / CARD
        base = _base(card, folder.name, cards, owners, root, card_path, where, out)
        # absolute: the loader joins a relative checkpoint to the config's folder once more
        entry: dict[str, Any] = {"id": folder.name, "base": base, "checkpoint": str(folder.absolute()),
                                 "metrics": select_metrics(_metrics(card, card_path, out), declared)}
        title = next((a for a in (card.get("model_name"), _index_name(card))
                      if isinstance(a, str) and a.strip() and a.strip() != folder.name), None)
        if title:
            entry["tag"] = title.strip()
        operation = _operation(card, folder, card.get("base_model") is not None, card_path, out)
        if operation is not None:
            entry["operation"] = operation
        entries.append(entry)
    return Imported({"name": root.name, "operations": declare_operations(entries, operations), "metrics": [],
                     "models": entries}, out.problems, out.warnings, out.stamp, out.source)


def _index_name(card: dict[str, Any]) -> Any:
    index = card.get("model-index")
    return index[0].get("name") if isinstance(index, list) and index and isinstance(index[0], dict) else None


def _base(card: dict[str, Any], own: str, folders: dict[str, Any], owners: dict[str, set[str]], root: Path,
          card_path: Path, where: str, out: Imported) -> str | None:
    """The folder that ``base_model`` names (the first of a list that matches), or None."""
    raw = card.get("base_model")
    if raw is None:
        return None
    refs = raw if isinstance(raw, list) else [raw]
    if not refs or not all(isinstance(r, str) and r.strip() for r in refs):
        out.problems.append(f"{card_path}: base_model: must be a model name or a list of them, got "
                            f"{describe(raw)}")
        return None
    ambiguous: list[str] = []
    for ref in (r.strip() for r in refs):
        for key in dict.fromkeys((ref, ref.rsplit("/", 1)[-1])):
            if key != own and key in folders:
                return key  # a folder's own name wins over any card's alias
            found = owners.get(key, set()) - {own}
            if len(found) == 1:
                return found.pop()
            if found:
                ambiguous.append(f"'{name(key)}' is the name of {', '.join(sorted(found))}")
    why = f"; {'; '.join(ambiguous)}" if ambiguous else ""
    shown = ", ".join(f"'{name(r)}'" for r in refs)
    out.warnings.append(f"{where}: folder '{name(own)}': base_model {shown} matches no other folder "
                        f"under {name(root, 300)} (by folder name, model_name or model-index name){why}; "
                        "shown as a root")
    return None
