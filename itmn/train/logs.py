"""Run-folder logs: ``log.csv`` (one row per iteration), ``val.csv``, plots, optional TensorBoard.

CSV files are resumable: :meth:`CsvLog.open` drops rows past the iteration a resumed run
restarts from (rows a killed run wrote after its last checkpoint) and any half-written last line,
so a resumed run's log reads exactly like an uninterrupted run's.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from itmn.atomic import atomic_path
from itmn.errors import OutputError


class CsvLog:
    """Append-only CSV with a fixed header; rows are dicts (missing values are written empty)."""

    def __init__(self, path: Path, columns: Sequence[str]) -> None:
        self.path = Path(path)
        self.columns = list(columns)
        self._fh: Any = None
        self._writer: Any = None

    def open(self, keep_through: int) -> CsvLog:
        """Open for appending, keeping only complete rows with ``iteration <= keep_through``.

        An existing file with another header is an error the caller should not hit: the header
        depends only on the model kind, which the configuration hash pins.
        """
        kept: list[dict[str, str]] = []
        if self.path.exists() and keep_through > 0:
            with open(self.path, newline="") as fh:
                reader = csv.DictReader(fh)
                if reader.fieldnames and list(reader.fieldnames) != self.columns:
                    raise ValueError(f"{self.path}: header {reader.fieldnames} differs from {self.columns}")
                for row in reader:
                    if None in row.values() or None in row or not row["iteration"].isdigit():
                        break  # half-written line of a killed run
                    if int(row["iteration"]) > keep_through:
                        break
                    kept.append(row)
        with atomic_path(self.path) as tmp, open(tmp, "w", newline="") as fh:
            w = csv.DictWriter(fh, fieldnames=self.columns)
            w.writeheader()
            w.writerows(kept)
        self._fh = open(self.path, "a", newline="")  # noqa: SIM115 - kept open for the run
        self._writer = csv.DictWriter(self._fh, fieldnames=self.columns, extrasaction="ignore")
        return self

    @property
    def is_open(self) -> bool:
        """Whether :meth:`open` has been called (rows can be written)."""
        return self._writer is not None

    def write(self, row: dict[str, Any]) -> None:
        try:
            self._writer.writerow({k: _fmt(row.get(k)) for k in self.columns})
        except OSError as exc:  # a full disk: name the log (a resumed run drops a half-written line)
            raise OutputError.from_oserror(self.path, exc) from None

    def flush(self) -> None:
        if self._fh:
            try:
                self._fh.flush()
            except OSError as exc:
                raise OutputError.from_oserror(self.path, exc) from None

    def close(self) -> None:
        if self._fh:
            fh, self._fh = self._fh, None
            try:
                fh.close()
            except OSError as exc:
                raise OutputError.from_oserror(self.path, exc) from None


def _fmt(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, float):
        return repr(v) if math.isfinite(v) else str(v)
    return str(v)


def read_csv(path: Path) -> dict[str, list[float]]:
    """Columns of a numeric CSV (empty cells -> NaN)."""
    out: dict[str, list[float]] = {}
    if not Path(path).exists():
        return out
    with open(path, newline="") as fh:
        for row in csv.DictReader(fh):
            for k, v in row.items():
                try:
                    out.setdefault(k, []).append(float(v) if v not in ("", None) else math.nan)
                except ValueError:
                    out.setdefault(k, []).append(math.nan)
    return out


# --------------------------------------------------------------------------- plots
def _smooth(values: list[float], window: int) -> list[float]:
    """Trailing moving average ignoring NaN (window in iterations)."""
    out, acc, n, buf = [], 0.0, 0, []
    for v in values:
        buf.append(v)
        if math.isfinite(v):
            acc, n = acc + v, n + 1
        if len(buf) > window:
            old = buf.pop(0)
            if math.isfinite(old):
                acc, n = acc - old, n - 1
        out.append(acc / n if n else math.nan)
    return out


def plot_run(run_dir: Path) -> list[Path]:
    """Write ``plots/content_loss.png`` and ``plots/adversarial.png`` (the paper's Fig. 2 h/i
    quantities against iteration, raw and smoothed) and ``plots/validation.png`` when there is
    validation data. Returns the files written."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt


    log = read_csv(run_dir / "log.csv")
    val = read_csv(run_dir / "val.csv")
    out_dir = run_dir / "plots"
    out_dir.mkdir(exist_ok=True)
    written: list[Path] = []
    if not log.get("iteration"):
        return written
    it = log["iteration"]
    window = max(1, len(it) // 50)
    panels = [
        ("content_loss.png", ["content", "mse", "dmse"], True, "content loss L_G (eq. 2) and its terms"),
        ("adversarial.png", ["adv_g", "adv_d"], False, "adversarial terms: adv_g = E log D(G(L)), adv_d = R"),
    ]
    if "content" not in log:  # DrTM: one loss per network
        panels = [("losses.png", [k for k in log if k.startswith("loss_")], True, "loss of each network")]
    for fname, keys, logy, title in panels:
        keys = [k for k in keys if k in log and any(math.isfinite(v) for v in log[k])]
        if not keys:
            continue
        fig, ax = plt.subplots(figsize=(6.4, 4.0))
        for k in keys:
            line = ax.plot(it, log[k], alpha=0.25, linewidth=0.7)[0]
            ax.plot(it, _smooth(log[k], window), color=line.get_color(), label=k)
        if logy and all(v > 0 for k in keys for v in log[k] if math.isfinite(v)):
            ax.set_yscale("log")
        ax.set_xlabel("iteration")
        ax.set_title(title, fontsize=9)
        ax.legend()
        fig.subplots_adjust(left=0.12, right=0.97, bottom=0.12, top=0.92)
        with atomic_path(out_dir / fname) as tmp:
            fig.savefig(tmp, dpi=100)
        plt.close(fig)
        written.append(out_dir / fname)
    metrics = [k for k in val if k not in ("iteration", "n_images", "seconds")]
    if val.get("iteration") and metrics:
        fig, axes = plt.subplots(1, len(metrics), figsize=(3.2 * len(metrics), 3.0), squeeze=False)
        for ax, k in zip(axes[0], metrics):
            ax.plot(val["iteration"], val[k], marker="o")
            ax.set_title(f"validation {k}", fontsize=9)
            ax.set_xlabel("iteration")
        fig.subplots_adjust(left=0.1, right=0.97, bottom=0.16, top=0.88, wspace=0.35)
        with atomic_path(out_dir / "validation.png") as tmp:
            fig.savefig(tmp, dpi=100)
        plt.close(fig)
        written.append(out_dir / "validation.png")
    return written


# --------------------------------------------------------------------------- TensorBoard
class TensorBoard:
    """SummaryWriter when the ``tensorboard`` package is installed; ``status`` says which."""

    def __init__(self, log_dir: Path, enabled: bool) -> None:
        self.writer: Any = None
        if not enabled:
            self.status = "disabled (run.tensorboard=false)"
            return
        try:
            from torch.utils.tensorboard import SummaryWriter
        except ImportError as exc:
            self.status = f"not written: {exc} (pip install itmn-bench[tensorboard])"
            return
        self.writer = SummaryWriter(str(log_dir))
        self.status = f"written to {log_dir}"

    def scalars(self, step: int, values: dict[str, Any], prefix: str = "train") -> None:
        if self.writer is None:
            return
        for k, v in values.items():
            if isinstance(v, int | float) and math.isfinite(v) and k != "iteration":
                self.writer.add_scalar(f"{prefix}/{k}", v, step)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
