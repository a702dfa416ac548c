"""``python app.py --snapshot URL -o FILE`` on a tiny real experiment with hostile model ids."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from backend.viewstate.links import detail_query
from backend.viewstate.overview import OverviewView
from server.cli import main
from tests.support.bad_experiment import write_experiment

HOSTILE = '<script>alert("a")</script>'
IDS = {"a": HOSTILE, "b": "b&<img src=x onerror=alert(1)>"}
NOTE = "<script>alert(1)</script> drops 3 points on class 7"


@pytest.fixture(scope="module")
def config(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("snap")
    return write_experiment(folder, ids=IDS, name=f"tiny {HOSTILE}")


def _run(config: Path, url: str, out: Path, capsys) -> tuple[int, str]:
    code = main(["--config", str(config), "--cache-dir", str(config.parent / "cache"), "--snapshot", url,
                 "-o", str(out)])
    return code, capsys.readouterr().err


def test_overview_snapshot_of_a_hostile_selection(config: Path, tmp_path: Path, capsys):
    query = OverviewView(selection=("root", HOSTILE, IDS["b"])).to_query()
    code, err = _run(config, f"/{query}", tmp_path / "o.html", capsys)
    assert code == 0, err
    page = (tmp_path / "o.html").read_text()
    assert "<script>alert" not in page and "<img src=x" not in page
    assert len(re.findall(r'class="snap-node[" ]', page)) == 4  # one node per model
    assert page.count("snap-selected") == 3
    assert "tiny &lt;script&gt;" in page and "Selection" in page
    assert page.count('id="snap-plotly"') == 1 and page.count('class="snap-fig"') == 3  # scatter + 2 bars
    assert "Comparison table" in page and "cc-compare-table" in page and "85.0%" in page  # app's format
    assert not re.search(r"""(?:src|href)\s*=\s*["']?https?://""", page)


def test_bad_url_and_unknown_model_are_one_line_and_exit_2(config: Path, tmp_path: Path, capsys):
    for url, words in (("/?sel=root,nobody", "Unknown model ids"), ("/nowhere?sel=root", "'/nowhere'"),
                       ("/?filter=acc:x:y", "Ignored in the URL"), ("", "empty")):
        code, err = _run(config, url, tmp_path / "x.html", capsys)
        assert code == 2 and len(err.strip().splitlines()) == 1 and words in err, (url, err)
    assert not (tmp_path / "x.html").exists()


def test_behaviors_snapshot_says_what_is_not_cached(config: Path, tmp_path: Path, capsys):
    code, err = _run(config, "/behaviors?" + detail_query(["root", "c"], "root").lstrip("?"),
                     tmp_path / "b.html", capsys)
    assert code == 0, err
    page = (tmp_path / "b.html").read_text()
    assert "Predictions of root, c are not in the cache" in page and "snap-plotly" not in page


def test_behaviors_snapshot_shows_cached_rows_whole(config: Path, tmp_path: Path, capsys):
    import backend.behaviors as bh
    from backend.experiment.loader import load_experiment
    from server.context import engine as context_engine
    from server.context import install

    experiment = load_experiment(config, cache_dir=config.parent / "cache")
    install(experiment)
    engine = context_engine()
    view = bh.open_view({"models": "root,c", "base": "root", "level": "instance"}, experiment.forest,
                        lambda: engine).view
    bh.load_predictions(engine, experiment.forest, view, lambda done, total: None)
    code, err = _run(config, "/behaviors?models=root,c&base=root&level=instance", tmp_path / "b.html", capsys)
    assert code == 0, err
    page = (tmp_path / "b.html").read_text()
    assert "not in the cache" not in page and "Page 1 of 2: 50 of 100 rows" in page
    assert "instance 0" in page  # the tiny inspector's text instances, whole


def test_behaviors_snapshot_marks_flagged_instances_and_keeps_the_filter(config: Path, tmp_path: Path,
                                                                        capsys, monkeypatch):
    from backend.annotations import database_url, open_store
    from backend.behaviors.flags import comparison_scope

    monkeypatch.setenv("CC_ANNOTATIONS_URL", f"sqlite:///{tmp_path / 'notes.sqlite'}")
    test_behaviors_snapshot_shows_cached_rows_whole(config, tmp_path, capsys)  # predictions cached
    store = open_store(database_url(None, tmp_path))
    try:
        store.add("root", "regression", NOTE, "alice", target="instance", instance_id="7",
                  scope=comparison_scope(["root", "c"], "root"))
    finally:
        store.close()
    url = "/behaviors?models=root,c&base=root&level=instance"
    code, err = _run(config, url + "&flagged=1", tmp_path / "f.html", capsys)
    assert code == 0, err
    page = (tmp_path / "f.html").read_text()
    assert "Page 1 of 1: 1 of 1 rows" in page and "#7 · label" in page
    assert '<span class="cc-flag cc-flag-regression">regression</span>' in page
    assert "<script>alert(1)" not in page and "drops 3 points on class 7" in page  # the note, inert


def test_export_button_downloads_the_same_file_for_the_current_url(config: Path):
    from pages._snapshot_callbacks import export_snapshot
    from server.factory import create_app

    app = create_app(str(config), str(config.parent / "cache"))
    with app.server.app_context():
        sent = export_snapshot(1, "/", OverviewView(selection=("root", HOSTILE)).to_query())
    name = sent["filename"]
    assert name.startswith("tiny-script-alert-a-script-overview-") and name.endswith(".html")
    page = sent["content"]
    assert page.count("snap-selected") == 2 and "<script>alert" not in page


@pytest.fixture
def noted(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A tiny experiment whose default SQLite annotations store holds one note on ``c``."""
    from backend.annotations import database_url, open_store

    monkeypatch.delenv("CC_ANNOTATIONS_URL", raising=False)
    config = write_experiment(tmp_path_factory.mktemp("noted"))
    store = open_store(database_url(None, config.parent / "cache"))
    try:
        store.add("c", "regression", NOTE, "alice")
    finally:
        store.close()
    return config


def test_overview_snapshot_shows_review_notes_and_flag_rings(noted: Path, tmp_path: Path, capsys):
    code, err = _run(noted, "/?sel=root,c", tmp_path / "o.html", capsys)
    assert code == 0, err
    page = (tmp_path / "o.html").read_text()
    assert "Review notes" in page and "drops 3 points on class 7" in page and "alice" in page
    assert "<script>alert(1)" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert page.count('class="snap-flag"') == 1 and 'stroke="#dc2626" stroke-width="3"' in page
    assert "review: regression" in page and " UTC</td>" in page
    code, err = _run(noted, "/?sel=root", tmp_path / "r.html", capsys)
    assert code == 0, err
    assert "No review notes on the selected models" in (tmp_path / "r.html").read_text()


def test_detail_snapshot_shows_the_compared_models_notes(noted: Path, tmp_path: Path, capsys):
    code, err = _run(noted, "/layers?models=root,c&base=root", tmp_path / "l.html", capsys)
    assert code == 0, err
    page = (tmp_path / "l.html").read_text()
    assert "Review notes" in page and "drops 3 points on class 7" in page and "<script>alert(1)" not in page


@pytest.mark.parametrize("down", ["url", "no-sqlalchemy"])
def test_annotations_unavailable_is_one_line_and_the_rest_unchanged(
        down: str, noted: Path, tmp_path: Path, capsys, monkeypatch: pytest.MonkeyPatch):
    code, err = _run(noted, "/?sel=root,c", tmp_path / "ok.html", capsys)
    assert code == 0, err
    if down == "url":
        (tmp_path / "a-file").write_text("not a folder")  # the database's folder cannot be made
        monkeypatch.setenv("CC_ANNOTATIONS_URL", f"sqlite:///{tmp_path / 'a-file' / 'notes.sqlite'}")
    else:
        monkeypatch.setitem(__import__("sys").modules, "backend.annotations", None)  # an ImportError
    code, err = _run(noted, "/?sel=root,c", tmp_path / "down.html", capsys)
    assert code == 0, err
    page = (tmp_path / "down.html").read_text()
    section = page[page.index("<h2>Review notes</h2>"):].split("</section>")[0]
    assert section.count("<p") == 1 and "snap-notes-problem" in section and "annotations" in section
    assert "drops 3 points" not in page and "snap-flag" not in page
    ok = (tmp_path / "ok.html").read_text()
    assert "drops 3 points" in ok and "snap-flag" in ok
    assert _without_notes(page) == _without_notes(ok)  # the map and the Compare tab unchanged


def _without_notes(page: str) -> str:
    """The page's HTML (not the figures' JSON, whose scatter rings flags too) less its notes
    section, its flag rings and its export time."""
    page = page[:page.index('<script id="snap-figures"')]
    for pattern in (r'<section class="snap-card[^"]*"><h2>Review notes</h2>.*?</section>',
                    r'<(?:circle|polygon)[^>]*class="snap-flag"[^>]*/>', r"\nreview: [^\n<]*",
                    r"Exported</dt><dd>[^<]*"):
        page = re.sub(pattern, "", page, flags=re.S)
    return page
