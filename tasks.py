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
    """Giữ trang trong bộ nhớ, cập nhật vài giây sau mỗi lần lưu tệp, tại http://localhost:PORT/."""
    from newsroom import livereload as live

    live.main(["--port", str(port)])


@task(help={"sizes": "số bài của mỗi kho bài mẫu, cách nhau dấu phẩy (mặc định 1000,10000)",
            "repeat": "số lần đo mỗi bước (lấy trung vị; mặc định 1)",
            "stock": "đo cả Pelican gốc để so sánh (mặc định: có)",
            "live": "đo cả livereload (mặc định: có)"})
def bench(c, sizes="1000,10000", repeat=1, stock=True, live=True):
    """Đo thời gian dựng và bộ nhớ ở quy mô lớn, so với Pelican gốc (kết quả vào bench/)."""
    from newsroom import bench as measure

    variants = ("project", "stock") if stock else ("project",)
    measure.run(sizes=[int(n) for n in str(sizes).split(",")], repeat=int(repeat),
                variants=variants, livereload=live)


@task(help={"workers": "số tiến trình pytest-xdist (mặc định: auto)"})
def test(c, workers="auto"):
    """Chạy toàn bộ bộ kiểm thử."""
    from newsroom import system

    system.ensure_packages()
    c.run(f"{sys.executable} -m pytest -n {workers} tests", pty=False)
