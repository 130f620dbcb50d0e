"""Data pipeline of protocol v1 §2.

* :mod:`itmn.data.registry`  datasets by name (upstream URLs at pinned commits, sha256, licences)
  and folder datasets; :func:`~itmn.data.registry.resolve_prepared`.
* :mod:`itmn.data.fetch`     ``itmn data fetch``: download/copy into the cache, verify sha256.
* :mod:`itmn.data.prepare`   ``itmn data prepare``: the 512 x 512 benchmark pairs and manifest.
* :mod:`itmn.data.dataset`   reading a prepared dataset; the seeded training ``PairDataset``.
* :mod:`itmn.data.cli`       the ``itmn data`` subcommands.
"""
