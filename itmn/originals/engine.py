"""Engines that run MATLAB-language functions: GNU Octave (subprocess or oct2py) and MATLAB.

An engine calls a function by name on numpy arrays, numbers and strings and returns its outputs
as numpy arrays (1 x 1 numerics as Python floats, char arrays as str, structs as dicts)::

    with get_engine("octave") as eng:
        eng.addpath("/home/me/hdrvdp-2.2.2")
        (res,) = eng.call("hdrvdp", test, ref, "rgb-bt.709", 30.0)
        res["Q"]

The suite never ships the original code: the user's copy is added with :meth:`Engine.addpath`.

Data exchange. The default Octave engine (``ITMN_OCTAVE_DRIVER=subprocess``) writes the
arguments to a MAT v5 file with scipy, runs one ``octave-cli`` process that loads them, calls
the function and saves the outputs, then reads them back. MAT files keep the class (single,
double, integer, logical), the shape of every array (odd sizes included) and NaN/Inf bit for
bit, which is what the round-trip tests check. It costs one Octave start-up per call (about
0.3 s), which is small beside HDR-VDP itself. ``ITMN_OCTAVE_DRIVER=oct2py`` uses a persistent
oct2py session instead (``pip install .[octave]``). The MATLAB engine uses ``matlab.engine``,
which MATLAB installs (``cd <matlabroot>/extern/engines/python && python -m pip install .``).

Why hand-written: oct2py pulls in Jupyter's kernel stack and converts some types on its own
terms (e.g. 1 x 1 arrays, cell arrays); a 100-line subprocess driver with scipy's MAT reader
keeps the exchange explicit and testable.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from itmn.errors import ConfigError, ItmnError

#: names of the backends; ``native`` is the suite's own code and needs no engine.
BACKENDS = ("native", "octave", "matlab")


class BackendError(ConfigError):
    """A backend is missing or misconfigured (no Octave, no matlab.engine, path not set, wrong
    version). The message names what to install or set."""


class BackendCallError(ItmnError, RuntimeError):
    """The original code raised an error; the message carries its identifier and text."""

    def __init__(self, backend: str, func: str, identifier: str, message: str, hint: str = ""):
        self.backend, self.func, self.identifier, self.message = backend, func, identifier, message
        text = f"{func} failed in {backend}: {message.strip()}"
        if identifier:
            text += f" [{identifier}]"
        if hint:
            text += f"\n  hint: {hint}"
        super().__init__(text)


# Known failure modes of running the originals under Octave, with what to do about them.
_HINTS = (
    (
        re.compile(r"symmetric|Invalid call to ifft2", re.I),
        "HDR-VDP 2.2.2 calls ifft2(..., 'symmetric'), which Octave does not accept; remove that "
        "argument in fast_conv_fft.m and fast_gauss.m of your copy (the result is real either way; "
        "effect <= 2e-13). See docs/backends.md.",
    ),
    (
        re.compile(r"'(corrDn|upConv|pointOp|range2)' undefined", re.I),
        "matlabPyrTools' MEX files are not compiled for this engine: in matlabPyrTools_1.4_fixed/MEX run "
        "mkoctfile --mex corrDn.c convolve.c wrap.c edges.c (and upConv.c, pointOp.c, range2.c "
        "likewise) and put the results beside the .m files. See docs/backends.md.",
    ),
    (
        re.compile(r"parse error.*\n.*\n*.*arguments|>>>\s+\S+\s*\{|options\.\w+ logical", re.I | re.S),
        "this code uses MATLAB's 'arguments' validation block (R2019b and later), which GNU Octave cannot "
        "parse: use --backend matlab, or replace the block in your copy by plain defaults (for pu21_metric.m: "
        "metric 'PSNR', display_model [], options.crf_correction false). See docs/backends.md.",
    ),
    (
        re.compile(r"'ssim' undefined", re.I),
        "MATLAB's ssim (Image Processing Toolbox) is not in GNU Octave or its image package: use "
        "--backend matlab for pu21_ssim, or put an ssim.m of your choice on the path (then the check "
        "validates that function, not MATLAB's).",
    ),
    (
        re.compile(r"'geomean' undefined", re.I),
        "HDR-VDP 3 calls geomean from MATLAB's Statistics Toolbox; add utils/geomean.m to your copy with the "
        "body 'm = exp(mean(log(x)));' (MATLAB's definition). See docs/backends.md (HDR-VDP 3.0.7).",
    ),
    (
        re.compile(r"'geomean' undefined", re.I),
        "HDR-VDP 3 calls geomean from MATLAB's Statistics Toolbox; add utils/geomean.m to your copy with the "
        "body 'm = exp(mean(log(x)));' (MATLAB's definition). See docs/backends.md.",
    ),
    (
        re.compile(r"'imresize' undefined", re.I),
        "install Octave's image package (Debian/Ubuntu: apt install octave-image); the engine "
        "loads it when present.",
    ),
)


def _hint(message: str) -> str:
    return "; ".join(h for pat, h in _HINTS if pat.search(message))


# --------------------------------------------------------------------------- value conversion
def _unwrap_scalar(x: np.ndarray) -> Any:
    """A 1 x 1 numeric array (how MATLAB returns every scalar) as a Python number; others unchanged."""
    if x.size == 1 and x.ndim <= 2 and x.dtype.kind in "fiubc":
        return x.reshape(()).item()
    return x


def _output_list(out: Any, nargout: int) -> list[Any]:
    """An engine's return value as a list of ``nargout`` outputs (engines return one output
    bare and several as a tuple)."""
    return list(out) if nargout > 1 else ([] if nargout == 0 else [out])


def to_engine_value(x: Any, where: str = "argument") -> Any:
    """Check and normalize one argument: numpy arrays (float, int, bool), Python numbers,
    bools and strings are accepted; anything else is refused with a clear message."""
    if isinstance(x, str):
        return x
    if isinstance(x, bool | np.bool_):
        return np.bool_(x)
    if isinstance(x, int | float | np.integer | np.floating):
        return np.float64(x) if isinstance(x, float | np.floating) and not isinstance(x, np.float32) else x
    if isinstance(x, np.ndarray):
        if x.dtype.kind not in "fiub":
            raise BackendError(f"{where}: arrays of dtype {x.dtype} cannot be passed to MATLAB/Octave")
        return np.ascontiguousarray(x)
    raise BackendError(
        f"{where}: {type(x).__name__} cannot be passed to MATLAB/Octave (use numpy arrays, numbers or strings)"
    )


def from_mat_value(x: Any) -> Any:
    """A value read by scipy.io.loadmat (struct_as_record=False) as plain Python: structs ->
    dict, char -> str, 1 x 1 numeric -> float/int/bool, other arrays unchanged."""
    from scipy.io.matlab import mat_struct

    if isinstance(x, mat_struct):
        return {name: from_mat_value(getattr(x, name)) for name in x._fieldnames}
    if isinstance(x, np.ndarray):
        if x.dtype.kind == "U":
            return "".join(x.ravel().tolist()) if x.size else ""
        if x.dtype == object:
            if x.size == 1 and isinstance(x.ravel()[0], mat_struct):
                return from_mat_value(x.ravel()[0])
            return [from_mat_value(v) for v in x.ravel(order="F")]
        return _unwrap_scalar(x)
    if isinstance(x, mat_struct):  # pragma: no cover - handled above
        return from_mat_value(x)
    return x


# --------------------------------------------------------------------------- engines
class Engine:
    """Base class: a session that can add folders to the search path and call functions."""

    name = "engine"

    def __init__(self) -> None:
        self._paths: list[tuple[str, bool]] = []

    def addpath(self, path: str | os.PathLike, *, recursive: bool = False) -> None:
        """Add ``path`` (and with ``recursive`` its subfolders, MATLAB's genpath) to the search path."""
        p = Path(path).expanduser().resolve()
        if not p.is_dir():
            raise BackendError(f"{p}: not a folder (given as a search path for {self.name})")
        entry = (str(p), recursive)
        if entry not in self._paths:
            self._paths.append(entry)
            self._on_addpath(str(p), recursive)

    def _on_addpath(self, path: str, recursive: bool) -> None:
        pass

    def call(self, func: str, *args: Any, nargout: int = 1) -> list[Any]:
        """Call ``func(args...)`` asking for ``nargout`` outputs; returns them as a list."""
        if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", func):
            raise BackendError(f"{func!r} is not a MATLAB function name")
        if nargout < 0:
            raise BackendError(f"nargout must be >= 0, got {nargout}")
        values = [to_engine_value(a, f"argument {i + 1} of {func}") for i, a in enumerate(args)]
        return self._call(func, values, nargout)

    def _call(self, func: str, args: list[Any], nargout: int) -> list[Any]:
        raise NotImplementedError

    def exists(self, name: str) -> int:
        """MATLAB's ``exist(name)``: 2 for a file on the path, 3 for a MEX file, 5 for a built-in, 0 if absent."""
        (code,) = self.call("exist", name)
        return int(code)

    def which(self, name: str) -> str:
        """Where ``name`` is found (``which(name)``), or '' if nowhere."""
        (where,) = self.call("which", name)
        return where if isinstance(where, str) else ""

    def version(self) -> str:
        """Version of the engine, e.g. ``'Octave 7.3.0'``."""
        raise NotImplementedError

    def close(self) -> None:
        pass

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _octave_executable() -> str:
    exe = os.environ.get("ITMN_OCTAVE")
    if exe:
        found = shutil.which(exe)
        if not found:
            raise BackendError(f"ITMN_OCTAVE={exe!r}: no such executable")
        return found
    for candidate in ("octave-cli", "octave"):
        found = shutil.which(candidate)
        if found:
            return found
    raise BackendError(
        "the octave backend needs GNU Octave, and neither octave-cli nor octave is on PATH: install it "
        "(Debian/Ubuntu: apt install octave octave-image; macOS: brew install octave) or set ITMN_OCTAVE "
        "to its executable"
    )


_DRIVER = """\
try
  if exist('pkg') && ~isempty(pkg('list', 'image'))
    pkg load image
  end
{addpaths}
  S__ = load('{inp}');
  args__ = cell(1, double(S__.nargs__));
  for k__ = 1:numel(args__)
    args__{{k__}} = S__.(sprintf('a%d', k__));
  end
  outs__ = cell(1, {nargout});
  if {nargout} > 0
    [outs__{{:}}] = feval('{func}', args__{{:}});
  else
    feval('{func}', args__{{:}});
  end
  O__ = struct('nargout__', {nargout});
  for k__ = 1:numel(outs__)
    O__.(sprintf('o%d', k__)) = outs__{{k__}};
  end
  save('-v7', '{out}', '-struct', 'O__');
catch err__
  fid__ = fopen('{err}', 'w');
  fprintf(fid__, '%s\\n%s', err__.identifier, err__.message);
  fclose(fid__);
  exit(3);
end
exit(0);
"""


def _m_string(s: str) -> str:
    """A MATLAB single-quoted string literal's body."""
    return s.replace("'", "''")


class OctaveEngine(Engine):
    """GNU Octave through one ``octave-cli`` subprocess per call, exchanging MAT files."""

    name = "octave"

    def __init__(self, executable: str | None = None, timeout: float | None = None):
        super().__init__()
        self.executable = executable or _octave_executable()
        env_timeout = os.environ.get("ITMN_BACKEND_TIMEOUT")
        self.timeout = timeout if timeout is not None else (float(env_timeout) if env_timeout else None)
        self._version: str | None = None

    def _addpath_lines(self) -> str:
        lines = []
        for p, rec in self._paths:
            arg = f"genpath('{_m_string(p)}')" if rec else f"'{_m_string(p)}'"
            lines.append(f"  addpath({arg});")
        return "\n".join(lines)

    def _call(self, func: str, args: list[Any], nargout: int) -> list[Any]:
        from scipy.io import loadmat, savemat

        with tempfile.TemporaryDirectory(prefix="itmn-octave-") as tmp:
            t = Path(tmp)
            inp, out, err = t / "in.mat", t / "out.mat", t / "err.txt"
            data: dict[str, Any] = {"nargs__": np.float64(len(args))}
            data.update({f"a{i + 1}": a for i, a in enumerate(args)})
            savemat(inp, data, format="5", do_compression=False, oned_as="column")
            script = t / "itmn_driver.m"
            script.write_text(
                _DRIVER.format(
                    addpaths=self._addpath_lines(),
                    inp=_m_string(str(inp)),
                    out=_m_string(str(out)),
                    err=_m_string(str(err)),
                    func=func,
                    nargout=nargout,
                )
            )
            cmd = [self.executable, "--no-gui", "--norc", "--quiet", "--no-history", str(script)]
            try:
                proc = subprocess.run(
                    cmd, cwd=tmp, capture_output=True, text=True, timeout=self.timeout, check=False
                )
            except subprocess.TimeoutExpired:
                raise BackendCallError(
                    "octave", func, "", f"no answer within {self.timeout} s (ITMN_BACKEND_TIMEOUT)"
                ) from None
            if err.exists():
                identifier, _, message = err.read_text(errors="replace").partition("\n")
                raise BackendCallError("octave", func, identifier, message, _hint(message))
            if proc.returncode != 0 or not out.exists():
                tail = (proc.stderr or proc.stdout or "").strip()[-2000:]
                raise BackendCallError(
                    "octave", func, "", f"octave exited with status {proc.returncode}: {tail}", _hint(tail)
                )
            mat = loadmat(out, squeeze_me=False, struct_as_record=False, chars_as_strings=True)
        return [from_mat_value(mat[f"o{i + 1}"]) for i in range(nargout)]

    def version(self) -> str:
        if self._version is None:
            (v,) = self.call("version")
            self._version = f"Octave {v}"
        return self._version


class Oct2PyEngine(Engine):
    """GNU Octave through a persistent oct2py session (``pip install .[octave]``)."""

    name = "octave"

    def __init__(self) -> None:
        super().__init__()
        try:
            from oct2py import Oct2Py
        except ImportError:
            raise BackendError(
                "ITMN_OCTAVE_DRIVER=oct2py needs the oct2py package: pip install 'itmn-bench[octave]' "
                "(or unset ITMN_OCTAVE_DRIVER to use the built-in subprocess driver)"
            ) from None
        exe = _octave_executable()
        self._oc = Oct2Py(executable=exe)
        try:
            self._oc.eval("if ~isempty(pkg('list', 'image')); pkg load image; end", nout=0)
        except Exception:  # noqa: BLE001 - the image package is optional
            pass

    def _on_addpath(self, path: str, recursive: bool) -> None:
        self._oc.addpath(self._oc.genpath(path) if recursive else path)

    def _call(self, func: str, args: list[Any], nargout: int) -> list[Any]:
        from oct2py import Oct2PyError

        try:
            out = self._oc.feval(func, *args, nout=nargout)
        except Oct2PyError as exc:
            msg, identifier = str(exc), ""
            try:  # oct2py's message lacks the identifier; Octave keeps both
                self._oc.eval("[itmn_msg__, itmn_id__] = lasterr();", nout=0)
                identifier = str(self._oc.pull("itmn_id__"))
                msg = str(self._oc.pull("itmn_msg__")) or msg
            except Exception:  # noqa: BLE001 - best effort; the original message is kept
                pass
            raise BackendCallError("octave", func, identifier, msg, _hint(msg)) from None
        return [_from_oct2py(v) for v in _output_list(out, nargout)]

    def version(self) -> str:
        return f"Octave {self._oc.eval('version()', nout=1)} (oct2py)"

    def close(self) -> None:
        self._oc.exit()


def _from_oct2py(x: Any) -> Any:
    if isinstance(x, dict):
        return {k: _from_oct2py(v) for k, v in x.items()}
    return _unwrap_scalar(x) if isinstance(x, np.ndarray) else x


class MatlabEngine(Engine):
    """MATLAB through the MATLAB Engine API for Python (``matlab.engine``)."""

    name = "matlab"

    def __init__(self) -> None:
        super().__init__()
        try:
            import matlab  # noqa: F401
            import matlab.engine
        except ImportError:
            raise BackendError(
                "the matlab backend needs the MATLAB Engine API for Python, which comes with MATLAB and is "
                "not on the package index for use without it: cd <matlabroot>/extern/engines/python && "
                "python -m pip install .  (or pip install matlabengine==<the version matching your MATLAB "
                "release>); then check with python -c 'import matlab.engine'"
            ) from None
        self._matlab = sys.modules["matlab"]
        self._eng = matlab.engine.start_matlab()

    def _on_addpath(self, path: str, recursive: bool) -> None:
        self._eng.addpath(self._eng.genpath(path) if recursive else path, nargout=0)

    def _to_matlab(self, x: Any) -> Any:
        m = self._matlab
        if isinstance(x, np.ndarray):
            kinds = {"f": m.single if x.dtype == np.float32 else m.double, "b": m.logical}
            ctor = kinds.get(x.dtype.kind)
            if ctor is None:  # integers: MATLAB's own integer classes
                ctor = getattr(m, str(x.dtype))
            try:  # R2022a and later take numpy arrays (buffer protocol) directly
                return ctor(x)
            except (TypeError, ValueError):
                return ctor(x.tolist())  # older releases: nested lists, one level per dimension
        if isinstance(x, np.bool_):
            return bool(x)
        if isinstance(x, np.floating | np.integer):
            return float(x)
        return x

    def _call(self, func: str, args: list[Any], nargout: int) -> list[Any]:
        try:
            out = self._eng.feval(func, *[self._to_matlab(a) for a in args], nargout=nargout)
        except Exception as exc:  # matlab.engine.MatlabExecutionError and friends
            msg = str(exc)
            raise BackendCallError("matlab", func, type(exc).__name__, msg, _hint(msg)) from None
        return [self._from_matlab(v) for v in _output_list(out, nargout)]

    def _from_matlab(self, x: Any) -> Any:
        if isinstance(x, dict):
            return {k: self._from_matlab(v) for k, v in x.items()}
        if isinstance(x, str | bool | int | float):
            return x
        if hasattr(x, "size") and hasattr(x, "_data") or type(x).__module__.startswith("matlab"):
            return _unwrap_scalar(np.asarray(x))
        return x

    def version(self) -> str:
        return f"MATLAB {self._eng.version(nargout=1)}"

    def close(self) -> None:
        self._eng.quit()


def get_engine(backend: str, paths: Iterable[tuple[str | os.PathLike, bool]] = ()) -> Engine:
    """A new engine for ``backend`` (``octave`` or ``matlab``) with ``paths`` ((folder,
    recursive) pairs) added. BackendError names what is missing."""
    if backend == "octave":
        driver = os.environ.get("ITMN_OCTAVE_DRIVER", "subprocess")
        if driver not in ("subprocess", "oct2py"):
            raise BackendError(f"ITMN_OCTAVE_DRIVER={driver!r}: expected 'subprocess' or 'oct2py'")
        eng: Engine = OctaveEngine() if driver == "subprocess" else Oct2PyEngine()
    elif backend == "matlab":
        eng = MatlabEngine()
    elif backend == "native":
        raise BackendError("the native backend is the suite's own code and needs no engine")
    else:
        raise BackendError(f"unknown backend {backend!r}; choose from {', '.join(BACKENDS)}")
    for p, rec in paths:
        eng.addpath(p, recursive=rec)
    return eng


def check_backend_name(backend: str) -> str:
    if backend not in BACKENDS:
        raise BackendError(f"unknown backend {backend!r}; choose from {', '.join(BACKENDS)}")
    return backend


__all__: Sequence[str] = (
    "BACKENDS",
    "BackendCallError",
    "BackendError",
    "Engine",
    "MatlabEngine",
    "Oct2PyEngine",
    "OctaveEngine",
    "check_backend_name",
    "from_mat_value",
    "get_engine",
    "to_engine_value",
)
