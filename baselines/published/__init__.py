"""Published LDR-to-HDR networks with their authors' released weights, reimplemented.

* :mod:`baselines.published.expandnet` — ExpandNet (Marnerides et al., Eurographics 2018);
* :mod:`baselines.published.lhdr` — LHDR (Guo & Jiang, ACCV 2022);
* :mod:`baselines.published.hdrtvdm` — HDRTVDM (Guo et al., CVPR 2023, SDR to HDR10);
* :mod:`baselines.published.weights` — the pinned weights files (repository, commit, sha256,
  licence), fetched and verified like the datasets;
* :mod:`baselines.published.methods` — their entries in the method registry (``expandnet``,
  ``lhdr``, ``hdrtvdm``, ``hdrtvdm-3dm``, ``hdrtvdm-davinci``) and the rule mapping each native
  output to the protocol's display (docs/published-methods.md).

Each network module has ``native(img, ...)``: an H x W x 3 uint8 RGB image -> the network's native
output exactly as reference/published/README.md defines it. Nothing is imported here: torch is
loaded only when a network module is.
"""
