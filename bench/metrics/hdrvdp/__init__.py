"""The HDR-VDP family of visual difference predictors: :mod:`bench.metrics.hdrvdp.v2` is the
PyTorch port of HDR-VDP 2.2.2 (``bench.metrics.hdrvdp2`` is its main function)."""
