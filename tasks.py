"""Tasks of congdoantkv.vn: ``invoke --list`` shows them all. Each calls code in ``newsroom``."""
import os
import shutil
import sys
from pathlib import Path

from invoke import task

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))
PORT = int(os.environ.get("PORT", "8000"))
PELICAN = f"{sys.executable} -m pelican content"


@task
def clean(c):
    """Xóa thư mục output/ và cache/."""
    for name in ("output", "cache"):
        shutil.rmtree(ROOT / name, ignore_errors=True)


@task(help={"strict": "dừng lại nếu nội dung có lỗi (như khi xuất bản)"})
def build(c, strict=False):
    """Dựng bản xem trước vào output/ (lỗi nội dung chỉ được cảnh báo)."""
    env = {"NEWSROOM_STRICT": "1"} if strict else {}
    c.run(f"{PELICAN} -s pelicanconf.py --fatal errors"
          + (" -e NEWSROOM_STRICT=true" if strict else ""), env=env, pty=False)


@task(help={"port": f"cổng (mặc định {PORT})"})
def serve(c, port=PORT):
    """Dựng bản xem trước rồi mở tại http://localhost:PORT/."""
    build(c)
    print(f"Mở trình duyệt tại http://localhost:{port}/  (Ctrl+C để dừng)")
    c.run(f"{PELICAN} -s pelicanconf.py --listen --bind 127.0.0.1 --port {port}")


@task(help={"port": f"cổng (mặc định {PORT})"})
def livereload(c, port=PORT):
    """Dựng lại mỗi khi lưu tệp và phục vụ tại http://localhost:PORT/."""
    print(f"Mở trình duyệt tại http://localhost:{port}/  (lưu tệp là trang được dựng lại)")
    c.run(f"{PELICAN} -s pelicanconf.py --autoreload --listen --bind 127.0.0.1 --port {port}")


@task(help={"workers": "số tiến trình pytest-xdist (mặc định: auto)"})
def test(c, workers="auto"):
    """Chạy toàn bộ bộ kiểm thử."""
    from newsroom import system

    system.ensure_packages()
    c.run(f"{sys.executable} -m pytest -n {workers} tests", pty=False)


@task(help={"dry_run": "chỉ liệt kê những gì sẽ thay đổi, không gửi gì",
            "force": "xuất bản cả khi còn thay đổi chưa commit"})
def publish(c, dry_run=False, force=False):
    """Dựng (nghiêm ngặt), kiểm tra, nén rồi xuất bản lên các máy chủ, chuyển bản một lần."""
    from newsroom import publish as publishing

    _report(publishing, lambda: publishing.publish(dry_run=dry_run, force=force, say=print))


@task(help={"to": "tên bản muốn quay về (mặc định: bản ngay trước bản đang chạy)"})
def rollback(c, to=None):
    """Quay trang đang chạy về bản xuất bản trước đó trên mọi máy chủ."""
    from newsroom import publish as publishing

    _report(publishing, lambda: publishing.rollback(to=to, say=print))


def _report(publishing, action):
    try:
        report = action()
    except publishing.PublishError as exc:
        raise SystemExit(f"Không thực hiện: {exc}") from None
    print(report.summary())
    if not report.ok:
        raise SystemExit(1)
