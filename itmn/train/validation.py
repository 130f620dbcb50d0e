"""Validation: full-size pairs, the protocol's test LDR (Reinhard global), scored with the metrics
the caller passes (name -> ``fn(test, ref) -> float`` on display-referred BT.2020 cd/m^2; the
command line passes the metric registry's mpsnr and ssim).

Which images: the dataset's ``val`` split when it has one (public-v2 does): the only split model
selection and early stopping may look at. A dataset without one (``default``, folders without a
``val`` in splits.json) is monitored on its ``test`` split and ``status`` says so: those numbers
are a progress curve, never a selection criterion (``selectable`` is False).

Validation never changes training: it runs under ``torch.no_grad`` with the networks in eval
mode (BatchNorm uses, and does not update, its running statistics) inside
``torch.random.fork_rng`` (no generator a training step uses advances), and restores train mode.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import torch

from itmn.infer import pad_to_multiple, pq_to_display

#: A validation metric: (test, reference) H x W x 3 BT.2020 cd/m^2 -> score.
MetricFn = Callable[[np.ndarray, np.ndarray], float]


def validation_split(prepared: Any) -> str:
    """``"val"`` when the prepared dataset has a non-empty validation split, else ``"test"``."""
    try:
        return "val" if list(prepared.names("val")) else "test"
    except Exception:  # a reader without a val split (older prepared folders, test doubles)
        return "test"


class Validator:
    """Scores a model's predictions on the first ``limit`` images of :func:`validation_split`
    (0 = all).

    ``split`` is the split used; ``selectable`` whether its scores may select a model (only a
    ``val`` split); ``status`` says whether validation runs and, if not, why (written to run.json).
    """

    def __init__(
        self, prepared: Any, tmo: str, metrics: Mapping[str, MetricFn], limit: int = 0
    ) -> None:
        self.metrics = dict(metrics)
        self.metric_names = list(self.metrics)
        self.split = validation_split(prepared)
        self.selectable = self.split == "val"
        self.pairs: list[tuple[str, np.ndarray, np.ndarray]] = []
        if not self.metrics:
            self.status = "skipped: no validation metrics were given"
            return
        names = list(prepared.names(self.split))
        if limit > 0:
            names = names[:limit]
        if not names:
            self.status = f"skipped: the dataset's {self.split} split is empty"
            return
        for name in names:
            self.pairs.append((name, prepared.load_ldr(name, tmo), prepared.load_hdr(name)))
        self.status = f"ok: {len(names)} {self.split} images ({tmo} LDR), metrics {', '.join(self.metric_names)}"
        if not self.selectable:
            self.status += " (the dataset has no val split: monitoring only, never for model selection)"

    @property
    def enabled(self) -> bool:
        return bool(self.pairs) and bool(self.metrics)

    def columns(self) -> list[str]:
        return ["iteration", *self.metric_names, "n_images", "seconds"]

    def run(self, predict_pq: Callable[[torch.Tensor], torch.Tensor], nets: Sequence[torch.nn.Module],
            multiple: int, cuda: bool) -> dict[str, float]:  # fmt: skip
        """Mean of each metric over the validation images (and ``n_images``, ``seconds``)."""
        t0 = time.perf_counter()
        modes = [n.training for n in nets]
        devices = [torch.cuda.current_device()] if cuda else []
        scores: dict[str, list[float]] = {m: [] for m in self.metric_names}
        try:
            with torch.random.fork_rng(devices=devices), torch.no_grad():
                for n in nets:
                    n.eval()
                for _name, ldr, ref in self.pairs:
                    pq = predict_image(predict_pq, ldr, multiple)
                    test = pq_to_display(pq)
                    for m in self.metric_names:
                        scores[m].append(float(self.metrics[m](test, ref)))
        finally:
            for n, mode in zip(nets, modes):
                n.train(mode)
        out = {m: float(np.mean(v)) for m, v in scores.items()}
        out.update(n_images=len(self.pairs), seconds=time.perf_counter() - t0)
        return out


def predict_image(
    predict_pq: Callable[[torch.Tensor], torch.Tensor], ldr: np.ndarray, multiple: int
) -> np.ndarray:
    """One H x W x 3 LDR image through ``predict_pq`` (N x 3 x H x W), padded to ``multiple``."""
    x = torch.from_numpy(np.ascontiguousarray(ldr.transpose(2, 0, 1)))[None]
    h, w = x.shape[-2:]
    x = pad_to_multiple(x, multiple)
    y = predict_pq(x)[..., :h, :w]
    return np.ascontiguousarray(y[0].float().cpu().numpy().transpose(1, 2, 0))
