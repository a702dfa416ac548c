"""The models' optional ``created`` time: loaded from YAML and JSON models files (naive means
UTC, a bad value is one line naming the file, model and field), written by ExperimentLog."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from backend.experiment.loader import ConfigError, load_experiment
from backend.experiment.times import from_epoch_ms, iso_utc, parse_created
from backend.experiment.tracking import ExperimentLog

WHEN = datetime(2024, 12, 7, 14, 5, 30, tzinfo=UTC)


def test_yaml_models_file_times_naive_means_utc_offsets_converted(tmp_path: Path):
    (tmp_path / "experiments.yaml").write_text("name: t\nmodels: models.yaml\n")
    (tmp_path / "models.yaml").write_text(
        "models:\n"
        "  - {id: a, created: '2024-12-07T14:05:30'}\n"            # naive text: UTC
        "  - {id: b, base: a, created: '2024-12-07T16:05:30+02:00'}\n"
        "  - {id: c, base: a, created: 2024-12-07 14:05:30.5}\n"     # unquoted: YAML's own datetime
        "  - {id: d, base: a, created: 2024-12-07}\n"               # a date: midnight UTC
        "  - {id: e, base: a, created: null}\n  - {id: f, base: a}\n")
    forest = load_experiment(tmp_path / "experiments.yaml", cache_dir=tmp_path / "c").forest
    assert forest["a"].created == WHEN and forest["b"].created == WHEN
    assert forest["c"].created == WHEN + timedelta(milliseconds=500)
    assert forest["d"].created == datetime(2024, 12, 7, tzinfo=UTC)
    assert forest["e"].created is None and forest["f"].created is None
    assert all(m.created is None or m.created.tzinfo is not None for m in forest)


def test_reference_json_models_file_takes_created(tmp_path: Path):
    doc = {"models": [{"id": "a", "created": "2024-12-07T14:05:30Z"}, {"id": "b", "base": "a"}]}
    (tmp_path / "tree.json").write_text(json.dumps(doc))
    forest = load_experiment(tmp_path / "tree.json", cache_dir=tmp_path / "c").forest
    assert forest["a"].created == WHEN and forest["b"].created is None


@pytest.mark.parametrize("value", ["yesterday", "'2024-13-01'", "'0001-01-01T00:00+01:00'", "12", "true", "[2024]", "''"])
def test_a_bad_created_is_one_line_naming_file_model_and_field(tmp_path: Path, value: str):
    (tmp_path / "experiments.yaml").write_text(f"name: t\nmodels:\n  - {{id: a}}\n  - {{id: b, base: a, created: {value}}}\n")
    with pytest.raises(ConfigError) as info:
        load_experiment(tmp_path / "experiments.yaml", cache_dir=tmp_path / "c")
    [line] = [p.replace(f"{tmp_path}/", "") for p in info.value.problems]
    assert line.startswith("experiments.yaml: model 'b': created: must be an ISO 8601 time such as "
                           "'2024-12-07T14:05:30Z', got "), line
    assert "\n" not in line


def test_experiment_log_records_when_each_model_was_logged(tmp_path: Path):
    log = ExperimentLog(tmp_path / "models.yaml")
    before = datetime.now(UTC).replace(microsecond=0)
    log.log_model("base")
    after = datetime.now(UTC)
    log.log_model("old", base="base", created=datetime(2024, 12, 7, 15, 5, 30, 999, tzinfo=UTC) + timedelta(hours=-1))
    log.log_model("text", base="base", created="2024-12-07T16:05:30+02:00")
    written = {m["id"]: m["created"] for m in log.doc["models"]}
    assert written["old"] == written["text"] == "2024-12-07T14:05:30Z"  # UTC, ISO 8601, seconds
    forest = load_experiment(log.path).forest
    assert before <= forest["base"].created <= after and forest["base"].created.microsecond == 0
    assert forest["old"].created == WHEN
    again = ExperimentLog(log.path)  # a continued file keeps the times (YAML quotes them as text)
    again.log_model("next", base="old")
    assert load_experiment(log.path).forest["old"].created == WHEN
    with pytest.raises(ValueError) as info:
        log.log_model("bad", created="soon")
    assert str(info.value) == f"{log.path}: model 'bad': created: must be an ISO 8601 time or a datetime, got 'soon'"


def test_time_helpers():
    assert iso_utc(datetime(2024, 12, 7, 14, 5, 30, 700_000)) == "2024-12-07T14:05:30Z"  # naive: UTC
    assert parse_created("2024-12-07T14:05:30Z") == WHEN and parse_created("nope") is None
    assert parse_created(1733580330) is None and parse_created(True) is None
    assert parse_created("0001-01-01T00:00:00+01:00") is None  # before the first representable time
    assert from_epoch_ms(WHEN.timestamp() * 1000) == "2024-12-07T14:05:30Z" and from_epoch_ms(None) is None
