"""``invoke livereload``: a real watcher and a real HTTP server on a free port, a file saved,
the page served again with the change, and the open tab told to reload."""
from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request

import pytest

from newsroom.build import livereload
from tests.helpers import article


def fetch(url: str) -> str:
    with urllib.request.urlopen(url, timeout=30) as response:
        return response.read().decode("utf-8")


def one_article(tmp_path):
    """A content folder with one article; (content folder, the article's file)."""
    content = tmp_path / "content"
    source = content / "bai-viet/than-ha-lam/2020/doi-thoai.md"
    source.parent.mkdir(parents=True)
    (content / "pages").mkdir()
    source.write_text(article(title="Đối thoại tại Hà Lầm", body="Bản đầu tiên."),
                      encoding="utf-8")
    return content, source


@pytest.mark.speed
def test_saved_article_is_served_updated_and_tab_reloads(tmp_path):
    content, source = one_article(tmp_path)
    updates, started = [], threading.Event()
    servers = {}
    stop = threading.Event()

    def ready(session, server):
        servers["url"] = f"http://127.0.0.1:{server.server_address[1]}"
        started.set()

    def emit(info):
        updates.append(info)

    worker = threading.Thread(target=livereload.serve, kwargs=dict(
        port=0, emit=emit, ready=ready, stop_event=stop, PATH=content,
        OUTPUT_PATH=tmp_path / "output", CACHE_PATH=tmp_path / "cache"), daemon=True)
    worker.start()
    try:
        assert started.wait(120), "livereload did not start"
        base = servers["url"]
        page = fetch(f"{base}/2020/06/doi-thoai-tai-ha-lam/")
        assert "Bản đầu tiên." in page
        assert "/__livereload" in page  # the reload script, added as the page is served
        assert "/__livereload" not in (tmp_path / "output/2020/06/doi-thoai-tai-ha-lam/"
                                       "index.html").read_text(encoding="utf-8")
        seen = json.loads(fetch(f"{base}/__livereload?n="))["n"]

        answer = {}
        poll = threading.Thread(target=lambda: answer.update(
            json.loads(fetch(f"{base}/__livereload?n={seen}"))))
        poll.start()
        source.write_text(article(title="Đối thoại tại Hà Lầm", body="Bản đã sửa."),
                          encoding="utf-8")
        poll.join(60)
        assert answer and answer["n"] != seen  # the tab is told to reload
        assert updates[-1]["event"] == "update" and updates[-1]["rendered"] >= 1
        page = fetch(f"{base}/2020/06/doi-thoai-tai-ha-lam/")
        assert "Bản đã sửa." in page and "Bản đầu tiên." not in page
        with pytest.raises(urllib.error.HTTPError) as missing:
            fetch(f"{base}/khong-co-trang-nay/")
        assert missing.value.code == 404
        assert "Không tìm thấy trang" in missing.value.read().decode("utf-8")
    finally:
        stop.set()
        worker.join(30)


def test_busy_port_is_said_at_once_before_any_build(tmp_path, capsys):
    import socket

    content = tmp_path / "content"
    (content / "pages").mkdir(parents=True)
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        code = livereload.main(["--port", str(port), "--content", str(content),
                                "--output", str(tmp_path / "output"),
                                "--cache", str(tmp_path / "cache")])
    assert code == 1
    said = capsys.readouterr()
    assert f"Cổng {port} đang được dùng" in said.err and "http://" not in said.out
    assert not (tmp_path / "output" / "index.html").exists()  # nothing was built


def test_livereload_on_the_lan_says_the_address_once_built_and_listening(tmp_path):
    """``invoke livereload --host 0.0.0.0``: nothing but "building" until the site is built
    and served; then the phone's address (the machine's LAN IP), which answers at once."""
    import subprocess
    import sys

    from newsroom.build import preview
    from newsroom.core.paths import ROOT

    content, source = one_article(tmp_path)
    proc = subprocess.Popen(
        [sys.executable, "-m", "newsroom.build.livereload", "--host", "0.0.0.0", "--port", "0",
         "--content", str(content), "--output", str(tmp_path / "output"),
         "--cache", str(tmp_path / "cache")], cwd=ROOT, stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL, text=True)
    try:
        lines = [proc.stdout.readline().strip()]
        assert lines == ["Đang dựng trang lần đầu…"]
        while not lines[-1].startswith("Trên điện thoại"):
            line = proc.stdout.readline()
            assert line, lines
            lines.append(line.strip())
        assert (tmp_path / "output/index.html").exists()
        phone = lines[-1].rsplit(" ", 1)[1]
        assert phone.startswith(f"http://{preview.lan_addresses()[0]}:")
        assert "Bản đầu tiên." in fetch(phone + "2020/06/doi-thoai-tai-ha-lam/")
    finally:
        proc.terminate()
        proc.wait(30)
        proc.stdout.close()
