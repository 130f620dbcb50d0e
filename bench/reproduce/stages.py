"""The stage record of a reproduction (``<work>/<slug>/state.json``): which stages finished, how
long their real work took and on which commit, so a rerun says what it skips."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.reproduce.options import log


class State:
    """``<work>/<slug>/state.json``: per stage, whether it finished and how long it took (the
    last time it did work), so a rerun after a crash says what it skips."""

    def __init__(self, path: Path):
        self.path = path
        self.data: dict[str, Any] = {"stages": {}}
        if path.is_file():
            try:
                data = json.loads(path.read_text())
            except (ValueError, UnicodeDecodeError):
                data = None
            if isinstance(data, dict) and isinstance(data.get("stages"), dict):
                self.data = data
            else:  # a record only: every stage checks its own outputs again
                from bench.reproduce.options import log

                log(f"{path}: unreadable record of the stages; checking every stage again")

    def record(self, stage: str, seconds: float, **info: Any) -> None:
        from itmn.atomic import write_json

        prev = self.data["stages"].get(stage, {})
        entry = {"finished": True, "last_seconds": round(seconds, 2), **info}
        # keep the wall time of the run that did the work, not of a rerun that found it done
        entry["work_seconds"] = round(seconds, 2) if info.get("did_work", True) else prev.get("work_seconds", round(seconds, 2))
        # and the code that did it: a rerun on a newer commit that finds the stage done keeps the old record
        if info.get("did_work", True):
            from itmn.runinfo import git_commit

            entry["work_git"] = git_commit()
        elif "work_git" in prev:
            entry["work_git"] = prev["work_git"]
        self.data["stages"][stage] = entry
        write_json(self.path, self.data)


def run_stage(state: State, name: str, fn: Callable[[], dict[str, Any] | None]) -> Any:
    log(f"stage {name} ...")
    t0 = time.perf_counter()
    info = fn() or {}
    dt = time.perf_counter() - t0
    state.record(name, dt, **{k: v for k, v in info.items() if not k.startswith("_")})
    done = "did work" if info.get("did_work", True) else "already done"
    log(f"stage {name}: {done} ({dt:.1f} s)")
    return info.get("_value")

