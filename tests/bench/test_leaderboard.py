"""The leaderboard (bench.leaderboard) and the paired sections of Table 1/2 (write_tables): file
contents against the per-image data, ordering by the metric registry's direction, groups and
configuration strings, LaTeX escaping, and byte-identical files for the same input."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

from bench.leaderboard import (
    GROUP_OTHER,
    GROUP_PAPER,
    GROUP_PUBLISHED,
    GROUP_SANITY,
    build_leaderboard,
    write_leaderboard,
)
from itmn.errors import ConfigError

#: method -> (HDR-VDP-2 level, ΔE_ITP level): huo is best on HDR-VDP-2, expandnet has the lowest
#: (best) ΔE_ITP, and lhdr equals iTMN up to symmetric noise (indistinguishable from it)
LEVELS = {
    "itmn": (60.0, 8.0), "huo": (66.0, 9.0), "itmn-nodmse": (50.0, 10.0), "expandnet": (55.0, 3.0),
    "lhdr": (60.0, 8.0), "inverse-gamma": (45.0, 12.0), "my_method&co": (58.0, 7.0),
}  # fmt: skip
N = 12


def _scores(rng: np.random.Generator) -> pd.DataFrame:
    base = rng.normal(0, 3, size=N)  # image difficulty, shared by all methods (what pairing removes)
    sym = rng.normal(0, 0.5, size=N // 2)
    sym = np.concatenate([sym, -sym])
    rows = []
    for m, (q, de) in LEVELS.items():
        noise = sym if m == "lhdr" else rng.normal(0, 0.5, size=N)
        for i in range(N):
            rows.append({
                "method": m, "image": f"img{i:02d}", "hdrvdp2": q + base[i] + noise[i], "mpsnr": 30.0 + rng.normal(0, 1),
                "ssim": 0.9 + rng.normal(0, 0.01), "delta_e_itp": de + base[i] / 10 + noise[i] / 10,
            })  # fmt: skip
    return pd.DataFrame(rows)


def test_leaderboard_ranks_by_the_registry_direction(rng: np.random.Generator) -> None:
    scores = _scores(rng)
    board = build_leaderboard(scores, metrics=("delta_e_itp", "hdrvdp2"))
    # ranked by the first metric, ΔE_ITP, an error: ascending
    means = scores.groupby("method")["delta_e_itp"].mean()
    assert board.methods == list(means.sort_values().index)
    assert board.methods[0] == "expandnet" and board.ranks["delta_e_itp"]["expandnet"] == 1
    assert board.ranks["hdrvdp2"]["huo"] == 1 and board.ranks["hdrvdp2"]["inverse-gamma"] == 7
    board2 = build_leaderboard(scores, metrics=("hdrvdp2",))
    assert board2.methods == list(scores.groupby("method")["hdrvdp2"].mean().sort_values(ascending=False).index)
    # paired with iTMN: method − iTMN, positive = the method is better (lower ΔE_ITP for expandnet)
    p = board.pairs.set_index(["a", "metric"])
    assert set(board.pairs["b"]) == {"itmn"} and "itmn" not in set(board.pairs["a"])
    assert p.loc[("expandnet", "delta_e_itp"), "diff"] > 4.0 and p.loc[("expandnet", "delta_e_itp"), "resolved"]
    assert p.loc[("expandnet", "hdrvdp2"), "diff"] < -4.0 and p.loc[("expandnet", "hdrvdp2"), "better"] == "itmn"
    assert not p.loc[("lhdr", "hdrvdp2"), "resolved"]
    itmn = scores[scores["method"] == "itmn"].set_index("image")["hdrvdp2"]
    huo = scores[scores["method"] == "huo"].set_index("image")["hdrvdp2"]
    assert p.loc[("huo", "hdrvdp2"), "diff"] == pytest.approx((huo - itmn).mean())
    assert p.loc[("huo", "hdrvdp2"), "wilcoxon_p"] == pytest.approx(sps.wilcoxon(huo, itmn).pvalue)
    # the Holm family is the whole leaderboard per metric (6 comparisons)
    ps = board.pairs[board.pairs["metric"] == "hdrvdp2"]["wilcoxon_p"]
    assert board.pairs[board.pairs["metric"] == "hdrvdp2"]["wilcoxon_p_holm"].min() == pytest.approx(min(1.0, 6 * ps.min()))


def test_leaderboard_files(tmp_path: Path, rng: np.random.Generator) -> None:
    scores = _scores(rng)
    configs = {"itmn": "itmn run-abc@2400 | peak 1000", "huo": r"huo toolbox-2018 | l_peak=1000 {x} ~ 50% #1 \ok"}
    labels = {"my_method&co": "Mine & Co_2 (α=5%)"}
    files = write_leaderboard(
        tmp_path, scores, metrics=("hdrvdp2", "delta_e_itp"), dataset_note="Synthetic.", configs=configs, labels=labels
    )
    assert sorted(files) == ["leaderboard.csv", "leaderboard.md", "leaderboard.tex", "leaderboard_pairs.csv"]

    csv = pd.read_csv(tmp_path / "leaderboard.csv")
    assert list(csv["method"]) == list(scores.groupby("method")["hdrvdp2"].mean().sort_values(ascending=False).index)
    assert list(csv["rank"]) == list(range(1, 8))
    row = csv.set_index("method").loc["expandnet"]
    assert row["group"] == GROUP_PUBLISHED and row["label"] == "ExpandNet"
    assert row["delta_e_itp_rank"] == 1 and row["delta_e_itp_n"] == N
    assert row["hdrvdp2_mean"] == pytest.approx(scores[scores["method"] == "expandnet"]["hdrvdp2"].mean(), rel=1e-5)
    assert row["hdrvdp2_ci_lo"] < row["hdrvdp2_mean"] < row["hdrvdp2_ci_hi"]
    assert bool(row["delta_e_itp_vs_itmn_resolved"]) and row["delta_e_itp_vs_itmn_diff"] > 0
    groups = csv.set_index("method")["group"]
    assert (groups["huo"], groups["inverse-gamma"], groups["my_method&co"]) == (GROUP_PAPER, GROUP_SANITY, GROUP_OTHER)
    assert np.isnan(csv.set_index("method").loc["itmn", "hdrvdp2_vs_itmn_diff"])  # the reference itself
    assert csv.set_index("method").loc["huo", "config"] == configs["huo"]

    pairs = pd.read_csv(tmp_path / "leaderboard_pairs.csv")
    assert len(pairs) == 6 * 2 and set(pairs["b"]) == {"itmn"}

    md = (tmp_path / "leaderboard.md").read_text()
    assert "| # | Method | Group | HDR-VDP-2 ↑ (95% CI) | vs iTMN | ΔE_ITP ↓ (95% CI) | vs iTMN |" in md
    huo_md = next(line for line in md.splitlines() if line.startswith("| 1 | Huo |"))
    assert f"n={N} (#1)" in huo_md and "resolved" in huo_md
    assert "- ΔE_ITP ↓: ExpandNet > " in md
    assert "## Paired comparisons with iTMN" in md and "| LHDR vs iTMN | HDR-VDP-2 ↑ | 12 |" in md
    assert "LHDR vs iTMN: HDR-VDP-2 " in md and "not resolved" in md
    published = md.split("Published, authors' weights:\n")[1].split("\n\n")[0].strip().splitlines()
    assert sorted(published) == ["- ExpandNet (`expandnet`)", "- LHDR (`lhdr`)"]  # no configuration given
    assert "- Huo (`huo`): `huo toolbox-2018" in md

    tex = (tmp_path / "leaderboard.tex").read_text()
    assert tex.count(r"\toprule") == tex.count(r"\midrule") == tex.count(r"\bottomrule") == 1
    assert r"Mine \& Co\_2 ($\alpha$=5\%)" in tex and "Mine & Co" not in tex
    assert r"\texttt{huo toolbox-2018 | l\_peak=1000 \{x\} \textasciitilde{} 50\% \#1 \textbackslash{}ok}" in tex
    assert r"\multicolumn{2}{c}{$\Delta$E\_ITP $\downarrow$}" in tex
    rows = [line for line in tex.splitlines() if line.endswith(r"\\") and line[0].isdigit()]
    assert [r.split(" & ")[1] for r in rows][:2] == ["Huo", "iTMN"]
    assert r"\textbf{" in rows[0].split(" & ")[3]  # the best HDR-VDP-2 in bold
    expandnet = next(r for r in rows if " & ExpandNet & " in r)
    assert r"\textbf{" in expandnet.split(" & ")[5] and "$^{*}$" in expandnet.split(" & ")[6]  # best ΔE, resolved
    assert " & published & " in expandnet
    # balanced braces: every escape produced closed groups
    assert tex.count("{") - tex.count(r"\{") == tex.count("}") - tex.count(r"\}")


def test_leaderboard_is_deterministic(tmp_path: Path, rng: np.random.Generator) -> None:
    scores = _scores(rng)
    a, b = tmp_path / "a", tmp_path / "b"
    write_leaderboard(a, scores, dataset_note="x.")
    write_leaderboard(b, scores.copy(), dataset_note="x.")
    for name in ("leaderboard.md", "leaderboard.csv", "leaderboard.tex", "leaderboard_pairs.csv"):
        assert (a / name).read_bytes() == (b / name).read_bytes(), name
    from bench.reproduce import write_tables

    table1 = scores[scores["method"].isin(["itmn", "huo", "itmn-nodmse", "inverse-gamma"])]
    for d in (a, b):
        write_tables("table1", d, table1, dataset_note="x.")
    for name in ("table1.md", "table1.csv", "table1.tex", "table1_pairs.csv", "table1_summary.csv"):
        assert (a / name).read_bytes() == (b / name).read_bytes(), name


def test_leaderboard_methods_and_errors(rng: np.random.Generator) -> None:
    scores = _scores(rng)
    board = build_leaderboard(scores, methods=["lhdr", "huo"])
    assert board.methods == ["huo", "lhdr"] and board.pairs.empty  # no iTMN: nothing to compare with
    board = build_leaderboard(scores, methods=["lhdr", "huo"], reference="huo")
    assert list(board.pairs["a"].unique()) == ["lhdr"]
    with pytest.raises(ConfigError, match="no per-image scores for method.s. hdrtvdm"):
        build_leaderboard(scores, methods=["itmn", "hdrtvdm"])
    with pytest.raises(ConfigError, match="no 'cvvdp' scores"):
        build_leaderboard(scores, metrics=("cvvdp",))


def test_table1_and_table2_paired_sections(tmp_path: Path, rng: np.random.Generator) -> None:
    from bench import paper
    from bench.reproduce import write_tables

    scores = _scores(rng)
    write_tables("table1", tmp_path, scores, dataset_note="x.", methods=["itmn", "huo", "itmn-nodmse", "inverse-gamma"])
    md = (tmp_path / "table1.md").read_text()
    assert "ExpandNet" not in md and "expandnet" not in md  # Table 1 stays the paper's methods
    assert f"n={N} |" in md.split("## Ranking")[0]
    pairs = pd.read_csv(tmp_path / "table1_pairs.csv")
    assert list(pairs["a"].unique()) == ["itmn"] and list(pairs["b"].unique()) == ["huo", "itmn-nodmse", "inverse-gamma"]
    huo = pairs.set_index(["b", "metric"]).loc[("huo", "hdrvdp2")]
    assert huo["diff"] < -4 and huo["better"] == "huo"  # iTMN − Huo < 0: Huo is better here
    assert "## Paired comparisons with iTMN" in md and "| iTMN vs Huo | HDR-VDP-2 ↑ | 12 |" in md
    assert "iTMN vs Huo: HDR-VDP-2 -" in md
    wide = pd.read_csv(tmp_path / "table1.csv").set_index("method")
    assert (wide["hdrvdp2_n"] == N).all() and (wide["n_images"] == N).all()
    with pytest.raises(ConfigError, match="no per-image scores for method.s. ko"):
        write_tables("table1", tmp_path, scores, dataset_note="x.", methods=["itmn", "ko"])

    # Table 2: every setting against the paper's alpha = 1e5, lambda = 1e4
    ref = paper.table2_method_name(1e5, 1e4)
    other = paper.table2_method_name(1e3, 1e4)
    t2 = scores[scores["method"].isin(["itmn", "huo"])].replace({"method": {"itmn": ref, "huo": other}})
    write_tables("table2", tmp_path, t2, dataset_note="x.")
    p2 = pd.read_csv(tmp_path / "table2_pairs.csv")
    assert set(p2["a"]) == {ref} and set(p2["b"]) == {other}
    assert "## Paired comparisons with the paper's setting α=1e+05, λ=1e+04" in (tmp_path / "table2.md").read_text()


def test_leaderboard_command(tmp_path: Path, rng: np.random.Generator, capsys: pytest.CaptureFixture[str]) -> None:
    import json

    from bench.cli.bench_cli import main
    from bench.stats import mean_ci_half_width

    results = tmp_path / "results"
    results.mkdir()
    scores = _scores(rng)
    scores.to_csv(results / "scores.csv", index=False)
    meta = {"dataset": "default", "profile": "cpu", "method_configs": {"huo": "huo toolbox-2018 | peak 1000"}}
    (results / "metadata.json").write_text(json.dumps(meta))
    assert main(["leaderboard", str(results), "--metrics", "hdrvdp2,delta_e_itp"]) == 0
    md = (results / "leaderboard.md").read_text()
    assert f"Here: {N} test images (dataset 'default', profile 'cpu')." in md
    assert "- Huo (`huo`): `huo toolbox-2018 | peak 1000`" in md and "ΔE_ITP ↓ (95% CI)" in md
    assert main(["leaderboard", str(results), "--methods", "itmn,huo", "--out", str(tmp_path / "two")]) == 0
    assert set(pd.read_csv(tmp_path / "two" / "leaderboard.csv")["method"]) == {"itmn", "huo"}
    capsys.readouterr()
    assert main(["leaderboard", str(results), "--half-widths", "--metrics", "hdrvdp2,ssim"]) == 0
    got = json.loads(capsys.readouterr().out)
    assert got == pytest.approx(mean_ci_half_width(scores, ["hdrvdp2", "ssim"]))
    assert main(["leaderboard", str(tmp_path / "nowhere")]) == 1
    assert "no per-image scores file" in capsys.readouterr().err


@pytest.mark.skipif(__import__("shutil").which("pdflatex") is None, reason="pdflatex not installed (apt install texlive-latex-recommended)")
def test_leaderboard_tex_compiles(tmp_path: Path, rng: np.random.Generator) -> None:
    import subprocess

    configs = {"huo": r"huo toolbox-2018 | l_peak=1000 {x} ~ 50% #1 \ok $y$ ^ <z>", "itmn": "itmn run-abc@2400"}
    write_leaderboard(tmp_path, _scores(rng), dataset_note="x.", configs=configs, labels={"my_method&co": "Mine & Co_2 (α=5%)"})
    (tmp_path / "doc.tex").write_text(
        "\\documentclass[twocolumn]{article}\\usepackage[T1]{fontenc}\\usepackage{booktabs,graphicx}\n"
        "\\begin{document}\\input{leaderboard.tex}x\\end{document}\n"
    )
    proc = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "doc.tex"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)  # fmt: skip
    assert proc.returncode == 0, proc.stdout[-2000:]
    assert "Overfull \\hbox" not in proc.stdout.split("leaderboard.tex")[1].split("[1")[0]  # shrunk to the text width
