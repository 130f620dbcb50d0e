"""What the shared trainer calls (docs/CONTRACTS.md): losses on a batch, and predictions.

* :func:`training_losses` — the L1 loss of each network on its synthetic frames.
* :func:`predict_bracket` — both networks, the stopping rule, the frames to merge.
* :func:`predict_radiance` — the merged relative linear BT.709 radiance.
* :func:`predict_hdr_pq` — PQ code values of display-referred BT.2020 light, scaled as the shared
  wrapper scales every relative method (maximum luminance -> 1000 cd/m^2, clip [0.005, 1000]).

None of these switches the networks between train and eval mode: the caller does.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from baselines.drtm.bracket import (
    align_exposure,
    check_batch_images,
    frame_evs,
    pq_to_radiance,
    synthesize_bracket,
)
from baselines.drtm.config import DrtmConfig, resolve_config
from baselines.drtm.merge import merge_debevec, stop_counts
from itmn import colour
from itmn.errors import ConfigError, ImageError
from itmn.protocol import DISPLAY_V1

#: Display of protocol v1 section 2.3: peak and black level in cd/m^2.
DISPLAY_PEAK_CDM2 = DISPLAY_V1.peak_cdm2
DISPLAY_BLACK_CDM2 = DISPLAY_V1.black_cdm2


@dataclass(frozen=True)
class Targets:
    """Network input and synthetic frames of one batch (all N x ... tensors on the batch's device)."""

    input: torch.Tensor  # N x 3 x H x W code values
    up: torch.Tensor  # N x K x 3 x H x W, +step .. +K*step EV
    down: torch.Tensor  # N x K x 3 x H x W, -step .. -K*step EV
    scale: torch.Tensor  # N, EV-0 exposure scale (relative radiance = scale * cd/m^2)


@dataclass(frozen=True)
class Bracket:
    """A predicted bracket, darkest frame first; the input is the frame at EV 0 (index K)."""

    frames: torch.Tensor  # N x (2K+1) x 3 x H x W
    evs: list[float]  # 2K+1 exposure values, ascending
    keep: torch.Tensor  # N x (2K+1) bool, frames merged
    n_up: torch.Tensor  # N, up frames kept by the stopping rule
    n_down: torch.Tensor  # N, down frames kept


def _nets(nets: dict[str, nn.Module]) -> tuple[nn.Module, nn.Module]:
    missing = {"up", "down"} - set(nets)
    if missing:
        raise ConfigError(f"drtm needs networks 'up' and 'down'; missing {sorted(missing)} in {sorted(nets)}")
    return nets["up"], nets["down"]


def _full_precision(x: torch.Tensor) -> torch.autocast:
    """Disable the caller's autocast: colour matrices, PQ and the merge need float32 (under
    float16/bfloat16 autocast the colour matrix products would otherwise run in half precision)."""
    return torch.autocast(device_type=x.device.type, enabled=False)


def make_targets(ldr: torch.Tensor, hdr_pq: torch.Tensor, cfg: DrtmConfig) -> Targets:
    """Network input and target frames for a batch (see :mod:`baselines.drtm.bracket`); always
    computed in float32, whatever autocast the caller runs under."""
    check_batch_images(ldr, "ldr")
    check_batch_images(hdr_pq, "hdr")
    if ldr.shape != hdr_pq.shape:
        raise ImageError(
            "batch", f"ldr shape {tuple(ldr.shape)} != hdr shape {tuple(hdr_pq.shape)}", "equal shapes"
        )
    with _full_precision(ldr):
        return _make_targets(ldr.float(), hdr_pq.float(), cfg)


def _make_targets(ldr: torch.Tensor, hdr_pq: torch.Tensor, cfg: DrtmConfig) -> Targets:
    radiance = pq_to_radiance(hdr_pq)
    scale = align_exposure(ldr, radiance, cfg.camera, lo=cfg.align_lo, hi=cfg.align_hi)
    rel = radiance * scale.view(-1, 1, 1, 1)
    if cfg.input == "camera":
        x = synthesize_bracket(rel, [0.0], cfg.camera, bits=cfg.target_bits)[:, 0]
    else:
        x = ldr
    up = synthesize_bracket(rel, frame_evs(cfg.n_frames, cfg.ev_step, "up"), cfg.camera, bits=cfg.target_bits)
    down = synthesize_bracket(
        rel, frame_evs(cfg.n_frames, cfg.ev_step, "down"), cfg.camera, bits=cfg.target_bits
    )
    return Targets(input=x, up=up, down=down, scale=scale)


def batch_seed(ldr: torch.Tensor) -> int:
    """A seed that depends only on the batch's LDR values (CRC32 of its float32 bytes)."""
    return zlib.crc32(ldr.detach().to("cpu", torch.float32).contiguous().numpy().tobytes())


def training_losses(
    nets: dict[str, nn.Module], batch: dict[str, Any], model_cfg: dict | DrtmConfig
) -> tuple[dict[str, torch.Tensor], dict[str, float]]:
    """L1 loss of each network on its frames, and values to log.

    Args:
        nets: ``{"up": ..., "down": ...}`` from :func:`build_nets` (in train mode for training).
        batch: ``ldr`` (N x 3 x H x W display code values in [0, 1]) and ``hdr`` (same shape, PQ
            code values of BT.2020 cd/m^2), as :class:`itmn.data.dataset.PairDataset` batches.
        model_cfg: the model configuration.
    Returns:
        ``({"up": scalar, "down": scalar}, {"l1_up", "l1_down", "ev0_log2_scale",
        "saturated_up", "black_down"})``; the last two are the fraction of saturated (>= 1) code
        values of the brightest target and of black (0) ones of the darkest target.

    Deterministic given the batch and the networks' state: dropout masks come from a generator
    seeded by :func:`batch_seed`, not from torch's global generator.
    """
    cfg = resolve_config(model_cfg)
    up_net, down_net = _nets(nets)
    device = next(up_net.parameters()).device
    ldr = torch.as_tensor(batch["ldr"]).to(device=device, dtype=torch.float32)
    hdr = torch.as_tensor(batch["hdr"]).to(device=device, dtype=torch.float32)
    t = make_targets(ldr, hdr, cfg)
    seed = batch_seed(ldr) if cfg.dropout > 0 else 0
    losses: dict[str, torch.Tensor] = {}
    for i, (name, net, target) in enumerate((("up", up_net, t.up), ("down", down_net, t.down))):
        gen = torch.Generator(device=device).manual_seed(seed + i) if cfg.dropout > 0 else None
        losses[name] = (net(t.input, generator=gen) - target).abs().mean()
    logs = {
        "l1_up": float(losses["up"].detach()),
        "l1_down": float(losses["down"].detach()),
        "ev0_log2_scale": float(torch.log2(t.scale).mean()),
        "saturated_up": float((t.up[:, -1] >= 1.0).float().mean()),
        "black_down": float((t.down[:, -1] <= 0.0).float().mean()),
    }
    return losses, logs


def predict_bracket(nets: dict[str, nn.Module], ldr: torch.Tensor, model_cfg: dict | DrtmConfig) -> Bracket:
    """Both networks' frames around the input, and which ones the stopping rule keeps.

    The input is merged as the EV-0 frame when ``cfg.merges_input``, and also whenever the
    stopping rule keeps no predicted frame of an image (the merge then returns f^-1(input)).
    """
    cfg = resolve_config(model_cfg)
    up_net, down_net = _nets(nets)
    check_batch_images(ldr, "ldr")
    up, down = up_net(ldr), down_net(ldr)
    k = cfg.n_frames
    stop = dict(
        threshold=cfg.stop_threshold,
        exhausted_fraction=cfg.stop_exhausted_fraction,
        exhausted_level=cfg.stop_exhausted_level,
        min_change=cfg.stop_min_change,
    )
    n_up = stop_counts(ldr, up, "up", **stop)
    n_down = stop_counts(ldr, down, "down", **stop)
    frames = torch.cat([down.flip(1), ldr.unsqueeze(1), up], dim=1)
    idx = torch.arange(k, device=ldr.device)
    keep_down = (idx.view(1, -1) < n_down.view(-1, 1)).flip(1)
    keep_up = idx.view(1, -1) < n_up.view(-1, 1)
    keep_in = ((n_up + n_down) == 0) | cfg.merges_input
    keep = torch.cat([keep_down, keep_in.view(-1, 1), keep_up], dim=1)
    evs = frame_evs(k, cfg.ev_step, "down")[::-1] + [0.0] + frame_evs(k, cfg.ev_step, "up")
    return Bracket(frames=frames, evs=evs, keep=keep, n_up=n_up, n_down=n_down)


def predict_radiance(
    nets: dict[str, nn.Module], ldr: torch.Tensor, model_cfg: dict | DrtmConfig
) -> torch.Tensor:
    """Relative linear BT.709 radiance N x 3 x H x W (>= 0, finite; 1 = saturation at EV 0)."""
    cfg = resolve_config(model_cfg)
    b = predict_bracket(nets, ldr, cfg)
    with _full_precision(ldr):
        return merge_debevec(b.frames.float(), b.evs, cfg.camera, mask=b.keep, margin=cfg.merge_margin)


def relative_to_display(lin: torch.Tensor) -> torch.Tensor:
    """Relative linear BT.709 (N x 3 x H x W) -> display BT.2020 cd/m^2 in [0.005, 1000].

    The computation of the shared wrapper ``itmn.display.from_relative_bt709`` (protocol v1
    section 3), on tensors: each image is scaled so that its maximum luminance (protocol weights)
    is 1000 cd/m^2, converted to BT.2020 and clipped. An all-black image becomes the black level.
    """
    y_max = colour.luminance(lin.clamp_min(0.0), "bt709").flatten(1).amax(1).view(-1, 1, 1, 1)
    gain = torch.where(y_max > 0, DISPLAY_PEAK_CDM2 / y_max.clamp_min(1e-30), torch.zeros_like(y_max))
    out = colour.bt709_to_bt2020(lin.clamp_min(0.0) * gain)
    return out.clamp(DISPLAY_BLACK_CDM2, DISPLAY_PEAK_CDM2)


def predict_hdr_pq(
    nets: dict[str, nn.Module], ldr: torch.Tensor, model_cfg: dict | DrtmConfig
) -> torch.Tensor:
    """PQ code values in [0, 1] (N x 3 x H x W) of the display-referred BT.2020 prediction.

    Runs without gradients (validation); the networks' mode is the caller's. The networks run
    under the caller's autocast, the merge and the colour maths in float32.
    """
    with torch.no_grad():
        lin = predict_radiance(nets, ldr, model_cfg)
        with _full_precision(lin):
            return colour.pq_encode(relative_to_display(lin.float()))
