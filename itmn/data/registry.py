"""Datasets the suite knows by name, and folder datasets.

A registered dataset lists its images as files of public GitHub repositories at pinned commits
(``https://raw.githubusercontent.com/<owner>/<repo>/<commit>/<path>``) with their sha256 and
size, a short name, the licence, and the licence files that must travel with any copy.
``itmn data fetch`` stores them in the cache as ``<cache>/downloads/<repo>/<commit>/<path>``,
which is also the layout of a mirror, so a filled cache can serve as a mirror.

A folder dataset is any directory of ``.exr``/``.hdr``/``.pfm`` files (``--dataset PATH``). Its
split is the folder's ``splits.json`` when present, else :func:`folder_split`.

Nothing here reads ../shared: mirrors and caches are passed in or come from the environment
(:mod:`itmn.paths`).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path, PurePosixPath
from typing import Literal

from itmn import paths
from itmn.errors import ItmnError

HDR_SOURCE_EXTENSIONS = (".exr", ".hdr", ".pfm")
Projection = Literal["perspective", "equirect"]

OPENEXR_IMAGES = ("AcademySoftwareFoundation/openexr-images", "e38ffb0790f62f05a6f083a6fa4cac150b3b7452")
DREI_ASSETS = ("pmndrs/drei-assets", "456060a26bbeb8fdf79326f224b6d99b8bcce736")
LICENCE_ILM = "BSD-3-Clause (c) Industrial Light & Magic; see COPYING"
LICENCE_CC0 = "CC0-1.0 (Poly Haven)"


@dataclass(frozen=True)
class RemoteFile:
    """One file of a GitHub repository at a pinned commit."""

    repo: str  #: "owner/name"
    commit: str
    path: str  #: path inside the repository, POSIX separators
    sha256: str
    size: int  #: bytes

    @property
    def owner(self) -> str:
        return self.repo.split("/")[0]

    @property
    def repo_name(self) -> str:
        return self.repo.split("/")[1]

    @property
    def url(self) -> str:
        """The upstream download URL."""
        return f"https://raw.githubusercontent.com/{self.repo}/{self.commit}/{self.path}"

    @property
    def relpath(self) -> PurePosixPath:
        """Path in the cache and in a mirror: ``<repo>/<commit>/<path>``."""
        return PurePosixPath(self.repo_name, self.commit, self.path)

    def mirror_relpaths(self) -> tuple[PurePosixPath, PurePosixPath]:
        """Where a mirror may hold the file: ``<repo>/<commit>/<path>`` or ``<owner>/<repo>/<commit>/<path>``."""
        return self.relpath, PurePosixPath(self.owner, self.repo_name, self.commit, self.path)


@dataclass(frozen=True)
class SourceImage:
    """An HDR photograph of a registered dataset."""

    name: str  #: short name, used for every prepared file (``hdr/<name>.exr``)
    file: RemoteFile
    licence: str
    projection: Projection
    scene: str = ""
    homepage: str = ""


@dataclass(frozen=True)
class RegisteredDataset:
    """A dataset declared in code: its images, licence files and split file."""

    name: str
    description: str
    images: tuple[SourceImage, ...]
    licence_files: tuple[RemoteFile, ...] = ()
    split_file: str = ""  #: file name in ``itmn/data/splits``

    def files(self) -> tuple[RemoteFile, ...]:
        """Every file ``itmn data fetch`` downloads (images and licence files)."""
        return tuple(im.file for im in self.images) + self.licence_files

    def image(self, name: str) -> SourceImage:
        for im in self.images:
            if im.name == name:
                return im
        raise KeyError(f"dataset {self.name!r} has no image {name!r}")

    def split(self) -> dict[str, list[str]]:
        """The fixed split of the dataset (from its split file), checked against the image list."""
        if not self.split_file:
            raise ItmnError(f"dataset {self.name!r} declares no split file")
        text = resources.files("itmn.data").joinpath("splits", self.split_file).read_text()
        split = json.loads(text)
        return check_split(split, [im.name for im in self.images], f"itmn/data/splits/{self.split_file}")


#: Files a folder dataset may hold besides its images (not reported as skipped).
_DATASET_TEXT_FILES = ("splits.json", "manifest.csv", "README.md", "COPYING", "LICENSE")


@dataclass(frozen=True)
class FolderDataset:
    """A directory of HDR files (``.exr``, ``.hdr``, ``.pfm``); each file's stem is its name."""

    root: Path
    name: str = field(default="")

    def __post_init__(self) -> None:
        if not self.name:
            object.__setattr__(self, "name", folder_dataset_name(self.root))

    def listing(self) -> tuple[dict[str, Path], list[tuple[Path, str]]]:
        """(name -> HDR file, [(ignored file, reason)]), names sorted.

        Raises ItmnError when two files share a stem (``a.exr`` and ``a.hdr``) or the folder has
        no HDR file.
        """
        from itmn.paths import list_folder

        if not self.root.is_dir():
            raise ItmnError(f"{self.root}: not a directory (expected a folder of .exr/.hdr/.pfm files)")
        # the suite's one rule for reading a folder; a dataset's own text files are not reported
        listing = list_folder(self.root, HDR_SOURCE_EXTENSIONS, quiet_names=_DATASET_TEXT_FILES,
                              kind="an HDR format (expected .exr/.hdr/.pfm)")  # fmt: skip
        images = listing.by_stem("HDR file")
        ignored = [(p, why) for p, why in listing.skipped if not p.is_dir()]
        if not images and not ignored:
            raise ItmnError(f"{self.root}: no .exr/.hdr/.pfm files (expected a folder of HDR images)")
        return dict(sorted(images.items())), ignored

    def split(self, names: list[str]) -> tuple[dict[str, list[str]], str]:
        """(split, rule): the folder's ``splits.json`` if present, else :func:`folder_split`."""
        f = self.root / "splits.json"
        if f.is_file():
            try:
                split = json.loads(f.read_text())
            except json.JSONDecodeError as exc:
                raise ItmnError(f"{f}: not valid JSON ({exc})") from None
            return check_split(split, names, str(f)), f"splits.json of {self.root}"
        return folder_split(names), FOLDER_SPLIT_RULE


FOLDER_SPLIT_RULE = (
    "sorted names; every 4th from the first (index % 4 == 0) is test, the rest train; a single image is train"
)


def folder_split(names: list[str]) -> dict[str, list[str]]:
    """Deterministic split of a folder dataset by sorted name (:data:`FOLDER_SPLIT_RULE`).

    >>> folder_split(["e", "a", "c", "b", "d"])
    {'train': ['b', 'c', 'd'], 'test': ['a', 'e']}
    """
    ordered = sorted(names)
    if len(ordered) < 2:
        return {"train": ordered, "test": []}
    return {
        "train": [n for i, n in enumerate(ordered) if i % 4 != 0],
        "test": [n for i, n in enumerate(ordered) if i % 4 == 0],
    }


def check_split(split: object, names: list[str], source: str) -> dict[str, list[str]]:
    """Validate a ``{"train": [...], "test": [...]}`` split against the image names."""
    if not isinstance(split, dict) or not {"train", "test"} <= set(split):
        raise ItmnError(f"{source}: expected an object with 'train' and 'test' lists")
    train, test = list(split["train"]), list(split["test"])
    both = sorted(set(train) & set(test))
    if both:
        raise ItmnError(f"{source}: images in both train and test: {', '.join(both)}")
    unknown = sorted(set(train + test) - set(names))
    if unknown:
        raise ItmnError(f"{source}: names not in the dataset: {', '.join(unknown)}")
    missing = sorted(set(names) - set(train) - set(test))
    if missing:
        raise ItmnError(f"{source}: images in neither split: {', '.join(missing)}")
    return {"train": train, "test": test}


def folder_dataset_name(root: str | Path) -> str:
    """Name of a folder dataset: the folder's name and 8 hex digits of its absolute path
    (two folders called ``extra`` do not share a prepared folder)."""
    root = Path(root).expanduser().resolve()
    return f"{root.name}-{hashlib.sha256(str(root).encode()).hexdigest()[:8]}"


# --------------------------------------------------------------------------- the registry
def _oexr(name: str, path: str, sha256: str, size: int, projection: Projection, scene: str) -> SourceImage:
    repo, commit = OPENEXR_IMAGES
    return SourceImage(
        name, RemoteFile(repo, commit, path, sha256, size), LICENCE_ILM, projection, scene,
        "https://github.com/AcademySoftwareFoundation/openexr-images",
    )  # fmt: skip


def _polyhaven(asset: str, sha256: str, size: int, scene: str) -> SourceImage:
    repo, commit = DREI_ASSETS
    return SourceImage(
        f"ph_{asset}", RemoteFile(repo, commit, f"hdri/{asset}_1k.hdr", sha256, size), LICENCE_CC0,
        "equirect", scene, f"https://polyhaven.com/a/{asset}",
    )  # fmt: skip


# sha256 and sizes: the byte-exact copies in the shared data mirror (its SHA256SUMS).
_DEFAULT_IMAGES = (
    _oexr("oexr_bananaflower", "Chromaticities/Rec709.exr",
          "15028cbf7bf0efa43738890af715ec550d26ae9e32a1020d0f4e7c785d3a370e", 908168, "perspective",
          "banana flower and leaves"),
    _oexr("oexr_crissyfield", "LuminanceChroma/CrissyField.exr",
          "5a1b2ca1a716c736bfcfdabb8e5cc6b533dbd9f937da59bc5adc66913de9442f", 1304619, "perspective",
          "field and cypress trees, overcast (luminance/chroma file)"),
    _oexr("oexr_flowers", "LuminanceChroma/Flowers.exr",
          "d1016a9177e723122f982fe79077dd71d42bf2b4da565d35f4c728f8a5688236", 758083, "perspective",
          "hydrangea close-up (luminance/chroma file)"),
    _oexr("oexr_mttamnorth", "LuminanceChroma/MtTamNorth.exr",
          "4eaf0f7afe3a2e73d10c556ff1aab180f8b0e4b3e9a72971aed6518661d5a833", 1422492, "perspective",
          "mountain landscape (luminance/chroma file)"),
    _oexr("oexr_bonita", "MultiResolution/Bonita.exr",
          "3b9b88f82e80d8ca3d5e55bfc4117a733c0a2d7abe9de7ed372ea05caa9bca2e", 2303675, "perspective",
          "Point Bonita headland, sun behind clouds (multi-resolution file, level 0)"),
    _oexr("oexr_kerner_latlong", "MultiResolution/KernerEnvLatLong.exr",
          "ce51d01973fbbe5388b335c83cc1dba3d0d8127207985f3d02501a05ba32af6d", 2323286, "equirect",
          "parking lot, outdoor sun (multi-resolution panorama)"),
    _oexr("oexr_stage_latlong", "MultiResolution/StageEnvLatLong.exr",
          "811fef4949f752b972ccf3eaa973a5e1f6ba9f113d9a240bc16c06bf37a6fc5a", 2477552, "equirect",
          "film stage with lights (multi-resolution panorama)"),
    _oexr("oexr_cannon", "ScanLines/Cannon.exr",
          "1ac7ae21c22fe1b006f18e3b6b53d52330fb7314ba4b1e0c68016967182d0fa9", 1163637, "perspective",
          "metal relief on a cannon, diffuse daylight"),
    _oexr("oexr_desk", "ScanLines/Desk.exr",
          "2734d15e1ce157f73feaae5033b148bdabc98acb3084e9d892c6b01f23c24854", 2424523, "perspective",
          "desk with backlit stained-glass window (RGBA)"),
    _oexr("oexr_mttamwest", "ScanLines/MtTamWest.exr",
          "95731ce474982e74e154e96a6d74afb1ba0da851b673bff592fa977f87adaae5", 3323365, "perspective",
          "landscape from Mt Tamalpais (RGBA)"),
    _oexr("oexr_goldengate", "Tiles/GoldenGate.exr",
          "8790ad440e8708a05044d646082e876327ceba759052dffa7adf8eb7c170bca0", 3693609, "perspective",
          "Golden Gate bridge at dusk (tiled file)"),
    _polyhaven("adams_place_bridge", "e22680cba60d72572eb6dd4e3506121d25baa0c5d0b341e2d42f7c9e2c76d095", 1603137,
               "glass-covered pedestrian bridge"),
    _polyhaven("forest_slope", "926a6bb81897919b2924f42407162b8d54be91eab2da3fe7fe19daf308cfa09a", 1911073,
               "pine forest slope, dappled sun"),
    _polyhaven("immenstadter_horn", "799dd5a7b4b8db725b7d998bfa5fa7077bddb3e87e92d1ac04962309e87ee21c", 1720005,
               "alpine meadow, sun through clouds"),
    _polyhaven("kiara_1_dawn", "ee70fb8c8fb3e34566802191d83b299e179ecc392b97639e6c750f66e161c8e2", 1475077,
               "desert hills at dawn"),
    _polyhaven("lebombo", "a02c9615adeba91a753c3e4737c3ce7a719273df822eeaa85d24982bd43c9ecb", 1476953,
               "empty apartment with a sunlit window"),
    _polyhaven("potsdamer_platz", "7afe4c2f9700ee78c7477c53fa355463d7dda1fdede401432d6b5f9ff0a95696", 1540678,
               "city square, overcast"),
    _polyhaven("st_fagans_interior", "8b73849c956e2d97e7a6cfacbe9396d90a84fcbd9b24327a37a6629150055cca", 1524050,
               "museum lobby interior"),
    _polyhaven("venice_sunset", "0e72ed46b5316cb5fb67fc81ff85b024a09146fd89ef3811a8d2299647ada118", 1397783,
               "waterfront promenade at sunset"),
)  # fmt: skip

_OPENEXR_COPYING = RemoteFile(
    OPENEXR_IMAGES[0], OPENEXR_IMAGES[1], "COPYING",
    "e09f669c94b61172cd355c36b8737721df12eb4e4fa570600ac1955c9686327f", 1697,
)  # fmt: skip

DATASETS: dict[str, RegisteredDataset] = {
    "default": RegisteredDataset(
        name="default",
        description="19 real HDR photographs: 11 from openexr-images (ILM, BSD-3-Clause), "
        "8 Poly Haven panoramas at 1k (CC0) from pmndrs/drei-assets",
        images=_DEFAULT_IMAGES,
        licence_files=(_OPENEXR_COPYING,),
        split_file="default.json",
    ),
}


def get_dataset(name: str) -> RegisteredDataset:
    """The registered dataset ``name``; ItmnError listing the registered names otherwise."""
    try:
        return DATASETS[name]
    except KeyError:
        raise ItmnError(
            f"unknown dataset {name!r}: registered datasets are {', '.join(DATASETS)}, "
            "or pass the path of a folder of .exr/.hdr/.pfm files"
        ) from None


def resolve_dataset(dataset: str | Path) -> RegisteredDataset | FolderDataset:
    """A registered name, or an existing folder (a path containing a separator, or an existing
    directory that is not also a registered name)."""
    text = str(dataset)
    if text in DATASETS and not ("/" in text or Path(text).is_dir()):
        return DATASETS[text]
    p = Path(text).expanduser()
    if p.is_dir():
        return FolderDataset(p.resolve())
    if text in DATASETS:
        return DATASETS[text]
    raise ItmnError(
        f"dataset {text!r}: neither a registered name ({', '.join(DATASETS)}) nor an existing folder"
    )


def default_prepared_dir(dataset: RegisteredDataset | FolderDataset, cache: str | Path | None = None) -> Path:
    """Where ``itmn data prepare`` writes ``dataset`` unless ``--out`` is given."""
    return paths.prepared_dir(dataset.name, cache)


def resolve_prepared(dataset: str | Path, cache: str | Path | None = None) -> Path:
    """The folder of a prepared dataset, found by registry name or path.

    * a folder holding ``manifest.json`` (a prepared dataset): that folder;
    * a registered name or a source folder: its default prepared folder in the cache
      (:func:`default_prepared_dir`), which must have been made by ``itmn data prepare``.
    """
    p = Path(str(dataset)).expanduser()
    if (p / "manifest.json").is_file() and (p / "splits.json").is_file():
        return p
    ds = resolve_dataset(dataset)
    out = default_prepared_dir(ds, cache)
    if not (out / "manifest.json").is_file():
        arg = ds.name if isinstance(ds, RegisteredDataset) else str(ds.root)
        cmd = f"itmn data prepare --dataset {arg}" + (f" --cache {cache}" if cache else "")
        raise ItmnError(
            f"dataset {str(dataset)!r} is not prepared: {out / 'manifest.json'} does not exist "
            f"(expected the output of `{cmd}`)"
        )
    return out
