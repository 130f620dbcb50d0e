"""``itmn expand`` (LDR -> HDR with any registered method) and ``itmn methods`` (list them).

Only argparse is imported at registration; the work is in :func:`expand_main` and
:func:`methods_main`, imported when the command runs.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from itmn.originals.engine import BACKENDS

#: Input extensions taken from a folder (LDR formats of itmn.hdrio.read_ldr).
INPUT_EXTENSIONS = (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".exr")
RUN_RECORD = "expand-run.json"


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "expand",
        help="expand LDR images to HDR with a registered method",
        description=(
            "Expand one LDR image (PNG/JPEG/TIFF, or EXR code values in [0, 1]) or every such image in a "
            "folder to HDR: linear BT.2020 in cd/m^2, clipped to [0.005, 1000] (protocol v1), written as "
            "float32 OpenEXR with the unit and the method's configuration string in the header. Files are "
            "written atomically (never half-written). For a folder, a record of the run with per-image clip "
            f"statistics is written to OUTPUT/{RUN_RECORD}. See `itmn methods` for methods and parameters."
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--method", "-m", required=True, help="method name (itmn methods lists them)")
    p.add_argument(
        "--param",
        "-p",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="method parameter, repeatable (e.g. --param variant=2019 --param sigma_r=25/255)",
    )
    p.add_argument("--checkpoint", help="run folder or checkpoint file of a learned method")
    p.add_argument("--device", help="device of a learned method: cpu, cuda or cuda:N (default: auto)")
    p.add_argument(
        "--backend",
        choices=BACKENDS,
        help=(
            "huo, ko, ko-2019: run the suite's code (native, default) or the original HDR Toolbox function "
            "with GNU Octave or MATLAB from your copy (--hdrtoolbox-path or ITMN_HDRTOOLBOX_PATH); "
            "the same as --param backend=NAME. See docs/backends.md"
        ),
    )
    p.add_argument(
        "--hdrtoolbox-path", metavar="DIR", help="your copy of the HDR Toolbox; default $ITMN_HDRTOOLBOX_PATH"
    )
    p.add_argument(
        "--keep-going", action="store_true", help="folder mode: skip images that fail, report them, exit 1"
    )
    p.add_argument("input", metavar="INPUT", type=Path, help="an LDR image or a folder of them")
    p.add_argument(
        "output",
        metavar="OUTPUT",
        type=Path,
        help="an .exr file (or existing folder) for one image; a folder (created) for a folder input",
    )
    p.set_defaults(handler="bench.cli.expand:expand_main")

    m = subparsers.add_parser(
        "methods",
        help="list the registered LDR-to-HDR methods",
        description="List every registered method: name, learned or not, version, description, parameters.",
    )
    m.add_argument("--json", action="store_true", help="print JSON instead of a table")
    m.add_argument(
        "--verbose", "-v", action="store_true", help="also print each parameter's meaning and the reference"
    )
    m.set_defaults(handler="bench.cli.expand:methods_main")


# --------------------------------------------------------------------------- itmn methods
def methods_main(args: argparse.Namespace) -> int:
    from baselines.registry import list_methods

    infos = list_methods()
    if args.json:
        import json

        rows = [
            {
                "name": i.name,
                "learned": i.learned,
                "version": i.version,
                "description": i.description,
                "reference": i.reference,
                "params": [
                    {
                        "name": p.name,
                        "default": None if p.required else p.fmt(p.default),
                        "required": p.required,
                        "help": p.help,
                    }
                    for p in i.params
                ],
            }
            for i in infos
        ]
        print(json.dumps(rows, indent=2))
        return 0
    from tabulate import tabulate

    table = [
        [
            i.name,
            "yes" if i.learned else "no",
            i.version,
            i.description,
            " ".join(p.describe() for p in i.params),
        ]
        for i in infos
    ]
    print(
        tabulate(
            table,
            headers=["name", "learned", "version", "description", "parameters (default)"],
            tablefmt="simple",
            maxcolwidths=[None, None, None, 60, 50],
        )
    )
    if args.verbose:
        for i in infos:
            print(f"\n{i.name}: {i.reference}")
            for p in i.params:
                print(f"  {p.describe():<28} {p.help}")
    return 0


# --------------------------------------------------------------------------- itmn expand
def parse_params(
    items: Sequence[str], checkpoint: str | None, device: str | None, backend: str | None = None
) -> dict[str, str]:
    """``["k=v", ...]`` (+ --checkpoint/--device/--backend) -> dict; ConfigError on malformed or
    repeated keys."""
    from itmn.errors import ConfigError

    params: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        key = key.strip()
        if not sep or not key:
            raise ConfigError(f"--param {item!r}: expected KEY=VALUE (e.g. --param variant=2019)")
        if key in params:
            raise ConfigError(f"--param {key} given twice ({params[key]!r} and {value!r})")
        params[key] = value
    for key, value in (("checkpoint", checkpoint), ("device", device), ("backend", backend)):
        if value is not None:
            if key in params:
                raise ConfigError(f"{key} given both as --{key} and as --param {key}=...")
            params[key] = value
    return params


def expand_main(args: argparse.Namespace) -> int:
    from baselines.registry import get_method
    from bench.cli.options import apply_backend_arguments

    apply_backend_arguments(args)
    params = parse_params(args.param, args.checkpoint, args.device, args.backend)
    if params.get("backend", "native") != "native":
        _check_has_backend(args.method)
    src: Path = args.input
    if src.is_dir():  # inputs and the output folder are checked before the method is built
        pairs = _folder_inputs(src, args.output)
        method = get_method(args.method, **params)
        return _expand_folder(method, src, args.output, pairs, keep_going=args.keep_going)
    dst = _single_output(src, args.output)
    method = get_method(args.method, **params)
    stats = _expand_one(method, src, dst)
    print(f"{src} -> {dst}  [{method.config_string()}]  clipped {_clip_text(stats)}")
    return 0


def _check_has_backend(name: str) -> None:
    from baselines.registry import list_methods
    from itmn.errors import ConfigError

    infos = {m.name: m for m in list_methods()}
    if name in infos and infos[name].param("backend") is None:
        have = ", ".join(n for n, m in infos.items() if m.param("backend") is not None)
        raise ConfigError(
            f"method {name!r} has no original implementation to run with --backend; methods with one: {have}"
        )


def _single_output(src: Path, out: Path) -> Path:
    from itmn.atomic import check_output_file
    from itmn.errors import ConfigError, ImageError

    if not src.exists():
        raise ImageError(src, "no such file or folder", "an LDR image or a folder of them")
    if out.is_dir():
        out = out / f"{src.stem}.exr"
    elif out.suffix.lower() != ".exr":
        raise ConfigError(f"OUTPUT {str(out)!r}: expected a .exr file name or an existing folder")
    if out.resolve() == src.resolve():
        raise ConfigError(f"OUTPUT {str(out)!r} is the input file; choose another name")
    check_output_file(out, what="OUTPUT")
    return out


def _expand_one(method: Any, src: Path, dst: Path) -> Any:
    """Read, expand, write atomically; errors name the input file."""
    from itmn import PROTOCOL_VERSION, __version__
    from itmn.errors import ImageError
    from itmn.hdrio import read_ldr, write_exr

    ldr = read_ldr(src)
    try:
        hdr, stats = method.expand_with_stats(ldr)
    except ImageError as exc:
        raise ImageError(src, exc.problem, exc.expected) from exc
    write_exr(
        dst,
        hdr,
        primaries="bt2020",
        attributes={
            "itmn:unit": "cd/m^2",
            "itmn:content": "display-referred linear light, BT.2020 primaries",
            "itmn:method": method.config_string(),
            "itmn:clipped": _clip_text(stats),
            "itmn:source": src.name,
            "itmn:protocol": PROTOCOL_VERSION,
            "itmn:software": f"itmn-bench {__version__}",
        },
    )
    return stats


def _clip_text(stats: Any) -> str:
    approx = "" if stats.exact else " (inferred from values on the bounds)"
    return (
        f"{100 * stats.frac_clipped_low:.3f}% of values to the black level, "
        f"{100 * stats.frac_clipped_high:.3f}% to the peak{approx}"
    )


def _folder_inputs(src: Path, dst: Path) -> list[tuple[Path, Path]]:
    from itmn.atomic import check_output_dir
    from itmn.errors import ConfigError, ImageError
    from itmn.paths import list_folder

    listing = list_folder(src, INPUT_EXTENSIONS)  # the suite's one rule for reading a folder
    files = listing.files
    if listing.skipped:
        print(f"itmn expand: note: {listing.describe_skipped()}", file=sys.stderr)
    if not files:
        raise ImageError(src, "folder holds no LDR images", f"files ending in {', '.join(INPUT_EXTENSIONS)}")
    if dst.exists() and not dst.is_dir():
        raise ConfigError(f"OUTPUT {str(dst)!r} is a file; a folder input needs an output folder")
    check_output_dir(dst)
    pairs = [(f, dst / f"{f.stem}.exr") for f in files]
    seen: dict[Path, Path] = {}
    for f, out in pairs:
        if out in seen:
            raise ConfigError(f"{seen[out].name} and {f.name} would both be written to {out}; rename one")
        if out.resolve() == f.resolve():
            raise ConfigError(f"output {out} would overwrite the input {f}; choose another output folder")
        seen[out] = f
    return pairs


def _expand_folder(method: Any, src: Path, dst: Path, pairs: list[tuple[Path, Path]], *, keep_going: bool) -> int:
    from tqdm import tqdm

    from itmn.atomic import write_json
    from itmn.errors import ItmnError
    from itmn.runinfo import collect_run_metadata

    dst.mkdir(parents=True, exist_ok=True)
    record: dict[str, Any] = collect_run_metadata(
        method=method.info.name, method_config=method.config_string(), input=str(src), output=str(dst)
    )
    done: list[dict[str, Any]] = []
    failed: list[dict[str, str]] = []
    record.update(images=done, failed=failed, status="running")
    try:
        for f, out in tqdm(pairs, desc=f"expand {method.info.name}", unit="img", file=sys.stderr):
            try:
                stats = _expand_one(method, f, out)
            except ItmnError as exc:
                failed.append({"input": f.name, "error": str(exc)})
                if not keep_going:
                    raise
                print(f"itmn expand: skipped {f}: {exc}", file=sys.stderr)
                continue
            done.append({"input": f.name, "output": out.name, **stats.as_dict()})
        record["status"] = "finished" if not failed else "finished with failures"
    except BaseException:
        record["status"] = "failed"
        raise
    finally:
        write_json(dst / RUN_RECORD, record)
    print(f"expanded {len(done)} of {len(pairs)} images to {dst}  [{method.config_string()}]")
    if failed:
        print(f"{len(failed)} failed: " + ", ".join(x["input"] for x in failed), file=sys.stderr)
        return 1
    return 0
