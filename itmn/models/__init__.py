"""Networks of iTMN as pure ``nn.Module``s (no training logic): :class:`UNetGenerator` and
:class:`Discriminator`. Architecture choices are documented in each module and in docs/training.md."""

from itmn.models.discriminator import Discriminator
from itmn.models.generator import UNetGenerator

__all__ = ["Discriminator", "UNetGenerator"]
