"""A user's method that raises or calls sys.exit (issue 12, class 5), and one that returns integer
codes (class 7): one line naming the method, the test image and the place in the user's code;
nothing half-written. A registered method that raises is a bug: traceback, the image, a bug line.
"""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from itmn_faults_support import REPO, assert_one_line_error

from bench.cli import main as bench_main
from itmn.errors import BUG_REPORT

BAD = """
    import sys
    import numpy as np

    def boom(ldr):
        scale = {"peak": 1000.0}
        return ldr * scale["max"]          # line 7: KeyError

    def leave(ldr):
        sys.exit(3)

    def codes(ldr):
        return (np.asarray(ldr) * 65535).astype(np.uint16)
"""


@pytest.fixture
def bad_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    d = tmp_path / "user"
    d.mkdir()
    (d / "my_bad.py").write_text(textwrap.dedent(BAD))
    monkeypatch.syspath_prepend(str(d))
    sys.modules.pop("my_bad", None)
    return d


def _evaluate(spec: str, prepared: Path, results: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    rc = bench_main(["evaluate", "--method", spec, "--dataset", str(prepared), "--results", str(results), "--no-progress"])
    return rc, capsys.readouterr().err


def test_a_raising_user_method_is_named_with_the_image(prepared_small: Path, bad_module: Path, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    rc, err = _evaluate("my_bad:boom", prepared_small, tmp_path / "R", capsys)
    assert rc == 1, err
    assert "Traceback" not in err
    line = err.strip().splitlines()[-1]
    assert line.startswith("itmn-bench: error: method my_bad:boom raised KeyError: 'max'"), line
    assert f"{bad_module / 'my_bad.py'}:7 in boom" in line and "test image 'img0'" in line
    assert not list((tmp_path / "R").rglob("*.exr"))


def test_sys_exit_in_a_user_method_is_reported(prepared_small: Path, bad_module: Path, tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    res = cli("itmn-bench", "evaluate", "--method", "my_bad:leave", "--dataset", str(prepared_small), "--results",
              str(tmp_path / "R"), "--no-progress", env={"PYTHONPATH": f"{REPO}:{bad_module}"})  # fmt: skip
    assert_one_line_error(res, "method my_bad:leave called sys.exit(3)", "test image 'img0'")


def test_integer_outputs_are_refused(prepared_small: Path, bad_module: Path, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    rc, err = _evaluate("my_bad:codes", prepared_small, tmp_path / "R", capsys)
    assert rc == 1
    assert "dtype uint16" in err and "test image 'img0'" in err and "Traceback" not in err


def test_a_bug_in_a_registered_method_says_where(prepared_small: Path, tmp_path: Path, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    from baselines import registry

    monkeypatch.setattr(registry, "_REGISTRY", dict(registry._REGISTRY))

    def factory() -> object:
        return lambda ldr: np.asarray(ldr) / 0 if False else 1 // 0  # noqa: SIM108

    registry.register_method("faults-buggy", factory, learned=False, version="1", description="test")
    rc, err = _evaluate("faults-buggy", prepared_small, tmp_path / "R", capsys)
    assert rc == 1
    assert "Traceback" in err and "ZeroDivisionError" in err
    assert "while expanding test image 'img0' with faults-buggy 1" in err
    assert err.strip().splitlines()[-1] == f"itmn-bench: {BUG_REPORT}"
