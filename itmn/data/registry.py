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

import csv
import hashlib
import io
import json
import re
import urllib.parse
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path, PurePosixPath
from typing import Literal

from itmn import paths
from itmn.data import public_v2
from itmn.errors import ItmnError
from itmn.protocol import LATEST_VERSION, PROTOCOLS

HDR_SOURCE_EXTENSIONS = (".exr", ".hdr", ".pfm")
Projection = Literal["perspective", "equirect"]

#: The protocol of folder datasets and user manifests unless told otherwise (registered datasets
#: name theirs: ``default`` v1, ``public-v2`` v2); the versions themselves are :mod:`itmn.protocol`.
CURRENT_PROTOCOL = LATEST_VERSION

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
    size: int | None  #: bytes (None: unknown, only the sha256 is checked)

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
class UrlFile:
    """A file at any http(s) URL, pinned by its sha256 (a user's own dataset,
    ``itmn data fetch --manifest``). Cached by content, ``sha256/<sha256>/<file name>``, so two
    URLs never collide; a mirror may hold it as ``<host>/<URL path>`` or under that same path."""

    url: str
    sha256: str
    size: int | None = None  #: bytes (None: unknown, only the sha256 is checked)

    @property
    def path(self) -> str:
        """The URL without its scheme (how messages name the file)."""
        p = urllib.parse.urlparse(self.url)
        return f"{p.netloc}{p.path}"

    @property
    def relpath(self) -> PurePosixPath:
        name = PurePosixPath(urllib.parse.unquote(urllib.parse.urlparse(self.url).path)).name or "file"
        return PurePosixPath("sha256", self.sha256, name)

    def mirror_relpaths(self) -> tuple[PurePosixPath, ...]:
        p = urllib.parse.urlparse(self.url)
        return PurePosixPath(p.netloc, urllib.parse.unquote(p.path).lstrip("/")), self.relpath


GITHUB_RAW = re.compile(r"^https://raw\.githubusercontent\.com/([^/]+)/([^/]+)/([0-9a-f]{40})/(.+)$")


def remote_file_from_url(url: str, sha256: str, size: int | None = None) -> RemoteFile | UrlFile:
    """A :class:`RemoteFile` for a raw.githubusercontent.com URL at a full commit hash (cached and
    mirrored in the ``<repo>/<commit>/<path>`` layout), a :class:`UrlFile` for any other URL."""
    m = GITHUB_RAW.match(url)
    if m:
        owner, repo, commit, path = m.groups()
        return RemoteFile(f"{owner}/{repo}", commit, urllib.parse.unquote(path), sha256, size)
    return UrlFile(url, sha256, size)


@dataclass(frozen=True)
class SourceImage:
    """An HDR photograph of a registered dataset."""

    name: str  #: short name, used for every prepared file (``hdr/<name>.exr``)
    file: RemoteFile | UrlFile
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
    licence_files: tuple[RemoteFile | UrlFile, ...] = ()
    split_file: str = ""  #: file name in ``itmn/data/splits``
    protocol: str = "v1"  #: protocol version ``itmn data prepare`` uses unless told otherwise
    split_data: dict[str, list[str]] | None = None  #: the split itself (user manifests), instead of a file
    source: str = ""  #: where the declaration comes from (code, or a user's manifest in the cache)

    def files(self) -> tuple[RemoteFile | UrlFile, ...]:
        """Every file ``itmn data fetch`` downloads (images and licence files)."""
        return tuple(im.file for im in self.images) + self.licence_files

    def licence_mix(self) -> dict[str, int]:
        """Number of images per licence identifier (:func:`licence_id`), most frequent first."""
        return licence_mix(im.licence for im in self.images)

    def image(self, name: str) -> SourceImage:
        for im in self.images:
            if im.name == name:
                return im
        raise KeyError(f"dataset {self.name!r} has no image {name!r}")

    def split(self) -> dict[str, list[str]]:
        """The fixed split of the dataset (its split file, or ``split_data``), checked against the
        image list: ``train``, ``test`` and, when the dataset has one, ``val``."""
        names = [im.name for im in self.images]
        if self.split_data is not None:
            return check_split(self.split_data, names, self.source or f"dataset {self.name!r}")
        if not self.split_file:
            raise ItmnError(f"dataset {self.name!r} declares no split file")
        text = resources.files("itmn.data").joinpath("splits", self.split_file).read_text()
        split = json.loads(text)
        return check_split(split, names, f"itmn/data/splits/{self.split_file}")

    def split_source(self) -> str:
        """Where the split comes from, for manifests and messages."""
        if self.split_data is not None:
            return self.source or f"dataset {self.name!r}"
        return f"itmn/data/splits/{self.split_file}"


#: Files a folder dataset may hold besides its images (not reported as skipped).
_DATASET_TEXT_FILES = ("splits.json", "projections.json", "manifest.csv", "README.md", "COPYING", "LICENSE")


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

    def projections(self, names: list[str]) -> dict[str, str]:
        """Projections the folder's optional ``projections.json`` declares (``{"name": "equirect" |
        "perspective"}``); images it does not list are decided from their shape (protocol v2)."""
        f = self.root / "projections.json"
        if not f.is_file():
            return {}
        try:
            data = json.loads(f.read_text())
        except json.JSONDecodeError as exc:
            raise ItmnError(f"{f}: not valid JSON ({exc})") from None
        if not isinstance(data, dict):
            raise ItmnError(f"{f}: expected an object {{image name: 'perspective' | 'equirect'}}")
        bad = {k: v for k, v in data.items() if v not in ("perspective", "equirect")}
        if bad:
            raise ItmnError(f"{f}: projections must be 'perspective' or 'equirect', got {bad}")
        unknown = sorted(set(data) - set(names))
        if unknown:
            raise ItmnError(f"{f}: names not in the folder: {', '.join(unknown)}")
        return dict(data)

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


SPLITS = ("train", "val", "test")


def check_split(split: object, names: list[str], source: str) -> dict[str, list[str]]:
    """Validate a split against the image names and return it as ``{"train", ["val",] "test"}``.

    ``train`` and ``test`` are required, ``val`` (model selection and early stopping) optional;
    keys starting with ``_`` (a header, a table of strata) are documentation and ignored. Every
    image is in exactly one split; a name twice in one list is an error too.
    """
    if not isinstance(split, dict) or not {"train", "test"} <= set(split):
        raise ItmnError(f"{source}: expected an object with 'train' and 'test' lists (and optionally 'val')")
    unknown_keys = sorted(k for k in split if k not in SPLITS and not str(k).startswith("_"))
    if unknown_keys:
        raise ItmnError(
            f"{source}: unknown keys {', '.join(map(repr, unknown_keys))}; expected 'train', 'val', 'test' "
            "(and documentation keys starting with '_')"
        )
    out: dict[str, list[str]] = {}
    for k in SPLITS:
        if k not in split:
            continue
        if not isinstance(split[k], list) or not all(isinstance(n, str) for n in split[k]):
            raise ItmnError(f"{source}: {k!r} must be a list of image names")
        out[k] = list(split[k])
        twice = sorted({n for n in out[k] if out[k].count(n) > 1})
        if twice:
            raise ItmnError(f"{source}: listed twice in {k}: {', '.join(twice)}")
    keys = list(out)
    for i, a in enumerate(keys):
        for b in keys[i + 1 :]:
            both = sorted(set(out[a]) & set(out[b]))
            if both:
                raise ItmnError(f"{source}: images in both {a} and {b}: {', '.join(both)}")
    listed = [n for k in keys for n in out[k]]
    unknown = sorted(set(listed) - set(names))
    if unknown:
        raise ItmnError(f"{source}: names not in the dataset: {', '.join(unknown)}")
    missing = sorted(set(names) - set(listed))
    if missing:
        raise ItmnError(f"{source}: images in no split: {', '.join(missing)}")
    return out


def licence_id(licence: str) -> str:
    """The identifier a licence text starts with: ``"CC0-1.0 (Poly Haven)"`` -> ``"CC0-1.0"``."""
    m = re.match(r"[A-Za-z0-9.+-]+", licence.strip())
    return m.group(0) if m else (licence.strip() or "unknown")


def licence_mix(licences: Iterable[str]) -> dict[str, int]:
    """Count of each :func:`licence_id`, most frequent first (ties by name)."""
    counts: dict[str, int] = {}
    for text in licences:
        key = licence_id(text)
        counts[key] = counts.get(key, 0) + 1
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


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


def _public_v2_extra() -> tuple[tuple[SourceImage, ...], tuple[RemoteFile, ...]]:
    """The 41 images of ``manifests/public-v2.csv`` (a copy of the curated manifest, package data)
    and their repositories' licence files (:mod:`itmn.data.public_v2`)."""
    where = f"itmn/data/{public_v2.MANIFEST}"
    raw = resources.files("itmn.data").joinpath(public_v2.MANIFEST).read_bytes()
    sha = hashlib.sha256(raw).hexdigest()
    if sha != public_v2.MANIFEST_SHA256:
        raise ItmnError(f"{where}: sha256 {sha}, expected {public_v2.MANIFEST_SHA256} (the copy was changed)")
    images = []
    for row in csv.DictReader(io.StringIO(raw.decode("utf-8"))):
        repo = row["owner_repo"]
        name, projection = public_v2.NAMES[(repo, row["path"])]
        asset = name.removeprefix("ph_") if name.startswith("ph_") else ""
        images.append(SourceImage(
            name, RemoteFile(repo, row["commit"], row["path"], row["sha256"], int(row["bytes"])),
            public_v2.LICENCES[repo], projection, row["scene"],  # type: ignore[arg-type]
            f"https://polyhaven.com/a/{asset}" if asset else f"https://github.com/{repo}",
        ))  # fmt: skip
    if len(images) != len(public_v2.NAMES):
        raise ItmnError(f"{where}: {len(images)} rows, expected {len(public_v2.NAMES)} (itmn.data.public_v2.NAMES)")
    licences = tuple(RemoteFile(*row) for row in public_v2.LICENCE_FILES)
    return tuple(images), licences


_V2_IMAGES, _V2_LICENCES = _public_v2_extra()

DATASETS: dict[str, RegisteredDataset] = {
    "default": RegisteredDataset(
        name="default",
        description="19 real HDR photographs: 11 from openexr-images (ILM, BSD-3-Clause), "
        "8 Poly Haven panoramas at 1k (CC0) from pmndrs/drei-assets",
        images=_DEFAULT_IMAGES,
        licence_files=(_OPENEXR_COPYING,),
        split_file="default.json",
    ),
    "public-v2": RegisteredDataset(
        name="public-v2",
        description="60 real HDR scenes: the 19 of default + 41 more from public GitHub repositories at "
        "pinned commits (39 panoramas and 2 rectilinear crops; Poly Haven captures under CC0 but one "
        "OpenUSD panorama); train/val/test split stratified by scene type; protocol v2",
        images=_DEFAULT_IMAGES + _V2_IMAGES,
        licence_files=(_OPENEXR_COPYING, *_V2_LICENCES),
        split_file="public-v2.json",
        protocol="v2",
    ),
}


def get_dataset(name: str, cache: str | Path | None = None) -> RegisteredDataset:
    """The dataset ``name``: declared in code (:data:`DATASETS`) or registered from a user's
    manifest in the cache (``<cache>/datasets/<name>/``, :mod:`itmn.data.user_manifest`).
    ItmnError listing the known names otherwise."""
    if name in DATASETS:
        return DATASETS[name]
    from itmn.data import user_manifest

    ds = user_manifest.load_registered(name, cache)
    if ds is not None:
        return ds
    users = user_manifest.registered_names(cache)
    raise ItmnError(
        f"unknown dataset {name!r}: registered datasets are {', '.join(DATASETS)}"
        + (f" and, from manifests in {paths.datasets_dir(cache)}, {', '.join(users)}" if users else "")
        + ", or pass the path of a folder of .exr/.hdr/.pfm files"
    )


def resolve_dataset(dataset: str | Path, cache: str | Path | None = None) -> RegisteredDataset | FolderDataset:
    """A registered name (code or user manifest), or an existing folder (a path containing a
    separator, or an existing directory that is not also a registered name)."""
    text = str(dataset)
    from itmn.data import user_manifest

    known = text in DATASETS or ("/" not in text and text in user_manifest.registered_names(cache))
    if known and not ("/" in text or Path(text).is_dir()):
        return get_dataset(text, cache)
    p = Path(text).expanduser()
    if p.is_dir():
        return FolderDataset(p.resolve())
    if known:
        return get_dataset(text, cache)
    raise ItmnError(
        f"dataset {text!r}: neither a registered name ({', '.join(DATASETS)}) nor an existing folder"
    )


def dataset_protocol(dataset: RegisteredDataset | FolderDataset) -> str:
    """The protocol version a dataset is prepared under unless told otherwise."""
    return dataset.protocol if isinstance(dataset, RegisteredDataset) else CURRENT_PROTOCOL


def default_prepared_dir(
    dataset: RegisteredDataset | FolderDataset, cache: str | Path | None = None, protocol: str | None = None
) -> Path:
    """Where ``itmn data prepare`` writes ``dataset`` unless ``--out`` is given:
    ``<cache>/prepared/<protocol>/<name>`` (``protocol``: default :func:`dataset_protocol`)."""
    return paths.prepared_dir(dataset.name, cache, protocol or dataset_protocol(dataset))


def resolve_prepared(dataset: str | Path, cache: str | Path | None = None, protocol: str | None = None) -> Path:
    """The folder of a prepared dataset, found by registry name or path.

    * a folder holding ``manifest.json`` (a prepared dataset): that folder;
    * a registered name or a source folder: its prepared folder in the cache for ``protocol``
      (default: the dataset's, :func:`dataset_protocol`), which must have been made by
      ``itmn data prepare``.
    """
    p = Path(str(dataset)).expanduser()
    if (p / "manifest.json").is_file() and (p / "splits.json").is_file():
        return p
    ds = resolve_dataset(dataset, cache)
    protocol = protocol or dataset_protocol(ds)
    out = default_prepared_dir(ds, cache, protocol)
    if not (out / "manifest.json").is_file():
        arg = ds.name if isinstance(ds, RegisteredDataset) else str(ds.root)
        cmd = f"itmn data prepare --dataset {arg}" + (f" --cache {cache}" if cache else "")
        if protocol != dataset_protocol(ds):
            cmd += f" --protocol {protocol}"
        others = [v for v in PROTOCOLS if v != protocol and (default_prepared_dir(ds, cache, v) / "manifest.json").is_file()]
        hint = f"; it is prepared under protocol {', '.join(others)} only" if others else ""
        raise ItmnError(
            f"dataset {str(dataset)!r} is not prepared under protocol {protocol}: {out / 'manifest.json'} does "
            f"not exist (expected the output of `{cmd}`){hint}"
        )
    return out
