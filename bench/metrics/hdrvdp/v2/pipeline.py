"""The HDR-VDP 2.2.2 model in torch, batched: N image pairs, channel-first, one code path for
CPU and GPU (``hdrvdp.m`` + ``hdrvdp_visual_pathway.m``).

Inputs to :func:`compute` are already in the linear, absolute units HDR-VDP works in: cd/m^2
per display primary (or luminance for one channel), after the colour encoding's display model.

Everything that depends only on (image size, pixels per degree, channel spectra, dtype,
device) -- MTF, CSF tables, photoreceptor LUTs, pyramid filters, resize weights -- lives in a
:class:`Plan`, built once per configuration and cached (:func:`get_plan`). The hot path has no
Python loop over pixels and no host synchronisation (no ``.item()``, no data-dependent shapes).
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
    lerp_table,
    mutual_masking,
    ncsf_shape_torch,
    neighbour_orientations,
    pos_pow,
    total_pooling,
)
from bench.metrics.hdrvdp.v2.imresize import band_resizers
from bench.metrics.hdrvdp.v2.params import DEFAULT_PARAMS, HDRVDPParams
from bench.metrics.hdrvdp.v2.spectral import channels_to_lmsr
from bench.metrics.hdrvdp.v2.steerpyr import FFTSteerablePyramid, SteerablePyramid
from bench.metrics.hdrvdp.v2.vision import cycdeg_grid, mtf, ncsf, photoreceptor_luts

#: Lower/upper clamp of the retinal image after the optical MTF (cd/m^2), as in MATLAB.
RETINAL_MIN, RETINAL_MAX = 1e-5, 1e10
#: Adapting-luminance grid of the per-band CSF tables: logspace(-5, 5, 256) cd/m^2.
CSF_LA = 10.0 ** np.linspace(-5.0, 5.0, 256)


@dataclass
class HDRVDPMaps:
    """Batched results: ``Q``, ``P_det``, ``C_max``: N; ``P_map``, ``C_map``: N x H x W."""

    Q: torch.Tensor
    P_det: torch.Tensor
    C_max: torch.Tensor
    P_map: torch.Tensor
    C_map: torch.Tensor


class Plan:
    """Precomputed, read-only state for one image size / ppd / spectra / dtype / device."""

    def __init__(
        self,
        hw: tuple[int, int],
        ppd: float,
        spectra: str,
        dtype: torch.dtype,
        device: torch.device,
        par: HDRVDPParams = DEFAULT_PARAMS,
    ):
        self.hw = hw
        self.ppd = float(ppd)
        self.dtype = dtype
        self.device = device
        self.par = par
        h, w = hw

        def t(a: np.ndarray) -> torch.Tensor:
            return torch.as_tensor(np.array(a, dtype=np.float64), dtype=dtype, device=device)

        # optical MTF on the 2x padded grid; real and even, so the half spectrum suffices
        mtf2 = mtf(cycdeg_grid((2 * h, 2 * w), self.ppd), par)
        self.mtf_half = t(mtf2[:, : w + 1])
        # channels -> L, M, rod (S does not contribute to luminance in HDR-VDP 2)
        m = channels_to_lmsr(spectra)
        self.n_channels = m.shape[0]
        self.to_lmr = t(m[:, [0, 1, 3]].T)  # 3 x C
        y, cone, rod = photoreceptor_luts(par)
        self.lut_y0 = float(y[0])
        self.lut_dy = float(y[1] - y[0])
        self.lut_min, self.lut_max = 10.0 ** y[0], 10.0 ** y[-1]
        self.lut_cone = t(cone)
        self.lut_rod = t(rod)
        # steerable pyramid and band geometry
        self.pyr = FFTSteerablePyramid(hw, dtype, device)
        self.height = self.pyr.height
        sizes = [hw, *self.pyr.level_sizes, self.pyr.lowpass_size]
        self.band_sizes = sizes  # b = 0 high-pass, 1..height oriented, height+1 base band
        self.n_bands = self.height + 2
        self.band_freq = [2.0**-b * self.ppd / 2.0 for b in range(self.n_bands)]
        # per-band CSF as a function of log10 adapting luminance (256-point linear LUT)
        self.csf_log_la0 = math.log10(CSF_LA[0])
        self.csf_log_la1 = math.log10(CSF_LA[-1])
        self.csf_dlog = (self.csf_log_la1 - self.csf_log_la0) / (CSF_LA.size - 1)
        self.csf_tables = [t(ncsf(f, CSF_LA, par)) for f in self.band_freq]
        # base band: CSF filter grid (its sqrt(2) is MATLAB's, "works better")
        bb = sizes[-1]
        rho_bb = cycdeg_grid((2 * bb[0], 2 * bb[1]), self.band_freq[-1] * 2 * math.sqrt(2))
        self.rho_bb_half = torch.as_tensor(rho_bb[:, : bb[1] + 1], dtype=torch.float64, device=device)
        self.csf_lums_log = torch.as_tensor(np.log10(par.csf_lums), dtype=torch.float64, device=device)
        self.csf_params = torch.as_tensor(par.csf_params_array()[:, 1:5], dtype=torch.float64, device=device)
        # quality weights per band (interpolated at the band frequency, clamped to the table)
        qf = np.asarray(par.quality_band_freq, dtype=np.float64)
        qw = np.asarray(par.quality_band_w, dtype=np.float64)
        self.quality_w = [
            float(np.interp(min(max(f, qf[-1]), qf[0]), qf[::-1], qw[::-1])) for f in self.band_freq
        ]
        # resizers: full image -> band (log_La, diff mask); neighbour bands -> band (masking)
        self.to_band, self.from_finer, self.from_coarser = band_resizers(hw, sizes, dtype, device)

    # ------------------------------------------------------------------ visual pathway
    def optics(
        self, ref: torch.Tensor, test: torch.Tensor, surround: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Retinal images: the MTF applied by FFT on the grid padded to 2H x 2W (bottom/right)
        with the surround luminance, clamped to [1e-5, 1e10]. ref, test: N x C x H x W;
        surround: N x C.

        Computed as MTF(ref) and MTF(test - ref) (the MTF is linear and both images share the
        padding): in float32 the FFT's round-off, ~1e-7 of the image's RMS, would otherwise
        differ between the two images and swamp real differences in dark regions of an HDR
        image; this way it is common to both and cancels.
        """
        h, w = self.hw
        n = ref.shape[0]
        s = surround.to(ref.dtype)[:, :, None, None]
        # conv(pad(X, s)) = conv(pad(X - s, 0)) + s * MTF(0). The FFT is split by axis so that
        # the zero rows of the padding are never transformed and only the kept rows are
        # inverted (same result as rfft2/irfft2 on the 2H x 2W grid, ~30% less work).
        x = torch.cat([ref - s, test - ref])
        spec = torch.fft.fft(torch.fft.rfft(x, n=2 * w, dim=-1), n=2 * h, dim=-2)
        spec.mul_(self.mtf_half)
        out = torch.fft.irfft(torch.fft.ifft(spec, dim=-2)[..., :h, :], n=2 * w, dim=-1)[..., :w]
        r = out[:n] + s * self.mtf_half[0, 0]
        t = r + out[n:]
        return torch.clamp(r, RETINAL_MIN, RETINAL_MAX), torch.clamp(t, RETINAL_MIN, RETINAL_MAX)

    def photoreceptor(self, x: torch.Tensor, lut: torch.Tensor) -> torch.Tensor:
        """``pointOp(log10(clamp(x)), lut, Y0, dY)``: linear interpolation, end-segment extrapolation."""
        pos = (torch.log10(torch.clamp(x, self.lut_min, self.lut_max)) - self.lut_y0) / self.lut_dy
        idx = torch.clamp(pos.trunc(), 0, lut.numel() - 2)
        return lerp_table(lut, idx, pos - idx)

    def response(self, retinal: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Achromatic photoreceptor response P (cones + rods, each with its mean removed) and
        adapting luminance L + M of B retinal images (B x C x H x W) -> (B x H x W, B x H x W)."""
        lmr = torch.einsum("kc,bchw->bkhw", self.to_lmr, retinal)
        l_adapt = lmr[:, 0] + lmr[:, 1]
        p_c = self.photoreceptor(lmr[:, 0], self.lut_cone) + self.photoreceptor(lmr[:, 1], self.lut_cone)
        p_r = self.photoreceptor(lmr[:, 2], self.lut_rod)
        p = (p_c - p_c.mean(dim=(-2, -1), keepdim=True)) + (p_r - p_r.mean(dim=(-2, -1), keepdim=True))
        return p, l_adapt

    def base_band_csf(self, l_mean: torch.Tensor) -> torch.Tensor:
        """Base-band CSF filter (B x 2h x (w+1), float64 half spectrum) for the mean adapting
        luminance ``l_mean`` (B, cd/m^2) of each image; its DC gain is 0."""
        log_lum = torch.clamp(torch.log10(l_mean.double()), self.csf_lums_log[0], self.csf_lums_log[-1])
        par = interp_rows(log_lum, self.csf_lums_log, self.csf_params)  # B x 4
        return ncsf_shape_torch(self.rho_bb_half[None], [par[:, k, None, None] for k in range(4)])

    def filter_base_band(
        self, bb_ref: torch.Tensor, bb_diff: torch.Tensor, l_mean_ref: torch.Tensor, l_mean_test: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """CSF-filtered base band of the reference and the test-minus-reference difference
        (N x h x w each, float64). Both images are padded with the mean of the reference band
        (MATLAB's bb_padvalue) but filtered with their own CSF."""
        h, w = bb_ref.shape[-2:]
        n = (2 * h, 2 * w)
        pad = bb_ref.mean(dim=(-2, -1), keepdim=True)
        csf = self.base_band_csf(torch.cat([l_mean_ref, l_mean_test]))
        csf_r, csf_t = csf[: bb_ref.shape[0]], csf[bb_ref.shape[0] :]
        f_ref = torch.fft.rfft2((bb_ref - pad).double(), s=n)
        f_diff = torch.fft.rfft2(bb_diff.double(), s=n)
        out_ref = torch.fft.irfft2(f_ref * csf_r, s=n)[..., :h, :w]
        out_diff = torch.fft.irfft2(f_ref * (csf_t - csf_r) + f_diff * csf_t, s=n)[..., :h, :w]
        return out_ref, out_diff

    def csf_at(self, b: int, log_la: torch.Tensor) -> torch.Tensor:
        """Per-pixel CSF of band b at log10 adapting luminance (``interp1`` linear on the table)."""
        return interp_uniform(self.csf_tables[b], log_la, self.csf_log_la0, self.csf_dlog)


# float32: a 1080p plan holds ~160 MB (filter spectra), 512^2 ~22 MB
_cached_plan = lru_cache(maxsize=8)(Plan)


def get_plan(hw: tuple[int, int], ppd: float, spectra: str, dtype: torch.dtype, device: torch.device) -> Plan:
    """The cached :class:`Plan` for these settings (default HDR-VDP 2.2.2 parameters)."""
    return _cached_plan(tuple(int(v) for v in hw), float(ppd), spectra, dtype, torch.device(device))


def _sign_pow(x: torch.Tensor, e: float) -> torch.Tensor:
    """sign(x) |x|^e for e > 1, as x |x|^(e-1) (v3's is |x|^e sign(x): other round-off, kept)."""
    return pos_pow(x.abs(), e - 1.0).mul_(x)


def compute(plan: Plan, test: torch.Tensor, ref: torch.Tensor, surround: torch.Tensor) -> HDRVDPMaps:
    """HDR-VDP 2.2.2 of N pairs. test, ref: N x C x H x W in the plan's dtype/device (absolute
    units after the display model); surround: N x C (cd/m^2 per image and channel).

    The test image is carried as its difference from the reference wherever the model is
    linear (optics, pyramid), which is the same in exact arithmetic and keeps float32 accurate.
    """
    par = plan.par
    n = test.shape[0]
    # pixels that actually differ (relative difference > 0.1% in any channel)
    diff_mask = ((test - ref).abs() / ref > 0.001).any(dim=1).to(test.dtype)

    retinal_ref, retinal_test = plan.optics(ref, test, surround)
    p, l_adapt = plan.response(torch.cat([retinal_ref, retinal_test]))
    pyr = plan.pyr.build(torch.cat([p[:n], p[n:] - p[:n]]))
    l_mean = l_adapt.mean(dim=(-2, -1))
    bb_ref, bb_diff = plan.filter_base_band(pyr.lowpass[:n], pyr.lowpass[n:], l_mean[:n], l_mean[n:])
    all_bands = [pyr.highpass[:, None], *pyr.bands]
    b_ref = [x[:n] for x in all_bands] + [bb_ref[:, None].to(test.dtype)]
    b_diff = [x[n:] for x in all_bands] + [bb_diff[:, None].to(test.dtype)]

    l_adapt = (l_adapt[n:] + l_adapt[:n]) / 2
    log_la = torch.log10(torch.clamp(l_adapt, CSF_LA[0], CSF_LA[-1]))
    la_and_mask = torch.stack([log_la, diff_mask], dim=1)  # N x 2 x H x W

    p, q, pf = par.p, par.q, par.pf
    k_self, k_xo, k_xn = 10.0**par.mask_self, 10.0**par.mask_xo, 10.0**par.mask_xn
    eps = par.quality_epsilon
    masks = [mutual_masking(r + d, r) for r, d in zip(b_ref, b_diff)]
    d_bands: list[torch.Tensor] = []
    q_sum = torch.zeros(n, dtype=torch.float64, device=test.device)
    nb = plan.n_bands
    for b in range(nb):
        bn = 2.0**b  # band_norm (1/n_f in the paper)
        n_orient = b_diff[b].shape[1]
        # log10 adapting luminance and the difference mask, resized to the band together
        la_mask = plan.to_band[b](la_and_mask)
        if b < nb - 1:
            log_la_rs = torch.clamp(la_mask[:, :1], plan.csf_log_la0, plan.csf_log_la1)
            log_csf = torch.log(plan.csf_at(b, log_la_rs))  # CSF = 1 / N_nCSF
            csf_q = torch.exp(log_csf * q)
            thr_2p = torch.exp(log_csf * (-2 * p))  # N_nCSF^(2p)
        else:  # base band: N_nCSF = 1
            csf_q = thr_2p = torch.ones((), dtype=test.dtype, device=test.device)
        self_mask = masks[b]
        # masking by neighbouring bands; a band with one orientation lends it to all
        # orientations, and the single-orientation bands read orientation 1 of their neighbours
        mask_xn = None
        if b > 0:
            mask_xn = torch.clamp(
                plan.from_finer[b](neighbour_orientations(masks[b - 1], n_orient)), min=0
            ) * (2.0 / bn)
        if b < nb - 2:
            coarser = torch.clamp(
                plan.from_coarser[b](neighbour_orientations(masks[b + 1], n_orient)), min=0
            ) * (0.5 / bn)
            mask_xn = coarser if mask_xn is None else mask_xn + coarser
        band_mask_xo = torch.clamp(self_mask.sum(dim=1, keepdim=True) - self_mask, min=0)
        # N_mask = bn * (k_self (self/N_nCSF/bn)^q + k_xo (xo/N_nCSF/bn)^q + k_xn (xn/N_nCSF)^q)
        acc = pos_pow(self_mask, q) * (k_self * bn ** (1 - q))
        acc = acc.add_(pos_pow(band_mask_xo, q), alpha=k_xo * bn ** (1 - q))
        if mask_xn is not None:
            acc = acc.add_(pos_pow(mask_xn, q), alpha=k_xn * bn)
        n_mask = acc.mul_(csf_q)
        # D = sign_pow(diff/bn, p) * bn / sqrt(N_nCSF^(2p) + N_mask^2)
        d = _sign_pow(b_diff[b], p).mul_(bn ** (1 - p)).mul_(torch.rsqrt(n_mask.mul_(n_mask).add_(thr_2p)))
        d_bands.append(_sign_pow(d, pf).mul_(bn ** (1 - pf)))  # sign_pow(D/bn, pf) * bn
        # quality: log of msre = sqrt(sum D^2) / numel over pixels that differ, per orientation
        d_p = d * la_mask[:, 1:2]
        numel = d_p.shape[-2] * d_p.shape[-1]
        msre = torch.linalg.vector_norm(d_p, dim=(-2, -1)).double() / numel  # N x O
        q_sum = q_sum + ((torch.log(msre + eps) - math.log(eps)) * plan.quality_w[b]).sum(dim=1)

    rec = plan.pyr.reconstruct(SteerablePyramid(d_bands[0][:, 0], d_bands[1:-1], d_bands[-1][:, 0]))
    s_map = total_pooling(rec.abs())
    p_map = 1.0 - torch.exp(math.log(0.5) * s_map)
    return HDRVDPMaps(
        Q=100.0 - q_sum,
        P_det=p_map.amax(dim=(-2, -1)).double(),
        C_max=s_map.amax(dim=(-2, -1)).double(),
        P_map=p_map,
        C_map=s_map,
    )
