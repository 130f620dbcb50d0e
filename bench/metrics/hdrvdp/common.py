"""What the HDR-VDP 2.2.2 port (:mod:`bench.metrics.hdrvdp.v2`) and the HDR-VDP 3.0.7 port
(:mod:`bench.metrics.hdrvdp.v3`) share: code that is the same in both originals, or the same
plumbing of the two ports. Where 3.0.7 differs from 2.2.2 each version keeps its own code, with a
comment saying what differs.
"""

from __future__ import annotations

import math
from dataclasses import fields
from functools import lru_cache
from importlib import resources
from typing import Any, TypeVar

import numpy as np
import torch
import torch.nn.functional as F
from scipy.interpolate import PchipInterpolator

from itmn.errors import ImageError

R = TypeVar("R")


# ----------------------------------------------------------------------------- inputs
def torch_dtype(dtype: str | torch.dtype | None, like: torch.Tensor) -> torch.dtype:
    """The computation's dtype: ``float32`` / ``float64`` (names or torch dtypes); None gives float64
    for float64 inputs and float32 otherwise."""
    if dtype is None:
        return torch.float64 if like.dtype == torch.float64 else torch.float32
    table = {
        "float32": torch.float32,
        "float64": torch.float64,
        torch.float32: torch.float32,
        torch.float64: torch.float64,
    }
    if dtype not in table:
        raise ValueError(f"dtype must be 'float32' or 'float64', got {dtype!r}")
    return table[dtype]


def to_chw(img: np.ndarray | torch.Tensor, name: str, enc: str, n_ch: int) -> torch.Tensor:
    """H x W x C (or H x W for one channel) numpy/torch -> C x H x W tensor (dtype kept if float)."""
    x = img if isinstance(img, torch.Tensor) else torch.from_numpy(np.asarray(img))
    if x.ndim == 2 and n_ch == 1:
        x = x[..., None]
    if x.ndim != 3 or x.shape[-1] != n_ch:
        raise ImageError(
            name,
            f"array of shape {tuple(x.shape)} for color encoding {enc!r}",
            f"H x W x {n_ch}" + (" or H x W" if n_ch == 1 else ""),
        )
    if not (x.is_floating_point() or x.dtype in (torch.uint8, torch.int16, torch.int32, torch.int64)):
        raise ImageError(name, f"array of dtype {x.dtype}", "a real-valued (float) array")
    if not x.is_floating_point():
        x = x.double()
    return x.permute(2, 0, 1)


def to_hwc(x: torch.Tensor) -> np.ndarray:
    """C x H x W tensor -> float64 numpy H x W x C, or H x W for one channel (what the originals take)."""
    a = x.detach().cpu().double().numpy()
    return a[0] if a.shape[0] == 1 else np.moveaxis(a, 0, -1)


def check_pair(test: torch.Tensor, ref: torch.Tensor, n_ch: int, enc: str, min_side: int) -> None:
    """Both N x ``n_ch`` x H x W floating-point tensors of one shape, H and W at least ``min_side``
    (one steerable-pyramid level)."""
    for name, x in (("test", test), ("ref", ref)):
        if not isinstance(x, torch.Tensor):
            raise ImageError(name, f"object of type {type(x).__name__}", "a torch tensor N x C x H x W")
        if x.ndim != 4 or x.shape[1] != n_ch:
            raise ImageError(
                name, f"tensor of shape {tuple(x.shape)} for color encoding {enc!r}", f"N x {n_ch} x H x W"
            )
        if not x.is_floating_point():
            raise ImageError(name, f"tensor of dtype {x.dtype}", "a floating-point tensor")
    if test.shape != ref.shape:
        raise ImageError(
            "test/ref", f"shapes differ: test {tuple(test.shape)}, ref {tuple(ref.shape)}", "equal shapes"
        )
    h, w = test.shape[-2:]
    if h < min_side or w < min_side:
        raise ImageError(
            "test/ref",
            f"image of {h} x {w} pixels",
            f"at least {min_side} x {min_side} (one steerable-pyramid level)",
        )


def check_image_values(
    test: torch.Tensor,
    ref: torch.Tensor,
    enc: str,
    probe: torch.Tensor | None,
    what: str,
    display_codes: bool = False,
) -> None:
    """Non-finite and negative values are errors; so are values above 1 when ``display_codes``
    (code values of a display encoding) and, when ``probe`` is given (N per-image maxima of the
    channel HDR-VDP checks, named ``what``), a test image whose probe is <= 1 cd/m^2: the
    originals' "very low physical values" warning (the images are "most probably not scaled in
    absolute units"), made an error. One host synchronisation per call."""
    rows = [torch.stack(torch.aminmax(x)) for x in (test, ref)]
    if probe is not None:
        rows.append(torch.stack([probe.amin(), probe.argmin().to(probe.dtype)]))
    vals = torch.stack(rows).double().cpu().tolist()
    for (lo, hi), name, x in zip(vals, ("test", "ref"), (test, ref)):
        if not (math.isfinite(lo) and math.isfinite(hi)):
            bad = int((~torch.isfinite(x)).sum())
            raise ImageError(name, f"{bad} non-finite (NaN/Inf) values", "finite values")
        if lo < 0:
            raise ImageError(name, f"negative values (minimum {lo:.6g})", f"non-negative values for {enc!r}")
        if display_codes and hi > 1:
            raise ImageError(
                name,
                f"values up to {hi:.6g} for display encoding {enc!r}",
                "code values in [0, 1] (not 0-255)",
            )
    if probe is not None and vals[2][0] <= 1:
        peak, idx = vals[2][0], int(vals[2][1])
        where = f" of image {idx} in the batch" if test.shape[0] > 1 else ""
        raise ImageError(
            "test",
            f"maximum {what}{where} is {peak:.6g} cd/m^2 (<= 1) for {enc!r}; "
            f"values range {vals[0][0]:.6g}..{vals[0][1]:.6g}",
            "absolute luminance in cd/m^2, not values scaled to [0, 1] (HDR-VDP's plausibility "
            "check; pass check_values=False for a genuinely dark scene)",
        )


def first_result(cls: type[R], batch: Any) -> R:
    """The one-pair result ``cls`` (a dataclass) from image 0 of a batch result: each field read
    from ``batch`` -- N-vectors as floats, N x H x W maps as numpy arrays (None stays None), other
    values (task, config) as they are."""
    values = {}
    for f in fields(cls):  # type: ignore[arg-type]  # R is a dataclass
        v = getattr(batch, f.name)
        if isinstance(v, torch.Tensor):
            v = float(v[0]) if v.ndim == 1 else v[0].cpu().numpy()
        values[f.name] = v
    return cls(**values)


class no_tf32:
    """Disable TF32 in cuDNN convolutions and matmuls (defaults may allow it) while computing."""

    def __enter__(self) -> None:
        self._cudnn = torch.backends.cudnn.allow_tf32
        self._mm = torch.backends.cuda.matmul.allow_tf32
        torch.backends.cudnn.allow_tf32 = False
        torch.backends.cuda.matmul.allow_tf32 = False

    def __exit__(self, *exc: object) -> None:
        torch.backends.cudnn.allow_tf32 = self._cudnn
        torch.backends.cuda.matmul.allow_tf32 = self._mm


# ----------------------------------------------------------------------------- parameters
#: "old parametrization of MTF" that both versions' hdrvdp_parse_options.m use
_MTF_OLD = (0.061466549455263, 0.99727370023777070)
#: optical MTF of the eye, sum_k a_k exp(-b_k rho) (rho in cpd): the same a_k and b_k in 2.2.2 and 3.0.7
MTF_PARAMS_A = (
    _MTF_OLD[1] * 0.426,
    _MTF_OLD[1] * 0.574,
    (1 - _MTF_OLD[1]) * _MTF_OLD[0],
    (1 - _MTF_OLD[1]) * (1 - _MTF_OLD[0]),
)
MTF_PARAMS_B = (0.028, 0.37, 37.0, 360.0)


def tuple2d(rows: list[list[float]]) -> tuple[tuple[float, ...], ...]:
    """A table as a tuple of row tuples (a frozen dataclass field's default)."""
    return tuple(tuple(r) for r in rows)


class MaskingExponents:
    """The exponents both versions derive from ``metric_par`` (log10 fields) the same way; a base
    of the frozen parameter dataclasses, which define the three fields."""

    mask_p: float
    mask_q: float
    psych_func_slope: float

    @property
    def p(self) -> float:
        """Masking excitation exponent (10**mask_p)."""
        return 10.0**self.mask_p

    @property
    def q(self) -> float:
        """Masking inhibition exponent (10**mask_q)."""
        return 10.0**self.mask_q

    @property
    def pf(self) -> float:
        """Exponent of the psychometric function applied to D, relative to p."""
        return 10.0**self.psych_func_slope / self.p


# ----------------------------------------------------------------------------- psychophysics (numpy)
def matlab_linspace(a: float, b: float, n: int) -> np.ndarray:
    """MATLAB ``linspace``: ``[a + (0:n-2)*(b-a)/(n-1), b]`` (n = 1 gives ``b``)."""
    if n < 1:
        return np.zeros(0)
    if n == 1:
        return np.array([float(b)])
    out = a + np.arange(n) * ((b - a) / (n - 1))
    out[-1] = b
    return out


def mtf_sum(rho: np.ndarray | float, a: tuple[float, ...], b: tuple[float, ...]) -> np.ndarray:
    """``hdrvdp_mtf.m``: sum_k a_k exp(-b_k rho) at spatial frequency ``rho`` (cpd), float64."""
    rho = np.asarray(rho, dtype=np.float64)
    out = np.zeros_like(rho)
    for ak, bk in zip(a, b):
        out = out + ak * np.exp(-bk * rho)
    return out


def ncsf_params(
    lum: np.ndarray | float, csf_lums: tuple[float, ...], csf_params: tuple[tuple[float, ...], ...]
) -> np.ndarray:
    """CSF parameters (n x 4) at adapting luminances ``lum`` (cd/m^2): ``interp1`` of columns 2..5
    of ``csf_params`` over log10(csf_lums), log luminance clamped to that range."""
    lum_lut = np.log10(np.asarray(csf_lums, dtype=np.float64))
    log_lum = np.clip(np.log10(np.atleast_1d(np.asarray(lum, dtype=np.float64))), lum_lut[0], lum_lut[-1])
    tab = np.asarray(csf_params, dtype=np.float64)
    return np.stack([np.interp(log_lum, lum_lut, tab[:, k + 1]) for k in range(4)], axis=-1)


def ncsf_from_params(rho: np.ndarray, p: np.ndarray) -> np.ndarray:
    """Neural CSF for frequency ``rho`` (cpd) with parameters ``p[..., 0:4]`` (broadcast):

    S = p4 / sqrt( (1 + (p1 rho)^p2) / (1 - exp(-(rho/7)^2))^p3 )

    S(0) = 0 (MATLAB reaches it through 1/Inf).
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        a = 1.0 + (p[..., 0] * rho) ** p[..., 1]
        b = 1.0 / (1.0 - np.exp(-((rho / 7.0) ** 2))) ** p[..., 2]
        return p[..., 3] * 1.0 / (a * b) ** 0.5


def joint_rod_cone_sens(la: np.ndarray, csf_sa: tuple[float, ...]) -> np.ndarray:
    """``hdrvdp_joint_rod_cone_sens``: csf_sa(1) ((csf_sa(2)/la)^csf_sa(3) + 1)^-csf_sa(4) at
    adapting luminance ``la`` (cd/m^2)."""
    s = csf_sa
    return s[0] * ((s[1] / la) ** s[2] + 1.0) ** -s[3]


def rod_sens(la: np.ndarray, csf_sr: tuple[float, ...]) -> np.ndarray:
    """``hdrvdp_rod_sens``: exp(-|log10(la/peak)|^e / s) on each side of the peak, times
    10^csf_sr(6), at adapting luminance ``la`` (cd/m^2)."""
    peak_l, low_s, low_exp, high_s, high_exp, sens = csf_sr
    out = np.zeros_like(la)
    hi = la > peak_l
    out[hi] = np.exp(-(np.abs(np.log10(la[hi] / peak_l)) ** high_exp) / high_s)
    out[~hi] = np.exp(-(np.abs(np.log10(la[~hi] / peak_l)) ** low_exp) / low_s)
    return out * 10.0**sens


def photoreceptor_sensitivities(
    csf_sa: tuple[float, ...], csf_sr: tuple[float, ...], rod_sensitivity: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``create_pn_jnd`` of ``hdrvdp_visual_pathway.m`` up to the JND integration: (Y = log10 of
    logspace(-5, 5, 2048), cone sensitivity s_C, rod sensitivity s_R), with
    s_C = 0.5 interp1(c_l, max(s_A - s_R, 1e-3), min(2 c_l, c_l(end))) (linear in luminance)."""
    c_l = 10.0 ** matlab_linspace(-5.0, 5.0, 2048)  # logspace(-5, 5, 2048)
    s_a = joint_rod_cone_sens(c_l, csf_sa)
    s_r = rod_sens(c_l, csf_sr) * 10.0**rod_sensitivity
    s_c = 0.5 * np.interp(np.minimum(c_l * 2.0, c_l[-1]), c_l, np.maximum(s_a - s_r, 1e-3))
    return np.log10(c_l), s_c, s_r


# ----------------------------------------------------------------------------- spectra
#: Wavelength grid of load_spectral_resp.m: linspace(360, 780, (780-360)/1) -> 420 points, step 420/419 nm.
LAMBDA_NM = np.linspace(360.0, 780.0, 420)


def load_table(package: str, name: str) -> np.ndarray:
    """A comma-separated table from the ``tables`` folder of ``package`` (each version ships the
    tables of its original, with its licence) as float64 (first column: nm)."""
    with resources.files(package).joinpath("tables").joinpath(name).open("r") as fh:
        return np.loadtxt(fh, delimiter=",", dtype=np.float64, ndmin=2)


def resample_spectrum(table: np.ndarray, grid: np.ndarray = LAMBDA_NM) -> np.ndarray:
    """``interp1(D(:,1), D(:,k), lambda, 'pchip', 0)`` for every column k > 1: shape-preserving
    cubic (Fritsch-Carlson derivatives with MATLAB's end conditions, which SciPy's
    PchipInterpolator implements), zero outside the table. Returns len(grid) x (columns - 1)."""
    x = table[:, 0]
    out = np.zeros((grid.size, table.shape[1] - 1))
    inside = (grid >= x[0]) & (grid <= x[-1])
    for k in range(1, table.shape[1]):
        out[inside, k - 1] = PchipInterpolator(x, table[:, k], extrapolate=False)(grid[inside])
    return out


@lru_cache(maxsize=2)
def cone_rod_spectra(package: str) -> np.ndarray:
    """L, M, S cone and rod spectral sensitivities on :data:`LAMBDA_NM` (420 x 4, linear units)
    from ``package``'s tables (Smith-Pokorny 1975 cone fundamentals in log10 units, CIE 1951
    scotopic luminous efficiency). As in MATLAB, the log10 cone table's zero fill outside its
    range is replaced by the smallest value of the whole resampled table before ``10.^``."""
    lms = resample_spectrum(load_table(package, "log_cone_smith_pokorny_1975.csv"))
    lms[lms == 0] = lms.min()
    lms = 10.0**lms
    rod = resample_spectrum(load_table(package, "cie_scotopic_lum.txt"))
    return np.concatenate([lms, rod], axis=1)


# ----------------------------------------------------------------------------- steerable pyramid
#: matlabPyrTools filter sets (both versions' bundles carry the same numbers) -> pyrtools names
PYRAMID_FILTERS = {"sp0Filters": "sp0_filters", "sp3Filters": "sp3_filters"}


@lru_cache(maxsize=2)
def load_filters(name: str) -> dict[str, np.ndarray]:
    """lo0filt, hi0filt, lofilt (2-D) and bfilts (n_orient x k x k, MATLAB column-major reshape)
    of a filter set of :data:`PYRAMID_FILTERS`, from :mod:`pyrtools` (the same values as
    matlabPyrTools' sp0Filters.m / sp3Filters.m)."""
    from pyrtools.pyramids.filters import parse_filter  # ~2 s import; needed once

    if name not in PYRAMID_FILTERS:
        raise ValueError(
            f"unknown steerable pyramid filters {name!r} (expected one of {tuple(PYRAMID_FILTERS)})"
        )
    f = parse_filter(PYRAMID_FILTERS[name], normalize=False)
    b = np.asarray(f["bfilts"], dtype=np.float64)
    n = int(round(math.sqrt(b.shape[0])))
    bands = np.stack([b[:, k].reshape(n, n, order="F") for k in range(b.shape[1])])
    return {
        "lo0filt": np.asarray(f["lo0filt"], dtype=np.float64),
        "hi0filt": np.asarray(f["hi0filt"], dtype=np.float64),
        "lofilt": np.asarray(f["lofilt"], dtype=np.float64),
        "bfilts": bands,
    }


def max_pyr_height(hw: tuple[int, int], filt_size: int = 17) -> int:
    """``maxPyrHt(size, [k k])`` for a 2-D image (both sides > 1): halvings (floor) while both
    sides are >= k (17: the sp3Filters low-pass)."""
    h, w = hw
    height = 0
    while h >= filt_size and w >= filt_size:
        height += 1
        h, w = h // 2, w // 2
    return height


def fast_fft_len(n: int) -> int:
    """Smallest 7-smooth integer (2^a 3^b 5^c 7^d) >= n: sizes both pocketfft and cuFFT do fast."""
    m = max(int(n), 1)
    while True:
        k = m
        for p in (2, 3, 5, 7):
            while k % p == 0:
                k //= p
        if k == 1:
            return m
        m += 1


def embed_filter(filt: np.ndarray, size: int) -> np.ndarray:
    """Centre an odd k x k filter in a size x size array of zeros (same centre, same result)."""
    k = filt.shape[0]
    o = (size - k) // 2
    out = np.zeros((size, size))
    out[o : o + k, o : o + k] = filt
    return out


def reflect_pad(x: torch.Tensor, p: int) -> torch.Tensor:
    """Mirror the last two dimensions about their edge samples by ``p`` (no edge repetition:
    matlabPyrTools' reflect1)."""
    return F.pad(x, (p, p, p, p), mode="reflect") if p else x


# ----------------------------------------------------------------------------- the model (torch)
def pos_pow(x: torch.Tensor, e: float) -> torch.Tensor:
    """x^e for x >= 0 as exp(e log x) (0 -> 0 for e > 0, inf -> inf): twice as fast as torch.pow
    on CPU."""
    return torch.exp(torch.log(x).mul_(e))


def mutual_masking(t: torch.Tensor, r: torch.Tensor) -> torch.Tensor:
    """min(|T|, |R|) averaged over 3 x 3 neighbours with zero padding (``conv2(m, ones(3)/9, 'same')``)."""
    m = F.pad(torch.minimum(t.abs(), r.abs()), (1, 1, 1, 1))
    rows = m[..., :-2, :] + m[..., 1:-1, :] + m[..., 2:, :]
    return (rows[..., :-2] + rows[..., 1:-1] + rows[..., 2:]).mul_(1.0 / 9.0)


def neighbour_orientations(m: torch.Tensor, n_orient: int) -> torch.Tensor:
    """Orientations 1..n_orient of a neighbouring band's masking signal (``min(o, sz)`` of MATLAB's
    ``get_band``): a band with one orientation lends it to all."""
    if m.shape[1] == n_orient:
        return m
    if m.shape[1] == 1:
        return m.expand(-1, n_orient, -1, -1)
    return m[:, :n_orient]


def total_pooling(s_map: torch.Tensor) -> torch.Tensor:
    """Spatial pooling of a per-pixel map (N x H x W): rescaled so that its maximum equals its sum
    (float64 sum)."""
    s_sum = s_map.sum(dim=(-2, -1), keepdim=True, dtype=torch.float64)
    s_max = s_map.amax(dim=(-2, -1), keepdim=True)
    return (s_sum / (s_max + 1e-12)).to(s_map.dtype) * s_map


def lerp_table(table: torch.Tensor, idx: torch.Tensor, frac: torch.Tensor) -> torch.Tensor:
    """table[idx] + (table[idx + 1] - table[idx]) * frac, idx a float tensor of valid indices
    (index_select: several times faster than advanced indexing on CPU)."""
    i = idx.long().reshape(-1)
    lo = table.index_select(0, i).view(idx.shape)
    hi = table.index_select(0, i + 1).view(idx.shape)
    return lo + (hi - lo) * frac


def interp_uniform(table: torch.Tensor, x: torch.Tensor, x0: float, dx: float) -> torch.Tensor:
    """``interp1`` (linear) of a table sampled at x0, x0 + dx, ... at ``x`` within that range."""
    pos = (x - x0) / dx
    idx = torch.clamp(pos.floor(), 0, table.numel() - 2)
    return lerp_table(table, idx, pos - idx)


def interp_rows(x: torch.Tensor, xp: torch.Tensor, fp: torch.Tensor) -> torch.Tensor:
    """np.interp of every column of fp (n x K) at x (any shape; result x.shape + (K,)), xp
    ascending, x within [xp[0], xp[-1]]."""
    i = torch.clamp(torch.searchsorted(xp, x.contiguous(), right=True) - 1, 0, xp.numel() - 2)
    x0, x1 = xp[i], xp[i + 1]
    frac = ((x - x0) / (x1 - x0))[..., None]
    return fp[i] + (fp[i + 1] - fp[i]) * frac


def ncsf_shape_torch(rho: torch.Tensor, p: list[torch.Tensor]) -> torch.Tensor:
    """The neural CSF of ``hdrvdp_ncsf.m`` (both versions) at frequency ``rho`` (cpd) with
    parameters p[0..3] (broadcast): p4 / sqrt((1 + (p1 rho)^p2) / (1 - exp(-(rho/7)^2))^p3)."""
    a = 1.0 + (p[0] * rho) ** p[1]
    b = 1.0 / (1.0 - torch.exp(-((rho / 7.0) ** 2))) ** p[2]
    return p[3] * 1.0 / (a * b) ** 0.5
