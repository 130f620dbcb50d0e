"""Reading results folders (bench.report.collect) and the static HTML fragments (bench.report.html)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.report import collect, html
from itmn.errors import ConfigError


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_read_csv_table_keeps_columns_and_text(tmp_path: Path) -> None:
    p = _write(tmp_path / "leaderboard.csv", 'method,label,p_value\nitmn,"iTMN, full",0.0312\nhuo,Huo,\n\n')
    _write(tmp_path / "leaderboard.md", "# Leaderboard of methods\n\ntext\n")
    t = collect.read_csv_table(p)
    assert t.columns == ["method", "label", "p_value"]
    assert t.rows == [["itmn", "iTMN, full", "0.0312"], ["huo", "Huo", ""]]
    assert t.title == "Leaderboard of methods"
    assert not t.per_image
    assert collect.numeric_columns(t) == ["p_value"]


@pytest.mark.parametrize(
    ("text", "match"),
    [("", "empty CSV"), ("a,b\n1,2,3\n", "line 2 has 3 fields, the header has 2")],
)
def test_read_csv_table_errors_name_the_file(tmp_path: Path, text: str, match: str) -> None:
    p = _write(tmp_path / "bad.csv", text)
    with pytest.raises(ConfigError, match=match) as exc:
        collect.read_csv_table(p)
    assert "bad.csv" in str(exc.value)


def test_discover_tables_order(tmp_path: Path) -> None:
    for name in (
        "zeta.csv",
        "table2.csv",
        "table1_summary.csv",
        "scores.csv",
        "table1.csv",
        "leaderboard.csv",
    ):
        cols = "method,image,x\nm,i,1\n" if name == "scores.csv" else "method,x\nm,1\n"
        _write(tmp_path / name, cols)
    names = [t.name for t in collect.discover_tables(tmp_path)]
    assert names == [
        "leaderboard.csv",
        "table1.csv",
        "table2.csv",
        "table1_summary.csv",
        "zeta.csv",
        "scores.csv",
    ]


@pytest.mark.parametrize(
    ("text", "value"),
    [("61.02 [55.6, 65.7]", 61.02), ("-1.5e-3", -1.5e-3), (".5", 0.5), ("inf", float("inf")), ("-inf dB", float("-inf")),
     ("nan", None), ("", None), ("iTMN", None), ("+3", 3.0)],
)  # fmt: skip
def test_parse_number(text: str, value: float | None) -> None:
    assert collect.parse_number(text) == value


def test_display_columns_group_means_with_their_intervals() -> None:
    cols = [
        "method",
        "hdrvdp2_mean",
        "hdrvdp2_ci_lo",
        "hdrvdp2_ci_hi",
        "n",
        "gain",
        "gain_ci_lo",
        "gain_ci_hi",
        "lone_ci_lo",
    ]
    d = html.display_columns(cols)
    assert [c.header for c in d] == ["method", "hdrvdp2_mean [95% CI]", "n", "gain [95% CI]", "lone_ci_lo"]
    assert d[1].keys == ("hdrvdp2_mean", "hdrvdp2_ci_lo", "hdrvdp2_ci_hi") and d[1].base == "hdrvdp2"


def test_render_table_escapes_and_carries_sort_values(tmp_path: Path) -> None:
    p = _write(tmp_path / "t.csv", "method,x_mean,x_ci_lo,x_ci_hi\n<b>m</b>,60.1011,52.2512,66.953\nz,7,,\n")
    out = html.render_table(
        collect.read_csv_table(p),
        table_id="t",
        column_notes={"x": "x config | ppd=30"},
        row_notes={"z": "z cfg"},
    )
    assert "<b>m</b>" not in out and "&lt;b&gt;m&lt;/b&gt;" in out
    assert (
        '<td class="num" data-v="60.1011" title="60.1011 / 52.2512 / 66.953">60.10 [52.25, 66.95]</td>' in out
    )
    assert 'title="x config | ppd=30"' in out and 'title="z cfg"' in out
    assert ">7</td>" in out  # an integer is shown as written
    # a perfect prediction's infinite PSNR sorts as JavaScript's Infinity
    p2 = _write(tmp_path / "u.csv", "method,mpsnr\na,inf\nb,-inf\n")
    out2 = html.render_table(collect.read_csv_table(p2), table_id="u")
    assert 'data-v="Infinity"' in out2 and 'data-v="-Infinity"' in out2


def test_render_markdown_tables_headings_and_escaping() -> None:
    md = "# Table 1\n\n| method | Δ |\n|---|---:|\n| iTMN | −1.5 |\n\nSome `code` and <script>x</script>.\n\n- a\n- b\n"
    out = html.render_markdown(md)
    assert "<h4>Table 1</h4>" in out
    assert '<table class="sortable md">' in out and '<td class="num" data-v="-1.5">−1.5</td>' in out
    assert "<script>" not in out and "&lt;script&gt;" in out
    assert "<code>code</code>" in out and "<ul><li>a</li><li>b</li></ul>" in out


def test_method_labels_and_per_image_scores(tmp_path: Path) -> None:
    _write(tmp_path / "table1.csv", "method,label,x_mean\nitmn,iTMN,1\nhuo,Huo,2\n")
    _write(tmp_path / "scores.csv", "method,image,hdrvdp2,note\nitmn,a,50.5,ok\nhuo,a,inf,ok\nitmn,b,,ok\n")
    tables = collect.discover_tables(tmp_path)
    assert collect.method_labels(tables) == {"itmn": "iTMN", "huo": "Huo"}
    methods, images, values = collect.per_image_scores(tables)
    assert methods == ["itmn", "huo"] and images == ["a", "b"]
    assert values[("itmn", "a")] == {"hdrvdp2": 50.5}
    assert values[("huo", "a")] == {"hdrvdp2": float("inf")}
    assert values[("itmn", "b")] == {}


def test_find_work_options_metadata_and_fallbacks(tmp_path: Path) -> None:
    results = tmp_path / "results" / "cpu"
    results.mkdir(parents=True)
    work = tmp_path / "w" / "cpu"
    (work / "predictions").mkdir(parents=True)
    # --work: the folder itself or its parent holding <slug>/
    assert collect.find_work(results, {}, work).path == work.resolve()
    assert collect.find_work(results, {}, tmp_path / "w").path == work.resolve()
    lk = collect.find_work(results, {}, tmp_path / "nowhere")
    assert lk.path is None and "--work" in lk.why_missing() and "no predictions/" in lk.why_missing()
    # recorded work_dir
    assert collect.find_work(results, {"metadata.json": {"work_dir": str(work)}}).path == work.resolve()
    # derived from a training run recorded relative to the checkout that ran the reproduction
    meta = {"metadata.json": {"training_runs": {"itmn": {"run_dir": "w/cpu/runs/itmn-cpu-123"}}}}
    assert collect.find_work(results, meta, repo=tmp_path).path == work.resolve()
    # ... or from a checkpoint in a method's configuration string
    meta = {
        "metadata.json": {"method_configs": {"itmn": f"itmn run-1 | checkpoint={work}/runs/x device=auto"}}
    }
    assert collect.find_work(results, meta).path == work.resolve()
    # nothing found: every place tried is listed
    lk = collect.find_work(results, {"metadata.json": {"work_dir": str(tmp_path / "gone")}})
    assert lk.path is None
    assert str(tmp_path / "gone") in lk.why_missing() and "_work" in lk.why_missing()


def test_find_training_logs_and_read_curve(tmp_path: Path) -> None:
    work = tmp_path / "work" / "x"
    log = _write(
        work / "runs" / "itmn-abc" / "log.csv",
        "iteration,content,lr\n" + "".join(f"{i},{1.0 / i!r},1e-4\n" for i in range(1, 1001)),
    )
    meta = {
        "metadata.json": {
            "training_runs": {
                "itmn": {"run_dir": "elsewhere/runs/itmn-abc"},
                "gone": {"run_dir": "/nope/runs/gone"},
            }
        }
    }
    found, missing = collect.find_training_logs(meta, work)
    assert found == {"itmn": log}
    assert missing == {"gone": [Path("/nope/runs/gone"), work / "runs" / "gone"]}
    c = collect.read_curve(log, points=100)
    assert c["columns"] == ["iteration", "content", "lr"] and c["n_rows"] == 1000
    assert len(c["rows"]) == 100
    assert c["rows"][0] == [1.0, 1.0, 0.0001] and c["rows"][-1] == [1000.0, 0.001, 0.0001]
    assert c["rows"][1][1] == float(f"{1 / c['rows'][1][0]:.6g}")


def test_load_metadata_rejects_bad_json(tmp_path: Path) -> None:
    _write(tmp_path / "metadata.json", json.dumps({"a": 1}))
    _write(tmp_path / "table2_metadata.json", json.dumps({"b": 2}))
    assert list(collect.load_metadata(tmp_path)) == ["metadata.json", "table2_metadata.json"]
    _write(tmp_path / "metadata.json", "{oops")
    with pytest.raises(ConfigError, match="metadata.json: not valid JSON"):
        collect.load_metadata(tmp_path)
