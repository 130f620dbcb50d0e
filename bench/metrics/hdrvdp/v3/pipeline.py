"""The HDR-VDP 3.0.7 model in torch, batched: N image pairs, channel-first, one code path for CPU
and GPU (``hdrvdp3.m`` + ``hdrvdp_visual_pathway.m``, default options, tasks side-by-side,
flicker, detection, quality).

Inputs to :func:`compute` are in the display's native linear RGB (or luminance), absolute
cd/m^2 per primary, after the colour encoding's conversion and the out-of-gamut clamp.

Everything that depends only on (image size, ppd, task, spectra, dtype, device) -- MTF, CSF
tables, photoreceptor LUTs, pyramid filters, Gaussian spectra, resize weights -- lives in a
:class:`Plan`, built once per configuration and cached (:func:`get_plan`). The model itself has
no Python loop over pixels and no host synchronisation.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import torch

from bench.metrics.hdrvdp.common import (
    interp_rows,
    interp_uniform,
    mutual_masking,
    ncsf_shape_torch,
    neighbour_orientations,
    pos_pow,
    total_pooling,
)
from bench.metrics.hdrvdp.v2.imresize import band_resizers
from bench.metrics.hdrvdp.v3.dct import symmetric_filter
from bench.metrics.hdrvdp.v3.gauss import Gauss, conv_fft_half
from bench.metrics.hdrvdp.v3.params import HDRVDP3Params
from bench.metrics.hdrvdp.v3.pyramid import FFTSteerablePyramid, pyramid_height
from bench.metrics.hdrvdp.v3.spectral import channels_to_lmsr
from bench.metrics.hdrvdp.v3.vision import (
    LOCAL_ADAPT_SIGMA_DEG,
    cycdeg_grid,
    mtf,
    ncsf,
    photoreceptor_luts,
    pupil_d_unified,
)

#: clamp of the retinal image after the optics (cd/m^2) and of the LMSR responses
RETINAL_MIN, RETINAL_MAX = 1e-5, 1e10
LMSR_MIN, LMSR_MAX = 1e-8, 1e10
#: adapting luminances of the per-band CSF tables: logspace(-5, 5, 256) cd/m^2
CSF_LA_LOG = np.linspace(-5.0, 5.0, 256)


@dataclass
class HDRVDP3Maps:
    """Batched results: ``Q``, ``Q_JOD``, ``P_det``, ``C_max``: N (float64); ``P_map``,
    ``C_map``: N x H x W."""

    Q: torch.Tensor
    Q_JOD: torch.Tensor
    P_det: torch.Tensor
    C_max: torch.Tensor
    P_map: torch.Tensor
    C_map: torch.Tensor


class Plan:
    """Precomputed, read-only state for one image size / ppd / parameters / spectra / dtype / device.

    ``spectra``: the display emission spectra the native channels are (``led-lcd-srgb``,
    ``oled``, ...) or ``d65`` for single-channel luminance. ``pad``: the optics' padding,
    ``'symmetric'`` (surround 'none', the default) or ``'constant'`` (a surround luminance).
    """

    def __init__(
        self,
        hw: tuple[int, int],
        ppd: float,
        par: HDRVDP3Params,
        spectra: str,
        pad: str,
        mtf_kind: str,
        dtype: torch.dtype,
        device: torch.device,
    ):
        self.hw = hw
        self.ppd = float(ppd)
        self.par = par
        self.dtype = dtype
        self.device = device
        self.pad = pad
        self.mtf_kind = mtf_kind
        h, w = hw
        f64 = torch.float64

        def t(a: np.ndarray, dt: torch.dtype = dtype) -> torch.Tensor:
            return torch.as_tensor(np.ascontiguousarray(a, dtype=np.float64), dtype=dt, device=device)

        # optics: MTF on the 2H x 2W grid (real and even: half spectrum)
        self.use_mtf = mtf_kind != "none"
        mtf2 = mtf(cycdeg_grid((2 * h, 2 * w), self.ppd), par, mtf_kind)
        # the optics run in float64 (see optics()): by DCT with mirror padding, else by FFT
        self.mtf_quarter = t(mtf2[:h, :w], f64)
        self.mtf_half = t(mtf2[:, : w + 1], f64)
        self.mtf_dc = float(mtf2[0, 0])
        # native channels -> L, M, rod (S does not contribute to luminance)
        m = channels_to_lmsr(spectra, par.age, par.do_aod)
        self.n_channels = m.shape[0]
        self.to_lmr = t(m[:, [0, 1, 3]].T, f64)  # 3 x C
        # photoreceptor LUTs (interp1 on the log10 luminance grid Y)
        y, cone, rod = photoreceptor_luts(par)
        self.lut_y0, self.lut_dy = float(y[0]), float((y[-1] - y[0]) / (y.size - 1))
        self.lut_min, self.lut_max = 10.0 ** y[0], 10.0 ** y[-1]
        self.lut_cone, self.lut_rod = t(cone, f64), t(rod, f64)
        self.slope_cone, self.slope_rod = t(np.diff(cone), f64), t(np.diff(rod), f64)
        # local adaptation and the senile-miosis factor
        self.adapt_gauss = Gauss(hw, LOCAL_ADAPT_SIGMA_DEG * self.ppd, True, "replicate", dtype, device)
        self.area_deg2 = h * w / self.ppd**2
        # pyramid and bands
        height = pyramid_height(hw, self.ppd, par.steerpyr_filter)
        # the reference's analysis in float64 (see compute()), the rest in the plan's dtype
        self.pyr_analysis = FFTSteerablePyramid(hw, height, par.steerpyr_filter, f64, device)
        self.pyr = (
            self.pyr_analysis
            if dtype == f64
            else FFTSteerablePyramid(hw, height, par.steerpyr_filter, dtype, device)
        )
        self.n_bands = height + 2
        self.band_sizes = self.pyr.band_sizes
        self.band_freq = [2.0**-b * self.ppd / 2.0 for b in range(self.n_bands)]
        # per-band CSF tables over log10 adapting luminance (interp1, linear)
        self.csf_tables = [t(ncsf(f, 10.0**CSF_LA_LOG, par, mtf_kind)) for f in self.band_freq]
        self.csf_log0, self.csf_log1 = float(CSF_LA_LOG[0]), float(CSF_LA_LOG[-1])
        self.csf_dlog = (self.csf_log1 - self.csf_log0) / (CSF_LA_LOG.size - 1)
        # base band: frequency of every FFT coefficient, for its dominant frequency
        bb = self.band_sizes[-1]
        self.rho_bb = t(cycdeg_grid(bb, self.band_freq[-1] * 2 * 2), f64)
        # resizers: full image -> band (log_La, difference mask); neighbour bands -> band (masking)
        self.to_band, self.from_finer, self.from_coarser = band_resizers(hw, self.band_sizes, dtype, device)
        # pooling Gaussians (fast_gauss with zero padding)
        si_sigma = 10.0**par.si_sigma * self.ppd
        self.sprob_gauss = Gauss(hw, si_sigma, True, "zero", dtype, device) if par.do_sprob_sum else None
        self.robust_gauss = (
            Gauss(hw, 0.25 * self.ppd, True, "zero", dtype, device) if par.do_robust_pdet else None
        )

    # ------------------------------------------------------------------ visual pathway
    def optics(
        self, ref: torch.Tensor, test: torch.Tensor, surround: torch.Tensor | None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Retinal images: ``fast_conv_fft(img, MTF, pad)`` per channel on the 2H x 2W grid padded
        at the bottom/right -- mirrored (surround 'none') or with the surround luminance -- then
        clamped to [1e-5, 1e10]. Returned in float64.

        Computed as MTF(ref) in float64 and MTF(test - ref) in the plan's dtype (the filter is
        linear and both images share the padding). An FFT's round-off is ~eps of the *image's*
        RMS at every pixel: in float32 that is 1% of the 0.01 cd/m^2 parts of an image reaching
        10^4 cd/m^2, which moves the photoreceptor gain there (measured: C_max of a local change
        off by 1e-3 relative); the difference only needs to be accurate relative to itself.
        With mirror padding the filter runs as a DCT on the H x W grid
        (:mod:`bench.metrics.hdrvdp.v3.dct`; the same numbers on a quarter of the FFT grid).
        """
        f64 = torch.float64
        if not self.use_mtf:  # mtf 'none': the image itself, not clamped (hdrvdp_visual_pathway.m)
            return ref.double(), test.double()
        n, c, h, w = ref.shape
        diff = (test - ref).reshape(n * c, h, w)
        if surround is None:
            r = symmetric_filter(ref.double().reshape(n * c, h, w), self.mtf_quarter)
            d = symmetric_filter(diff, self.mtf_quarter.to(diff.dtype))
        else:  # conv(pad(X, s)) = conv(pad(X - s, 0)) + s * MTF(0)
            s = surround.double()[:, :, None, None]
            r = conv_fft_half((ref.double() - s).reshape(n * c, h, w), self.mtf_half, "zero")
            r = r.reshape(n, c, h, w).add_(s * self.mtf_dc).reshape(n * c, h, w)
            d = conv_fft_half(diff, self.mtf_half.to(diff.dtype), "zero")
        r = r.reshape(n, c, h, w)
        t = r + d.reshape(n, c, h, w).to(f64)
        return torch.clamp(r, RETINAL_MIN, RETINAL_MAX), torch.clamp(t, RETINAL_MIN, RETINAL_MAX)

    def photoreceptor(self, x: torch.Tensor, lut: torch.Tensor, slope: torch.Tensor) -> torch.Tensor:
        """``interp1(Y, jnd, log10(clamp(x, 10^Y(1), 10^Y(end))))`` (float64, linear). Y is
        log10(logspace(-5, 5, 2048)): uniform up to round-off (1e-16), so the bin and the weight
        come from the uniform step (the interpolant is continuous: a bin off by one at a node
        changes nothing but round-off); ``slope`` holds the differences of the LUT."""
        pos = (torch.log10(torch.clamp(x, self.lut_min, self.lut_max)) - self.lut_y0) / self.lut_dy
        idx = torch.clamp(pos.floor(), 0, lut.numel() - 2)
        i = idx.long().reshape(-1)
        return lut.index_select(0, i).view(pos.shape) + slope.index_select(0, i).view(pos.shape) * (pos - idx)

    def response(self, retinal: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """B retinal images (B x C x H x W) -> (achromatic response P = P_L + P_M + P_R in float64,
        adapting luminance L_adapt in the plan's dtype), both B x H x W."""
        lmr = torch.einsum("kc,bchw->bkhw", self.to_lmr, retinal)
        lmr = torch.clamp(lmr, LMSR_MIN, LMSR_MAX)
        lm = lmr[:, 0] + lmr[:, 1]
        log_l = torch.log(torch.clamp_min(lm, 1e-6)).to(self.dtype)
        l_adapt = torch.exp(self.adapt_gauss(log_l))
        if self.par.do_slum:  # senile miosis: the pupil of an observer of this age against 28 years
            l_a = torch.exp(torch.log(l_adapt.double()).mean(dim=(-2, -1)))  # geomean(L_adapt(:))
            d_ref = pupil_d_unified(l_a, self.area_deg2, 28.0)
            d_age = pupil_d_unified(l_a, self.area_deg2, self.par.age)
            lmr = lmr * (d_age**2 / d_ref**2)[:, None, None, None]
        cones = self.photoreceptor(lmr[:, :2], self.lut_cone, self.slope_cone)
        p = cones[:, 0] + cones[:, 1] + self.photoreceptor(lmr[:, 2], self.lut_rod, self.slope_rod)
        return p, l_adapt

    def csf_at(self, b: int, log_la: torch.Tensor) -> torch.Tensor:
        """``interp1(csf_log_la, CSF.S(:, b), log_La_rs)`` (linear; log_La_rs within the table)."""
        return interp_uniform(self.csf_tables[b], log_la, self.csf_log0, self.csf_dlog)

    def base_band_threshold(self, bb_diff: torch.Tensor, log_la_rs: torch.Tensor) -> torch.Tensor:
        """N_nCSF of the base band (N, float64): 1 / ncsf(rho_dom, 10^mean(log_La_rs)) where rho_dom
        is the frequency of the largest |FFT| coefficient of the band difference, DC excluded
        (the first such coefficient in MATLAB's column-major order)."""
        n = bb_diff.shape[0]
        mag = torch.fft.fft2(bb_diff.double()).abs()
        mag[..., 0, 0] = 0.0
        flat = mag.transpose(-1, -2).reshape(n, -1)  # column-major
        is_max = flat == flat.amax(dim=1, keepdim=True)
        first = torch.argmax(is_max.to(flat.dtype), dim=1)  # the first maximal value (documented)
        rho = self.rho_bb.transpose(-1, -2).reshape(-1)[first]
        l_mean = 10.0 ** log_la_rs.double().mean(dim=(-2, -1)).reshape(n)
        return 1.0 / ncsf_torch(rho, l_mean, self.par, self.mtf_kind)


def ncsf_torch(rho: torch.Tensor, lum: torch.Tensor, par: HDRVDP3Params, mtf_kind: str) -> torch.Tensor:
    """:func:`bench.metrics.hdrvdp.v3.vision.ncsf` for tensors rho, lum of the same shape (float64)."""
    dev = rho.device
    lum_lut = torch.log10(torch.tensor(par.csf_lums, dtype=torch.float64, device=dev))
    tab = torch.tensor(par.csf_params, dtype=torch.float64, device=dev)[:, 1:5]
    log_lum = torch.clamp(torch.log10(lum.double()), lum_lut[0], lum_lut[-1])
    p = interp_rows(log_lum, lum_lut, tab)
    rho = rho.double()
    s = ncsf_shape_torch(rho, [p[..., k] for k in range(4)])
    if mtf_kind == "hdrvdp":
        m = torch.zeros_like(rho)
        for ak, bk in zip(par.mtf_params_a, par.mtf_params_b):
            m = m + ak * torch.exp(-bk * rho)
        s = s / m
    s = torch.where(rho <= 1e-4, torch.zeros_like(s), s)
    if par.do_aesl:
        gamma = 10.0**par.aesl_base
        s = s * 10.0 ** (-(10.0**par.aesl_slope_freq * torch.log2(rho + gamma)) * max(0.0, par.age - 24.0))
    return s


_cached_plan = lru_cache(maxsize=8)(Plan)


def get_plan(
    hw: tuple[int, int],
    ppd: float,
    par: HDRVDP3Params,
    spectra: str,
    pad: str,
    mtf_kind: str,
    dtype: torch.dtype,
    device: torch.device,
) -> Plan:
    """The cached :class:`Plan` for these settings."""
    return _cached_plan(
        tuple(int(v) for v in hw), float(ppd), par, spectra, pad, mtf_kind, dtype, torch.device(device)
    )


def _sign_pow(x: torch.Tensor, e: float) -> torch.Tensor:
    """sign(x) |x|^e (v2's is x |x|^(e-1), for e > 1 only: other round-off, kept)."""
    return pos_pow(x.abs(), e).mul_(torch.sign(x))


# Not v2's compute on purpose: 3.0.7 changed band normalisation, masking, the base band and Q pooling
def compute(plan: Plan, test: torch.Tensor, ref: torch.Tensor, surround: torch.Tensor | None) -> HDRVDP3Maps:
    """HDR-VDP 3.0.7 of N pairs. test, ref: N x C x H x W in the plan's dtype/device (native
    display RGB or luminance, cd/m^2, already clamped out of gamut); surround: N x C cd/m^2, or
    None for the default 'none' (mirror padding of the optics)."""
    par = plan.par
    n = test.shape[0]
    dt = test.dtype
    # pixels that actually differ (relative difference > 0.1% in any channel)
    diff_mask = ((test - ref).abs() / ref > 0.001).any(dim=1).to(dt)

    retinal_ref, retinal_test = plan.optics(ref, test, surround)
    p, l_adapt = plan.response(torch.cat([retinal_ref, retinal_test]))
    # The pyramid is linear: it is built on P_R (in float64 in both paths) and P_T - P_R (in the
    # plan's dtype). The response P is in JND units (up to ~10^3), and a float32 FFT errs by
    # ~1e-7 of the image's RMS at every pixel: in the flat parts of the reference's bands that
    # is the whole masking signal (measured: C_max of a noisy pair off by 1.2e-3 relative).
    b_ref = [x.to(dt) for x in plan.pyr_analysis.build(p[:n])]
    b_diff = plan.pyr.build((p[n:] - p[:n]).to(dt))
    nb = plan.n_bands
    # remove the mean of the base band (of each image), then normalise bands by 2^(b-1)
    # (T - mean T) - (R - mean R) = D - mean D
    b_ref[-1] = b_ref[-1] - b_ref[-1].mean(dim=(-2, -1), keepdim=True)
    b_diff[-1] = b_diff[-1] - b_diff[-1].mean(dim=(-2, -1), keepdim=True)
    for b in range(nb):
        bn = 2.0**b
        b_ref[b] = b_ref[b] / bn
        b_diff[b] = b_diff[b] / bn

    log_la = torch.log10(torch.clamp((l_adapt[n:] + l_adapt[:n]) / 2, 10.0**-5, 10.0**5))
    la_and_mask = torch.stack([log_la, diff_mask], dim=1)  # N x 2 x H x W

    p_exc, q, pf = par.p, par.q, par.pf
    k_self, k_xo, k_xn = 10.0**par.mask_self, 10.0**par.mask_xo, 10.0**par.mask_xn
    do_xn = par.do_mask_xn
    masks = [mutual_masking(r + d, r) for r, d in zip(b_ref, b_diff)]
    d_bands: list[torch.Tensor] = []
    q_err = torch.zeros(n, dtype=torch.float64, device=test.device)
    mink = par.minkowski_p
    for b in range(nb):
        n_orient = b_diff[b].shape[1]
        la_mask = plan.to_band[b](la_and_mask)
        log_la_rs = torch.clamp(la_mask[:, :1], plan.csf_log0, plan.csf_log1)
        if b == nb - 1:  # base band: one threshold per image, at its dominant frequency
            thr = plan.base_band_threshold(b_diff[b][:, 0], log_la_rs)
            thr_2p = (thr ** (2 * p_exc)).to(dt)[:, None, None, None]
        else:
            csf = plan.csf_at(b, log_la_rs)  # N_nCSF = 1 / CSF
            thr_2p = pos_pow(csf, -2 * p_exc)
        self_mask = masks[b]
        acc = pos_pow(self_mask, q) * k_self
        if n_orient > 1:  # cross-orientation masking
            acc = acc + pos_pow(torch.clamp(self_mask.sum(dim=1, keepdim=True) - self_mask, min=0), q) * k_xo
        if do_xn:
            mask_xn = None
            if b > 0:
                mask_xn = torch.clamp(
                    plan.from_finer[b](neighbour_orientations(masks[b - 1], n_orient)), min=0
                )
            if b < nb - 2:
                coarser = torch.clamp(
                    plan.from_coarser[b](neighbour_orientations(masks[b + 1], n_orient)), min=0
                )
                mask_xn = coarser if mask_xn is None else mask_xn + coarser
            if mask_xn is not None:
                acc = acc + pos_pow(mask_xn, q) * k_xn
        # D = sign_pow(diff, p) / sqrt(N_nCSF^(2p) + N_mask^2)
        d = _sign_pow(b_diff[b], p_exc).mul_(torch.rsqrt(acc.mul_(acc).add_(thr_2p)))
        d_bands.append(_sign_pow(d, pf).mul_(2.0**b))  # set_band multiplies by band_norm
        # quality: Minkowski (p = 0.8) mean over the pixels that differ, per orientation
        d_p = (d * la_mask[:, 1:2]).double()
        numel = d_p.shape[-2] * d_p.shape[-1]
        m = (pos_pow(d_p.abs(), mink) / numel).sum(dim=(-2, -1)) ** (1.0 / mink)  # N x O
        q_err = q_err + m.sum(dim=1) / nb

    s_map = plan.pyr.reconstruct(d_bands).abs()
    if par.do_spatial_total_pooling:  # 2.2.2 always pools so; 3.0.7 only for 'detection'
        s_map = total_pooling(s_map)
    p_map = 1.0 - torch.exp(math.log(0.5) * s_map)
    if plan.sprob_gauss is not None:  # spatial probability summation
        p_map = 1.0 - torch.exp(plan.sprob_gauss(torch.log(1.0 - p_map + 1e-4)))
    if plan.robust_gauss is not None:
        p_det = plan.robust_gauss(p_map).amax(dim=(-2, -1))
        c_max = plan.robust_gauss(s_map).amax(dim=(-2, -1))
    else:
        p_det = p_map.amax(dim=(-2, -1))
        c_max = s_map.amax(dim=(-2, -1))
    quality = par.quality_max + par.quality_floor - torch.log(math.exp(par.quality_floor) + q_err)
    a, e = par.jod_pars
    q_jod = 10.0 - a * torch.clamp(10.0 - quality, min=0.0) ** e
    return HDRVDP3Maps(
        Q=quality, Q_JOD=q_jod, P_det=p_det.double(), C_max=c_max.double(), P_map=p_map, C_map=s_map
    )
