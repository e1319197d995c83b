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


@task(help={"only": "chỉ các bài thuộc chiến dịch hoặc chủ đề này (slug)",
            "json": "in dạng JSON (cho báo cáo, công cụ khác)",
            "content": "thư mục nội dung (mặc định content/)",
            "data": "thư mục dữ liệu (mặc định data/)"})
def tags(c, only=None, json=False, content=None, data=None):
    """Kiểm tra việc gắn chiến dịch, chủ đề: mỗi bài được gắn gì, vì sao."""
    import json as _json

    from newsroom import tagging

    rows = tagging.audit(content or ROOT / "content", data_dir=data, only=only)
    if json:
        for row in rows:
            row["date"] = row["date"].isoformat() if row["date"] else None
            for key in ("campaign", "theme"):
                row[key] = [{"slug": d.slug, "reason": d.reason, "explicit": d.explicit}
                            for d in row[key]]
        print(_json.dumps(rows, ensure_ascii=False, indent=2))
    else:
        print(tagging.format_audit(rows))


@task(help={"force": "vẽ lại cả banner đã có"})
def banners(c, force=False):
    """Vẽ banner cho các chiến dịch trong data/campaigns.yml chưa có ảnh."""
    from newsroom import banners as drawing

    written = drawing.make_banners(ROOT / "content", force=force)
    for path in written:
        print(f"Đã vẽ {path.relative_to(ROOT)}")
    print(f"Đã vẽ {len(written)} banner." if written else "Mọi chiến dịch đã có banner.")


@task(help={"n": "số bài đem đo (mặc định 2000)"})
def bench_tags(c, n=2000):
    """Đo tốc độ gắn chiến dịch, chủ đề (đọc, kiểm tra và gắn từng bài)."""
    from newsroom import tagging

    figures = tagging.benchmark(ROOT / "content", int(n))
    print(f"{figures['articles']} bài (xoay vòng {figures['sources']} bài mẫu): "
          f"{figures['seconds']} giây, {figures['ms_per_article']} ms/bài "
          f"(gắn {figures['ms_tag_article']} ms, kiểm tra {figures['ms_validate']} ms)")
