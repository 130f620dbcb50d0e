"""Where the suite keeps downloads and prepared data. Nothing here points at ../shared: the code
takes paths or environment variables.

* ``ITMN_CACHE``       cache root (default: the user's cache dir, e.g. ~/.cache/itmn)
* ``ITMN_DATA_MIRROR`` a local folder or URL laid out like raw.githubusercontent.com
                       (``<repo>/<commit>/<path>``, or ``<owner>/<repo>/<commit>/<path>``)

:func:`list_folder` is the one rule by which every command reads a folder of images.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


def cache_dir(override: str | Path | None = None) -> Path:
    """The cache root: ``override``, else ``$ITMN_CACHE``, else the platform's user cache dir."""
    if override:
        return Path(override).expanduser()
    env = os.environ.get("ITMN_CACHE")
    if env:
        return Path(env).expanduser()
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("itmn"))


def downloads_dir(cache: str | Path | None = None) -> Path:
    return cache_dir(cache) / "downloads"


def prepared_dir(dataset: str, cache: str | Path | None = None, protocol: str = "v1") -> Path:
    """Default folder of a dataset prepared under ``protocol``: ``<cache>/prepared/<protocol>/<dataset>``
    (one folder per protocol version, so they never overwrite each other)."""
    return cache_dir(cache) / "prepared" / protocol / dataset


def datasets_dir(cache: str | Path | None = None) -> Path:
    """Where ``itmn data fetch --manifest`` registers a user's dataset: ``<cache>/datasets/<name>/``."""
    return cache_dir(cache) / "datasets"


def data_mirror(override: str | None = None) -> str | None:
    return override or os.environ.get("ITMN_DATA_MIRROR") or None


# --------------------------------------------------------------------------- folder listings
#: Why a file of a folder is not taken (the texts every folder reader reports).
HIDDEN_REASON = "hidden file (a name starting with '.', e.g. the temporary file of an interrupted write)"


@dataclass(frozen=True)
class FolderListing:
    """What :func:`list_folder` found: the files taken, and the entries skipped with the reason."""

    folder: Path
    files: list[Path]
    skipped: list[tuple[Path, str]]

    def by_stem(self, what: str = "file") -> dict[str, Path]:
        """``{stem: file}``; ItmnError naming both files when two share a stem (``a.exr``, ``a.npy``)."""
        from itmn.errors import ItmnError

        out: dict[str, Path] = {}
        for f in self.files:
            if f.stem in out:
                raise ItmnError(
                    f"{self.folder}: two files named {f.stem!r} ({out[f.stem].name} and {f.name}); "
                    f"expected one {what} per name"
                )
            out[f.stem] = f
        return out

    def describe_skipped(self, limit: int = 8) -> str:
        """``"2 entries skipped: .a.tmp.png (hidden file ...), notes.txt (...)"``, or "" when none."""
        if not self.skipped:
            return ""
        shown = "; ".join(f"{p.name} ({why})" for p, why in self.skipped[:limit])
        more = f"; ... ({len(self.skipped) - limit} more)" if len(self.skipped) > limit else ""
        return f"{len(self.skipped)} entr{'y' if len(self.skipped) == 1 else 'ies'} of {self.folder} skipped: {shown}{more}"


def list_folder(
    folder: str | Path,
    extensions: tuple[str, ...],
    *,
    quiet_names: tuple[str, ...] = (),
    kind: str | None = None,
) -> FolderListing:
    """The files of ``folder`` with one of ``extensions`` (case-insensitive), sorted by name: the one
    rule of every folder reader of the suite (``itmn expand``, ``itmn-bench score``, evaluation of
    a predictions folder, folder datasets, crosscheck).

    Skipped, each with its reason: hidden files (names starting with ``.``: the suite's own
    temporary files ``.<name>.<random>.tmp.<ext>`` and ``.<name>.<random>.part``, ``.DS_Store``
    and the like), sub-folders and other entries that are not regular files, and files with
    another extension (``kind`` names what the extensions are, e.g. "an HDR format (.exr .hdr
    .pfm)"). Names in ``quiet_names`` (e.g. a dataset's ``splits.json``) are skipped without being
    reported. ImageError when ``folder`` is not a folder.
    """
    from itmn.errors import ImageError

    folder = Path(folder)
    if not folder.is_dir():
        raise ImageError(folder, "no such folder" if not folder.exists() else "not a folder", "a folder of images")
    exts = tuple(e.lower() for e in extensions)
    files: list[Path] = []
    skipped: list[tuple[Path, str]] = []
    for p in sorted(folder.iterdir()):
        if p.name in quiet_names:
            continue
        if p.name.startswith("."):
            skipped.append((p, HIDDEN_REASON))
        elif not p.is_file():
            skipped.append((p, "a folder" if p.is_dir() else "not a regular file"))
        elif p.suffix.lower() not in exts:
            skipped.append((p, f"extension {p.suffix or '(none)'!r} is not {kind or 'one of ' + ' '.join(exts)}"))
        else:
            files.append(p)
    return FolderListing(folder, files, skipped)
