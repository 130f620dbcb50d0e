r"""Losses of iTMN (paper eqs. 1-4), pure functions of tensors.

Content loss, eq. (2), on PQ code values (N x C x H x W, unitless in [0, 1]):

    L_G = MSE(G(L), H) + alpha * (MSE(d_x G(L), d_x H) + MSE(d_y G(L), d_y H))

``d_x``/``d_y`` are forward differences along the width/height of each channel separately
(x[..., :, 1:] - x[..., :, :-1] and x[..., 1:, :] - x[..., :-1, :]). The paper writes squared
Frobenius norms under an expectation; they are taken here as *means* over all elements (its own
name for them is "mean squared error"), so the loss does not grow with the crop size and the
paper's lambda = 1e4, alpha = 1e5 keep their balance at any size.

Adversarial regularizer, eq. (3), in the paper's sign convention:

    R(G, D) = E_H[log(1 - D(H))] + E_L[log D(G(L))]

G minimizes lambda * L_G + R and D maximizes R (eq. 4). So D(x) -> 1 means "x is generated" and
D(x) -> 0 means "x is real" -- the opposite of Goodfellow et al.'s labelling, with the same game.
The discriminator returns logits z with D = sigmoid(z); the logs are computed with
``logsigmoid`` (log D = logsigmoid(z), log(1 - D) = logsigmoid(-z)), which is exact and finite
for every z.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

from itmn.errors import ImageError


@dataclass(frozen=True)
class ContentTerms:
    """The parts of eq. (2) for one batch (0-d tensors): ``content = mse + alpha * dmse``."""

    content: torch.Tensor
    mse: torch.Tensor
    dmse: torch.Tensor


def _check_pair(pred: torch.Tensor, target: torch.Tensor) -> None:
    if pred.shape != target.shape or pred.ndim != 4:
        raise ImageError(
            None,
            f"prediction has shape {tuple(pred.shape)} and target {tuple(target.shape)}",
            "two N x C x H x W tensors of the same shape",
        )


def gradient_mse(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """dMSE of eq. (2): MSE of horizontal differences + MSE of vertical differences, per channel.

    Both tensors N x C x H x W (H, W >= 2); returns a 0-d tensor in squared input units.
    """
    _check_pair(pred, target)
    diff = pred - target  # d_x is linear, so d_x G - d_x H = d_x (G - H)
    dx = diff[..., :, 1:] - diff[..., :, :-1]
    dy = diff[..., 1:, :] - diff[..., :-1, :]
    return dx.pow(2).mean() + dy.pow(2).mean()


def content_loss(pred: torch.Tensor, target: torch.Tensor, alpha: float) -> ContentTerms:
    """Eq. (2): ``mse + alpha * dmse`` with its parts. ``alpha = 0`` is the NoDMSE ablation.

    ``pred``/``target``: N x C x H x W PQ code values; the loss is in squared code-value units.
    """
    _check_pair(pred, target)
    mse = F.mse_loss(pred, target)
    dmse = gradient_mse(pred, target)
    return ContentTerms(content=mse + alpha * dmse, mse=mse, dmse=dmse)


def regularizer(logits_real: torch.Tensor, logits_fake: torch.Tensor) -> torch.Tensor:
    """R of eq. (3): ``mean(log(1 - D(H))) + mean(log D(G(L)))`` from discriminator logits.

    Always <= 0. D maximizes it; it is 0 when D(H) -> 0 and D(G(L)) -> 1 (a perfect discriminator).
    """
    return F.logsigmoid(-logits_real).mean() + F.logsigmoid(logits_fake).mean()


def discriminator_loss(logits_real: torch.Tensor, logits_fake: torch.Tensor) -> torch.Tensor:
    """What D minimizes: ``-R`` (eq. 4, second line, as a minimization). >= 0."""
    return -regularizer(logits_real, logits_fake)


def generator_adversarial(logits_fake: torch.Tensor, form: str = "minimax") -> torch.Tensor:
    """The part of R that depends on G, which G minimizes (eq. 4, first line).

    ``minimax`` (the paper): ``mean(log D(G(L)))`` = mean(logsigmoid(z)); decreases (to -inf)
    as D(G(L)) -> 0, i.e. as generated images are taken for real.
    ``nonsaturating`` (Goodfellow's heuristic, not in the paper, offered for experiments):
    ``-mean(log(1 - D(G(L))))`` = -mean(logsigmoid(-z)); same fixed point, stronger gradients
    when D easily spots the fakes.
    """
    if form == "minimax":
        return F.logsigmoid(logits_fake).mean()
    if form == "nonsaturating":
        return -F.logsigmoid(-logits_fake).mean()
    raise ValueError(f"adversarial form must be 'minimax' or 'nonsaturating', got {form!r}")


def generator_objective(content: ContentTerms, adv_g: torch.Tensor | None, lam: float) -> torch.Tensor:
    """Eq. (1)/(4) for G: ``lam * L_G + adv_g``; without a regularizer (NoAdvReg) ``lam * L_G``."""
    total = lam * content.content
    return total if adv_g is None else total + adv_g
