"""Reading a prepared dataset (docs/CONTRACTS.md "Prepared dataset") and the training pairs.

:class:`PreparedDataset` reads the files ``itmn data prepare`` wrote. :class:`PairDataset` serves
random training crops: per sample a tone mapping operator, a crop position and a horizontal flip,
all drawn from a generator seeded by (seed, iteration, position in the batch), so
:meth:`PairDataset.batch_for_iteration` depends only on (seed, iteration, batch_size) and a
resumed run sees exactly the batches an uninterrupted one sees. Images are read once and kept in
memory in their stored integer form (uint8 LDR, uint16 PQ: about 4.5 MB per 512 x 512 image with
four operators, 9 MB per 1024 x 512 panorama).

Protocol v2 keeps training images whole (a panorama at 1024 x 512, a photograph with its short
side at 512) and records for a panorama the rows of the band |latitude| <= 45 degrees
(``geometry.train_rows`` in manifest.json): crops are drawn inside the band when they fit (the
64-pixel crops of the cpu profile), centred on it otherwise (the paper's 512; see
:func:`crop_row_range`). Without that record (protocol v1) crops come from the whole image, with
the same random draws as before.

Flips are horizontal only: a vertical flip puts the sky at the bottom, which no photograph
shows, and would teach the generator statistics of scenes that do not exist.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import torch

from itmn import hdrio
from itmn.errors import ItmnError

SPLITS = ("train", "val", "test")


class PreparedDataset:
    """Read access to a prepared dataset folder.

    ``names(split)`` lists a split (``"train"``, ``"val"``, ``"test"`` or ``"all"``; a dataset
    without a validation split has an empty ``val``); ``load_hdr`` returns BT.2020 cd/m^2
    float32 H x W x 3; ``load_pq`` PQ code values float32 in [0, 1]; ``load_ldr`` sRGB code
    values float32 in [0, 1]. ``tmos`` lists the operators whose LDR images exist; ``manifest``
    is the parsed manifest.json; ``protocol`` the protocol version it was prepared under.
    """

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        mf, sp = self.root / "manifest.json", self.root / "splits.json"
        for f in (mf, sp):
            if not f.is_file():
                raise ItmnError(f"{f}: missing (expected a folder written by `itmn data prepare`)")
        try:
            self.manifest: dict[str, Any] = json.loads(mf.read_text())
            self._splits: dict[str, list[str]] = json.loads(sp.read_text())
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise ItmnError(f"{self.root}: manifest.json or splits.json is not valid JSON ({exc})") from None
        if not isinstance(self.manifest, dict):
            raise ItmnError(f"{mf}: expected a JSON object, got a {type(self.manifest).__name__}")
        if not (
            isinstance(self._splits, dict)
            and all(isinstance(self._splits.get(k), list) for k in ("train", "test"))
            and isinstance(self._splits.get("val", []), list)
        ):
            got = sorted(self._splits) if isinstance(self._splits, dict) else type(self._splits).__name__
            raise ItmnError(f"{sp}: expected {{'train': [...], 'val': [...] (optional), 'test': [...]}}, got {got}")
        self._splits.setdefault("val", [])
        tmos = self.manifest.get("tmos")
        if not tmos:
            ldr = self.root / "ldr"
            tmos = sorted(p.name for p in ldr.iterdir() if p.is_dir()) if ldr.is_dir() else []
        self.tmos: list[str] = list(tmos)
        self._rows: dict[str, tuple[int, int]] | None = None

    @property
    def protocol(self) -> str:
        """Protocol version of the prepared pairs (``manifest.json``; folders from before v2: v1)."""
        return str(self.manifest.get("protocol", "v1"))

    def names(self, split: str = "all") -> list[str]:
        """Image names of ``split`` (``train``, ``val``, ``test``, or ``all`` = train, val, test)."""
        if split == "all":
            return [n for k in SPLITS for n in self._splits[k]]
        if split not in SPLITS:
            raise ItmnError(f"unknown split {split!r}; expected one of train, val, test, all")
        return list(self._splits[split])

    def train_rows(self, name: str) -> tuple[int, int] | None:
        """Rows [top, bottom) that training crops of ``name`` should come from (protocol v2:
        the band |latitude| <= 45 degrees of a panorama), or None for the whole image."""
        if self._rows is None:
            self._rows = {}
            for e in self.manifest.get("images", []):
                region = (e.get("geometry") or {}).get("train_rows")
                if region:
                    self._rows[e["name"]] = (int(region[0]), int(region[1]))
        return self._rows.get(name)

    def _file(self, *parts: str) -> Path:
        p = self.root.joinpath(*parts)
        if not p.is_file():
            raise ItmnError(f"{p}: missing from the prepared dataset (run `itmn data prepare` again)")
        return p

    def load_hdr(self, name: str) -> np.ndarray:
        """HDR target: float32 H x W x 3 linear BT.2020 cd/m^2 in [0.005, 1000], as stored."""
        img, _ = hdrio.read_hdr(self._file("hdr", f"{name}.exr"), out_primaries="bt2020")
        return img

    def load_pq_codes(self, name: str) -> np.ndarray:
        """The stored uint16 10-bit PQ codes (0..1023), H x W x 3."""
        codes = np.load(self._file("pq", f"{name}.npy"), allow_pickle=False)
        if (
            codes.dtype != np.uint16
            or codes.ndim != 3
            or codes.shape[-1] != 3
            or int(codes.max(initial=0)) > 1023
        ):
            raise ItmnError(
                f"{self.root / 'pq' / (name + '.npy')}: dtype {codes.dtype}, shape {codes.shape}, max "
                f"{int(codes.max(initial=0))} (expected uint16 H x W x 3 codes 0..1023)"
            )
        return codes

    def load_pq(self, name: str) -> np.ndarray:
        """Training target: PQ code values float32 in [0, 1] (codes / 1023), H x W x 3."""
        return (self.load_pq_codes(name).astype(np.float32) / np.float32(1023.0)).astype(np.float32)

    def load_ldr_codes(self, name: str, tmo: str) -> np.ndarray:
        """The stored 8-bit sRGB codes of operator ``tmo`` as uint8 H x W x 3."""
        self.check_tmo(tmo)
        code = hdrio.read_ldr(self._file("ldr", tmo, f"{name}.png"))
        return np.rint(code * 255.0).astype(np.uint8)

    def load_ldr(self, name: str, tmo: str) -> np.ndarray:
        """LDR input made by operator ``tmo``: sRGB code values float32 in [0, 1], H x W x 3."""
        self.check_tmo(tmo)
        return hdrio.read_ldr(self._file("ldr", tmo, f"{name}.png"))

    def check_tmo(self, tmo: str) -> None:
        if tmo not in self.tmos:
            raise ItmnError(
                f"{self.root}: no LDR images of operator {tmo!r}; available: {', '.join(self.tmos)}"
            )


def crop_row_range(h: int, ch: int, rows: tuple[int, int] | None) -> tuple[int, int]:
    """Smallest and largest top row of a crop of ``ch`` rows in an image of ``h`` rows, for a
    crop inside ``rows`` = [top, bottom) (the whole image when None). A crop taller than the
    region is centred on it, moved inside the image when it would stick out.

    >>> crop_row_range(512, 64, None), crop_row_range(512, 64, (128, 384)), crop_row_range(512, 512, (128, 384))
    ((0, 448), (128, 320), (0, 0))
    """
    if rows is None:
        return 0, h - ch
    top, bottom = rows
    if ch <= bottom - top:
        return top, bottom - ch
    y = min(max((top + bottom - ch) // 2, 0), h - ch)
    return y, y


class PairDataset(torch.utils.data.Dataset):
    """Seeded random training crops of a prepared dataset's ``split``.

    ``sample(index, rng)`` -> dict(``ldr``: 3 x crop x crop float32 [0, 1], ``hdr``: same shape,
    PQ float32 [0, 1], ``name``, ``tmo``); ``batch_for_iteration(iteration, batch_size)`` ->
    dict(``ldr``, ``hdr``: N x 3 x crop x crop tensors, ``name``, ``tmo``, ``index``: lists).

    Image order: position g = iteration * batch_size + k of the stream of samples takes image
    ``perm_e[g mod n]`` where ``perm_e`` is the permutation of epoch e = g // n drawn from
    (seed, e), so every image is seen once per epoch. ``__getitem__(i)`` (for a DataLoader) draws
    its TMO/crop/flip from (seed, i).
    """

    def __init__(
        self,
        root: str | Path,
        split: str,
        crop: int | tuple[int, int],
        tmos: list[str] | tuple[str, ...] | None = None,
        flips: bool = True,
        seed: int = 0,
    ) -> None:
        self.prepared = PreparedDataset(root)
        self.split = split
        self.items = self.prepared.names(split)
        if not self.items:
            raise ItmnError(f"{self.prepared.root}: split {split!r} is empty")
        self.tmos = list(tmos) if tmos is not None else list(self.prepared.tmos)
        if not self.tmos:
            raise ItmnError(f"{self.prepared.root}: no tone mapping operators to draw LDR inputs from")
        for t in self.tmos:
            self.prepared.check_tmo(t)
        self.crop = (crop, crop) if isinstance(crop, int) else (int(crop[0]), int(crop[1]))
        if min(self.crop) < 1:
            raise ItmnError(f"crop {self.crop}: expected positive sizes")
        self.flips = bool(flips)
        self.seed = int(seed)
        self._pq: dict[str, np.ndarray] = {}
        self._ldr: dict[tuple[str, str], np.ndarray] = {}

    def __len__(self) -> int:
        return len(self.items)

    # ----------------------------------------------------------------- cached images
    def _pq_codes(self, name: str) -> np.ndarray:
        if name not in self._pq:
            codes = self.prepared.load_pq_codes(name)
            h, w = codes.shape[:2]
            if h < self.crop[0] or w < self.crop[1]:
                raise ItmnError(
                    f"{self.prepared.root}: image {name} is {h} x {w}, smaller than the crop {self.crop}"
                )
            self._pq[name] = codes
        return self._pq[name]

    def _ldr_codes(self, name: str, tmo: str) -> np.ndarray:
        key = (name, tmo)
        if key not in self._ldr:
            self._ldr[key] = self.prepared.load_ldr_codes(name, tmo)
        return self._ldr[key]

    # ----------------------------------------------------------------- sampling
    def sample(self, index: int, rng: np.random.Generator) -> dict[str, Any]:
        """Crop of image ``items[index]``; TMO, position and flip drawn from ``rng`` in that order."""
        name = self.items[index % len(self.items)]
        tmo = self.tmos[int(rng.integers(len(self.tmos)))]
        pq = self._pq_codes(name)
        ldr = self._ldr_codes(name, tmo)
        if ldr.shape != pq.shape:
            raise ItmnError(
                f"{self.prepared.root}: {name}: LDR ({tmo}) shape {ldr.shape} != PQ shape {pq.shape}"
            )
        (ch, cw), (h, w) = self.crop, pq.shape[:2]
        y0, y1 = crop_row_range(h, ch, self.prepared.train_rows(name))
        y = int(rng.integers(y0, y1 + 1))
        x = int(rng.integers(0, w - cw + 1))
        flip = self.flips and bool(rng.random() < 0.5)
        sl = (slice(y, y + ch), slice(x, x + cw))
        ldr_c, pq_c = ldr[sl], pq[sl]
        if flip:
            ldr_c, pq_c = ldr_c[:, ::-1], pq_c[:, ::-1]
        return {
            "ldr": np.ascontiguousarray(ldr_c.transpose(2, 0, 1), dtype=np.float32) / np.float32(255.0),
            "hdr": np.ascontiguousarray(pq_c.transpose(2, 0, 1), dtype=np.float32) / np.float32(1023.0),
            "name": name,
            "tmo": tmo,
            "crop": (y, x),
            "flip": flip,
        }

    def __getitem__(self, index: int) -> dict[str, Any]:
        return self.sample(index, np.random.default_rng([self.seed, 1, int(index)]))

    def _epoch_order(self, epoch: int) -> np.ndarray:
        return np.random.default_rng([self.seed, 2, epoch]).permutation(len(self.items))

    def indices_for_iteration(self, iteration: int, batch_size: int) -> list[int]:
        """Image indices of the batch of ``iteration`` (see the class docstring)."""
        n = len(self.items)
        out = []
        for k in range(batch_size):
            g = iteration * batch_size + k
            out.append(int(self._epoch_order(g // n)[g % n]))
        return out

    def batch_for_iteration(self, iteration: int, batch_size: int) -> dict[str, Any]:
        """The batch of ``iteration``: a function of (seed, iteration, batch_size) only."""
        if iteration < 0 or batch_size < 1:
            raise ValueError(f"iteration must be >= 0 and batch_size >= 1, got {iteration}, {batch_size}")
        idx = self.indices_for_iteration(iteration, batch_size)
        samples = [
            self.sample(i, np.random.default_rng([self.seed, 3, iteration, k])) for k, i in enumerate(idx)
        ]
        return {
            "ldr": torch.from_numpy(np.stack([s["ldr"] for s in samples])),
            "hdr": torch.from_numpy(np.stack([s["hdr"] for s in samples])),
            "name": [s["name"] for s in samples],
            "tmo": [s["tmo"] for s in samples],
            "index": idx,
        }
