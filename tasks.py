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


@task(help={
    "paths": "tệp hoặc thư mục cần kiểm tra, cách nhau dấu cách (mặc định: content/)",
    "changed": "chỉ các bài khác với nhánh main",
    "staged": "chỉ các bài sắp commit (hook pre-commit dùng)"})
def check(c, paths="", changed=False, staged=False):
    """Kiểm tra bài viết: mọi lỗi dạng tệp:dòng: trường: lời nhắn và cách sửa."""
    from invoke import Exit

    from newsroom import check as checker

    import shlex

    argv = shlex.split(paths or "") + (["--changed"] if changed else []) \
        + (["--staged"] if staged else [])
    code = checker.main(argv)
    if code:
        raise Exit(code=code)


@task(help={"force": "thay cả hook pre-commit khác đang có"})
def install_hooks(c, force=False):
    """Cài hook git pre-commit chạy “invoke check” trên các bài sắp commit."""
    from newsroom import check as checker

    print(f"Đã cài hook: {checker.install_hook(ROOT, force=force)}")


@task(help={"source": "thư mục chung, mỗi đơn vị một thư mục con",
            "commit": "commit vào git các bài đã nhận, ghi tên đơn vị và tiêu đề"})
def ingest(c, source, commit=False):
    """Tiếp nhận bài từ thư mục chung vào content/ (để lại phiếu báo cạnh từng tệp)."""
    from invoke import Exit

    from newsroom import ingest as intake

    code = intake.main(["--source", source] + (["--commit"] if commit else []))
    if code:
        raise Exit(code=code)


@task(help={"count": "số bài sinh ra (mặc định 1000)"})
def bench_check(c, count=1000):
    """Đo thời gian “invoke check” trên N bài sinh ngẫu nhiên (mục tiêu: dưới 2 giây)."""
    from newsroom import bench_check as bench

    bench.run(int(count))
