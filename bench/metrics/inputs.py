"""Reading images for scoring: which primaries the numbers are in, and pairing folders by stem.

``itmn.hdrio.read_hdr`` returns linear BT.709 and converts from the file's chromaticities when the
file declares them (``meta["chromaticities"]``: the OpenEXR attribute, a Radiance PRIMARIES
line); .npy, .pfm and files without a declaration are returned as stored. Scoring therefore
decides the primaries per file:

* the file declares BT.2020 (what ``itmn.hdrio.write_exr(primaries="bt2020")`` writes, i.e. the
  prepared dataset and method outputs): the reader's conversion is undone in float64, so the
  metrics see the stored BT.2020 values (SSIM on PQ-BT.2020 must not lose the wide gamut);
  float32 round-off can turn a stored 0 into a value a few 1e-7 below it, and such values
  (at most 1e-6 of the pixel's largest component) are set to 0 and counted;
* the file declares BT.709: used as read;
* the file declares other primaries: the reader's BT.709 conversion is used, and the negatives
  that gamut conversion produces are set to 0 and counted (protocol v1 section 2, step 1);
* the file declares nothing: the values are taken to be in ``assumed`` primaries
  (``--primaries``; default bt709, as OpenEXR and Radiance files without the attribute are).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from itmn.errors import ImageError

SCORE_EXTENSIONS = (".exr", ".hdr", ".pfm", ".npy")
#: Relative size (of the pixel's largest |component|) below which a negative value is taken to be
#: float32 round-off of the reader's primaries conversion rather than a negative stored value.
ROUNDTRIP_TOLERANCE = 1e-6


@dataclass(frozen=True)
class ScoringImage:
    """An image ready for the metric registry.

    data: float64 H x W x 3 linear values as stored (cd/m^2 expected); primaries: "bt709" or
    "bt2020"; how: where the primaries came from ("declared by file", "assumed (--primaries)", ...);
    n_zeroed: values set to 0 while undoing/doing a primaries conversion (see module docstring).
    """

    path: Path
    data: np.ndarray
    primaries: str
    how: str
    n_zeroed: int


def load_for_scoring(path: str | Path, assumed: str = "bt709") -> ScoringImage:
    """Read ``path`` (.exr/.hdr/.pfm/.npy) and work out its primaries; see the module docstring."""
    from itmn import colour
    from itmn.hdrio import read_hdr

    if assumed not in ("bt709", "bt2020"):
        raise ValueError(f"assumed primaries must be 'bt709' or 'bt2020', got {assumed!r}")
    path = Path(path)
    if path.suffix.lower() not in SCORE_EXTENSIONS:
        raise ImageError(
            path, f"unsupported extension {path.suffix!r}", f"one of {' '.join(SCORE_EXTENSIONS)}"
        )
    img, meta = read_hdr(path)
    data = img.astype(np.float64)
    chroma = meta.get("chromaticities")
    if chroma is None:
        return ScoringImage(path, data, assumed, "assumed: the file declares none; --primaries", 0)
    m_to_709 = colour.primaries_matrix_to_bt709(chroma)
    if np.allclose(m_to_709, np.eye(3), atol=1e-4):
        return ScoringImage(path, data, "bt709", "declared by the file", 0)
    if np.allclose(m_to_709, colour.M_2020_TO_709, atol=1e-4):
        raw = colour.apply_matrix(data, np.linalg.inv(m_to_709))
        tol = ROUNDTRIP_TOLERANCE * np.max(np.abs(raw), axis=-1, keepdims=True)
        roundoff = (raw < 0) & (raw >= -tol)
        raw[roundoff] = 0.0
        return ScoringImage(path, raw, "bt2020", "declared by the file", int(roundoff.sum()))
    neg = data < 0
    data[neg] = 0.0
    return ScoringImage(
        path,
        data,
        "bt709",
        f"declared by the file ({_fmt_chroma(chroma)}), converted to bt709",
        int(neg.sum()),
    )


def _fmt_chroma(chroma: tuple[float, ...]) -> str:
    return "chromaticities " + " ".join(f"{c:.4g}" for c in chroma)


def common_primaries(test: ScoringImage, ref: ScoringImage) -> tuple[np.ndarray, np.ndarray, str]:
    """Both images in one set of primaries: as they are when they agree, else BT.2020 (BT.709 ->
    BT.2020 keeps non-negative values non-negative). Returns (test, ref, primaries)."""
    if test.primaries == ref.primaries:
        return test.data, ref.data, test.primaries
    from itmn import colour

    t = colour.convert_primaries(test.data, test.primaries, "bt2020")  # type: ignore[arg-type]
    r = colour.convert_primaries(ref.data, ref.primaries, "bt2020")  # type: ignore[arg-type]
    return t, r, "bt2020"


def pair_folders(
    test_dir: str | Path, ref_dir: str | Path
) -> tuple[list[tuple[str, Path, Path]], list[Path]]:
    """Match the image files of two folders by stem.

    Returns ([(stem, test_file, ref_file)] sorted by stem, [files ignored]): files whose
    extension is not one of :data:`SCORE_EXTENSIONS` and hidden files (names starting with ".",
    e.g. temporary files of an atomic writer) are not images to score; they are returned so
    that the caller can say so. Raises ImageError when a folder is missing or has no images, when a stem appears twice in
    one folder (e.g. a.exr and a.npy), or when any image lacks its counterpart (all such names
    are listed: images are never dropped silently).
    """
    ignored: list[Path] = []
    test_files = _images_by_stem(Path(test_dir), "test", ignored)
    ref_files = _images_by_stem(Path(ref_dir), "reference", ignored)
    no_ref = sorted(set(test_files) - set(ref_files))
    no_test = sorted(set(ref_files) - set(test_files))
    problems = []
    if no_ref:
        problems.append(
            f"{len(no_ref)} test image(s) without a reference in {ref_dir}: {_names(test_files, no_ref)}"
        )
    if no_test:
        problems.append(
            f"{len(no_test)} reference image(s) without a test image in {test_dir}: {_names(ref_files, no_test)}"
        )
    if problems:
        raise ImageError(test_dir, "; ".join(problems), "one file per stem in both folders")
    return [(s, test_files[s], ref_files[s]) for s in sorted(test_files)], ignored


def _names(files: dict[str, Path], stems: list[str], limit: int = 20) -> str:
    shown = ", ".join(files[s].name for s in stems[:limit])
    return shown + (f", ... ({len(stems) - limit} more)" if len(stems) > limit else "")


def _images_by_stem(folder: Path, what: str, ignored: list[Path]) -> dict[str, Path]:
    from itmn.paths import list_folder

    if not folder.is_dir():
        raise ImageError(folder, f"{what} folder does not exist", "a folder of .exr/.hdr/.pfm/.npy images")
    listing = list_folder(folder, SCORE_EXTENSIONS)  # the suite's one rule for reading a folder
    ignored.extend(p for p, _ in listing.skipped if not p.is_dir())
    out: dict[str, Path] = {}
    for f in listing.files:
        if f.stem in out:
            raise ImageError(
                f,
                f"{what} folder has two images named {f.stem!r} ({out[f.stem].name}, {f.name})",
                "one file per stem",
            )
        out[f.stem] = f
    if not out:
        raise ImageError(
            folder, f"{what} folder has no images", f"files with extensions {' '.join(SCORE_EXTENSIONS)}"
        )
    return out
