"""Smaller failure classes of issue 12 (class 7), each reproduced for real."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
from itmn_faults_support import REPO


def _exr_pair(folder: Path) -> tuple[Path, Path]:
    from itmn import hdrio

    rng = np.random.default_rng(0)
    t, r = folder / "test.exr", folder / "ref.exr"
    hdrio.write_exr(t, (rng.random((24, 24, 3)) * 900 + 10).astype(np.float32))
    hdrio.write_exr(r, (rng.random((24, 24, 3)) * 900 + 10).astype(np.float32))
    return t, r


# --------------------------------------------------------------------------- nanobind at exit
def test_no_nanobind_leak_report_after_a_command(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """A command that loads OpenImageIO (through colour-science) and torch (HDR-VDP-2) ended with
    ~20 'nanobind: leaked ...' lines on stderr, which read like a crash."""
    t, r = _exr_pair(tmp_path)
    res = cli("itmn-bench", "score", str(t), str(r), "--json")
    assert res.rc == 0, res.err
    assert "leaked" not in res.err, res.err


def test_no_nanobind_leak_report_for_library_users() -> None:
    """The same for a script that imports the suite, colour-science and torch."""
    proc = subprocess.run(
        [sys.executable, "-c", f"import sys; sys.path.insert(0, {str(REPO)!r}); import itmn.hdrio, colour, torch"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "leaked" not in proc.stderr, proc.stderr


# --------------------------------------------------------------------------- alpha, implausible values
def _rgba_exr(path: Path, alpha: float) -> None:
    import OpenEXR

    rng = np.random.default_rng(0)
    rgb = (rng.random((24, 24, 3)) * 900 + 10).astype(np.float32)
    a = np.full((24, 24), alpha, np.float32)
    a[:4] = 1.0
    OpenEXR.File({"type": OpenEXR.scanlineimage}, {"RGBA": np.dstack([rgb, a])}).write(str(path))


def test_a_dropped_alpha_channel_is_reported(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    import pytest

    from itmn import hdrio
    from itmn.errors import ItmnWarning

    rgba = tmp_path / "rgba.exr"
    _rgba_exr(rgba, alpha=0.25)
    with pytest.warns(ItmnWarning, match=r"rgba.exr: alpha channel A ignored \(480 of 576 pixels are not opaque\)"):
        img, meta = hdrio.read_hdr(rgba)
    assert img.shape == (24, 24, 3)
    _, ref = _exr_pair(tmp_path)
    res = cli("itmn-bench", "score", str(rgba), str(ref), "--metric", "mpsnr")
    assert res.rc == 0, res.err
    warnings = [ln for ln in res.err.splitlines() if ln.startswith("itmn-bench: warning: ")]
    assert len(warnings) == 1 and "alpha channel A ignored" in warnings[0], res.err


def test_an_opaque_alpha_channel_is_reported_as_losing_nothing(tmp_path: Path) -> None:
    import pytest

    from itmn import hdrio
    from itmn.errors import ItmnWarning

    rgba = tmp_path / "opaque.exr"
    _rgba_exr(rgba, alpha=1.0)
    with pytest.warns(ItmnWarning, match=r"opaque.exr: alpha channel A ignored \(every pixel is opaque, nothing is lost\)"):
        img, _ = hdrio.read_hdr(rgba)
    assert img.shape == (24, 24, 3)


def test_an_implausible_luminance_is_reported(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from itmn import hdrio

    t, r = _exr_pair(tmp_path)
    img, _ = hdrio.read_hdr(t)
    img[3, 5, 1] = 1e30
    hdrio.write_exr(t, img)
    res = cli("itmn-bench", "score", str(t), str(r), "--metric", "mpsnr")
    assert res.rc == 0, res.err
    warnings = [ln for ln in res.err.splitlines() if ln.startswith("itmn-bench: warning: ")]
    assert len(warnings) == 1, res.err
    assert str(t) in warnings[0] and "1e+30 cd/m^2" in warnings[0] and "10000" in warnings[0]


# --------------------------------------------------------------------------- file modes
def test_overwriting_an_output_keeps_its_mode(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from itmn import hdrio

    src = tmp_path / "in.png"
    hdrio.write_png(src, np.random.default_rng(0).random((16, 16, 3)).astype(np.float32))
    out = tmp_path / "out.exr"
    assert cli("itmn", "expand", "--method", "akyuz", str(src), str(out)).rc == 0
    out.chmod(0o640)
    assert cli("itmn", "expand", "--method", "huo", str(src), str(out)).rc == 0
    assert out.stat().st_mode & 0o777 == 0o640


def test_link_or_copy_keeps_the_destination_mode(tmp_path: Path) -> None:
    """last.pt is re-linked to each new periodic checkpoint: its mode must not change."""
    from itmn.atomic import link_or_copy, write_bytes

    last = write_bytes(tmp_path / "last.pt", b"old")
    last.chmod(0o640)
    new = write_bytes(tmp_path / "iter_2.pt", b"new")
    link_or_copy(new, last)
    assert last.read_bytes() == b"new" and last.stat().st_mode & 0o777 == 0o640


def test_fetched_files_get_the_usual_mode(tmp_path: Path) -> None:
    """Downloaded cache files were renamed from mkstemp's 0600 files: other users of a shared
    cache could not read them. Under umask 022 they are 0644 like any new file."""
    import hashlib
    import os

    from itmn.data import fetch, registry

    data = b"an image" * 100
    rf = registry.RemoteFile("someone/photos", "0" * 40, "img/a.exr", hashlib.sha256(data).hexdigest(), len(data))
    mirror = tmp_path / "mirror" / "photos" / ("0" * 40) / "img"
    mirror.mkdir(parents=True)
    (mirror / "a.exr").write_bytes(data)
    old = os.umask(0o022)
    try:
        res = fetch.fetch_file(rf, tmp_path / "cache", str(tmp_path / "mirror"))
    finally:
        os.umask(old)
    assert res.status == "downloaded"
    assert res.path.stat().st_mode & 0o777 == 0o644
