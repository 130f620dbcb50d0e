"""Loss values on hand-made tensors and the sign convention of the regularizer (itmn.losses)."""

from __future__ import annotations

import math

import pytest
import torch

from itmn.losses import (
    content_loss,
    discriminator_loss,
    generator_adversarial,
    generator_objective,
    gradient_mse,
    regularizer,
)


def test_content_loss_by_hand() -> None:
    # one channel, 2 x 3; prediction - target = d
    target = torch.zeros(1, 1, 2, 3)
    pred = torch.tensor([[[[1.0, 2.0, 4.0], [0.0, 1.0, 1.0]]]])
    # MSE: (1 + 4 + 16 + 0 + 1 + 1) / 6 = 23/6
    # d_x: rows [1, 2], [1, 0] -> squares 1, 4, 1, 0 -> mean 6/4
    # d_y: [-1, -1, -3] -> squares 1, 1, 9 -> mean 11/3
    terms = content_loss(pred, target, alpha=10.0)
    assert float(terms.mse) == pytest.approx(23 / 6)
    assert float(terms.dmse) == pytest.approx(6 / 4 + 11 / 3)
    assert float(terms.content) == pytest.approx(23 / 6 + 10.0 * (6 / 4 + 11 / 3))


def test_differences_are_per_channel() -> None:
    """No difference is taken across channels: channel-constant images have zero dMSE even when the
    channels differ from each other."""
    pred = torch.stack([torch.full((4, 5), v) for v in (0.1, 0.5, 0.9)])[None]
    assert float(gradient_mse(pred, torch.zeros_like(pred))) == 0.0


def test_dmse_ignores_constant_offsets() -> None:
    torch.manual_seed(0)
    target = torch.rand(2, 3, 8, 8)
    terms = content_loss(target + 0.25, target, alpha=1e5)
    assert float(terms.dmse) == pytest.approx(0.0, abs=1e-12)
    assert float(terms.mse) == pytest.approx(0.0625)
    assert float(terms.content) == pytest.approx(0.0625, rel=1e-5)


def test_nodmse_is_plain_mse() -> None:
    torch.manual_seed(1)
    a, b = torch.rand(2, 3, 8, 8), torch.rand(2, 3, 8, 8)
    terms = content_loss(a, b, alpha=0.0)
    assert float(terms.content) == float(terms.mse) == pytest.approx(float(((a - b) ** 2).mean()))


def test_content_loss_gradcheck() -> None:
    torch.manual_seed(2)
    a = torch.rand(1, 2, 4, 5, dtype=torch.float64, requires_grad=True)
    b = torch.rand(1, 2, 4, 5, dtype=torch.float64)
    assert torch.autograd.gradcheck(lambda x: content_loss(x, b, alpha=3.0).content, (a,))


def test_regularizer_by_hand() -> None:
    # D = sigmoid(0) = 0.5 everywhere: R = log(0.5) + log(0.5)
    z = torch.zeros(4, 1)
    assert float(regularizer(z, z)) == pytest.approx(2 * math.log(0.5))
    # D(H) = sigmoid(-2), D(G(L)) = sigmoid(3): R = log(1 - sigmoid(-2)) + log(sigmoid(3))
    r = regularizer(torch.full((2, 1), -2.0), torch.full((3, 1), 3.0))
    s = lambda v: 1 / (1 + math.exp(-v))  # noqa: E731
    assert float(r) == pytest.approx(math.log(1 - s(-2.0)) + math.log(s(3.0)))
    assert float(discriminator_loss(torch.full((2, 1), -2.0), torch.full((3, 1), 3.0))) == pytest.approx(
        -float(r)
    )


def test_regularizer_is_finite_for_extreme_logits() -> None:
    """logsigmoid keeps log(D) and log(1 - D) finite where sigmoid saturates in float32."""
    big = torch.tensor([[-200.0], [200.0]])
    r = regularizer(big, big)
    assert torch.isfinite(r)
    # exact: log(1 - sigmoid(-200)) ~ 0, log(1 - sigmoid(200)) = -200; log sigmoid(-200) = -200, log sigmoid(200) ~ 0
    assert float(r) == pytest.approx((0.0 - 200.0) / 2 + (-200.0 + 0.0) / 2)


def test_discriminator_loss_falls_on_an_easy_split() -> None:
    """Training D by minimizing -R on real = dark, generated = bright images lowers the loss and, in
    the paper's convention, drives D(generated) -> 1 and D(real) -> 0."""
    torch.manual_seed(0)
    d = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(3 * 4 * 4, 1))
    real, fake = torch.full((8, 3, 4, 4), 0.1), torch.full((8, 3, 4, 4), 0.9)
    opt = torch.optim.SGD(d.parameters(), lr=0.5)
    losses = []
    for _ in range(100):
        loss = discriminator_loss(d(real), d(fake))
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(float(loss.detach()))
    assert losses[-1] < 0.1 * losses[0]
    with torch.no_grad():
        p_fake, p_real = float(torch.sigmoid(d(fake)).mean()), float(torch.sigmoid(d(real)).mean())
    assert p_fake > 0.9
    assert p_real < 0.1


def test_generator_term_decreases_as_fakes_pass_for_real() -> None:
    """adv_g = E[log D(G(L))] falls monotonically as D(G(L)) -> 0 and its gradient pushes the
    logits down (towards 'real' in the paper's convention)."""
    logits = torch.tensor([4.0, 1.0, 0.0, -1.0, -4.0, -20.0])
    values = [float(generator_adversarial(z.reshape(1, 1))) for z in logits]
    assert all(a > b for a, b in zip(values, values[1:]))
    assert values[-1] == pytest.approx(-20.0, abs=1e-6)
    z = torch.zeros(5, 1, requires_grad=True)
    generator_adversarial(z).backward()
    assert bool((z.grad > 0).all())  # gradient descent lowers the logits
    # the non-saturating option has the same direction
    z2 = torch.zeros(5, 1, requires_grad=True)
    generator_adversarial(z2, "nonsaturating").backward()
    assert bool((z2.grad > 0).all())
    with pytest.raises(ValueError, match="minimax"):
        generator_adversarial(z, "wgan")


def test_generator_objective_weights() -> None:
    terms = content_loss(torch.ones(1, 1, 2, 2), torch.zeros(1, 1, 2, 2), alpha=5.0)
    assert float(generator_objective(terms, torch.tensor(-0.3), lam=1e4)) == pytest.approx(1e4 * 1.0 - 0.3)
    assert float(generator_objective(terms, None, lam=2.0)) == pytest.approx(2.0)
