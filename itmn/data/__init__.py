"""Data pipeline of the protocol's section 2 (docs/PROTOCOL.md: v1 sections 1-5, v2 section 6).

* :mod:`itmn.data.registry`       datasets by name (upstream URLs at pinned commits, sha256,
  licences, split files, protocol version) and folder datasets; :func:`~itmn.data.registry.resolve_prepared`.
* :mod:`itmn.data.public_v2`      what the ``public-v2`` dataset adds to ``default`` (names, licence files).
* :mod:`itmn.data.user_manifest`  users' own pinned datasets (``itmn data fetch --manifest``).
* :mod:`itmn.data.fetch`          ``itmn data fetch``: download/copy into the cache with pooch, verify sha256.
* :mod:`itmn.data.prepare`        ``itmn data prepare``: the benchmark pairs and manifest, per protocol.
* :mod:`itmn.data.dataset`        reading a prepared dataset; the seeded training ``PairDataset``.
* :mod:`itmn.data.fingerprint`    scene fingerprints (is this the same scene as that one?).
* :mod:`itmn.data.cli`            the ``itmn data`` subcommands.
"""
