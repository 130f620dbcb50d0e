"""Configuration of the DrTM-style model (Endo et al. 2017): defaults, a small CPU variant and
validation.

The trainer passes ``model_cfg`` as a plain dict (it is saved in every run's config.json);
:func:`resolve_config` turns it into a frozen, validated :class:`DrtmConfig`. Unknown keys and
out-of-range values raise :class:`itmn.errors.ConfigError` naming the key, the value seen and what
was expected, so a typo in a config file never silently falls back to a default.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from itmn.errors import ConfigError

#: Version of this implementation; bump when a change alters predictions of a trained model.
DRTM_VERSION = "1.0"

CAMERA_CURVES = ("srgb", "gamma2.2")
INPUT_KINDS = ("tmo", "camera")
RESIDUAL_KINDS = ("exposure", "original")


@dataclass(frozen=True)
class DrtmConfig:
    """Every knob of the model, the bracket synthesis, the stopping rule and the merge.

    Network (``nets``):
        width: channels of the first encoder layer; layer i has ``width * min(2**i, 8)``
            (Endo et al.: 64, i.e. 64-128-256-512-512-...).
        n_levels: stride-2 encoder layers (= decoder layers). The input is padded to a multiple of
            ``2**n_levels`` pixels (Endo et al.: 9, so 512 x 512 reaches 1 x 1).
        n_frames: frames predicted by each network, a power of two (Endo et al.: 8).
        ev_step: exposure step between frames in stops (EV); frame k of the up network is at
            ``+k * ev_step`` EV, of the down network at ``-k * ev_step`` (Endo et al.: 0.5,
            i.e. exposure-time ratio sqrt(2)).
        dropout, n_dropout: dropout probability on the first ``n_dropout`` decoder layers
            (Endo et al.: 0.5 on 3).
        negative_slope: LeakyReLU slope of the encoder (chainer's default, 0.2).
        init_std: standard deviation of the N(0, std) weight initialization (0.02).
        residual: ``"exposure"``: frame k = sigmoid(h_k + logit(b_k)) with b_k the input
            re-exposed by ``ev_k`` through the camera curve, so zero residual h reproduces the
            physically correct bracket of an unclipped input. ``"original"``: sigmoid(h_k + x)
            exactly as the released code (input code value added before the sigmoid).
        logit_eps: b_k is clamped to [eps, 1 - eps] before the logit.
        zero_init_last: initialize the last decoder layer to zero, so an untrained
            ``"exposure"`` model outputs the re-exposed input (inverse-camera-curve expansion).

    Training targets (``training_losses``):
        camera: known camera response of the synthetic brackets, ``"srgb"`` (IEC 61966-2-1) or
            ``"gamma2.2"``, both clipping radiance to [0, 1] (saturation).
        input: ``"tmo"``: the network sees the dataset's tone-mapped LDR (as at test time);
            ``"camera"``: it sees the camera-curve frame at EV 0 (as Endo et al. trained).
        target_bits: quantization of the synthetic frames (8: 8-bit like the original PNG
            stacks; 0: none).
        align_lo, align_hi: code-value range of "well-exposed" LDR pixels used to choose EV 0.

    Stopping rule (:mod:`baselines.drtm.merge`):
        stop_threshold: a frame is rejected, and the walk in that direction stops, when any pixel
            moves against the exposure direction by more than this (code value; Endo et al.'s
            released code: 64/255).
        stop_exhausted_fraction, stop_exhausted_level: the walk stops after a frame in which this
            fraction of pixels is saturated in all channels (>= 1 - level, up) or black
            (<= level, down).
        stop_min_change: a frame whose mean absolute difference from the previous kept frame is
            below this adds nothing; it is rejected and the walk stops.

    Merge:
        merge_margin: triangle weights w(z) = max(0, min(z - m, 1 - m - z)) (Debevec & Malik's
            hat for m = 0). The default, half an 8-bit step, exceeds ``logit_eps`` so that frames
            the output sigmoid cannot push further towards 0 or 1 get zero weight.
        merge_input: merge the input as the EV-0 frame; ``None`` = only when it is a camera frame
            (``input == "camera"``): a tone-mapped input does not follow the camera curve.
    """

    kind: str = "drtm"
    width: int = 64
    n_levels: int = 9
    n_frames: int = 8
    ev_step: float = 0.5
    dropout: float = 0.5
    n_dropout: int = 3
    negative_slope: float = 0.2
    init_std: float = 0.02
    residual: str = "exposure"
    logit_eps: float = 1e-3
    zero_init_last: bool = True
    camera: str = "srgb"
    input: str = "tmo"
    target_bits: int = 8
    align_lo: float = 0.05
    align_hi: float = 0.95
    stop_threshold: float = 64.0 / 255.0
    stop_exhausted_fraction: float = 0.999
    stop_exhausted_level: float = 1.0 / 255.0
    stop_min_change: float = 0.25 / 255.0
    merge_margin: float = 0.5 / 255.0
    merge_input: bool | None = None

    @property
    def merges_input(self) -> bool:
        """Whether the input is merged as the EV-0 frame."""
        return self.input == "camera" if self.merge_input is None else bool(self.merge_input)

    @property
    def channels(self) -> tuple[int, ...]:
        """Output channels of the encoder layers (the decoder mirrors them)."""
        return tuple(self.width * min(2**i, 8) for i in range(self.n_levels))

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


#: Full-size configuration: the released network's sizes (Endo et al. 2017).
DRTM_DEFAULTS: dict[str, Any] = DrtmConfig().to_dict()

#: A configuration for CPU training: 1/16 of the full width and 6 levels (128 x 128 crops reach a
#: 2 x 2 bottleneck), 0.32 M parameters per network instead of 174 M. Measured on the shared 2-core
#: machine under load (one thread, batch 6, 128 x 128): 1.1 s per iteration, against 2.7 s for
#: ``width=16`` and 0.56 s for ``width=4, n_frames=4, ev_step=1.0`` (same +-4 EV range). The
#: zero-initialized residual makes the untrained model the inverse-camera-curve expansion, so
#: short training starts from a sensible bracket. See docs/drtm.md for a short-training experiment.
DRTM_CPU: dict[str, Any] = {**DRTM_DEFAULTS, "width": 4, "n_levels": 6}


def _fail(key: str, value: object, expected: str) -> ConfigError:
    return ConfigError(f"drtm model config: {key}={value!r} (expected {expected})")


def resolve_config(model_cfg: Mapping[str, Any] | DrtmConfig | None) -> DrtmConfig:
    """Validate ``model_cfg`` (missing keys take :data:`DRTM_DEFAULTS`) and return a DrtmConfig.

    Raises:
        ConfigError: unknown key, wrong kind or a value out of range.

    Example:
        >>> resolve_config({"width": 8, "n_levels": 5}).channels
        (8, 16, 32, 64, 64)
    """
    if isinstance(model_cfg, DrtmConfig):
        return model_cfg
    cfg = dict(model_cfg or {})
    known = {f.name for f in dataclasses.fields(DrtmConfig)}
    unknown = sorted(set(cfg) - known)
    if unknown:
        raise ConfigError(f"drtm model config: unknown keys {unknown} (known: {sorted(known)})")
    c = DrtmConfig(**cfg)
    checks: list[tuple[str, bool, str]] = [
        ("kind", c.kind == "drtm", "'drtm'"),
        ("width", isinstance(c.width, int) and c.width >= 1, "an integer >= 1"),
        ("n_frames", isinstance(c.n_frames, int) and c.n_frames >= 1 and (c.n_frames & (c.n_frames - 1)) == 0,
         "a power of two >= 1 (the 3D decoder doubles the frame axis)"),
        ("ev_step", isinstance(c.ev_step, int | float) and 0 < c.ev_step <= 4, "a step in stops in (0, 4]"),
        ("dropout", 0.0 <= c.dropout < 1.0, "a probability in [0, 1)"),
        ("n_dropout", isinstance(c.n_dropout, int) and c.n_dropout >= 0, "an integer >= 0"),
        ("negative_slope", c.negative_slope >= 0, ">= 0"),
        ("init_std", c.init_std > 0, "> 0"),
        ("residual", c.residual in RESIDUAL_KINDS, f"one of {RESIDUAL_KINDS}"),
        ("logit_eps", 0 < c.logit_eps < 0.5, "in (0, 0.5)"),
        ("camera", c.camera in CAMERA_CURVES, f"one of {CAMERA_CURVES}"),
        ("input", c.input in INPUT_KINDS, f"one of {INPUT_KINDS}"),
        ("target_bits", isinstance(c.target_bits, int) and 0 <= c.target_bits <= 16, "0 (none) .. 16"),
        ("align_lo", 0 <= c.align_lo < c.align_hi <= 1, "0 <= align_lo < align_hi <= 1"),
        ("stop_threshold", 0 < c.stop_threshold <= 1, "a code-value difference in (0, 1]"),
        ("stop_exhausted_fraction", 0 < c.stop_exhausted_fraction <= 1, "a fraction in (0, 1]"),
        ("stop_exhausted_level", 0 <= c.stop_exhausted_level < 0.5, "a code value in [0, 0.5)"),
        ("stop_min_change", c.stop_min_change >= 0, ">= 0"),
        ("merge_margin", 0 <= c.merge_margin < 0.5, "a code value in [0, 0.5)"),
    ]  # fmt: skip
    for key, ok, expected in checks:
        if not ok:
            raise _fail(key, getattr(c, key), expected)
    levels_needed = int(math.log2(c.n_frames)) + 1
    if not isinstance(c.n_levels, int) or c.n_levels < levels_needed:
        raise _fail("n_levels", c.n_levels, f"an integer >= {levels_needed} for n_frames={c.n_frames}")
    return c
