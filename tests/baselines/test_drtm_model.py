"""The trainer's contract of the DrTM baseline (baselines.drtm.model): training_losses,
predict_bracket / predict_radiance / predict_hdr_pq, and the EV-0 targets."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from baselines.drtm import (
    DRTM_DEFAULTS,
    build_nets,
    make_targets,
    predict_bracket,
    predict_hdr_pq,
    predict_radiance,
    relative_to_display,
    resolve_config,
    training_losses,
)
from itmn import colour
from itmn.errors import ConfigError, ImageError

TINY = {"width": 4, "n_levels": 4, "n_frames": 4, "ev_step": 1.0}


def synthetic_batch(n: int = 2, size: int = 16, seed: int = 0) -> dict[str, torch.Tensor]:
    """A PairDataset-like batch: a smooth lognormal radiance field with a 40x brighter corner,
    scaled to a 1000 cd/m^2 peak, PQ/BT.2020 10-bit (``hdr``), and its Reinhard-global (key 0.18,
    L_white = max) sRGB 8-bit rendering (``ldr``)."""
    g = torch.Generator().manual_seed(seed)
    lum = F.interpolate(
        torch.exp(1.5 * torch.randn(n, 1, 4, 4, generator=g)), size=(size, size), mode="bilinear"
    )
    rad = lum * (0.5 + 0.5 * torch.rand(n, 3, 1, 1, generator=g))
    rad[:, :, : size // 4, : size // 4] *= 40.0
    cd = rad * (1000.0 / colour.luminance(rad, "bt709").flatten(1).amax(1)).view(-1, 1, 1, 1)
    hdr = colour.quantize(colour.pq_encode(colour.bt709_to_bt2020(cd).clamp(0.005, 1000.0)), 10)
    y = colour.luminance(cd, "bt709")
    big_l = 0.18 / torch.exp(torch.log(y).flatten(1).mean(1)).view(-1, 1, 1) * y
    lw = big_l.flatten(1).amax(1).view(-1, 1, 1)
    ld = big_l * (1 + big_l / lw**2) / (1 + big_l)
    ldr = colour.quantize(colour.srgb_encode((cd * (ld / y).unsqueeze(1)).clamp(0, 1)), 8)
    return {"ldr": ldr.float(), "hdr": hdr.float()}


def test_training_losses_contract_and_determinism() -> None:
    torch.manual_seed(0)
    nets = build_nets(TINY)
    batch = synthetic_batch()
    losses, logs = training_losses(nets, batch, TINY)
    assert set(losses) == {"up", "down"}
    for loss in losses.values():
        assert loss.ndim == 0 and loss.requires_grad and torch.isfinite(loss)
    assert set(logs) == {"l1_up", "l1_down", "ev0_log2_scale", "saturated_up", "black_down"}
    assert all(isinstance(v, float) for v in logs.values())
    # Same batch, same state, dropout on (train mode): identical, whatever the global generator.
    torch.manual_seed(123)
    again, logs2 = training_losses(nets, batch, TINY)
    assert all(torch.equal(losses[k], again[k]) for k in losses) and logs == logs2
    # A different batch draws different dropout masks and gives different losses.
    other, _ = training_losses(nets, synthetic_batch(seed=1), TINY)
    assert not torch.equal(other["up"], losses["up"])


def test_training_losses_decrease_on_a_fixed_batch() -> None:
    torch.manual_seed(0)
    nets = build_nets(TINY)
    batch = synthetic_batch()
    params = [p for net in nets.values() for p in net.parameters()]
    opt = torch.optim.Adam(params, lr=2e-3)
    first = None
    for _ in range(8):
        losses, logs = training_losses(nets, batch, TINY)
        first = first or logs
        opt.zero_grad()
        (losses["up"] + losses["down"]).backward()
        opt.step()
    _, last = training_losses(nets, batch, TINY)
    assert last["l1_up"] < 0.85 * first["l1_up"]
    assert last["l1_down"] < 0.85 * first["l1_down"]


def test_targets_are_the_camera_bracket_at_the_aligned_exposure() -> None:
    batch = synthetic_batch()
    cfg = resolve_config({**TINY, "target_bits": 0, "input": "camera"})
    t = make_targets(batch["ldr"], batch["hdr"], cfg)
    # Independent recomputation: PQ -> cd/m^2 (colour-science), BT.2020 -> BT.709, times the
    # scale, through the sRGB formula, at +1..+4 and -1..-4 EV.
    import colour as cs

    hdr = batch["hdr"].double().numpy().transpose(0, 2, 3, 1)
    m = cs.matrix_RGB_to_RGB(cs.RGB_COLOURSPACES["ITU-R BT.2020"], cs.RGB_COLOURSPACES["ITU-R BT.709"])
    rad = np.clip(cs.models.eotf_ST2084(hdr) @ m.T, 0, None) * t.scale.double().numpy().reshape(-1, 1, 1, 1)

    def srgb(x: np.ndarray) -> np.ndarray:
        x = np.clip(x, 0, 1)
        return np.where(x <= 0.0031308, 12.92 * x, 1.055 * x ** (1 / 2.4) - 0.055).transpose(0, 3, 1, 2)

    for k in range(4):
        np.testing.assert_allclose(t.up[:, k].numpy(), srgb(2.0 ** (k + 1) * rad), atol=2e-4)
        np.testing.assert_allclose(t.down[:, k].numpy(), srgb(2.0 ** -(k + 1) * rad), atol=2e-4)
    np.testing.assert_allclose(t.input.numpy(), srgb(rad), atol=2e-4)  # "camera" input: EV-0 frame
    # EV 0 matches the LDR where the LDR is well exposed (median log-luminance ratio is 0).
    tmo = make_targets(batch["ldr"], batch["hdr"], resolve_config(TINY))
    assert torch.equal(tmo.input, batch["ldr"])


def test_untrained_model_is_inverse_camera_curve_expansion() -> None:
    torch.manual_seed(0)
    nets = {k: v.eval() for k, v in build_nets(TINY).items()}
    ldr = synthetic_batch()["ldr"]
    with torch.no_grad():
        rad = predict_radiance(nets, ldr, TINY)
    ref = colour.srgb_decode(ldr)
    inside = (ldr > 0) & (ldr < 1)
    assert torch.allclose(rad[inside], ref[inside], rtol=1e-4)


def test_predict_bracket_layout_and_zero_residual_frames() -> None:
    torch.manual_seed(0)
    nets = {k: v.eval() for k, v in build_nets(TINY).items()}
    ldr = synthetic_batch()["ldr"]
    with torch.no_grad():
        b = predict_bracket(nets, ldr, TINY)
    assert b.evs == [-4.0, -3.0, -2.0, -1.0, 0.0, 1.0, 2.0, 3.0, 4.0]
    assert b.frames.shape == (2, 9, 3, 16, 16)
    assert torch.equal(b.frames[:, 4], ldr)  # EV 0 is the input itself
    # A tone-mapped input is not a camera frame: not merged unless nothing else is kept.
    assert not b.keep[:, 4].any()
    with torch.no_grad():
        cam = predict_bracket(nets, ldr, {**TINY, "input": "camera"})
    assert cam.keep[:, 4].all()
    for i, ev in enumerate(b.evs):
        expected = colour.srgb_encode(colour.srgb_decode(ldr) * 2.0**ev).clamp(1e-3, 1 - 1e-3)
        if ev != 0:
            assert torch.allclose(b.frames[:, i], expected, atol=2e-6), ev


def test_predict_hdr_pq_range_and_peak() -> None:
    torch.manual_seed(0)
    nets = {k: v.eval() for k, v in build_nets({**TINY, "zero_init_last": False}).items()}
    ldr = synthetic_batch()["ldr"]
    pq = predict_hdr_pq(nets, ldr, TINY)
    assert pq.shape == ldr.shape and not pq.requires_grad
    cd = colour.pq_decode(pq.double())
    assert cd.min() >= 0.005 * 0.999 and cd.max() <= 1000 * 1.001
    # Independent recomputation of protocol v1 section 3 with colour-science: max luminance to
    # 1000 cd/m^2, BT.709 -> BT.2020, clip to [0.005, 1000], PQ encode.
    import colour as cs

    with torch.no_grad():
        lin = predict_radiance(nets, ldr, TINY).double().numpy().transpose(0, 2, 3, 1)
    y = lin @ np.array([0.2126, 0.7152, 0.0722])
    m = cs.matrix_RGB_to_RGB(cs.RGB_COLOURSPACES["ITU-R BT.709"], cs.RGB_COLOURSPACES["ITU-R BT.2020"])
    disp = np.clip((lin * (1000.0 / y.max(axis=(1, 2))).reshape(-1, 1, 1, 1)) @ m.T, 0.005, 1000.0)
    expected = cs.models.eotf_inverse_ST2084(disp).transpose(0, 3, 1, 2)
    np.testing.assert_allclose(pq.numpy(), expected, atol=2e-5)


def test_relative_to_display_black_and_scaling() -> None:
    lin = torch.zeros(2, 3, 4, 4)
    lin[1] = 0.25
    lin[1, :, 0, 0] = 0.5
    out = relative_to_display(lin)
    assert torch.equal(out[0], torch.full_like(out[0], 0.005))
    assert torch.allclose(out[1, :, 0, 0], torch.full((3,), 1000.0), rtol=1e-5)  # grey stays grey
    assert torch.allclose(out[1, :, 1, 1], torch.full((3,), 500.0), rtol=1e-5)


def test_bad_batches_and_configs() -> None:
    nets = build_nets(TINY)
    batch = synthetic_batch()
    with pytest.raises(ImageError, match=r"batch\['ldr'\].*shape \(2, 16, 16\)"):
        training_losses(nets, {"ldr": batch["ldr"][:, 0], "hdr": batch["hdr"]}, TINY)
    bad = batch["hdr"].clone()
    bad[0, 0, 0, 0] = float("nan")
    with pytest.raises(ImageError, match=r"batch\['hdr'\]: 1 non-finite"):
        training_losses(nets, {"ldr": batch["ldr"], "hdr": bad}, TINY)
    with pytest.raises(ConfigError, match="missing \\['down'\\]"):
        training_losses({"up": nets["up"]}, batch, TINY)
    assert DRTM_DEFAULTS["kind"] == "drtm" and DRTM_DEFAULTS["n_frames"] == 8


def test_seeded_training_is_bit_identical() -> None:
    def run() -> dict[str, torch.Tensor]:
        torch.manual_seed(11)
        nets = build_nets(TINY)
        opts = {k: torch.optim.Adam(n.parameters(), lr=1e-3) for k, n in nets.items()}
        for seed in range(3):
            losses, _ = training_losses(nets, synthetic_batch(seed=seed), TINY)
            for k in nets:
                opts[k].zero_grad()
                losses[k].backward()
                opts[k].step()
        return {f"{k}.{p}": v for k, n in nets.items() for p, v in n.state_dict().items()}

    a, b = run(), run()
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def test_targets_and_merge_stay_float32_under_autocast() -> None:
    # The trainer may run training_losses / predict_hdr_pq under bfloat16/float16 autocast: the
    # networks may use it, the colour maths, the targets and the merge must not.
    torch.manual_seed(0)
    nets = {k: v.eval() for k, v in build_nets(TINY).items()}
    batch = synthetic_batch()
    cfg = resolve_config(TINY)
    ref_t = make_targets(batch["ldr"], batch["hdr"], cfg)
    ref_pq = predict_hdr_pq(nets, batch["ldr"], TINY)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        t = make_targets(batch["ldr"], batch["hdr"], cfg)
        pq = predict_hdr_pq(nets, batch["ldr"], TINY)
    assert t.up.dtype == torch.float32 and torch.equal(t.up, ref_t.up) and torch.equal(t.down, ref_t.down)
    assert pq.dtype == torch.float32
    # The untrained networks' residual is exactly 0 in any precision, so the result is identical.
    assert torch.equal(pq, ref_pq)


def test_black_and_white_inputs() -> None:
    torch.manual_seed(0)
    nets = {k: v.eval() for k, v in build_nets(TINY).items()}
    ldr = torch.zeros(2, 3, 16, 16)
    ldr[1] = 1.0
    cd = colour.pq_decode(predict_hdr_pq(nets, ldr, TINY).double())
    assert torch.allclose(cd[0], torch.full_like(cd[0], 0.005), rtol=1e-3)  # black stays black
    assert torch.allclose(cd[1], torch.full_like(cd[1], 1000.0), rtol=1e-3)  # white is the peak
    b = predict_bracket(nets, ldr, TINY)
    assert b.n_down.tolist() == [0, 4] and b.n_up[1] == 0  # exhausted inputs: nothing beyond them
