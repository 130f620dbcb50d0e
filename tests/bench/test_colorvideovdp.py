"""ColorVideoVDP (bench.metrics.colorvideovdp, registry entry ``cvvdp``).

Without the optional package the metric must still be listed and must fail with an installation
hint; those tests always run (the package's absence is simulated). The tests that compute JOD
skip when cvvdp is not installed. Their independent path is cvvdp's own documented way to use a
custom display: a ``display_models.json`` entry loaded by name (``pycvvdp.cvvdp(display_name=...,
config_paths=[json])``), called with ``predict(test, ref, dim_order="HWC")``, not the display
objects the suite builds.
"""

from __future__ import annotations

import importlib.util
import json
import math
import subprocess
import sys
from pathlib import Path

import colour as cs
import numpy as np
import pytest

from bench.metrics import colorvideovdp as cv
from bench.metrics.registry import default_metric_names, get_metric, list_metrics
from itmn.errors import ConfigError

HAVE_CVVDP = importlib.util.find_spec("pycvvdp") is not None
needs_cvvdp = pytest.mark.skipif(not HAVE_CVVDP, reason=f"cvvdp is not installed: {cv.INSTALL_HINT}")


def _hdr(rng: np.random.Generator, h: int = 96, w: int = 128) -> np.ndarray:
    """BT.2020 cd/m^2 in [0.005, 1000]: log-luminance ramp, coloured stripes, texture, a bright disk."""
    yy, xx = np.mgrid[0:h, 0:w]
    log_l = -1.0 + 3.6 * xx / (w - 1) + 0.2 * np.sin(yy / 5.0) + 0.1 * rng.standard_normal((h, w))
    log_l[(yy - h / 2) ** 2 + (xx - w / 3) ** 2 < (h / 6) ** 2] = 3.0
    tint = np.stack([1 + 0.5 * np.sin(yy / 9.0), np.ones((h, w)), 1 + 0.5 * np.cos(xx / 7.0)], -1)
    return np.clip((10.0**log_l)[..., None] * tint, 0.005, 1000.0)


@pytest.fixture
def no_cvvdp(monkeypatch):
    """cvvdp made unimportable (as if not installed); the metric cache is emptied around it."""
    monkeypatch.setitem(sys.modules, "pycvvdp", None)  # import raises ModuleNotFoundError
    cv._build_metric.cache_clear()
    yield
    cv._build_metric.cache_clear()


# --------------------------------------------------------------------------- always
def test_listed_with_its_display_model() -> None:
    m = get_metric("cvvdp")
    assert m in list_metrics() and "cvvdp" not in default_metric_names()
    assert (m.unit, m.higher_is_better, m.value_range[1], m.input_space) == ("JOD", True, 10.0, "bt2020-linear")
    ver = cv.installed_version()
    impl = f"cvvdp {ver} (parameters {cv.parameters_version()})" if ver else "cvvdp (not installed)"
    assert m.config() == (
        f"{impl} | BT.2020-linear cd/m^2 | peak 1000 black 0.005 (contrast 200000:1) | ambient 0 lux "
        "| 512x512 px at 0.6 m, ppd=30 | still image, JOD | protocol v1"
    )
    assert "ppd=60 " in m.config(60.0)


def test_geometry_gives_the_protocols_ppd() -> None:
    d = cv.DisplayModel()
    assert (d.peak_cdm2, d.black_cdm2, d.contrast, d.ambient_lux) == (1000.0, 0.005, 200000.0, 0.0)
    # one pixel subtends 1/30 degree at the centre of the display, seen from 0.6 m
    pixel_deg = math.degrees(2 * math.atan(d.pixel_pitch_m / 2 / d.distance_m))
    assert 1.0 / pixel_deg == pytest.approx(30.0, rel=1e-12)
    assert d.pixel_pitch_m * 1e3 == pytest.approx(0.34907, abs=1e-5)
    assert d.diagonal_inches == pytest.approx(9.9508, abs=1e-4)  # a 178.7 mm square


def test_computing_without_cvvdp_says_how_to_install(no_cvvdp, rng: np.random.Generator) -> None:
    ref = _hdr(rng, 32, 32)
    with pytest.raises(ConfigError, match=r'needs the optional package cvvdp .*pip install "itmn-bench\[cvvdp\]"'):
        get_metric("cvvdp")(ref, ref)
    get_metric("cvvdp").config()  # the listing does not need the package


def test_commands_without_cvvdp(tmp_path: Path, rng: np.random.Generator) -> None:
    ref = _hdr(rng, 32, 32).astype(np.float32)
    np.save(tmp_path / "ref.npy", ref)
    code = (
        "import sys; sys.modules['pycvvdp'] = None\n"
        "import bench.cli\n"
        "sys.exit(bench.cli.main(sys.argv[1:]))\n"
    )
    listing = subprocess.run(
        [sys.executable, "-c", code, "metrics", "--json"], capture_output=True, text=True, timeout=120
    )
    assert listing.returncode == 0, listing.stderr
    entry = next(it for it in json.loads(listing.stdout) if it["name"] == "cvvdp")
    assert entry["default"] is False and entry["unit"] == "JOD"
    score = subprocess.run(
        [sys.executable, "-c", code, "score", str(tmp_path / "ref.npy"), str(tmp_path / "ref.npy"),
         "--primaries", "bt2020", "--metric", "cvvdp"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert score.returncode != 0
    assert 'pip install "itmn-bench[cvvdp]"' in score.stderr and "Traceback" not in score.stderr


# --------------------------------------------------------------------------- with cvvdp
@needs_cvvdp
def test_identical_images_score_10_jod(rng: np.random.Generator) -> None:
    ref = _hdr(rng)
    res = get_metric("cvvdp")(ref, ref.copy(), primaries="bt2020")
    assert res.value == 10.0
    assert "30 [pix/deg], Lpeak=1000, Lblack=0.005, Lrefl=0 [cd/m^2]" in res.extras["cvvdp_info"]
    assert res.config == get_metric("cvvdp").config()
    assert cv.build_metric().pix_per_deg == pytest.approx(30.0, rel=1e-12)


@needs_cvvdp
def test_quality_falls_with_distortion_strength(rng: np.random.Generator) -> None:
    ref = _hdr(rng)
    noise = rng.standard_normal(ref.shape)
    metric = get_metric("cvvdp")
    noisy = [metric(np.clip(ref * (1 + s * noise), 0.005, 1000.0), ref).value for s in (0.01, 0.05, 0.2)]
    assert 10.0 > noisy[0] > noisy[1] > noisy[2] > 0.0, noisy
    from scipy.ndimage import gaussian_filter

    blurred = [metric(gaussian_filter(ref, (s, s, 0)), ref).value for s in (0.5, 1.5, 4.0)]
    assert 10.0 > blurred[0] > blurred[1] > blurred[2], blurred


def _direct(tmp_path: Path, test: np.ndarray, ref: np.ndarray, colorspace: str) -> float:
    """cvvdp through its own API: the protocol's display written as a display_models.json entry."""
    import torch

    pycvvdp = cv.import_cvvdp()
    pitch = 2 * 0.6 * math.tan(math.radians(0.5 / 30.0))
    entry = {
        "itmn_protocol_v1": {
            "name": "protocol v1 display",
            "resolution": [512, 512],
            "viewing_distance_meters": 0.6,
            "diagonal_size_inches": pitch * 512 * math.sqrt(2) / 0.0254,
            "max_luminance": 1000,
            "min_luminance": 0.005,
            "E_ambient": 0,
            "colorspace": colorspace,
        }
    }
    path = tmp_path / "display_models.json"
    path.write_text(json.dumps(entry))
    metric = pycvvdp.cvvdp(display_name="itmn_protocol_v1", config_paths=[str(path)], device=torch.device("cpu"), quiet=True)
    q, _ = metric.predict(test.astype(np.float32), ref.astype(np.float32), dim_order="HWC")
    return float(q)


@needs_cvvdp
def test_agrees_with_cvvdp_called_directly(tmp_path: Path, rng: np.random.Generator) -> None:
    ref = _hdr(rng)
    test = np.clip(ref * (1 + 0.05 * rng.standard_normal(ref.shape)), 0.005, 1000.0)
    ours = get_metric("cvvdp")(test, ref, primaries="bt2020").value
    want = _direct(tmp_path, test, ref, "BT.2020-linear")
    assert ours == pytest.approx(want, abs=1e-6)  # the same computation: 0 difference measured
    assert 7.0 < ours < 10.0
    # BT.709 input: the registry converts to BT.2020; cvvdp told the content is BT.709 instead
    # (its own, differently rounded matrices) must agree to the precision of those matrices
    m = cs.matrix_RGB_to_RGB(cs.RGB_COLOURSPACES["ITU-R BT.2020"], cs.RGB_COLOURSPACES["ITU-R BT.709"])
    t709, r709 = (np.clip(x @ m.T, 0.005, 1000.0) for x in (test, ref))
    ours709 = get_metric("cvvdp")(t709, r709, primaries="bt709").value
    assert ours709 == pytest.approx(_direct(tmp_path, t709, r709, "BT.709-linear"), abs=1e-3)  # 1e-6 measured


@needs_cvvdp
def test_score_command(tmp_path: Path, rng: np.random.Generator, capsys) -> None:
    import bench.cli

    ref = _hdr(rng).astype(np.float32)
    np.save(tmp_path / "ref.npy", ref)
    rc = bench.cli.main([
        "score", str(tmp_path / "ref.npy"), str(tmp_path / "ref.npy"), "--primaries", "bt2020", "--metric", "cvvdp", "--json",
    ])  # fmt: skip
    obj = json.loads(capsys.readouterr().out)
    assert rc == 0 and obj["cvvdp"] == 10.0 and set(obj) == {"cvvdp", "config", "inputs"}
    assert obj["config"]["cvvdp"] == get_metric("cvvdp").config()
