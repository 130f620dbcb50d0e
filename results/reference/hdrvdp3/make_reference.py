"""Reference scores of the original HDR-VDP 3.0.7 (MATLAB code run by GNU Octave through the
suite's bridge, ``itmn.originals.hdrvdp3_original``) on the shared calibration pairs.

Writes ``reference_scores.csv`` beside this file: a provenance header (``#`` lines), then one row
per (pair, task, colour encoding, ppd). The calibration tests (tests/bench/test_hdrvdp3_calibration.py)
compare the port with every row.

Run (needs GNU Octave with the image package, and a copy of HDR-VDP 3.0.7 prepared as
docs/backends.md (HDR-VDP 3.0.7) says)::

    ITMN_SHARED=../shared ITMN_HDRVDP3_PATH=/path/to/hdrvdp-3.0.7 \\
        nice -n 5 python results/reference/hdrvdp3/make_reference.py [--only-synthetic]

Inputs (from ``$ITMN_SHARED/reference``): the 8 pairs of metrics-synthetic (7 A pairs 256 x 256,
C_noise 97 x 131) and the 24 of metrics-real (256 x 256), float32 .npy, linear BT.709, cd/m^2.
``input`` column: ``rgb`` = the arrays as stored (also for ``rgb-bt.2020``, where the same numbers
are read as BT.2020 values); ``Y709`` = 0.2126 R + 0.7152 G + 0.0722 B computed in float64 from
the float32 arrays (for ``luminance``).
"""

from __future__ import annotations

import argparse
import csv
import datetime
import hashlib
import os
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
OUT = HERE / "reference_scores.csv"
PPD72 = 72.489873956798149  # hdrvdp_pix_per_deg(21, [1920 1080], 1)

COLUMNS = [
    "case",
    "set",
    "pair",
    "test_file",
    "reference_file",
    "input",
    "task",
    "color_encoding",
    "ppd",
    "options",
    "Q",
    "Q_JOD",
    "P_det",
    "C_max",
    "octave_s",
]


def y709(x: np.ndarray) -> np.ndarray:
    """Luminance of linear BT.709 RGB, float64 (the ``Y709`` input of the luminance rows)."""
    x = x.astype(np.float64)
    return 0.2126 * x[..., 0] + 0.7152 * x[..., 1] + 0.0722 * x[..., 2]


def cases(shared: Path, only_synthetic: bool) -> list[dict]:
    """Every (pair, task, encoding, ppd) to score, in output order."""
    syn = shared / "reference" / "metrics-synthetic"
    real = shared / "reference" / "metrics-real"
    out: list[dict] = []

    def add(set_, pair, tf, rf, task, enc="rgb-bt.709", ppd=30.0, inp="rgb", options=""):
        out.append(
            dict(
                set=set_,
                pair=pair,
                test_file=tf,
                reference_file=rf,
                task=task,
                color_encoding=enc,
                ppd=ppd,
                input=inp,
                options=options,
            )
        )

    with open(syn / "reference_scores.csv", newline="") as fh:
        syn_rows = [(r["pair"], r["test_file"], r["reference_file"]) for r in csv.DictReader(fh)]
    real_rows: list[tuple[str, str, str]] = []
    if not only_synthetic:
        with open(real / "reference_scores.csv", newline="") as fh:
            real_rows = [
                (f"{r['image']}__{r['variant']}", r["test_file"], r["ref_file"]) for r in csv.DictReader(fh)
            ]
    # the protocol's settings: quality and side-by-side, rgb-bt.709, 30 ppd, every pair
    for pair, tf, rf in syn_rows:
        for task in ("quality", "side-by-side"):
            add("synthetic", pair, tf, rf, task)
        add("synthetic", pair, tf, rf, "quality", ppd=PPD72)  # a 5-level pyramid, another band set
    for pair, tf, rf in real_rows:
        for task in ("quality", "side-by-side"):
            add("real", pair, tf, rf, task)
    # the other tasks, encodings and the small-sigma (spatial) Gaussian path, on a few pairs
    few_syn = [r for r in syn_rows if r[0] in ("A_noise", "A_blur", "A_local", "C_noise")]
    few_real = [r for r in real_rows if r[0] in ("oexr_desk__noise", "ph_moonless_golf__ldr")]
    for set_, rows in (("synthetic", few_syn), ("real", few_real)):
        for pair, tf, rf in rows:
            for task in ("flicker", "detection"):
                add(set_, pair, tf, rf, task)
            add(set_, pair, tf, rf, "quality", enc="rgb-bt.2020")
            add(set_, pair, tf, rf, "quality", enc="luminance", inp="Y709")
    for pair, tf, rf in few_syn:
        add(
            "synthetic", pair, tf, rf, "quality", ppd=12.0
        )  # every Gaussian below sigma 4.3: fspecial/imfilter
        add("synthetic", pair, tf, rf, "detection", ppd=PPD72)
    # the other encodings and the options of hdrvdp3.m that the port offers (name=value;...)
    for pair, tf, rf in [r for r in syn_rows if r[0] in ("A_noise", "C_noise")]:
        add("synthetic", pair, tf, rf, "quality", enc="rgb-native")
        add("synthetic", pair, tf, rf, "quality", enc="XYZ")
        for opt in (
            "rgb_display=led-lcd-wcg",
            "rgb_display=ccfl-lcd",
            "surround=13",
            "surround=mean",
            "age=60",
            "mtf=none",
            "sensitivity_correction=0.2",
        ):
            add("synthetic", pair, tf, rf, "quality", options=opt)
    for c in out:
        c["case"] = f"{c['pair']}|{c['task']}|{c['color_encoding']}|{c['ppd']:.10g}"
        if c["options"]:
            c["case"] += f"|{c['options']}"
        c["_root"] = syn if c["set"] == "synthetic" else real
    return out


def parse_options(text: str) -> list[tuple[str, str | float]]:
    """``"surround=13;age=60"`` -> [("surround", 13.0), ("age", 60.0)] (numbers where they parse)."""
    out: list[tuple[str, str | float]] = []
    for item in filter(None, text.split(";")):
        name, _, value = item.partition("=")
        try:
            out.append((name, float(value)))
        except ValueError:
            out.append((name, value))
    return out


def _with_options(eng, test: np.ndarray, ref: np.ndarray, c: dict) -> dict:
    """hdrvdp3(task, test, ref, enc, ppd, {name, value, ...}) through itmn_hdrvdp3_options.m."""
    args: list = []
    for name, value in parse_options(c["options"]):
        args += [name, value]
    (res,) = eng.call(
        "itmn_hdrvdp3_options",
        c["task"],
        np.asarray(test, np.float64),
        np.asarray(ref, np.float64),
        c["color_encoding"],
        float(c["ppd"]),
        *args,
    )
    return {k: float(res[k]) for k in ("Q", "Q_JOD", "P_det", "C_max")}


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--only-synthetic", action="store_true", help="skip the 24 real pairs")
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args(argv)
    shared = Path(os.environ.get("ITMN_SHARED", HERE.parents[3] / "shared"))
    if not (shared / "reference").is_dir():
        sys.exit(f"no shared reference data at {shared} (set ITMN_SHARED)")

    from itmn.hdrio import atomic_path
    from itmn.originals import CODEBASES, engine_for, hdrvdp3_original

    eng, code = engine_for("hdrvdp3", "octave")
    eng.addpath(HERE)  # itmn_hdrvdp3_options.m, for the rows with options
    (ver,) = eng.call("hdrvdp_version")
    (pkgs,) = eng.call("pkg", "list", "image")
    img_ver = pkgs[0]["version"] if pkgs else "not installed"
    todo = cases(shared, args.only_synthetic)
    rows = []
    files: dict[str, str] = {}
    for k, c in enumerate(todo, 1):
        root = c.pop("_root")
        test = np.load(root / c["test_file"])
        ref = np.load(root / c["reference_file"])
        for f in (c["test_file"], c["reference_file"]):
            files.setdefault(f"{root.name}/{f}", sha256(root / f))
        if c["input"] == "Y709":
            test, ref = y709(test), y709(ref)
        t0 = time.perf_counter()
        if c["options"]:
            res = _with_options(eng, test, ref, c)
        else:
            res = hdrvdp3_original(
                test,
                ref,
                task=c["task"],
                ppd=c["ppd"],
                color_encoding=c["color_encoding"],
                backend="octave",
                return_maps=False,
            )
        dt = time.perf_counter() - t0
        row = {**c, **{key: res[key] for key in ("Q", "Q_JOD", "P_det", "C_max")}, "octave_s": round(dt, 3)}
        rows.append(row)
        print(
            f"[{k}/{len(todo)}] {c['case']}: Q_JOD {res['Q_JOD']:.6f} P_det {res['P_det']:.6f} ({dt:.1f} s)",
            flush=True,
        )

    head = [
        "HDR-VDP 3.0.7 reference scores, made by results/reference/hdrvdp3/make_reference.py",
        f"date: {datetime.date.today().isoformat()}",
        f"code: HDR-VDP 3.0.7 (hdrvdp_version() = {ver!r}), copy in github libjxl/codec-comparison "
        "@ a086562f7a441b36dba93eab30521dce5cc4ef6d, folder hdrvdp-3.0.7 (official: "
        "sourceforge.net/projects/hdrvdp, 3.0.7); used from a scratch folder, never committed",
        "patch: utils/geomean.m added (m = exp(mean(log(x))), MATLAB's Statistics Toolbox definition), "
        "because Octave has no geomean without the statistics package; nothing else changed "
        "(docs/backends.md (HDR-VDP 3.0.7))",
        f"engine: {eng.version()} with its image package {img_ver} (subprocess driver of itmn/originals/engine.py), "
        f"folder {code}",
        "call: hdrvdp3(task, test, reference, color_encoding, ppd) with default options "
        "(itmn.originals.hdrvdp3_original; inputs float64 from the float32 .npy files); rows with "
        "'options' (name=value;...): hdrvdp3(task, test, reference, color_encoding, ppd, {name, value, ...}) "
        "through itmn_hdrvdp3_options.m beside this script",
        "inputs: $ITMN_SHARED/reference/metrics-synthetic and metrics-real; input=rgb: the arrays as stored "
        "(for rgb-bt.2020 the same numbers read as BT.2020); input=Y709: 0.2126 R + 0.7152 G + 0.0722 B in float64",
        f"{CODEBASES['hdrvdp3'].title}: {CODEBASES['hdrvdp3'].where}",
    ]
    head += [f"sha256 {name} {digest}" for name, digest in sorted(files.items())]
    with atomic_path(args.out) as tmp:
        with open(tmp, "w", newline="") as fh:
            for line in head:
                fh.write(f"# {line}\n")
            w = csv.DictWriter(fh, fieldnames=COLUMNS, extrasaction="ignore", lineterminator="\n")
            w.writeheader()
            for r in rows:
                w.writerow({k: (repr(v) if isinstance(v, float) else v) for k, v in r.items()})
    print(f"wrote {args.out} ({len(rows)} rows)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
