"""Hypothesis strategies for the config loader: documents shaped like experiments.yaml and models
files (every field present or not, of the right type or not), and raw bytes and YAML token soups.

A structured case is a :class:`ConfigCase` (the config, maybe a models file it names, the format
each is written in), so a failure shows the documents rather than serialised text.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import yaml
from hypothesis import strategies as st

from tests.fuzz.corpus import IDS, METRICS, NUMBERS
from tests.fuzz.strategies import SHORT_RUN, TEXT, json_values, soup

VALUE = soup(run=SHORT_RUN)
JSON = json_values(VALUE)

FORMATS = ("yaml", "json")
# Paths a config's ``models`` may name: the models file the case writes, and hostile ones.
MODELS_FILES = ["models.yaml", "models.json", "{cache_dir}/models.yaml"]
HOSTILE_PATHS = ["missing.yaml", "", ".", "/", "/dev/null", "/dev/zero", "a" * 300, "a/" * 3000, "a\x00b",
                 "../" * 50, "~/x.yaml", "{cache_dir}", "{cache_dir}/{cache_dir}", "models.yaml/", "*", "\n"]


@dataclass(frozen=True)
class ConfigCase:
    """A config document, the models document it may point at, and how each is written."""

    config: Any
    config_format: str
    models: Any = None
    models_format: str = "yaml"


def text_or_any(values: st.SearchStrategy) -> st.SearchStrategy:
    """Mostly a well-typed value, sometimes any JSON value (what a typo or a wrong type gives)."""
    return st.one_of(values, values, values, JSON)


ID = st.one_of(st.sampled_from(IDS[:10]), st.sampled_from(IDS), TEXT, st.integers(-3, 3), st.floats(),
               st.booleans(), st.none())
NAME = st.one_of(st.sampled_from(METRICS), TEXT, st.sampled_from(["prune", "quantize", "train"]))
NUMBER = st.one_of(st.floats(), st.integers(-(2**70), 2**70), st.sampled_from(NUMBERS), st.none())
OPTIONAL_KEY = st.sampled_from(["nmae", "model", "metric", "cache-dir", "class", "inspectr", "loader", "range",
                                "<<", "", "id "])

OPERATION_REF = st.fixed_dictionaries({"name": text_or_any(NAME)}, optional={
    "parameters": text_or_any(st.dictionaries(TEXT, st.one_of(NUMBER, st.booleans(), TEXT, JSON), max_size=3)),
    "nmae": JSON})
MODEL = st.fixed_dictionaries({"id": ID}, optional={
    "base": ID, "tag": text_or_any(VALUE), "operation": text_or_any(OPERATION_REF),
    "metrics": text_or_any(st.dictionaries(NAME, text_or_any(NUMBER), max_size=4)),
    "checkpoint": text_or_any(st.sampled_from(HOSTILE_PATHS)), "loader": JSON, "metric": JSON})
MODELS = st.lists(st.one_of(MODEL, MODEL, MODEL, JSON), max_size=8)

METRIC_SPEC = st.fixed_dictionaries({"name": text_or_any(NAME)}, optional={
    "primary": text_or_any(st.booleans()), "format": text_or_any(st.sampled_from([".2%", ".3~s", "d", "", "%", "q"])),
    "unit": text_or_any(TEXT), "min": text_or_any(NUMBER), "max": text_or_any(NUMBER),
    "higher_is_better": text_or_any(st.booleans()), "description": JSON, "type": JSON,
    "range": text_or_any(st.fixed_dictionaries({}, optional={"min": NUMBER, "max": NUMBER, "x": JSON}))})
PARAMETER_SPEC = st.fixed_dictionaries({}, optional={
    "format": text_or_any(TEXT), "type": JSON, "min": NUMBER, "max": NUMBER, "options": JSON, "other": JSON})
OPERATION_SPEC = st.fixed_dictionaries({"name": text_or_any(NAME)}, optional={
    "description": JSON, "type": JSON,
    "parameters": st.one_of(st.dictionaries(TEXT, text_or_any(PARAMETER_SPEC), max_size=3),
                            st.lists(st.one_of(TEXT, JSON), max_size=3), JSON)})
INSPECTOR = st.fixed_dictionaries({"module": text_or_any(TEXT), "class": text_or_any(TEXT)}, optional={
    "device": text_or_any(st.sampled_from(["cpu", "cuda", "auto", "tpu"])),
    "batch_size": text_or_any(st.integers()), "activation_sample": text_or_any(st.integers()),
    "activation_seed": text_or_any(st.integers()), "options": JSON, "class_name": JSON})
BACKGROUND = st.fixed_dictionaries({}, optional={
    "manager": text_or_any(st.sampled_from(["diskcache", "celery", "threads"])),
    "broker_url": text_or_any(TEXT), "result_backend": text_or_any(TEXT)})

CONFIG = st.fixed_dictionaries({}, optional={
    "name": text_or_any(VALUE), "description": JSON,
    "models": st.one_of(MODELS, st.sampled_from(MODELS_FILES), st.sampled_from(MODELS_FILES),
                        st.sampled_from(HOSTILE_PATHS), JSON),
    "operations": text_or_any(st.lists(text_or_any(OPERATION_SPEC), max_size=3)),
    "metrics": text_or_any(st.lists(text_or_any(METRIC_SPEC), max_size=4)),
    "inspector": text_or_any(INSPECTOR), "background": text_or_any(BACKGROUND),
    "builder": text_or_any(TEXT), "cache_dir": text_or_any(st.sampled_from(HOSTILE_PATHS)),
    "misspelt": JSON})
MODELS_FILE = st.one_of(st.fixed_dictionaries({"models": text_or_any(MODELS)}, optional={
    "name": JSON, "operations": text_or_any(st.lists(text_or_any(OPERATION_SPEC), max_size=3)),
    "metrics": text_or_any(st.lists(text_or_any(METRIC_SPEC), max_size=4)), "misspelt": JSON}), JSON)


def config_cases() -> st.SearchStrategy[ConfigCase]:
    """A config (sometimes not a mapping at all) and a models file in YAML or JSON."""
    return st.builds(ConfigCase, st.one_of(CONFIG, CONFIG, CONFIG, JSON), st.sampled_from(FORMATS),
                     st.one_of(st.none(), MODELS_FILE), st.sampled_from(FORMATS))


def serialise(doc: Any, fmt: str) -> str:
    """A document as the user would have written it (NaN and infinities as each format spells them)."""
    if fmt == "json":
        return json.dumps(doc)
    return yaml.safe_dump(doc, allow_unicode=True, sort_keys=False)


YAML_TOKENS = [
    "name", "models", "id", "base", "metrics", "operation", "parameters", "name: x\n", "models:\n", "- id: a\n",
    "- ", ": ", "\n", "  ", "    ", "&a ", "*a", "&b ", "*b", "<<: ", "<<: *a\n", "!!str ", "!!int ", "!!float ",
    "!!bool ", "!!null ", "!!timestamp ", "!!binary ", "!!set ", "!!omap ", "!!pairs ", "!!map ", "!!seq ",
    "!!python/object/apply:os.system ", "!!python/name:os.system ", "!local ", "!<tag:x> ", "{", "}", "[", "]",
    ",", "? ", "'", '"', "|", ">", "|-", "#", "---\n", "...\n", "%YAML 1.1\n", "%TAG ! tag:x,2000:\n",
    "2020-13-45", "2001-02-30 25:61:61", "2020-01-01", "0x1G", "0x", "0o9", "0b2", "1_0", "1e999", ".nan", ".inf",
    "-.inf", "~", "null", "yes", "no", "on", "0:1:2", "190:20:30", "\t", "\x00", "\ufeff", "\x85", "\u2028", "é",
    "\\x", "\\u12", "\\ud800", '"\\ud800"', "9" * 5000, "1." + "0" * 5000, "=", "@", "`",
]
YAML_SOUP = st.lists(st.one_of(st.sampled_from(YAML_TOKENS), TEXT, SHORT_RUN), max_size=30).map("".join)


@st.composite
def mutated_documents(draw) -> str:
    """A valid-looking document with a few characters inserted, deleted or replaced."""
    case = draw(config_cases())
    text = serialise(case.config, case.config_format)
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(text)))
        cut = draw(st.integers(0, 3))
        text = text[:at] + draw(st.one_of(st.sampled_from(YAML_TOKENS), TEXT)) + text[at + cut:]
    return text


@dataclass(frozen=True)
class RawCase:
    """Bytes written as a config file with this suffix."""

    data: bytes
    suffix: str


def raw_cases() -> st.SearchStrategy[RawCase]:
    """Random bytes, invalid UTF-8, YAML token soups and mutated documents, as .yaml/.yml/.json."""
    texts = st.one_of(YAML_SOUP, YAML_SOUP, mutated_documents(), mutated_documents(),
                      st.text(alphabet=st.characters(exclude_categories=()), max_size=200))
    data = st.one_of(texts.map(lambda t: t.encode("utf-8", "surrogatepass")), st.binary(max_size=400))
    return st.builds(RawCase, data, st.sampled_from([".yaml", ".yml", ".json", ".YAML", ".txt", ""]))
