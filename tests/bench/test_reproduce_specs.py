"""Which training runs a reproduction asks for, and where they live (no training here)."""

from __future__ import annotations

from pathlib import Path

from bench.reproduce import Options, training_specs


def _opts(tmp_path: Path, table: str) -> Options:
    return Options(
        table=table, profile="smoke", profile_reason="test", work=tmp_path / "work", results=tmp_path / "res"
    )


def test_table2_reuses_table1_run_with_the_same_configuration(tmp_path):
    """Table 2's alpha=1e5/lambda=1e4 setting is Table 1's iTMN: same configuration hash, so the
    same run folder, not a second training."""
    prepared = tmp_path / "prepared"
    t1 = {s.name: s for s in training_specs(_opts(tmp_path, "table1"), prepared)}
    t2 = training_specs(_opts(tmp_path, "table2"), prepared)
    paper_setting = next(s for s in t2 if "a=1e+05,l=1e+04" in s.name)
    # before the Table 1 run exists, Table 2 names its own folder with the same hash suffix
    h = t1["itmn"].run_dir.name.rsplit("-", 1)[1]
    assert paper_setting.run_dir.name.endswith(h) and paper_setting.run_dir != t1["itmn"].run_dir
    t1["itmn"].run_dir.mkdir(parents=True)
    t2 = training_specs(_opts(tmp_path, "table2"), prepared)
    paper_setting = next(s for s in t2 if "a=1e+05,l=1e+04" in s.name)
    assert paper_setting.run_dir == t1["itmn"].run_dir
    # the other settings differ in configuration, hence in folder
    others = [s.run_dir for s in t2 if s is not paper_setting]
    assert len(set(others)) == 4 and t1["itmn"].run_dir not in others
