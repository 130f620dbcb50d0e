"""What every command of the suite shares: building the parser from subcommand modules, running
the chosen handler, and turning expected errors into one line (:func:`call`): a user never sees a
traceback for bad input, a missing file, a full disk or a missing permission, and sees one, with a
line saying it is a bug and where to report it, for anything else.

A subcommand module has a ``register(subparsers)`` function that only builds its argparse parser
(no heavy imports, so ``--help`` is fast) and names its handler as ``"module:function"``, which
is imported when the command runs.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import signal
import sys
import threading
import traceback
import warnings
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from itmn.errors import BUG_REPORT, ItmnError, ItmnWarning, os_reason


def build_parser(prog: str, description: str, modules: Sequence[str]) -> argparse.ArgumentParser:
    """A parser with ``--version`` and one subcommand group filled by ``modules``' ``register``."""
    parser = argparse.ArgumentParser(
        prog=prog, description=description, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    from itmn import __version__

    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in modules:
        importlib.import_module(name).register(sub)
    return parser


def run(parser: argparse.ArgumentParser, argv: Sequence[str] | None) -> int:
    """Parse ``argv``, run the handler; errors as :func:`call` reports them."""
    args = parser.parse_args(argv)
    handler = getattr(args, "handler", None)
    if handler is None:
        parser.print_help()
        return 2
    mod_name, func_name = handler.split(":")
    return call(parser.prog, lambda: getattr(importlib.import_module(mod_name), func_name)(args))


def call(prog: str, work: Callable[[], Any]) -> int:
    """Run ``work()`` the way every command of the suite runs: the exit status is its return value
    (0 for None), and

    * an expected error -- :class:`~itmn.errors.ItmnError` (bad input, bad settings, a file that
      cannot be written), or an operating-system error (a missing or unreadable file, a full disk,
      no permission) -- is one line ``<prog>: error: <path>: <reason>`` on stderr, exit status 1;
    * Ctrl-C is ``<prog>: interrupted``, exit status 130;
    * anything else is a bug of the suite: the traceback, then a line saying so and where to
      report it (:data:`itmn.errors.BUG_REPORT`), exit status 1.

    :class:`~itmn.errors.ItmnWarning` warnings are printed as one line ``<prog>: warning: ...``.
    SIGXFSZ is ignored, so that a write past the file-size limit (``ulimit -f``) fails with EFBIG
    and is reported like a full disk instead of killing the process without a word.
    """
    _ignore_sigxfsz()
    try:
        with _one_line_warnings(prog):
            rc = work()
    except ItmnError as exc:
        print(f"{prog}: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"{prog}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # the reader of stdout went away (e.g. `| head`): nothing to report
        with contextlib.suppress(OSError):
            sys.stderr.flush()
        return 1
    except OSError as exc:
        print(f"{prog}: error: {describe_os_error(exc)}", file=sys.stderr)
        return 1
    except MemoryError:
        print(f"{prog}: error: out of memory (try smaller images or fewer parallel jobs)", file=sys.stderr)
        return 1
    except Exception:
        traceback.print_exc()
        print(f"{prog}: {BUG_REPORT}", file=sys.stderr)
        return 1
    return int(rc or 0)


def describe_os_error(exc: OSError) -> str:
    """``<path>: <reason>`` for an OSError (both paths of a rename), or the reason alone."""
    reason = os_reason(exc)
    paths = [str(p) for p in (exc.filename, exc.filename2) if p is not None]
    return f"{' -> '.join(paths)}: {reason}" if paths else reason


def _ignore_sigxfsz() -> None:
    sig = getattr(signal, "SIGXFSZ", None)
    if sig is None or threading.current_thread() is not threading.main_thread():
        return
    with contextlib.suppress(OSError, ValueError):
        signal.signal(sig, signal.SIG_IGN)


@contextlib.contextmanager
def _one_line_warnings(prog: str) -> Iterator[None]:
    """Show ItmnWarning as ``<prog>: warning: <message>`` (others as Python shows them)."""
    original = warnings.showwarning

    def show(message: Warning | str, category: type[Warning], filename: str, lineno: int,
             file: Any = None, line: str | None = None) -> None:  # fmt: skip
        if issubclass(category, ItmnWarning):
            print(f"{prog}: warning: {message}", file=file or sys.stderr)
        else:
            original(message, category, filename, lineno, file, line)

    warnings.showwarning = show
    try:
        yield
    finally:
        warnings.showwarning = original
