"""The built-in methods of the registry: the classical operators (native, or the original HDR
Toolbox function through the bridge), and the learned models loaded from a checkpoint.

The registry, not the algorithms, chooses between the suite's code and the original: the
functions of :mod:`baselines.huo` and :mod:`baselines.kovaleski` are pure, and ``backend=octave``
or ``matlab`` calls :mod:`itmn.originals` instead (docs/backends.md).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from baselines.params import (
    OPTIONAL_NUMBER,
    Param,
    checkpoint_param,
    choice_param,
    device_param,
    format_per_255,
)
from baselines.registry import Expander, adapt_loaded, learned_version, plain_info, register_method
from itmn import display
from itmn.display import ExpandStats
from itmn.errors import ConfigError
from itmn.originals.engine import BACKENDS

_TOOLBOX = "HDR Toolbox (github.com/banterle/HDR_Toolbox)"
_GAMMA = Param(
    "gamma", 2.2, "display gamma removed first (> 0), or none for linear input", type=OPTIONAL_NUMBER
)
_BACKEND = choice_param(
    "backend",
    "native",
    BACKENDS,
    "native (this suite's code) or the original HDR Toolbox function run by octave/matlab from your copy "
    "(ITMN_HDRTOOLBOX_PATH; docs/backends.md)",
    quiet_default=True,
)


def _classical(op: Callable[[np.ndarray], np.ndarray]) -> Expander:
    def expand(ldr: np.ndarray) -> tuple[np.ndarray, ExpandStats]:
        return display.from_relative_bt709(op(ldr), return_stats=True)

    return expand


def _check_original(backend: str) -> None:
    """Fail at construction, not per image, when an original backend is not usable."""
    if backend != "native":
        from itmn.originals import engine_for

        try:
            engine_for("hdrtoolbox", backend)
        except ConfigError:
            raise
        except Exception as exc:  # engine start-up failures
            raise ConfigError(f"backend {backend!r}: {exc}") from exc


# --------------------------------------------------------------------------- Huo
def _huo_factory(
    l_peak: float, n: float, gamma: float | None, logmean_delta: float, backend: str = "native"
) -> Expander:
    from baselines import huo

    huo.check_params(l_peak, n, gamma, logmean_delta)
    if backend == "native":
        return _classical(lambda ldr: huo.huo_physiological(ldr, l_peak, n, gamma, logmean_delta=logmean_delta))
    if logmean_delta != huo.LOGMEAN_DELTA_2018:
        raise ValueError(
            "logmean_delta is fixed by the toolbox copy with an original backend; leave it at 1e-6"
        )
    _check_original(backend)
    from itmn.originals import huo_original

    return _classical(lambda ldr: huo_original(ldr, l_peak, n, gamma, backend=backend))


def _original_version(p: Mapping[str, Any]) -> str:
    from itmn.originals import configured_folder

    return f"original-{p['backend']} (HDR Toolbox at {configured_folder('hdrtoolbox') or '?'})"


def _huo_version(p: Mapping[str, Any]) -> str:
    if p.get("backend", "native") != "native":
        return _original_version(p)
    delta = p["logmean_delta"]
    if delta == 1e-6:
        return "toolbox-2018"
    if delta == 1e-3:
        return "toolbox-2018q1"
    return "toolbox-2018-custom-logmean"


# --------------------------------------------------------------------------- Kovaleski-Oliveira
def _ko_factory(**p: Any) -> Expander:
    from baselines import kovaleski

    backend = p.pop("backend", "native")
    kovaleski.check_params(p["mode"], p["sigma_s"], p["sigma_r"], p["d_min"], p["d_max"], p["gamma"], p["variant"])
    if backend == "native":
        return _classical(lambda ldr: kovaleski.kovaleski_oliveira(ldr, **p))
    _check_original(backend)
    from itmn.originals import kovaleski_original

    def original(ldr: np.ndarray) -> np.ndarray:
        out, _ = kovaleski_original(
            ldr, p["mode"], p["sigma_s"], p["sigma_r"], p["d_min"], p["d_max"], p["gamma"], p["variant"],
            backend=backend,
        )  # fmt: skip
        return out

    return _classical(original)


def _ko_version(p: Mapping[str, Any]) -> str:
    if p.get("backend", "native") != "native":
        return f"{p['variant']}-variant {_original_version(p)}"
    return f"{p['variant']}-variant"


def _ko_params(variant: str) -> tuple[Param, ...]:
    return (
        choice_param(
            "mode",
            "image",
            ("image", "video"),
            "saturation threshold 254/255 (image) or 230/255 (video)",
            quiet_default=True,
        ),
        Param("sigma_s", 150.0, "spatial sigma of the cross bilateral filter, pixels (> 0)"),
        Param("sigma_r", 25.0 / 255.0, "range sigma in code values (> 0), raised to gamma", fmt=format_per_255),
        Param("d_min", 0.3, "display black level, cd/m^2 (>= 0)"),
        Param("d_max", 1200.0, "display white level, cd/m^2 (> d_min)"),
        _GAMMA,
        choice_param(
            "variant", variant, ("2017", "2019"), "brightness map 3E+1 (2017) or (3E+1)/4 (2019)", in_config=False
        ),
        _BACKEND,
    )


# --------------------------------------------------------------------------- Akyuz, inverse gamma
def _akyuz_factory(l_max: float, a_gamma: float, gamma: float | None) -> Expander:
    from baselines import akyuz

    probe = np.zeros((1, 1, 3))
    akyuz.akyuz_linear(probe, l_max, a_gamma, gamma)  # validates the parameters now, not per image
    return _classical(lambda ldr: akyuz.akyuz_linear(ldr, l_max, a_gamma, gamma))


def _inverse_gamma_factory(gamma: float) -> Expander:
    from baselines import akyuz

    akyuz.inverse_gamma(np.zeros((1, 1, 3)), gamma)
    return _classical(lambda ldr: akyuz.inverse_gamma(ldr, gamma))


# --------------------------------------------------------------------------- learned models
Loader = Callable[[Path, "str | None"], Any]


def _itmn_loader(variant: str) -> Loader:
    def load(path: Path, device: str | None) -> Any:
        from itmn.infer import load_expander

        return load_expander(path, device=device, variant=variant)

    return load


def _drtm_loader(path: Path, device: str | None) -> Any:
    from baselines.drtm import load_expander

    return load_expander(path, device=device)


def _learned_factory(load: Loader, source: str) -> Callable[..., Expander]:
    """A factory that loads a checkpoint with ``load`` (its module imported only when called)."""

    def factory(checkpoint: str, device: str | None) -> Expander:
        path = Path(checkpoint).expanduser()
        if not path.exists():
            raise ConfigError(
                f"checkpoint {str(path)!r}: no such file or folder (expected a run folder or a checkpoint file)"
            )
        loaded = load(path, device)
        expand = adapt_loaded(loaded, source)
        info = plain_info(getattr(loaded, "info", None))
        expand.info = {"checkpoint": str(path), "loader": source, "expander_info": info}  # type: ignore[attr-defined]
        expand.version = learned_version(info)  # type: ignore[attr-defined]
        if callable(getattr(loaded, "config_string", None)):
            expand.info["expander_config"] = loaded.config_string()  # type: ignore[attr-defined]
        return expand

    return factory


_ITMN_REF = "Ning et al., Learning an inverse tone mapping network with a generative adversarial regularizer (ICASSP 2018)"


def register_builtin_methods() -> None:
    """Register the built-in methods (called once when :mod:`baselines` is imported)."""
    register_method(
        "huo",
        _huo_factory,
        learned=False,
        version=_huo_version,
        description="Huo et al. 2014 physiological iTMO (retina response, 2 bilateral passes); HDR Toolbox HuoPhysEO",
        params=(
            Param("l_peak", 1000.0, "the toolbox's maxOutput, cd/m^2 (> 0); scales the output linearly"),
            Param("n", 0.86, "Huo's n (> 0), highlight/shadow share of the range"),
            _GAMMA,
            Param("logmean_delta", 1e-6, "delta of the log mean: 1e-6 (toolbox 2018+) or 1e-3 (2018-Q1)"),
            _BACKEND,
        ),
        reference=f"Huo et al., The Visual Computer 30(5), 2014; {_TOOLBOX} HuoPhysEO at 8169abe (= HEAD 5375d05)",
    )
    for name, variant in (("ko", "2017"), ("ko-2019", "2019")):
        register_method(
            name,
            _ko_factory,
            learned=False,
            version=_ko_version,
            description=(
                "Kovaleski & Oliveira 2014 (saturation mask, cross bilateral brightness map); HDR Toolbox "
                f"KovaleskiOliveiraEO, map {'3E+1 in [1,4] (toolbox before 2019-08-12)' if variant == '2017' else '(3E+1)/4 in [1/4,1] (toolbox 2019-08-12 on)'}"
            ),
            params=_ko_params(variant),
            reference=f"Kovaleski & Oliveira, SIBGRAPI 2014; {_TOOLBOX} KovaleskiOliveiraEO at 8169abe (2017) / 5375d05 (2019)",
        )
    register_method(
        "akyuz",
        _akyuz_factory,
        learned=False,
        version="2007",
        description="Akyüz et al. 2007 linear expansion k ((L - Lmin)/(Lmax - Lmin))^a_gamma; HDR Toolbox AkyuzEO",
        params=(
            Param("l_max", 1000.0, "k, luminance of the brightest pixel, cd/m^2 (> 0)"),
            Param("a_gamma", 1.0, "exponent of the normalized luminance (> 0; 1 = linear)"),
            _GAMMA,
        ),
        reference=f"Akyüz et al., ACM TOG 26(3) (SIGGRAPH) 2007; {_TOOLBOX} AkyuzEO",
    )
    register_method(
        "inverse-gamma",
        _inverse_gamma_factory,
        learned=False,
        version="1",
        description="plain inverse gamma LDR^gamma as relative linear BT.709 (peak luminance then set to 1000 cd/m^2)",
        params=(Param("gamma", 2.2, "display gamma (> 0)"),),
        reference="linear expansion baseline of the acceptance criteria",
    )
    learned: tuple[tuple[str, Loader, str, str, str], ...] = (
        ("itmn", _itmn_loader("itmn"), "itmn.infer.load_expander",
         "iTMN (Ning et al. 2018), U-Net generator with adversarial regularizer", _ITMN_REF),
        ("itmn-nodmse", _itmn_loader("nodmse"), "itmn.infer.load_expander",
         "iTMN ablation NoDMSE (alpha = 0: no gradient MSE term)", _ITMN_REF),
        ("itmn-noadvreg", _itmn_loader("noadvreg"), "itmn.infer.load_expander",
         "iTMN ablation NoAdvReg (no adversarial regularizer)", _ITMN_REF),
        ("drtm", _drtm_loader, "baselines.drtm.load_expander",
         "DrTM-style model (Endo et al. 2017): learned exposure bracket, then merge",
         "Endo, Kanamori, Mitani, Deep reverse tone mapping, ACM TOG 36(6) 2017"),
    )  # fmt: skip
    for name, load, source, description, reference in learned:
        register_method(
            name,
            _learned_factory(load, source),
            learned=True,
            version="checkpoint",
            description=description,
            params=(checkpoint_param(), device_param()),
            reference=reference,
        )
    # published networks with their authors' released weights (no checkpoint: the weights are
    # fetched and verified like the datasets); torch and the networks are imported by the factories
    from baselines.published.methods import register as register_published

    register_published(register_method)
