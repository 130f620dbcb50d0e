"""A full filesystem (issue 12, class 2): every writer knows the write succeeded before the rename.

Simulated two ways: ``RLIMIT_FSIZE`` in a subprocess (a write past the limit fails with EFBIG once
SIGXFSZ is ignored; the command lines ignore it themselves), and, as root, a tmpfs of a few
hundred KiB (ENOSPC). OpenImageIO reports such a failure only through ``geterror()`` -- its
``write_image`` and ``close`` still return True -- so before this was fixed ``write_png``
renamed a truncated PNG into place.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import textwrap
from pathlib import Path

from itmn_faults_support import REPO, assert_one_line_error, leftovers

LIMIT = 4000  # bytes: every file below is larger

_WRITERS = textwrap.dedent(
    """
    import json, resource, signal, sys, traceback
    from pathlib import Path
    import numpy as np
    sys.path.insert(0, {repo!r})
    from itmn import atomic, hdrio
    from itmn.errors import ItmnError

    out = Path(sys.argv[1])
    rng = np.random.default_rng(0)
    ldr = rng.random((64, 64, 3)).astype(np.float32)
    hdr = (ldr * 900 + 1).astype(np.float32)
    writers = {{
        "png8.png": lambda p: hdrio.write_png(p, ldr),
        "png16.png": lambda p: hdrio.write_png(p, ldr, bits=16),
        "tiff.tif": lambda p: hdrio.write_png(p, ldr),
        "radiance.hdr": lambda p: hdrio.write_radiance(p, hdr),
        "pfm.pfm": lambda p: hdrio.write_pfm(p, hdr),
        "exr.exr": lambda p: hdrio.write_exr(p, hdr),
        "half.exr": lambda p: hdrio.write_exr(p, hdr, half=True),
        "array.npy": lambda p: hdrio.write_hdr(p, hdr),
        "json.json": lambda p: atomic.write_json(p, {{"x": list(range(3000))}}),
        "text.txt": lambda p: atomic.write_text(p, "x" * 10000),
    }}
    try:
        import torch
        from itmn.train.checkpoint import save_checkpoint
        writers["ckpt.pt"] = lambda p: save_checkpoint(p, {{"nets": {{"w": torch.zeros(5000)}}, "config": {{}}}})
    except ImportError:
        pass
    # a good file of each kind is in place before the limit is set
    for name, write in writers.items():
        write(out / name)
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, ({limit}, {limit}))
    report = {{}}
    for name, write in writers.items():
        try:
            write(out / name)
            report[name] = {{"raised": None}}
        except ItmnError as exc:
            report[name] = {{"raised": type(exc).__name__, "message": str(exc), "itmn": True}}
        except BaseException as exc:
            report[name] = {{"raised": type(exc).__name__, "message": str(exc), "itmn": False,
                            "traceback": traceback.format_exc()}}
    print(json.dumps(report))
    """
)


def test_every_writer_fails_cleanly_past_a_file_size_limit(tmp_path: Path) -> None:
    """Each writer raises an ItmnError naming the file, and the good file already there is kept."""
    out = tmp_path / "out"
    out.mkdir()
    script = _WRITERS.format(repo=str(REPO), limit=LIMIT)
    proc = subprocess.run([sys.executable, "-c", script, str(out)], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    problems = []
    for name, r in report.items():
        if r["raised"] is None:
            problems.append(f"{name}: the write 'succeeded' past the {LIMIT}-byte limit")
        elif not r["itmn"]:
            problems.append(f"{name}: raised {r['raised']} (not a user-facing error): {r['message']}")
        elif str(out / name) not in r["message"]:
            problems.append(f"{name}: the message does not name the file: {r['message']}")
        size = (out / name).stat().st_size if (out / name).exists() else 0
        if size <= LIMIT:  # the good file written before the limit is larger
            problems.append(f"{name}: the good file was replaced by one of {size} bytes")
    assert not problems, "\n".join(problems)
    assert leftovers(out) == []


def _prepare(cli, src: Path, out: Path, **kw):  # type: ignore[no-untyped-def]
    return cli("itmn", "data", "prepare", "--dataset", str(src), "--out", str(out), "--no-progress", **kw)


def test_prepare_on_a_full_disk_keeps_the_prepared_files(cli, hdr_sources: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """``itmn data prepare --force`` past a file-size limit: one line naming the file and the
    reason, exit status 1, the earlier outputs and manifest untouched, nothing partial."""
    out = tmp_path / "prepared"
    first = _prepare(cli, hdr_sources, out)
    assert first.rc == 0, first.err
    before = {str(p.relative_to(out)): hashlib.sha256(p.read_bytes()).hexdigest() for p in out.rglob("*") if p.is_file()}
    res = cli("itmn", "data", "prepare", "--dataset", str(hdr_sources), "--out", str(out), "--no-progress", "--force",
              fsize=60_000)  # fmt: skip
    line = assert_one_line_error(res, str(out))
    assert "file-size limit" in line or "too large" in line.lower(), line
    after = {str(p.relative_to(out)): hashlib.sha256(p.read_bytes()).hexdigest() for p in out.rglob("*") if p.is_file()}
    assert after == before
    assert leftovers(out) == []


def test_prepare_into_a_full_tmpfs(cli, hdr_sources: Path, small_tmpfs) -> None:  # type: ignore[no-untyped-def]
    """ENOSPC (a real full filesystem): one line saying so, nothing partial left."""
    disk = small_tmpfs(256 * 1024)
    res = _prepare(cli, hdr_sources, disk / "prepared")
    assert_one_line_error(res, str(disk / "prepared"), "no space left")
    assert leftovers(disk) == []


def test_png_written_to_a_full_tmpfs_is_not_renamed(small_tmpfs) -> None:  # type: ignore[no-untyped-def]
    """The OpenImageIO case on a real full disk: write_png raises and leaves nothing."""
    disk = small_tmpfs(64 * 1024)
    script = textwrap.dedent(
        f"""
        import sys; sys.path.insert(0, {str(REPO)!r})
        import numpy as np
        from itmn import hdrio
        from itmn.errors import ItmnError
        try:
            hdrio.write_png({str(disk / 'big.png')!r}, np.random.default_rng(0).random((256, 256, 3)).astype(np.float32))
        except ItmnError as exc:
            print("ERROR", exc)
        """
    )
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert proc.stdout.startswith("ERROR"), proc.stdout + proc.stderr
    assert str(disk / "big.png") in proc.stdout and "no space left" in proc.stdout.lower()
    assert not (disk / "big.png").exists()
    assert leftovers(disk) == []
