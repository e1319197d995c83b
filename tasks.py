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


@task(help={"count": "số ảnh (mặc định 1000)", "size": "kích thước, ví dụ 4000x3000",
            "workers": "số tiến trình (mặc định: mọi lõi)"})
def bench_images(c, count=1000, size="4000x3000", workers=0):
    """Đo tốc độ xử lý ảnh: lần đầu, lần sau không đổi gì, đổi một ảnh, mỗi lõi."""
    from newsroom import bench_images as bench

    width, height = (int(v) for v in size.lower().split("x"))
    print(bench.report(bench.bench(int(count), (width, height), int(workers))))
