"""Every kind of bad input gets a clear error (the file, what was found, what was expected), and
``itmn data prepare`` on a folder holding the bad file writes no output for it while the good
images of the folder are prepared.

Cases: corrupt and truncated .exr/.hdr/.pfm, an 8-bit PNG passed as HDR (by extension and
renamed .exr), NaN/Inf pixels (synthetic and OpenEXR's BrightRingsNanInf.exr), large negative
values, 1-channel images (grey PFM, Y-only EXR), 4-channel PNG/TIFF/npy, zero-sized images
(.pfm, .hdr, .exr, .npy). An RGBA EXR is an RGB image with alpha and is accepted.
"""

from __future__ import annotations

import json
import struct
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from itmn import hdrio
from itmn.data import prepare
from itmn.errors import ImageError, ItmnError

PARAMS = prepare.PrepareParams(size=8)
QUIET = {"log": lambda msg: None, "progress": False}


def good_image(seed: int = 0, shape: tuple[int, int] = (12, 16)) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.uniform(0.01, 50.0, (*shape, 3)).astype(np.float32)


def truncated(path: Path, fraction: float = 0.5) -> Path:
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * fraction)])
    return path


def png8(path: Path, channels: int = 3) -> Path:
    """An 8-bit PNG at ``path`` (whatever its extension)."""
    import OpenImageIO as oiio

    px = (np.arange(6 * 5 * channels) % 256).astype(np.uint8).reshape(6, 5, channels)
    tmp = path.with_name(path.stem + "-tmp.png")
    out = oiio.ImageOutput.create(str(tmp))
    out.open(str(tmp), oiio.ImageSpec(5, 6, channels, "uint8"))
    out.write_image(px)
    out.close()
    tmp.replace(path)
    return path


def image16(path: Path, channels: int) -> Path:
    import OpenImageIO as oiio

    px = np.full((4, 4, channels), 30000, np.uint16)
    out = oiio.ImageOutput.create(str(path))
    out.open(str(path), oiio.ImageSpec(4, 4, channels, "uint16"))
    out.write_image(px)
    out.close()
    return path


def zero_sized_exr(path: Path) -> Path:
    """A valid 1x1 EXR whose data window is patched to max < min (the library cannot write one)."""
    hdrio.write_exr(path, np.ones((1, 1, 3), np.float32))
    b = bytearray(path.read_bytes())
    key = b"dataWindow\x00box2i\x00"
    i = b.index(key) + len(key) + 4
    b[i : i + 16] = struct.pack("<4i", 0, 0, -1, -1)
    path.write_bytes(bytes(b))
    return path


def y_only_exr(path: Path) -> Path:
    import OpenEXR

    OpenEXR.File({"type": OpenEXR.scanlineimage}, {"Y": np.ones((4, 4), np.float32)}).write(str(path))
    return path


def nan_exr(path: Path) -> Path:
    img = good_image()
    img[1, 1, 0] = np.nan
    img[2, 2, 1] = np.nan
    img[3, 3, 2] = np.inf
    _write_raw_exr(path, img)
    return path


def _write_raw_exr(path: Path, img: np.ndarray) -> None:
    import OpenEXR  # hdrio.write_exr refuses NaN, as it should: write the bad file directly

    OpenEXR.File({"type": OpenEXR.scanlineimage}, {"RGB": img}).write(str(path))


def negative_exr(path: Path) -> Path:
    img = good_image()
    img[0, 0, 0] = -20.0
    return hdrio.write_exr(path, img)


def write_raw(name: str, data: bytes) -> Callable[[Path], Path]:
    def make(folder: Path) -> Path:
        p = folder / name
        p.write_bytes(data)
        return p

    return make


# id -> (make(folder) -> path, regex the error must match)
CASES: dict[str, tuple[Callable[[Path], Path], str]] = {
    "corrupt-exr": (write_raw("bad.exr", b"\x00garbage" * 50), r"not an OpenEXR file: unknown content"),
    "truncated-exr": (
        lambda d: truncated(hdrio.write_exr(d / "bad.exr", good_image(1, (64, 64)))),
        r"cannot read OpenEXR data, the file is corrupt or truncated",
    ),
    "png-renamed-exr": (lambda d: png8(d / "bad.exr"), r"not an OpenEXR file: a PNG file"),
    "corrupt-hdr": (
        write_raw("bad.hdr", b"\x89PNG\r\n\x1a\n" + b"x" * 40),
        r"not a Radiance HDR file: a PNG file",
    ),
    "truncated-hdr": (
        lambda d: truncated(hdrio.write_radiance(d / "bad.hdr", good_image(2, (64, 64)))),
        r"cannot read pixels \(Read error",
    ),
    "corrupt-pfm": (write_raw("bad.pfm", b"P6\n3 3\n255\n" + bytes(27)), r"not a PFM file"),
    "truncated-pfm": (
        lambda d: truncated(hdrio.write_pfm(d / "bad.pfm", good_image(3))),
        r"cannot read pixels \(Premature end of file\)",
    ),
    "nan-inf-exr": (
        lambda d: nan_exr(d / "bad.exr"),
        r"3 non-finite values \(2 NaN, 1 \+Inf, 0 -Inf\).*--sanitize",
    ),
    "large-negatives": (lambda d: negative_exr(d / "bad.exr"), r"1 negative values down to -20"),
    "grey-pfm": (
        write_raw("bad.pfm", b"Pf\n3 2\n-1.0\n" + np.ones(6, "<f4").tobytes()),
        r"single-channel \(grey\) image, shape \(2, 3, 1\) \(expected 3 RGB channels\)",
    ),
    "y-only-exr": (lambda d: y_only_exr(d / "bad.exr"), r"single-channel \(Y only\) OpenEXR image"),
    "zero-sized-exr": (lambda d: zero_sized_exr(d / "bad.exr"), r"zero-sized image \(data window x 0..-1"),
    "zero-sized-pfm": (write_raw("bad.pfm", b"PF\n0 0\n-1.0\n"), r"resolution must be at least 1x1.*0x0"),
    "zero-sized-hdr": (
        write_raw("bad.hdr", b"#?RADIANCE\nFORMAT=32-bit_rle_rgbe\n\n-Y 0 +X 0\n"),
        r"resolution must be at least 1x1.*0x0",
    ),
    "empty-file": (write_raw("bad.exr", b""), r"file is empty \(0 bytes\)"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_reading_gives_a_clear_error(tmp_path: Path, case: str) -> None:
    make, pattern = CASES[case]
    path = make(tmp_path)
    with pytest.raises(ImageError, match=pattern) as info:
        prepare.read_source(path, PARAMS, sanitize=False)  # hdrio.read_hdr + the negative policy
    msg = str(info.value)
    assert msg.startswith(str(path)), msg  # names the file
    assert "(expected " in msg, msg  # says what was expected


@pytest.mark.parametrize("case", list(CASES))
def test_prepare_writes_nothing_for_the_bad_file(tmp_path: Path, case: str) -> None:
    src = tmp_path / "src"
    src.mkdir()
    hdrio.write_exr(src / "good.exr", good_image(7))
    make, pattern = CASES[case]
    bad = make(src)
    out = tmp_path / "out"
    with pytest.raises(ItmnError, match=r"1 image\(s\) of .* could not be prepared") as info:
        prepare.prepare_dataset(src, out=out, params=PARAMS, **QUIET)
    assert bad.stem in str(info.value)
    produced = sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file())
    assert not [p for p in produced if Path(p).stem == bad.stem], produced
    assert "hdr/good.exr" in produced and "ldr/reinhard_global/good.png" in produced
    m = json.loads((out / "manifest.json").read_text())
    assert [e["name"] for e in m["images"]] == ["good"]
    assert len(m["failed"]) == 1 and m["failed"][0]["name"] == "bad"
    import re

    assert re.search(pattern, m["failed"][0]["error"])
    splits = json.loads((out / "splits.json").read_text())
    assert "bad" not in splits["train"] + splits["test"]


def test_a_good_file_turned_bad_loses_its_old_outputs(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    hdrio.write_exr(src / "a.exr", good_image(1))
    hdrio.write_exr(src / "b.exr", good_image(2))
    out = tmp_path / "out"
    prepare.prepare_dataset(src, out=out, params=PARAMS, **QUIET)
    assert (out / "hdr/b.exr").is_file()
    truncated(src / "b.exr", 0.3)
    with pytest.raises(ItmnError, match="b: .*corrupt or truncated"):
        prepare.prepare_dataset(src, out=out, params=PARAMS, **QUIET)
    assert not list(out.rglob("b.*")) and (out / "hdr/a.exr").is_file()


# --------------------------------------------------------------------------- accepted with a record
def test_sanitize_zeroes_and_counts_nonfinite_values(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    nan_exr(src / "nan.exr")
    out = tmp_path / "out"
    prepare.prepare_dataset(src, out=out, params=PARAMS, sanitize=True, **QUIET)
    entry = json.loads((out / "manifest.json").read_text())["images"][0]
    assert entry["nonfinite_zeroed"] == 3 and (out / "hdr/nan.exr").is_file()
    # without --sanitize the sanitized result is not taken as up to date
    with pytest.raises(ItmnError, match="3 non-finite values"):
        prepare.prepare_dataset(src, out=out, params=PARAMS, **QUIET)
    assert not (out / "hdr/nan.exr").exists()


def test_brightrings_nan_inf_from_the_mirror(tmp_path: Path, mirror: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "rings.exr").symlink_to(
        mirror / "openexr-images/e38ffb0790f62f05a6f083a6fa4cac150b3b7452/TestImages/BrightRingsNanInf.exr"
    )
    with pytest.raises(
        ItmnError, match=r"rings: .*rings.exr: 18 non-finite values \(6 NaN, 6 \+Inf, 6 -Inf\)"
    ):
        prepare.prepare_dataset(src, out=tmp_path / "out", params=PARAMS, **QUIET)
    assert not list((tmp_path / "out").rglob("rings.*"))
    rep = prepare.prepare_dataset(src, out=tmp_path / "out", params=PARAMS, sanitize=True, **QUIET)
    assert rep.prepared == ["rings"]
    assert json.loads((tmp_path / "out/manifest.json").read_text())["images"][0]["nonfinite_zeroed"] == 18


def test_rgba_exr_is_an_rgb_image_with_alpha(tmp_path: Path) -> None:
    import OpenEXR

    img = good_image(4)
    alpha = np.full(img.shape[:2], 0.25, np.float32)
    chans = {"R": img[..., 0].copy(), "G": img[..., 1].copy(), "B": img[..., 2].copy(), "A": alpha}
    OpenEXR.File({"type": OpenEXR.scanlineimage}, chans).write(str(tmp_path / "rgba.exr"))
    back, meta = hdrio.read_hdr(tmp_path / "rgba.exr")
    np.testing.assert_array_equal(back, img)
    assert meta["layout"] == "RGBA (alpha ignored)"


def test_small_negatives_are_clamped_and_counted_in_the_manifest(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    img = good_image(5)
    img[0, :3, 1] = -0.01  # 0.02% of the 99.9th-percentile luminance: noise level
    hdrio.write_exr(src / "noisy.exr", img)
    prepare.prepare_dataset(src, out=tmp_path / "out", params=PARAMS, **QUIET)
    entry = json.loads((tmp_path / "out/manifest.json").read_text())["images"][0]
    assert entry["negatives_clamped"] == 3 and entry["negatives_min"] == pytest.approx(-0.01)


# --------------------------------------------------------------------------- not HDR at all
def test_8bit_png_passed_as_hdr(tmp_path: Path) -> None:
    p = png8(tmp_path / "photo.png")
    with pytest.raises(
        ImageError, match=r"photo.png: uint8 .png file: display-encoded LDR, not HDR \(expected an .exr"
    ):
        hdrio.read_hdr(p)
    with pytest.raises(ImageError, match="display-encoded LDR"):
        hdrio.read_hdr(p, encoding="pq")


def test_png_in_a_folder_dataset_is_ignored_and_listed(tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    hdrio.write_exr(src / "good.exr", good_image(6))
    png8(src / "photo.png")
    rep = prepare.prepare_dataset(src, out=tmp_path / "out", params=PARAMS, **QUIET)
    assert rep.prepared == ["good"] and not list((tmp_path / "out").rglob("photo.*"))
    ignored = json.loads((tmp_path / "out/manifest.json").read_text())["ignored"]
    assert ignored[0]["file"].endswith("photo.png") and "not an HDR format" in ignored[0]["reason"]


@pytest.mark.parametrize("ext", [".png", ".tif"])
def test_four_channel_16bit_image(tmp_path: Path, ext: str) -> None:
    p = image16(tmp_path / f"rgba{ext}", 4)
    with pytest.raises(
        ImageError, match=rf"rgba{ext}: a 4-channel \(RGBA\) image, shape \(4, 4, 4\) \(expected 3 RGB"
    ):
        hdrio.read_hdr(p, encoding="pq")
    with pytest.raises(ImageError, match=r"4-channel \(RGBA\) image"):
        hdrio.read_ldr(p)


def test_four_channel_8bit_png_as_ldr(tmp_path: Path) -> None:
    with pytest.raises(ImageError, match=r"a 4-channel \(RGBA\) image, shape \(6, 5, 4\)"):
        hdrio.read_ldr(png8(tmp_path / "rgba.png", 4))


@pytest.mark.parametrize(
    ("arr", "match"),
    [
        (
            np.ones((4, 4, 4), np.float32),
            r"image has shape \(4, 4, 4\) \(4 channels: RGBA or CMYK\?\) \(expected H x W x 3 RGB\)",
        ),
        (np.ones((4, 4), np.float32), r"shape \(4, 4\) \(a single-channel image\)"),
        (
            np.ones((0, 5, 3), np.float32),
            r"image is empty: shape \(0, 5, 3\) \(expected at least 1 x 1 pixels\)",
        ),
        (np.ones((3, 3, 3), np.uint8), r"integer dtype uint8"),
    ],
    ids=["4-channel", "1-channel", "zero-sized", "integer"],
)
def test_bad_npy_arrays(tmp_path: Path, arr: np.ndarray, match: str) -> None:
    p = tmp_path / "arr.npy"
    np.save(p, arr)
    with pytest.raises(ImageError, match=match) as info:
        hdrio.read_hdr(p)
    assert str(info.value).startswith(str(p))


def test_missing_file_and_unknown_extension(tmp_path: Path) -> None:
    with pytest.raises(ImageError, match=r"nothere.exr: no such file"):
        hdrio.read_hdr(tmp_path / "nothere.exr")
    (tmp_path / "x.bmp").write_bytes(b"BM")
    with pytest.raises(ImageError, match=r"unsupported extension '.bmp'"):
        hdrio.read_hdr(tmp_path / "x.bmp")
