"""A real HTTP server on 127.0.0.1, in a thread, serving a mirror folder, with injectable faults.

``serve(directory, faults)`` yields the base URL. ``faults`` maps a URL path (``/repo/commit/x``)
to what the server does instead of serving the file normally:

* ``"truncate"``: sends the real ``Content-Length`` and only the first third of the bytes, then
  closes the connection (a transfer cut short);
* ``"stall"``: sends the headers and 100 bytes, then sends nothing more until the test ends (a
  server that stalls past the client's timeout);
* ``"500"``: answers HTTP 500.

Loaded by tests/itmn/conftest.py as ``itmn_http_mirror``.
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import threading
from collections.abc import Iterator
from pathlib import Path


class _Handler(http.server.SimpleHTTPRequestHandler):
    faults: dict[str, str] = {}
    release: threading.Event
    requests_seen: list[str]

    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        self.requests_seen.append(self.path)
        fault = self.faults.get(self.path)
        if fault is None:
            return super().do_GET()
        if fault == "500":
            self.send_error(500, "Internal Server Error")
            return
        data = Path(self.translate_path(self.path)).read_bytes()
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if fault == "truncate":
            self.wfile.write(data[: len(data) // 3])
            self.wfile.flush()
            self.close_connection = True
        elif fault == "stall":
            self.wfile.write(data[:100])
            self.wfile.flush()
            self.release.wait(30)
            self.close_connection = True
        else:
            raise ValueError(f"unknown fault {fault!r}")


@contextlib.contextmanager
def serve(directory: Path, faults: dict[str, str] | None = None) -> Iterator[str]:
    """Serve ``directory`` on 127.0.0.1 (a free port) in a thread; yield ``http://127.0.0.1:PORT``."""
    release = threading.Event()
    seen: list[str] = []
    handler = type("Handler", (_Handler,), {"faults": dict(faults or {}), "release": release,
                                            "requests_seen": seen})  # fmt: skip
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(handler, directory=str(directory))
    )
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        release.set()
        server.shutdown()
        server.server_close()
        thread.join(5)
