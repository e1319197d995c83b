"""The local web server for a built site: ``invoke serve``, ``invoke audit`` and the browser
tests all look at pages through it, as readers get them from the real server (deploy/nginx):
the site's 404 page for anything missing, gzip for text, the same Content-Security-Policy.
"""
from __future__ import annotations

import contextlib
import errno
import functools
import gzip
import http.server
import re
import socket
import sys
import threading
from pathlib import Path
from typing import Callable
from newsroom.core.paths import ROOT

COMPRESSED = {".html", ".css", ".js", ".json", ".xml", ".svg", ".txt"}


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

    def handle(self):
        """A reader who leaves before the page has arrived (a phone that moves on, a test
        browser that closes) is no error: no traceback in the reporter's terminal."""
        try:
            super().handle()
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

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

    def site_path(self) -> Path | None:
        """The file the request names (a folder's ``index.html``), or None once a folder
        named without its trailing slash was redirected to it (``/don-vi`` → ``/don-vi/``),
        as the real server does, so that relative links in the page resolve."""
        path = Path(self.translate_path(self.path))
        if not path.is_dir():
            return path
        url, mark, query = self.path.partition("?")
        if not url.endswith("/"):
            self.send_response(301)
            self.send_header("Location", url + "/" + mark + query)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return None
        return path / "index.html"

    def do_GET(self):
        path = self.site_path()
        if path is None:
            return
        if path.is_file():
            return self._body(path, 200)
        missing = Path(self.directory) / "404.html"
        if missing.is_file():
            return self._body(missing, 404)
        self.send_error(404)

    do_HEAD = do_GET


def make_server(folder: Path, port: int = 0, host: str = "127.0.0.1", *,
                handler: type[Handler] = Handler,
                server: http.server.ThreadingHTTPServer | None = None,
                **attributes) -> http.server.ThreadingHTTPServer:
    """The one set-up of every local server of a built site (``invoke serve``, ``invoke
    livereload``, ``invoke audit``, the browser tests): ``handler`` (a :class:`Handler`)
    serving ``folder``, with the site's Content-Security-Policy unless ``attributes`` say
    otherwise (``policy=""``). Binds ``host:port`` at once (port 0: a free one; a busy port
    raises ``OSError`` here), or takes ``server`` already bound. Not serving yet."""
    attributes = {"policy": content_security_policy(), **attributes}
    factory = functools.partial(type("SiteHandler", (handler,), attributes),
                                directory=str(folder))
    if server is None:
        server = http.server.ThreadingHTTPServer((host, port), factory)
    else:
        server.RequestHandlerClass = factory
    server.daemon_threads = True
    return server


def start(folder: Path, port: int = 0, host: str = "127.0.0.1",
          **options) -> http.server.ThreadingHTTPServer:
    """:func:`make_server`, serving in a background thread; end it with :func:`stop`."""
    server = make_server(folder, port, host, **options)
    server.thread = threading.Thread(target=server.serve_forever, daemon=True)
    server.thread.start()
    return server


def stop(server: http.server.ThreadingHTTPServer) -> None:
    """Stop a server from :func:`start` and free its port."""
    server.shutdown()
    server.server_close()
    server.thread.join(5)


@contextlib.contextmanager
def serve(folder: Path, server: http.server.ThreadingHTTPServer | None = None):
    """Serve ``folder`` on 127.0.0.1 (a free port, or ``server`` already bound); yields the
    base URL."""
    httpd = start(folder, server=server)
    try:
        yield f"http://127.0.0.1:{httpd.server_port}"
    finally:
        stop(httpd)


ALL = ("0.0.0.0", "", "::")  # listen on every network of the machine (--host 0.0.0.0)


def lan_addresses() -> list[str]:
    """The IPv4 addresses a phone on the same network opens this machine by: the one the
    machine's own route leaves by (a UDP socket is pointed at a private address; nothing is
    sent), else those its host name resolves to; never loopback."""
    found = []
    with contextlib.suppress(OSError), socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.connect(("10.254.254.254", 9))
        found.append(probe.getsockname()[0])
    with contextlib.suppress(OSError):
        for *_, address in socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET):
            found.append(address[0])
    return list(dict.fromkeys(a for a in found if not a.startswith(("127.", "0."))))


def addresses(host: str, port: int) -> list[str]:
    """What to tell the person who started the server, once it listens on ``host:port``."""
    if host in ALL:
        lines = [f"Trên máy này: http://localhost:{port}/"]
        lan = lan_addresses()
        lines += [f"Trên điện thoại, máy khác cùng mạng (Wi-Fi, mạng nội bộ): http://{ip}:{port}/"
                  for ip in lan] or ["Máy này chưa có địa chỉ mạng nội bộ (chưa nối Wi-Fi, "
                                     "mạng LAN?): điện thoại chưa mở được trang."]
        return lines
    shown = "localhost" if host in ("127.0.0.1", "localhost") else host
    return [f"Mở trình duyệt tại http://{shown}:{port}/"]


def busy(port: int, command: str) -> str:
    return (f"Cổng {port} đang được dùng (có thể một lệnh serve, livereload khác đang chạy). "
            f"Cách sửa: dừng lệnh đó, hoặc chọn cổng khác: invoke {command} --port {port + 1}")


def bind(folder: Path, port: int, host: str, command: str = "serve"):
    """:func:`make_server`, a busy port said in Vietnamese (``SystemExit``)."""
    try:
        return make_server(folder, port, host)
    except OSError as exc:
        if exc.errno != errno.EADDRINUSE:
            raise
        raise SystemExit(busy(port, command)) from None


def serve_forever(httpd: http.server.ThreadingHTTPServer, host: str = "127.0.0.1",
                  say: Callable[[str], None] = print) -> None:
    """Serve with ``httpd`` (bound, listening) until Ctrl+C; say first where to open it."""
    try:
        for line in addresses(host, httpd.server_port):
            say(line)
        say("(Ctrl+C để dừng)")
        httpd.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        httpd.server_close()


def main(argv=None) -> int:
    """``python -m newsroom.build.preview --folder output --port 8000 --host 127.0.0.1``: serve a
    built site (what ``invoke serve`` does after its build)."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m newsroom.build.preview")
    parser.add_argument("--folder", default=str(ROOT / "output"))
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--host", default="127.0.0.1")
    args = parser.parse_args(argv)
    try:
        httpd = bind(Path(args.folder), args.port, args.host)
    except SystemExit as exc:
        print(exc, file=sys.stderr, flush=True)
        return 1
    serve_forever(httpd, args.host, say=lambda line: print(line, flush=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
