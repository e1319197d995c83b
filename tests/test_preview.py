"""The local servers of a built site (``invoke serve``, ``invoke livereload``, ``invoke audit``,
the browser tests) share one set-up and answer alike: a folder named without its trailing slash
is redirected to it, as the real server does, so the page's relative links resolve."""
from __future__ import annotations

import contextlib
import http.client
import socket
import struct
import time

import pytest

from newsroom.build import livereload, preview


@contextlib.contextmanager
def livereload_server(folder):
    server = livereload.start_server(folder, 0, livereload._State())
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        preview.stop(server)


SERVERS = {"preview": preview.serve, "livereload": livereload_server}


def get(base: str, path: str, method: str = "GET"):
    host, port = base.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=30)
    try:
        connection.request(method, path)
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


@pytest.fixture
def built(tmp_path):
    folder = tmp_path / "output"
    (folder / "don-vi" / "than-ha-lam").mkdir(parents=True)
    (folder / "don-vi" / "index.html").write_text(
        '<!doctype html><html><body><a href="than-ha-lam/">Than Hà Lầm</a></body></html>',
        encoding="utf-8")
    (folder / "404.html").write_text("<html><body>Không tìm thấy trang</body></html>",
                                     encoding="utf-8")
    return folder


@pytest.mark.parametrize("kind", SERVERS)
def test_folder_without_trailing_slash_is_redirected(built, kind):
    with SERVERS[kind](built) as base:
        status, headers, _ = get(base, "/don-vi")
        assert (status, headers["Location"]) == (301, "/don-vi/")
        status, headers, _ = get(base, "/don-vi?trang=2")
        assert (status, headers["Location"]) == (301, "/don-vi/?trang=2")
        status, _, body = get(base, "/don-vi/")
        assert status == 200 and "Than Hà Lầm" in body.decode("utf-8")
        assert ("/__livereload" in body.decode("utf-8")) == (kind == "livereload")
        status, _, body = get(base, "/khong-co/")
        assert status == 404 and "Không tìm thấy trang" in body.decode("utf-8")


def test_servers_bind_a_free_port_and_free_it_when_stopped(built):
    server = preview.start(built)
    port = server.server_port
    assert get(f"http://127.0.0.1:{port}", "/don-vi/")[0] == 200
    assert "Content-Security-Policy" in get(f"http://127.0.0.1:{port}", "/don-vi/")[1]
    preview.stop(server)
    with pytest.raises(OSError):
        get(f"http://127.0.0.1:{port}", "/don-vi/")


@pytest.mark.parametrize("kind", SERVERS)
def test_a_reader_who_leaves_mid_page_leaves_no_traceback(built, kind, capfd):
    """A phone that moves on before a large page has arrived: the server says nothing (the
    reporter's terminal keeps only what matters) and goes on serving."""
    (built / "anh-lon.jpg").write_bytes(b"\xff" * (32 << 20))  # more than any socket buffer
    with SERVERS[kind](built) as base:
        host, port = base.removeprefix("http://").split(":")
        for _ in range(3):
            client = socket.create_connection((host, int(port)), timeout=30)
            client.sendall(b"GET /anh-lon.jpg HTTP/1.1\r\nHost: x\r\n\r\n")
            client.recv(1024)  # the answer has begun
            client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            client.close()  # reset, mid-page
        time.sleep(0.5)
        assert get(base, "/don-vi/")[0] == 200
    assert "Traceback" not in capfd.readouterr().err
