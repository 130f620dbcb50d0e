"""itmn.hdrio: round trips, files written byte by byte from the format specifications, and the
real files of the shared data mirror (scanline, tiled, multi-resolution, luminance/chroma,
Radiance).

Independent references used here:
* PFM: written byte by byte from the spec (header "PF\\n<w> <h>\\n<scale>\\n", negative scale =
  little-endian, raster rows bottom to top).
* Radiance: a flat RGBE file written byte by byte, and the mirror's run-length-encoded files
  decoded by a small RLE decoder in this file (Radiance's "new" RLE: 2 2 hi lo, then per
  component runs (count > 128) or literals). RGBE is decoded as m * 2^(e - 136), the
  convention of OpenImageIO, stb_image and Walter's rgbe.c (Radiance's own reader adds 0.5 to
  m; that is at most half a mantissa step).
* EXR: the same files read by OpenImageIO (for layouts it supports) and the raw channels of the
  OpenEXR binding (for luminance/chroma files, which OpenImageIO refuses).
"""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import pytest

from itmn import colour, hdrio
from itmn.errors import ImageError
from itmn.hdrio.exr import exr_precheck, upsample_chroma

OEXR = "openexr-images/e38ffb0790f62f05a6f083a6fa4cac150b3b7452"
DREI = "drei-assets/456060a26bbeb8fdf79326f224b6d99b8bcce736"


def oiio_read(path: Path) -> np.ndarray:
    import OpenImageIO as oiio

    inp = oiio.ImageInput.open(str(path))
    assert inp is not None, oiio.geterror()
    try:
        return np.asarray(inp.read_image(0, 0, 0, 3, "float"))
    finally:
        inp.close()


def rgbe_decode_file(path: Path) -> np.ndarray:
    """Minimal Radiance RGBE reader (header, '-Y H +X W', new-style RLE or flat scanlines)."""
    data = Path(path).read_bytes()
    pos = data.index(b"\n\n") + 2
    eol = data.index(b"\n", pos)
    _, h, _, w = data[pos:eol].split()
    h, w = int(h), int(w)
    pos = eol + 1
    out = np.zeros((h, w, 4), dtype=np.uint8)
    for y in range(h):
        if data[pos] == 2 and data[pos + 1] == 2 and (data[pos + 2] << 8 | data[pos + 3]) == w:
            pos += 4
            for ch in range(4):
                x = 0
                while x < w:
                    count = data[pos]
                    pos += 1
                    if count > 128:
                        count -= 128
                        out[y, x : x + count, ch] = data[pos]
                        pos += 1
                    else:
                        out[y, x : x + count, ch] = np.frombuffer(data, np.uint8, count, pos)
                        pos += count
                    x += count
        else:
            out[y] = np.frombuffer(data, np.uint8, 4 * w, pos).reshape(w, 4)
            pos += 4 * w
    m, e = out[..., :3].astype(np.float64), out[..., 3].astype(int)
    return np.where(e[..., None] > 0, m * np.ldexp(1.0, e - 136)[..., None], 0.0)


# --------------------------------------------------------------------------- round trips
def test_exr_float32_round_trip_is_exact(tmp_path: Path, rng: np.random.Generator) -> None:
    img = rng.uniform(0, 5000, (7, 9, 3)).astype(np.float32)
    p = hdrio.write_exr(tmp_path / "a.exr", img, attributes={"itmn:unit": "cd/m2"})
    back, meta = hdrio.read_hdr(p)
    np.testing.assert_array_equal(back, img)
    assert back.dtype == np.float32 and meta["source_dtype"] == "float32" and not meta["primaries_converted"]
    import OpenEXR

    assert OpenEXR.File(str(p)).header()["itmn:unit"] == "cd/m2"


def test_exr_half_round_trip(tmp_path: Path, rng: np.random.Generator) -> None:
    img = rng.uniform(0, 60000, (5, 4, 3)).astype(np.float32)
    back, meta = hdrio.read_hdr(hdrio.write_exr(tmp_path / "h.exr", img, half=True))
    np.testing.assert_array_equal(back, img.astype(np.float16).astype(np.float32))
    assert meta["source_dtype"] == "half"


def test_exr_bt2020_chromaticities_are_converted(tmp_path: Path, rng: np.random.Generator) -> None:
    import colour as cs

    img2020 = rng.uniform(0.005, 1000, (6, 6, 3)).astype(np.float32)
    p = hdrio.write_exr(tmp_path / "w.exr", img2020, primaries="bt2020")
    back709, meta = hdrio.read_hdr(p)
    m = cs.matrix_RGB_to_RGB(cs.RGB_COLOURSPACES["ITU-R BT.2020"], cs.RGB_COLOURSPACES["ITU-R BT.709"])
    np.testing.assert_allclose(back709, img2020 @ m.T, rtol=1e-5, atol=1e-4)
    assert meta["primaries_converted"] and meta["chromaticities"][0] == pytest.approx(0.708)
    same, meta2 = hdrio.read_hdr(p, out_primaries="bt2020")
    np.testing.assert_array_equal(same, img2020)  # no round trip through BT.709
    assert not meta2["primaries_converted"]


def test_exr_with_other_chromaticities_and_white(tmp_path: Path) -> None:
    """A file in ACES AP0 (D60 white) comes back in BT.709 with Bradford adaptation."""
    import colour as cs
    import OpenEXR

    ap0 = cs.RGB_COLOURSPACES["ACES2065-1"]
    img = np.array([[[1.0, 0.5, 0.25], [0.2, 0.9, 0.1]]], dtype=np.float32)
    header = {"chromaticities": tuple(float(v) for v in (*ap0.primaries.ravel(), *ap0.whitepoint))}
    OpenEXR.File(header, {"RGB": img}).write(str(tmp_path / "aces.exr"))
    back, _ = hdrio.read_hdr(tmp_path / "aces.exr")
    m = cs.matrix_RGB_to_RGB(
        ap0, cs.RGB_COLOURSPACES["ITU-R BT.709"], chromatic_adaptation_transform="Bradford"
    )
    np.testing.assert_allclose(back, img @ m.T, rtol=1e-4, atol=1e-5)


def test_radiance_round_trip(tmp_path: Path, rng: np.random.Generator) -> None:
    img = rng.uniform(0.001, 3000, (9, 11, 3)).astype(np.float32)
    back, meta = hdrio.read_hdr(hdrio.write_radiance(tmp_path / "a.hdr", img))
    # RGBE: 8-bit mantissa shared exponent: error below 1/128 of the pixel's largest channel
    err = np.abs(back - img) / img.max(axis=-1, keepdims=True)
    assert err.max() < 1 / 128 and back.dtype == np.float32 and meta["format"] == "hdr"


def test_radiance_flat_file_written_from_the_spec(tmp_path: Path) -> None:
    rgbe = np.array(
        [
            [[128, 64, 32, 129], [255, 0, 1, 136], [1, 2, 3, 120]],
            [[200, 100, 50, 128], [0, 0, 0, 0], [128, 128, 128, 130]],
        ],
        dtype=np.uint8,
    )
    p = tmp_path / "flat.hdr"
    p.write_bytes(b"#?RADIANCE\nFORMAT=32-bit_rle_rgbe\n\n-Y 2 +X 3\n" + rgbe.tobytes())
    img, _ = hdrio.read_hdr(p)
    np.testing.assert_array_equal(img, rgbe_decode_file(p).astype(np.float32))
    assert img[0, 0].tolist() == [1.0, 0.5, 0.25] and img[0, 1].tolist() == [255.0, 0.0, 1.0]


def test_radiance_primaries_header_is_honoured(tmp_path: Path) -> None:
    rgbe = np.array([[[128, 64, 32, 129]]], dtype=np.uint8)
    prim = " ".join(str(v) for v in colour.CHROMATICITIES["bt2020"])
    p = tmp_path / "p.hdr"
    p.write_bytes(
        f"#?RADIANCE\nPRIMARIES={prim}\nFORMAT=32-bit_rle_rgbe\n\n-Y 1 +X 1\n".encode() + rgbe.tobytes()
    )
    img, meta = hdrio.read_hdr(p)
    np.testing.assert_allclose(img[0, 0], colour.M_2020_TO_709 @ np.array([1.0, 0.5, 0.25]), rtol=1e-6)
    assert meta["primaries_converted"]


def test_radiance_xyze_is_refused(tmp_path: Path) -> None:
    p = tmp_path / "xyz.hdr"
    p.write_bytes(b"#?RADIANCE\nFORMAT=32-bit_rle_xyze\n\n-Y 1 +X 1\n" + bytes([128, 128, 128, 129]))
    with pytest.raises(ImageError, match="XYZE"):
        hdrio.read_hdr(p)


def _pfm_bytes(img: np.ndarray, little: bool = True) -> bytes:
    h, w = img.shape[:2]
    grey = img.ndim == 2
    head = f"{'Pf' if grey else 'PF'}\n{w} {h}\n{'-1.0' if little else '1.0'}\n".encode()
    return head + np.ascontiguousarray(img[::-1]).astype("<f4" if little else ">f4").tobytes()


@pytest.mark.parametrize("little", [True, False], ids=["little-endian", "big-endian"])
def test_pfm_orientation_against_a_file_written_from_the_spec(tmp_path: Path, little: bool) -> None:
    img = np.arange(4 * 3 * 3, dtype=np.float32).reshape(4, 3, 3)  # row 0 is the top row
    p = tmp_path / "spec.pfm"
    p.write_bytes(_pfm_bytes(img, little))
    back, meta = hdrio.read_hdr(p)
    np.testing.assert_array_equal(back, img)
    assert meta["format"] == "pfm"


def test_pfm_writer_stores_rows_bottom_to_top(tmp_path: Path, rng: np.random.Generator) -> None:
    img = rng.uniform(0, 10, (5, 4, 3)).astype(np.float32)
    raw = hdrio.write_pfm(tmp_path / "w.pfm", img).read_bytes()
    lines = raw.split(b"\n", 3)
    assert lines[0] == b"PF" and lines[1] == b"4 5" and float(lines[2]) < 0
    np.testing.assert_array_equal(np.frombuffer(lines[3], "<f4").reshape(5, 4, 3), img[::-1])
    np.testing.assert_array_equal(hdrio.read_hdr(tmp_path / "w.pfm")[0], img)


def test_npy_round_trip(tmp_path: Path, rng: np.random.Generator) -> None:
    img = rng.uniform(0, 1, (3, 4, 3)).astype(np.float32)
    np.testing.assert_array_equal(hdrio.read_hdr(hdrio.write_hdr(tmp_path / "a.npy", img))[0], img)


@pytest.mark.parametrize("ext", [".png", ".tif"])
@pytest.mark.parametrize("encoding", ["pq", "hlg"])
def test_16bit_encoded_bt2020_files(
    tmp_path: Path, rng: np.random.Generator, ext: str, encoding: str
) -> None:
    disp2020 = rng.uniform(0.1, 600.0, (6, 5, 3))
    if encoding == "pq":
        code = colour.pq_encode(disp2020)
    else:
        code = rng.uniform(0.05, 1.0, (6, 5, 3))
        disp2020 = colour.hlg_decode(code)
    p = hdrio.write_png(tmp_path / f"enc{ext}", code.astype(np.float32), bits=16)
    img, meta = hdrio.read_hdr(p, encoding=encoding, primaries="bt2020")
    expected709 = colour.bt2020_to_bt709(disp2020)
    # 16-bit quantization: one code step is < 0.03% of the luminance for PQ, less for HLG
    np.testing.assert_allclose(img, expected709, rtol=2e-3, atol=2e-3 * np.abs(expected709).max())
    assert meta["encoding"] == encoding and meta["unit"] == "cd/m2"
    with pytest.raises(ImageError, match="no encoding was named"):
        hdrio.read_hdr(p)


def test_read_ldr_8_and_16_bit(tmp_path: Path) -> None:
    code = (np.arange(24, dtype=np.float32).reshape(2, 4, 3) * 10) / 255
    np.testing.assert_array_equal(hdrio.read_ldr(hdrio.write_png(tmp_path / "a.png", code)), code)
    c16 = np.rint(code * 65535) / 65535
    np.testing.assert_allclose(
        hdrio.read_ldr(hdrio.write_png(tmp_path / "b.png", c16, bits=16)), c16, atol=1e-7
    )


# --------------------------------------------------------------------------- writers and atomicity
def test_atomic_path_leaves_nothing_on_failure(tmp_path: Path) -> None:
    target = tmp_path / "out.exr"
    target.write_bytes(b"old")
    with pytest.raises(RuntimeError), hdrio.atomic_path(target) as tmp:
        tmp.write_bytes(b"partial")
        raise RuntimeError("crash while writing")
    assert target.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.exr"]


@pytest.mark.parametrize(
    ("writer", "img", "match"),
    [
        (hdrio.write_exr, np.full((2, 2, 3), np.nan, np.float32), "non-finite"),
        (hdrio.write_png, np.full((2, 2, 3), 1.5, np.float32), r"span \[1.5, 1.5\]"),
        (hdrio.write_radiance, -np.ones((2, 2, 3), np.float32), "negative values"),
        (hdrio.write_pfm, np.ones((2, 2), np.float32), "single-channel"),
    ],
    ids=["exr-nan", "png-range", "hdr-negative", "pfm-grey"],
)
def test_writers_refuse_bad_arrays_and_write_nothing(tmp_path: Path, writer, img, match) -> None:  # noqa: ANN001
    ext = {
        hdrio.write_exr: ".exr",
        hdrio.write_png: ".png",
        hdrio.write_radiance: ".hdr",
        hdrio.write_pfm: ".pfm",
    }
    with pytest.raises(ImageError, match=match):
        writer(tmp_path / f"x{ext[writer]}", img)
    assert list(tmp_path.iterdir()) == []


def test_write_exr_half_overflow(tmp_path: Path) -> None:
    with pytest.raises(ImageError, match="overflows half"):
        hdrio.write_exr(tmp_path / "o.exr", np.full((1, 1, 3), 70000.0, np.float32), half=True)


# --------------------------------------------------------------------------- the mirror's real files
@pytest.mark.parametrize(
    ("path", "shape", "storage"),
    [
        ("ScanLines/Cannon.exr", (566, 780, 3), "scanlineimage"),
        ("ScanLines/Desk.exr", (874, 644, 3), "scanlineimage"),  # RGBA: alpha ignored
        ("Tiles/GoldenGate.exr", (860, 1262, 3), "tiledimage"),
        ("MultiResolution/Bonita.exr", (832, 550, 3), "tiledimage"),  # level 0 of a mip-map
        ("MultiResolution/KernerEnvLatLong.exr", (512, 1024, 3), "tiledimage"),
        ("Chromaticities/Rec709.exr", (406, 610, 3), "scanlineimage"),
    ],
)
def test_mirror_exr_files_match_openimageio(mirror: Path, path: str, shape: tuple, storage: str) -> None:
    p = mirror / OEXR / path
    img, meta = hdrio.read_hdr(p)
    assert img.shape == shape and img.dtype == np.float32 and meta["storage"] == storage
    np.testing.assert_array_equal(img, oiio_read(p))  # level 0 / subimage 0, first 3 channels R,G,B


def test_desk_is_rgba_with_noise_level_negatives(mirror: Path) -> None:
    img, meta = hdrio.read_hdr(mirror / OEXR / "ScanLines/Desk.exr")
    assert meta["layout"].startswith("RGBA")
    assert meta["n_negative"] == meta["n_negative_stored"] == 10794
    assert meta["min"] == pytest.approx(-0.0119171, rel=1e-5) and meta["max"] == pytest.approx(
        233.75, rel=1e-3
    )


@pytest.mark.parametrize("name", ["MtTamNorth", "CrissyField", "Flowers"])
def test_luminance_chroma_files(mirror: Path, name: str) -> None:
    """RGB from Y/RY/BY: the RGB's luminance (weights of the file's primaries, Rec.709) gives back
    Y, and at the stored chroma samples R/Y - 1 and B/Y - 1 give back RY and BY."""
    import colour as cs
    import OpenEXR

    p = mirror / OEXR / "LuminanceChroma" / f"{name}.exr"
    raw = {
        k: v.pixels.astype(np.float64)
        for k, v in OpenEXR.File(str(p), separate_channels=True).channels().items()
    }
    img, meta = hdrio.read_hdr(p)
    assert img.shape == (*raw["Y"].shape, 3) and "luminance/chroma" in meta["layout"]
    bt709 = cs.RGB_COLOURSPACES["ITU-R BT.709"]
    w = cs.normalised_primary_matrix(bt709.primaries, bt709.whitepoint)[1]
    y = img.astype(np.float64) @ w
    np.testing.assert_allclose(y, raw["Y"], rtol=1e-5, atol=1e-6)
    # the protocol's rounded weights agree to 1e-4 relative
    np.testing.assert_allclose(colour.luminance(img.astype(np.float64)), raw["Y"], rtol=2e-4, atol=1e-6)
    ys = raw["Y"][::2, ::2]
    ok = ys > 1e-3
    ry = img[::2, ::2, 0] / np.where(ok, ys, 1) - 1
    by = img[::2, ::2, 2] / np.where(ok, ys, 1) - 1
    np.testing.assert_allclose(ry[ok], raw["RY"][ok], atol=2e-4)
    np.testing.assert_allclose(by[ok], raw["BY"][ok], atol=2e-4)
    # chroma ringing at edges makes a few negatives; they must stay rare
    assert meta["n_negative"] < 1e-3 * img.size


def test_upsample_chroma_phase() -> None:
    """A data window starting at an odd x has its first chroma sample at local x = 1."""
    ch = np.array([[0.0, 10.0, 20.0]])
    even = upsample_chroma(ch, (1, 6), (1, 2), (0, 0))
    odd = upsample_chroma(ch, (1, 6), (1, 2), (0, 1))
    np.testing.assert_allclose(even, [[0, 5, 10, 15, 20, 20]])
    np.testing.assert_allclose(odd, [[0, 0, 5, 10, 15, 20]])


def test_wide_color_gamut_declares_rec709(mirror: Path) -> None:
    img, meta = hdrio.read_hdr(mirror / OEXR / "TestImages/WideColorGamut.exr")
    assert meta["chromaticities"][:2] == pytest.approx((0.64, 0.33), abs=1e-6)
    assert not meta["primaries_converted"]  # Rec.709 declared: values kept as stored
    assert meta["n_negative"] > 0 and meta["min"] == pytest.approx(-1.3027, abs=1e-3)


@pytest.mark.parametrize(
    "name",
    ["adams_place_bridge", "forest_slope", "immenstadter_horn", "kiara_1_dawn", "lebombo", "potsdamer_platz",
     "st_fagans_interior", "venice_sunset"],
)  # fmt: skip
def test_radiance_files_are_float_hdr_not_8bit(mirror: Path, name: str) -> None:
    """Guard against readers that silently return uint8 for .hdr (imageio 2.38 did)."""
    p = mirror / DREI / f"hdri/{name}_1k.hdr"
    img, meta = hdrio.read_hdr(p)
    assert img.dtype == np.float32 and img.shape == (512, 1024, 3)
    assert img.max() > 1.0 and not np.array_equal(img, np.round(img))
    assert meta["chromaticities"] is None  # PRIMARIES=0 0 0 0 0 0 0 0 (Photoshop's "unspecified")


def test_radiance_rle_file_matches_an_independent_decoder(mirror: Path) -> None:
    p = mirror / DREI / "hdri/lebombo_1k.hdr"
    img, _ = hdrio.read_hdr(p)
    np.testing.assert_array_equal(img, rgbe_decode_file(p).astype(np.float32))


def test_nan_inf_file_is_rejected_or_sanitized(mirror: Path) -> None:
    p = mirror / OEXR / "TestImages/BrightRingsNanInf.exr"
    with pytest.raises(ImageError, match=r"18 non-finite values \(6 NaN, 6 \+Inf, 6 -Inf\)") as info:
        hdrio.read_hdr(p)
    assert "BrightRingsNanInf.exr" in str(info.value) and "--sanitize" in str(info.value)
    img, meta = hdrio.read_hdr(p, sanitize=True)
    assert meta["n_nonfinite_zeroed"] == 18 and np.isfinite(img).all()
    clean, _ = hdrio.read_hdr(mirror / OEXR / "TestImages/BrightRings.exr")
    changed = img != clean
    assert changed.any(axis=-1).sum() <= 18 and (img[changed] == 0).all()


def test_single_channel_exr(mirror: Path) -> None:
    p = mirror / OEXR / "TestImages/GrayRampsHorizontal.exr"
    with pytest.raises(ImageError, match="single-channel"):
        hdrio.read_hdr(p)
    img, meta = hdrio.read_hdr(p, allow_gray=True)
    assert np.array_equal(img[..., 0], img[..., 2]) and meta["layout"].startswith("Y")


def test_exr_precheck_parses_the_data_window(tmp_path: Path) -> None:
    p = hdrio.write_exr(tmp_path / "one.exr", np.ones((1, 1, 3), np.float32))
    b = bytearray(p.read_bytes())
    key = b"dataWindow\x00box2i\x00"
    i = b.index(key) + len(key) + 4
    assert struct.unpack("<4i", b[i : i + 16]) == (0, 0, 0, 0)
    exr_precheck(p)  # a valid 1 x 1 file passes
