"""What one training iteration does. The loop (:mod:`itmn.train.trainer`) knows nothing of the
networks; a task owns them, their optimizers and their step. :class:`Task` holds what every kind
shares (device placement, DDP wrapping, optimizer steps with AMP scaling); a model kind
(:mod:`itmn.train.kinds`) builds its task.

* :class:`ItmnTask` -- iTMN and its ablations (eq. 4): one generator step on
  ``lam * L_G + adv_g``, then one discriminator step on ``-R`` computed on the *updated*
  generator's output G_{k+1}(L). ``loss.adversarial = False`` builds no discriminator.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import torch
from torch import nn
from torch.nn.modules.batchnorm import _BatchNorm

from itmn.losses import content_loss, generator_adversarial, generator_objective, regularizer
from itmn.models import Discriminator, UNetGenerator
from itmn.train.config import OptimConfig, TrainConfig
from itmn.train.distributed import DistInfo, autocast

#: log.csv columns of an iTMN run (adv_* stay empty without the regularizer).
ITMN_COLUMNS = ("content", "mse", "dmse", "alpha", "adv_g", "adv_d", "g_loss", "d_loss")


def make_optimizer(params: Any, cfg: OptimConfig, lr: float) -> torch.optim.Optimizer:
    """RMSProp (the paper's) or Adam with the configured hyper-parameters."""
    if cfg.name == "rmsprop":
        return torch.optim.RMSprop(
            params, lr=lr, alpha=cfg.rmsprop_alpha, eps=cfg.eps, momentum=cfg.momentum,
            weight_decay=cfg.weight_decay, foreach=False,
        )  # fmt: skip
    return torch.optim.Adam(
        params, lr=lr, betas=tuple(cfg.betas), eps=cfg.eps, weight_decay=cfg.weight_decay, foreach=False
    )


@contextlib.contextmanager
def frozen_bn_stats(module: nn.Module) -> Iterator[None]:
    """Run a train-mode forward without changing BatchNorm running statistics (restored exactly)."""
    saved = [
        (m, m.running_mean.clone(), m.running_var.clone(), m.num_batches_tracked.clone())
        for m in module.modules()
        if isinstance(m, _BatchNorm) and m.track_running_stats and m.running_mean is not None
    ]
    try:
        yield
    finally:
        for m, mean, var, n in saved:
            m.running_mean.copy_(mean)
            m.running_var.copy_(var)
            m.num_batches_tracked.copy_(n)


class Task:
    """Common machinery: device placement, DDP wrapping, optimizer steps with AMP scaling."""

    kind = ""
    #: log.csv columns of the step's values (None: taken from the first step's values)
    log_columns: tuple[str, ...] | None = None

    def __init__(self, config: TrainConfig, device: torch.device, dist: DistInfo, amp: torch.dtype | None,
                 channels_last: bool) -> None:  # fmt: skip
        self.config = config
        self.device = device
        self.dist = dist
        self.amp = amp
        self.channels_last = channels_last
        self.nets: dict[str, nn.Module] = {}
        self.train_nets: dict[str, nn.Module] = {}  # DDP wrappers (or the nets themselves)
        self.optimizers: dict[str, torch.optim.Optimizer] = {}
        self.scalers: dict[str, torch.amp.GradScaler] = {}
        self.base_lrs: dict[str, float] = {}
        self.model_cfg: dict[str, Any] = {}

    def _add(self, name: str, net: nn.Module, lr: float) -> None:
        net = net.to(self.device)
        if self.channels_last:
            net = net.to(memory_format=torch.channels_last)
        self.nets[name] = net
        if self.dist.enabled:
            ids = [self.device.index] if self.device.type == "cuda" else None
            self.train_nets[name] = nn.parallel.DistributedDataParallel(net, device_ids=ids)
        else:
            self.train_nets[name] = net
        self.optimizers[name] = make_optimizer(net.parameters(), self.config.optim, lr)
        self.scalers[name] = torch.amp.GradScaler("cuda", enabled=self.amp == torch.float16)
        self.base_lrs[name] = lr

    def set_lr_factor(self, factor: float) -> float:
        for name, opt in self.optimizers.items():
            for group in opt.param_groups:
                group["lr"] = self.base_lrs[name] * factor
        return next(iter(self.base_lrs.values())) * factor

    def _tensor(self, x: Any) -> torch.Tensor:
        t = torch.as_tensor(x).to(self.device, torch.float32, non_blocking=True)
        return t.contiguous(memory_format=torch.channels_last) if self.channels_last else t

    def _apply(self, name: str, loss: torch.Tensor, **backward: Any) -> None:
        """Backward ``loss`` (into ``backward['inputs']`` if given) and step optimizer ``name``."""
        opt, scaler = self.optimizers[name], self.scalers[name]
        scaler.scale(loss).backward(**backward)
        if self.config.optim.grad_clip > 0:
            scaler.unscale_(opt)
            nn.utils.clip_grad_norm_(self.nets[name].parameters(), self.config.optim.grad_clip)
        scaler.step(opt)
        scaler.update()

    def train(self, mode: bool = True) -> None:
        for net in self.nets.values():
            net.train(mode)

    def step(self, batch: dict[str, Any], iteration: int) -> dict[str, float | None]:  # pragma: no cover
        """One optimization step on ``batch`` at (0-based) ``iteration``; returns values to log."""
        raise NotImplementedError

    def predict_pq(self, ldr: torch.Tensor) -> torch.Tensor:  # pragma: no cover - abstract
        """PQ code values (N x 3 x H x W) predicted for LDR code values of the same shape."""
        raise NotImplementedError

    @property
    def pad_multiple(self) -> int:  # pragma: no cover - abstract
        """Image sides the networks take must be multiples of this (validation pads to it)."""
        raise NotImplementedError

    def resolved_options(self) -> dict[str, Any] | None:
        """The model options as built (defaults filled in), written to config.json; None when
        the configuration already says everything."""
        return None


class ItmnTask(Task):
    """Generator (+ discriminator) of iTMN trained by alternating optimization (eq. 4)."""

    kind = "itmn"
    log_columns = ITMN_COLUMNS

    def __init__(self, config: TrainConfig, device: torch.device, dist: DistInfo, amp: torch.dtype | None,
                 channels_last: bool) -> None:  # fmt: skip
        super().__init__(config, device, dist, amp, channels_last)
        m = config.model
        self.model_cfg = {
            "kind": "itmn",
            "generator": _asdict(m.generator),
            "discriminator": _asdict(m.discriminator),
        }
        self._add("generator", UNetGenerator(**self.model_cfg["generator"]), config.optim.lr)
        if config.loss.adversarial:
            self.model_cfg["discriminator"] = _asdict(m.discriminator)
            d_lr = config.optim.d_lr if config.optim.d_lr is not None else config.optim.lr
            self._add("discriminator", Discriminator(**self.model_cfg["discriminator"]), d_lr)
        else:
            self.model_cfg["discriminator"] = None

    def alpha_at(self, iteration: int) -> float:
        """alpha of eq. (2) at ``iteration``: 0 during ``loss.alpha_warmup``, then ``loss.alpha``."""
        loss = self.config.loss
        return 0.0 if iteration < round(loss.alpha_warmup * self.config.run.iterations) else loss.alpha

    def step(self, batch: dict[str, Any], iteration: int) -> dict[str, float | None]:
        ldr, hdr = self._tensor(batch["ldr"]), self._tensor(batch["hdr"])
        n = ldr.shape[0]
        loss_cfg = self.config.loss
        g, g_raw = self.train_nets["generator"], self.nets["generator"]
        d_raw = self.nets.get("discriminator")
        logs: dict[str, float | None] = {}

        # G_{k+1} = argmin lam * L_G + R(G, D_k): one step. D_k is only evaluated here; in a single
        # process its parameters are frozen (no wasted weight gradients); under DDP they are left
        # alone (toggling requires_grad of DDP parameters is unsupported) and zeroed before D's step.
        self.optimizers["generator"].zero_grad(set_to_none=True)
        freeze = d_raw is not None and not self.dist.enabled
        if freeze:
            d_raw.requires_grad_(False)
        try:
            with autocast(self.device, self.amp):
                fake = g(ldr)
            alpha = self.alpha_at(iteration)
            terms = content_loss(fake.float(), hdr, alpha)
            adv_g = None
            if d_raw is not None:
                # D sees real and generated images in one batch, as in its own step (same BN statistics).
                with autocast(self.device, self.amp):
                    logits = d_raw(torch.cat([hdr, fake.to(hdr.dtype)], 0)).float()
                adv_g = generator_adversarial(logits[n:], loss_cfg.adv_form)
            g_loss = generator_objective(terms, adv_g, loss_cfg.lam)
            self._apply("generator", g_loss)
        finally:
            if freeze:
                d_raw.requires_grad_(True)
        logs.update(
            content=terms.content.item(),
            mse=terms.mse.item(),
            dmse=terms.dmse.item(),
            alpha=alpha,
            g_loss=g_loss.item(),
        )
        logs["adv_g"] = adv_g.item() if adv_g is not None else None

        # D_{k+1} = argmax R(G_{k+1}, D): one step on the updated generator's output.
        if d_raw is not None:
            with torch.no_grad(), frozen_bn_stats(g_raw), autocast(self.device, self.amp):
                fake_next = g_raw(ldr)
            self.optimizers["discriminator"].zero_grad(set_to_none=True)
            with autocast(self.device, self.amp):
                logits = self.train_nets["discriminator"](
                    torch.cat([hdr, fake_next.to(hdr.dtype)], 0)
                ).float()
            r = regularizer(logits[:n], logits[n:])
            self._apply("discriminator", -r)
            logs.update(adv_d=r.item(), d_loss=-r.item())
        else:
            logs.update(adv_d=None, d_loss=None)
        return logs

    def predict_pq(self, ldr: torch.Tensor) -> torch.Tensor:
        with autocast(self.device, self.amp):
            return self.nets["generator"](self._tensor(ldr)).float()

    @property
    def pad_multiple(self) -> int:
        return int(self.nets["generator"].multiple)


def build_task(config: TrainConfig, device: torch.device, dist: DistInfo, amp: torch.dtype | None,
               channels_last: bool) -> Task:  # fmt: skip
    """The task of ``config.model.kind`` (a registered :class:`itmn.train.kinds.ModelKind`)."""
    from itmn.train.kinds import get_model_kind

    return get_model_kind(config.model.kind).build_task(config, device, dist, amp, channels_last)


def _asdict(obj: Any) -> dict[str, Any]:
    import dataclasses

    return {k: (list(v) if isinstance(v, tuple) else v) for k, v in dataclasses.asdict(obj).items()}
