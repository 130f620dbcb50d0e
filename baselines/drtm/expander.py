"""The trained model as a method of protocol v1 section 3: ``expand(ldr) -> hdr``.

``load_expander(checkpoint)`` reads a training checkpoint with the trainer's
``itmn.train.checkpoint.load_for_inference(path) -> (config, state_dicts)`` (``config["model"]``
is the model configuration, ``state_dicts`` holds ``"up"`` and ``"down"``), rebuilds the two
networks and returns a :class:`DrtmExpander`. The merged relative radiance goes through the
output stage every classical method shares, :func:`itmn.display.from_relative_bt709`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import torch

from baselines.drtm.config import DRTM_VERSION, resolve_config
from baselines.drtm.model import Bracket, predict_bracket, predict_radiance
from baselines.drtm.nets import build_nets
from itmn.display import from_relative_bt709
from itmn.errors import CheckpointError, ConfigError
from itmn.images import check_ldr
from itmn.protocol import Protocol, get_protocol

Loader = Callable[[Path], tuple[dict[str, Any], dict[str, dict[str, Any]]]]


def _default_device() -> str:
    return "cuda" if torch.cuda.is_available() else "cpu"


class DrtmExpander:
    """A trained DrTM-style model: ``expand(ldr) -> hdr`` (protocol v1 section 3).

    Args:
        nets: ``{"up", "down"}`` networks (moved to ``device`` and set to eval mode here).
        model_cfg: their configuration.
        device: torch device (None: CUDA when available, else CPU).
        source: where the weights came from (recorded in ``info``).
    """

    def __init__(
        self,
        nets: Mapping[str, torch.nn.Module],
        model_cfg: Mapping[str, Any],
        *,
        device: str | torch.device | None = None,
        source: str | Path | None = None,
    ) -> None:
        self.cfg = resolve_config(model_cfg)
        self.device = torch.device(device or _default_device())
        self.nets = {name: nets[name].to(self.device).eval() for name in ("up", "down")}
        self.info: dict[str, Any] = {
            "name": "drtm",
            "version": DRTM_VERSION,
            "learned": True,
            "params": self.cfg.to_dict(),
            "checkpoint": None if source is None else str(source),
            "device": str(self.device),
        }
        self.info["wrapper"] = "itmn.display.from_relative_bt709"

    def config_string(self, protocol: str | Protocol | None = None) -> str:
        """One line naming everything that determines the output, to quote with results."""
        c, proto = self.cfg, get_protocol(protocol)
        return (
            f"drtm {DRTM_VERSION} | width={c.width} levels={c.n_levels} | {c.n_frames}x{c.ev_step:g}EV per net "
            f"| camera={c.camera} input={c.input} residual={c.residual} | stop={c.stop_threshold * 255:.0f}/255 "
            f"| merge=debevec-triangle | max Y->{proto.display.peak_cdm2:g} cd/m^2 | {proto.tag}"
        )

    def _tensor(self, ldr: Any) -> torch.Tensor:
        arr = check_ldr(ldr).astype(np.float32, copy=False)
        return torch.from_numpy(np.ascontiguousarray(arr.transpose(2, 0, 1)))[None].to(self.device)

    def bracket(self, ldr: Any) -> Bracket:
        """The predicted bracket of one LDR image (for inspection and figures)."""
        with torch.no_grad():
            return predict_bracket(self.nets, self._tensor(ldr), self.cfg)

    def relative(self, ldr: Any) -> np.ndarray:
        """Merged relative linear BT.709 radiance H x W x 3 (1 = saturation at EV 0)."""
        with torch.no_grad():
            lin = predict_radiance(self.nets, self._tensor(ldr), self.cfg)
        return np.ascontiguousarray(lin[0].cpu().numpy().transpose(1, 2, 0), dtype=np.float32)

    def expand(self, ldr: Any) -> np.ndarray:
        """LDR H x W x 3 code values in [0, 1] -> linear BT.2020 cd/m^2 in [0.005, 1000], float32."""
        return np.asarray(from_relative_bt709(self.relative(ldr)), dtype=np.float32)


def expander_from_state(
    config: Mapping[str, Any],
    state_dicts: Mapping[str, Mapping[str, Any]],
    *,
    device: str | torch.device | None = None,
    source: str | Path | None = None,
) -> DrtmExpander:
    """Rebuild the networks from a run config (``config["model"]``) and their state dicts."""
    where = str(source) if source is not None else "<checkpoint>"
    model_cfg = config.get("model")
    if not isinstance(model_cfg, Mapping):
        raise CheckpointError(f"{where}: config has no 'model' section (keys: {sorted(config)})")
    if model_cfg.get("kind", "drtm") != "drtm":
        raise CheckpointError(f"{where}: model kind is {model_cfg.get('kind')!r}, expected 'drtm'")
    try:
        nets = build_nets(dict(model_cfg))
    except ConfigError as err:
        raise CheckpointError(f"{where}: {err}") from err
    for name, net in nets.items():
        if name not in state_dicts:
            raise CheckpointError(f"{where}: no weights for network {name!r} (found {sorted(state_dicts)})")
        try:
            net.load_state_dict(state_dicts[name])
        except RuntimeError as err:
            raise CheckpointError(
                f"{where}: weights of network {name!r} do not fit its config: {err}"
            ) from err
    expander = DrtmExpander(nets, model_cfg, device=device, source=source)
    train = config.get("train")
    if isinstance(train, Mapping):  # what itmn.train.checkpoint.load_for_inference adds
        for key in ("config_hash", "iteration", "finished", "checkpoint"):
            if train.get(key) is not None:
                expander.info[key] = train[key]
    return expander


def _trainer_loader() -> Loader:
    from itmn.train.checkpoint import load_for_inference

    return load_for_inference


def load_expander(
    checkpoint: str | Path, device: str | torch.device | None = None, *, loader: Loader | None = None
) -> DrtmExpander:
    """A :class:`DrtmExpander` from a training checkpoint (run folder or file).

    Args:
        checkpoint: what ``itmn.train.checkpoint.load_for_inference`` accepts.
        device: torch device (None: CUDA when available, else CPU).
        loader: replaces ``load_for_inference`` (same signature); for tests and tools.
    """
    load = loader or _trainer_loader()
    config, state_dicts = load(Path(checkpoint))
    return expander_from_state(config, state_dicts, device=device, source=checkpoint)
