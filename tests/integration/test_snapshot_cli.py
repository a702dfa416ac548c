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
