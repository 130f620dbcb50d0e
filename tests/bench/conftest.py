"""Fixtures of the bench tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import torch


@pytest.fixture
def one_torch_thread() -> Iterator[None]:
    """Run a test on one intra-op thread (``pytestmark = pytest.mark.usefixtures("one_torch_thread")``):
    on the 2 shared cores of the dev machine, torch's spinning worker threads made the HDR-VDP tests
    3-5x slower under load (measured: 5 min vs 1 min for the calibration file). Restored afterwards."""
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)
