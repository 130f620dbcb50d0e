"""Typed configuration, overrides, files, hash and the profile table (itmn.train.config/profiles)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import baselines.drtm  # noqa: F401  (registers the drtm variant of the profiles)
from itmn.errors import ConfigError
from itmn.train.config import (
    TrainConfig,
    apply_overrides,
    config_hash,
    diff,
    load_file,
    set_value,
    to_dict,
    valid_keys,
    validate,
)
from itmn.train.profiles import PROFILES, VARIANTS, describe, get_profile, profile_names


def test_defaults_are_the_papers() -> None:
    c = TrainConfig()
    assert (c.loss.lam, c.loss.alpha, c.loss.adversarial) == (1e4, 1e5, True)
    assert (c.optim.name, c.optim.lr, c.schedule.kind) == ("rmsprop", 1e-4, "step")
    assert (c.run.batch_size, c.run.iterations, c.data.crop) == (6, 80_000, 512)
    assert c.model.generator.widths == (64, 128, 256, 512, 512)


def test_overrides_parse_types() -> None:
    c = get_profile("smoke")
    apply_overrides(c, ["model.generator.widths=4,8,8,16,16", "loss.alpha=0", "loss.adversarial=false",
                        "run.iterations=1e3", "optim.d_lr=none", "model.options={\"width\": 8}", "data.tmos=[\"a\",\"b\"]"])  # fmt: skip
    assert c.model.generator.widths == (4, 8, 8, 16, 16)
    assert c.loss.alpha == 0.0 and c.loss.adversarial is False
    assert c.run.iterations == 1000 and isinstance(c.run.iterations, int)
    assert c.optim.d_lr is None
    assert c.model.options == {"width": 8}
    assert c.data.tmos == ("a", "b")


@pytest.mark.parametrize(
    ("item", "message"),
    [
        ("run.iterations=12.5", "expected an integer, got '12.5'"),
        ("loss.adversarial=maybe", "expected a boolean"),
        ("optim.lr=fast", "expected a number"),
        ("optim.betas=0.9", "expected 2 values"),
        ("model.size=3", "unknown configuration key 'model.size'"),
        ("model=3", "is a section"),
        ("run.iterations", "expected key=value"),
    ],
)
def test_bad_overrides_are_refused_clearly(item: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace("[", r"\[")):
        apply_overrides(get_profile("smoke"), [item])


def test_unknown_key_lists_valid_keys() -> None:
    with pytest.raises(ConfigError) as err:
        apply_overrides(get_profile("smoke"), ["loss.beta=1"])
    for key in ("loss.alpha", "model.generator.widths", "run.seed"):
        assert key in str(err.value)
    assert set(valid_keys()) >= {"loss.alpha", "run.seed", "model.discriminator.fc"}


def test_validate_cross_field() -> None:
    c = get_profile("smoke")
    set_value(c, "data.crop", 48)
    with pytest.raises(ConfigError, match="multiple of 32"):
        validate(c)
    c = get_profile("smoke")
    set_value(c, "optim.name", "sgd")
    with pytest.raises(ConfigError, match="optim.name = 'sgd'"):
        validate(c)


def test_toml_and_json_files_with_base(tmp_path: Path) -> None:
    toml = tmp_path / "mine.toml"
    toml.write_text('base = "nodmse-smoke"\n[run]\nseed = 7\n[model.generator]\nwidths = [4, 8, 8, 8, 8]\n')
    c = load_file(toml)
    assert c.name == "mine" and c.run.seed == 7 and c.loss.alpha == 0.0
    assert c.model.generator.widths == (4, 8, 8, 8, 8)
    js = tmp_path / "full.json"
    js.write_text(json.dumps(to_dict(c)))
    assert to_dict(load_file(js)) == to_dict(c)
    bad = tmp_path / "bad.toml"
    bad.write_text("[loss]\ngamma = 1\n")
    with pytest.raises(ConfigError, match=r"bad.toml: unknown configuration key 'loss.gamma'"):
        load_file(bad)
    broken = tmp_path / "broken.json"
    broken.write_text("{")
    with pytest.raises(ConfigError, match="broken.json: not valid JSON"):
        load_file(broken)


def test_hash_ignores_bookkeeping_only() -> None:
    a = get_profile("smoke")
    h = config_hash(a)
    b = get_profile("smoke")
    apply_overrides(b, ["run.checkpoint_every=3", "run.val_every=7", "run.progress=false", "name=other"])
    assert config_hash(b) == h
    for item in ("run.seed=1", "loss.lam=10", "model.generator.norm_first=false", "data.crop=32"):
        c = get_profile("smoke")
        apply_overrides(c, [item])
        assert config_hash(c) != h, item
    assert config_hash(to_dict(a)) == h


def test_profile_names_and_table() -> None:
    names = profile_names()
    for p in PROFILES:
        for v in VARIANTS:
            assert f"{v}-{p}" in names
        assert p in names
    assert to_dict(get_profile("cpu")) | {"name": ""} == to_dict(get_profile("itmn-cpu")) | {"name": ""}
    with pytest.raises(ConfigError, match="valid names"):
        get_profile("gan-cpu")
    text = describe()
    assert all(p in text for p in PROFILES) and all(v in text for v in VARIANTS)


def test_paper_profile_is_the_papers_setting() -> None:
    c = get_profile("paper")
    assert (c.data.crop, c.run.batch_size, c.run.iterations) == (512, 6, 80_000)


@pytest.mark.parametrize("profile", list(PROFILES))
def test_ablations_differ_from_itmn_only_by_configuration(profile: str) -> None:
    """NoDMSE = iTMN with alpha = 0; NoAdvReg = iTMN without the regularizer; nothing else."""
    base = to_dict(get_profile(profile))
    assert diff(base, to_dict(get_profile(f"nodmse-{profile}"))) == [
        f"loss.alpha: {base['loss']['alpha']!r} vs 0.0"
    ]
    assert diff(base, to_dict(get_profile(f"noadvreg-{profile}"))) == ["loss.adversarial: True vs False"]
    drtm = get_profile(f"drtm-{profile}")
    assert drtm.model.kind == "drtm" and drtm.data.crop == get_profile(profile).data.crop


def test_docs_profile_table_matches_the_code() -> None:
    from itmn.train.profiles import markdown_table

    docs = (Path(__file__).resolve().parents[2] / "docs" / "training.md").read_text()
    table = docs.split("<!-- profiles-table -->\n", 1)[1].split("\n<!-- /profiles-table -->", 1)[0]
    assert table == markdown_table()


def test_alpha_warmup_switches_the_dmse_term_on() -> None:
    import torch

    from itmn.train.distributed import DistInfo
    from itmn.train.tasks import ItmnTask

    c = get_profile("smoke")
    apply_overrides(c, ["run.iterations=10", "loss.alpha_warmup=0.3"])
    task = ItmnTask(c, torch.device("cpu"), DistInfo(), None, False)
    assert [task.alpha_at(i) for i in range(10)] == [0.0] * 3 + [1e5] * 7
    with pytest.raises(ConfigError, match="loss.alpha_warmup"):
        apply_overrides(c, ["loss.alpha_warmup=1.0"])
        validate(c)
