"""What a reproduction is asked to do (:class:`Options`) and the names the tables use."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent.parent

#: Table 1's methods in the paper's column order (see results/paper/table1.csv), then the
#: sanity baseline the acceptance criteria compare learned models against (not in the paper).
TABLE1_METHODS = ("itmn", "huo", "ko", "drtm", "itmn-nodmse", "itmn-noadvreg")
EXTRA_METHODS = ("inverse-gamma",)
#: Published methods run with their authors' released weights (baselines/published/): the
#: leaderboard's (bench.leaderboard), never Table 1's.
PUBLISHED_METHODS = ("expandnet", "lhdr", "hdrtvdm", "hdrtvdm-3dm", "hdrtvdm-davinci")
#: method name -> training variant (itmn.train.profiles.VARIANTS)
LEARNED_VARIANTS = {"itmn": "itmn", "itmn-nodmse": "nodmse", "itmn-noadvreg": "noadvreg", "drtm": "drtm"}
LABELS = {
    "itmn": "iTMN",
    "itmn-nodmse": "NoDMSE",
    "itmn-noadvreg": "NoAdvReg",
    "huo": "Huo",
    "ko": "KO",
    "drtm": "DrTM-style",
    "inverse-gamma": "Inverse gamma*",
}
#: Labels of the published methods in the leaderboard (and figures that show them); kept apart
#: from :data:`LABELS` so that Table 1 files written by ``itmn-bench evaluate`` keep their names.
PUBLISHED_LABELS = {
    "expandnet": "ExpandNet",
    "lhdr": "LHDR",
    "hdrtvdm": "HDRTVDM",
    "hdrtvdm-3dm": "HDRTVDM (3DM)",
    "hdrtvdm-davinci": "HDRTVDM (DaVinci)",
}
#: published networks (their authors' weights) on the leaderboard beside Table 1's methods
LEADERBOARD_METHODS = ("expandnet", "lhdr", "hdrtvdm")
#: the dataset of each profile when none is named: the benchmark's public-v2 (protocol v2) for
#: the real profiles; the smoke profile (CI) stays on the small default set
DEFAULT_DATASETS = {"smoke": "default", "cpu": "public-v2", "paper": "public-v2"}
#: Fig. 2 (i): the learning rates compared (the main run is the 1e-4 step-decay one)
LR_SWEEP = (1e-3, 1e-6)


def log(msg: str) -> None:
    print(f"[reproduce] {msg}", file=sys.stderr, flush=True)



@dataclass
class Options:
    table: str  # "table1" | "table2"
    profile: str
    profile_reason: str
    dataset: str = "default"
    mirror: str | None = None
    cache: str | None = None
    work: Path = REPO / "work"
    results: Path = REPO / "results"
    device: str = "auto"
    jobs: int = 1
    figures: bool = True
    lr_sweep: bool = True
    progress: bool = True
    report: bool = True  # the HTML report at the end (--no-report skips it)
    ppd: float = 30.0
    set_overrides: list[str] = field(default_factory=list)
    metrics: tuple[str, ...] | None = None  # --metrics: table columns (None: the paper's three)
    #: published networks scored for the leaderboard beside Table 1's methods (empty: no leaderboard)
    leaderboard_methods: tuple[str, ...] = LEADERBOARD_METHODS

    @property
    def slug(self) -> str:
        """``<profile>`` for the profile's own dataset (:data:`DEFAULT_DATASETS`), else
        ``<profile>-<dataset>`` (e.g. ``cpu-default``: the cpu profile on the v1 dataset)."""
        if self.dataset == DEFAULT_DATASETS.get(self.profile, "default"):
            return self.profile
        from itmn.data.registry import folder_dataset_name, resolve_dataset

        ds = resolve_dataset(self.dataset)
        name = ds.name if hasattr(ds, "files") else folder_dataset_name(self.dataset)
        return f"{self.profile}-{name}"

    @property
    def work_dir(self) -> Path:
        return self.work / self.slug

    @property
    def results_dir(self) -> Path:
        return self.results / self.slug


def choose_profile(requested: str | None) -> tuple[str, str]:
    """The profile to use and why (printed): ``paper`` on a CUDA machine, else ``cpu``."""
    if requested:
        return requested, "requested with --profile"
    import torch

    if torch.cuda.is_available():
        return "paper", f"a CUDA GPU is present ({torch.cuda.get_device_name(0)})"
    return "cpu", "no CUDA GPU found (pass --profile paper to force the paper's setting)"

