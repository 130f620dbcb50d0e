"""The trainer's task for the DrTM-style model: the two exposure networks, each with its
optimizer, stepped on its own loss (:class:`itmn.train.tasks.Task`)."""

from __future__ import annotations

from typing import Any

import torch

from baselines.drtm.model import predict_hdr_pq, training_losses
from baselines.drtm.nets import build_nets
from baselines.drtm.training import KIND, model_options
from itmn.train.config import TrainConfig
from itmn.train.distributed import DistInfo, autocast
from itmn.train.tasks import Task


class DrtmTask(Task):
    """The two exposure networks, each with its optimizer, stepped on its own loss."""

    kind = KIND

    def __init__(
        self, config: TrainConfig, device: torch.device, dist: DistInfo, amp: torch.dtype | None, channels_last: bool
    ) -> None:
        super().__init__(config, device, dist, amp, channels_last)
        self.model_cfg = model_options(config)
        for name, net in build_nets(self.model_cfg).items():
            self._add(name, net, config.optim.lr)

    def step(self, batch: dict[str, Any], iteration: int) -> dict[str, float | None]:
        batch = {**batch, "ldr": self._tensor(batch["ldr"]), "hdr": self._tensor(batch["hdr"])}
        for opt in self.optimizers.values():
            opt.zero_grad(set_to_none=True)
        with autocast(self.device, self.amp):
            losses, extra = training_losses(self.train_nets, batch, self.model_cfg)
        names = list(losses)
        if sorted(names) != sorted(self.nets):
            raise RuntimeError(
                f"training_losses returned losses for {names}, expected one per network {sorted(self.nets)}"
            )
        # Each network is stepped on its own loss only (gradients accumulated into its parameters).
        for i, name in enumerate(names):
            self._apply(name, losses[name].float(), inputs=list(self.nets[name].parameters()),
                        retain_graph=i < len(names) - 1)  # fmt: skip
        logs: dict[str, float | None] = {f"loss_{k}": float(v.detach()) for k, v in losses.items()}
        logs.update({k: float(v) for k, v in extra.items()})
        return logs

    def predict_pq(self, ldr: torch.Tensor) -> torch.Tensor:
        with autocast(self.device, self.amp):
            return predict_hdr_pq(self.nets, self._tensor(ldr), self.model_cfg).float()

    @property
    def pad_multiple(self) -> int:
        return 2 ** int(self.model_cfg["n_levels"])

    def resolved_options(self) -> dict[str, Any] | None:
        return {k: v for k, v in self.model_cfg.items() if k != "kind"}
