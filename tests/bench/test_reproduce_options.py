"""The reproduction's command line: which published networks join the leaderboard per profile,
and that an unknown one fails before any training."""

from __future__ import annotations

import pytest

from bench.cli.reproduce import build_parser, options_from_args
from bench.reproduce.options import LEADERBOARD_METHODS
from itmn.errors import ConfigError


def _opts(*argv: str, table: str = "table1"):
    return options_from_args(build_parser().parse_args([table, *argv]), table)


def test_leaderboard_default_depends_on_the_profile():
    assert _opts("--profile", "smoke").leaderboard_methods == ()
    assert _opts("--profile", "cpu").leaderboard_methods == LEADERBOARD_METHODS
    assert _opts("--profile", "paper").leaderboard_methods == LEADERBOARD_METHODS


def test_leaderboard_can_be_chosen_or_emptied():
    assert _opts("--profile", "smoke", "--leaderboard", "expandnet").leaderboard_methods == ("expandnet",)
    assert _opts("--profile", "cpu", "--leaderboard", "").leaderboard_methods == ()
    # Table 2 never scores published networks
    assert _opts("--profile", "cpu", table="table2").leaderboard_methods == ()


def test_unknown_leaderboard_method_fails_before_training():
    with pytest.raises(ConfigError, match="no-such-net"):
        _opts("--profile", "cpu", "--leaderboard", "expandnet,no-such-net")


def test_profiles_default_to_their_dataset():
    assert _opts("--profile", "smoke").dataset == "default"
    assert _opts("--profile", "cpu").dataset == "public-v2"
    assert _opts("--profile", "cpu", "--dataset", "default").slug == "cpu-default"


def test_published_weights_come_from_the_reproductions_mirror_and_cache(tmp_path, mirror, monkeypatch):
    """--mirror/--cache of the reproduction reach the published networks' weights (not only the
    dataset): offline, with no $ITMN_DATA_MIRROR, the leaderboard stage finds them."""
    from baselines.published import _common, weights
    from bench.reproduce.evaluation import published_targets
    from itmn import paths

    monkeypatch.delenv("ITMN_DATA_MIRROR", raising=False)
    monkeypatch.setenv("ITMN_CACHE", str(tmp_path / "elsewhere"))  # not the reproduction's cache
    cache = tmp_path / "cache"
    opts = _opts("--profile", "cpu", "--leaderboard", "expandnet", "--cache", str(cache), "--mirror", str(mirror))
    _common.clear_model_cache()
    try:
        targets = published_targets(opts)
        assert [t.name for t in targets] == ["expandnet"]
        w = weights.WEIGHTS["expandnet"]
        assert (paths.downloads_dir(cache) / w.file.relpath).is_file()
        assert (paths.downloads_dir(cache) / w.licence_file.relpath).is_file()
        assert not (tmp_path / "elsewhere").exists()
    finally:
        weights.configure()
        _common.clear_model_cache()
    # configure() restored: without a mirror anywhere, the weights are not found in an empty cache
    assert weights.sources(None, None) == (None, None)
