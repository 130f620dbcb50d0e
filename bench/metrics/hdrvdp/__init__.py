"""The HDR-VDP family of visual difference predictors, PyTorch ports checked against the originals:
:mod:`bench.metrics.hdrvdp.v2` (HDR-VDP 2.2.2; function ``bench.metrics.hdrvdp2``) and
:mod:`bench.metrics.hdrvdp.v3` (HDR-VDP 3.0.7; function ``bench.metrics.hdrvdp3``)."""
