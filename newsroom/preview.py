"""The local web server for a built site: ``invoke serve``, ``invoke audit`` and the browser
tests all look at pages through it, as readers get them from the real server (deploy/nginx):
the site's 404 page for anything missing, gzip for text, the same Content-Security-Policy.
"""
from __future__ import annotations

import contextlib
import functools
import gzip
import http.server
import re
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COMPRESSED = {".html", ".css", ".js", ".json", ".xml", ".svg", ".txt"}
#: Debian's Chromium, and the flags it needs on a machine with no network but loopback.
CHROMIUM = "/usr/bin/chromium"
CHROME_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def content_security_policy() -> str:
    """The Content-Security-Policy the web server sends (deploy/nginx/congdoantkv.conf), for
    local servers that try pages under it; upgrade-insecure-requests is dropped (they speak
    plain HTTP)."""
    conf = ROOT / "deploy" / "nginx" / "congdoantkv.conf"
    found = re.search(r'Content-Security-Policy "([^"]+)"', conf.read_text(encoding="utf-8")) \
        if conf.is_file() else None
    if not found:
        return ""
    return "; ".join(p.strip() for p in found[1].split(";")
                     if p.strip() and p.strip() != "upgrade-insecure-requests")


class Handler(http.server.SimpleHTTPRequestHandler):
    """Static files, gzipped for text when the browser accepts it, 404.html when missing, with
    the site's Content-Security-Policy."""

    policy = ""

    def log_message(self, *args):
        pass

    def _body(self, path: Path, status: int):
        data = path.read_bytes()
        headers = {"Content-Type": self.guess_type(str(path))}
        if path.suffix in COMPRESSED and "gzip" in self.headers.get("Accept-Encoding", ""):
            data = gzip.compress(data, 6)
            headers["Content-Encoding"] = "gzip"
        headers["Content-Length"] = str(len(data))
        headers["Cache-Control"] = "max-age=3600" if "/theme/" in str(path) else "no-cache"
        if self.policy:
            headers["Content-Security-Policy"] = self.policy
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def do_GET(self):
        path = Path(self.translate_path(self.path))
        if path.is_dir():
            if not self.path.split("?")[0].endswith("/"):
                self.send_response(301)
                self.send_header("Location", self.path.split("?")[0] + "/")
                self.end_headers()
                return
            path = path / "index.html"
        if path.is_file():
            return self._body(path, 200)
        missing = Path(self.directory) / "404.html"
        if missing.is_file():
            return self._body(missing, 404)
        self.send_error(404)

    do_HEAD = do_GET


@contextlib.contextmanager
def serve(folder: Path, server: http.server.ThreadingHTTPServer | None = None):
    """Serve ``folder`` on 127.0.0.1 (a free port); yields the base URL."""
    httpd = server or http.server.ThreadingHTTPServer(("127.0.0.1", 0), None)
    handler = type("SiteHandler", (Handler,), {"policy": content_security_policy()})
    httpd.RequestHandlerClass = functools.partial(handler, directory=str(folder))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_port}"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(5)


def serve_forever(folder: Path, port: int = 8000, host: str = "127.0.0.1") -> None:
    """Serve ``folder`` until Ctrl+C (``invoke serve``)."""
    handler = type("SiteHandler", (Handler,), {"policy": content_security_policy()})
    httpd = http.server.ThreadingHTTPServer(
        (host, port), functools.partial(handler, directory=str(folder)))
    try:
        httpd.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        httpd.server_close()
