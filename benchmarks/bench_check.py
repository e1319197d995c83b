"""``invoke bench.check``: how long ``invoke check`` takes over N generated articles.

The articles are spread over the real units and categories, carry Vietnamese text of a news
item's length, and one in four has a cover photo and a photo in the body (small real JPEGs), so
the image checks run too. Target: well under 2 s for 1,000 articles.
"""
from __future__ import annotations

import io
import random
import statistics
import tempfile
import time
from pathlib import Path

from newsroom.core import data
from newsroom.intake import check

PARAGRAPHS = [
    "Sáng nay, Công đoàn Công ty phối hợp với chuyên môn tổ chức hội nghị đối thoại tại nơi "
    "làm việc với sự tham gia của hơn 120 đại diện người lao động đến từ các công trường, "
    "phân xưởng khai thác, đào lò, vận tải và các phòng ban nghiệp vụ.",
    "Trong Tháng Công nhân, Tháng hành động về an toàn, vệ sinh lao động, công đoàn cơ sở đã "
    "kiểm tra 42 nhà giao ca, bếp ăn tập thể; trao 150 suất quà cho thợ mỏ có hoàn cảnh khó "
    "khăn, mỗi suất trị giá 1 triệu đồng.",
    "Anh Nguyễn Văn Đức, tổ trưởng tổ lò chợ số 3, cho biết: “Anh em thợ lò phấn khởi vì các "
    "kiến nghị về bữa ăn ca, nước nóng nhà tắm và xe đưa đón đều được giải đáp tận tình.”",
    "Kết thúc hội nghị, lãnh đạo Công ty cam kết thực hiện đầy đủ các nội dung đã thống nhất; "
    "công đoàn sẽ giám sát và báo cáo kết quả tại hội nghị người lao động giữa năm.",
]


def _jpeg() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (1600, 1067), (40, 90, 140)).save(buffer, "JPEG", quality=80)
    return buffer.getvalue()


def generate(root: Path, count: int, seed: int = 4) -> Path:
    """Write ``count`` articles under ``root/content``; return the content folder."""
    rng = random.Random(seed)
    units = list(data.units())
    categories = [c["name"] for c in data.categories().values() if not c.get("question_required")]
    content = root / "content"
    photo = _jpeg()
    for n in range(count):
        unit = units[n % len(units)]
        year = 2020 + n % 6
        slug = f"tin-so-{n:05d}-cong-doan-{unit}"
        folder = content / "bai-viet" / unit / str(year)
        folder.mkdir(parents=True, exist_ok=True)
        header = [f"Title: Tin số {n}: Công đoàn {data.units()[unit]['short']} chăm lo thợ mỏ",
                  f"Date: {rng.randint(1, 28):02d}/{rng.randint(1, 12):02d}/{year} 08:30",
                  f"Unit: {unit}", "Author: Nguyễn Thị Hoa, Trần Văn Bình",
                  f"Category: {rng.choice(categories)}",
                  "Summary: Công đoàn đối thoại, trao quà và kiểm tra an toàn lao động.",
                  "Tags: đối thoại, an toàn lao động, Tháng Công nhân"]
        body = [rng.choice(PARAGRAPHS) for _ in range(rng.randint(5, 9))]
        if n % 4 == 0:
            (folder / slug).mkdir(exist_ok=True)
            (folder / slug / "anh-bia.jpg").write_bytes(photo)
            (folder / slug / "anh-2.jpg").write_bytes(photo)
            header += [f"Image: {slug}/anh-bia.jpg", "Image_alt: Hội nghị đối thoại"]
            body.insert(2, f"![Thợ mỏ nhận quà]({{static}}{slug}/anh-2.jpg)")
        (folder / f"{slug}.md").write_text("\n".join(header) + "\n\n" + "\n\n".join(body) + "\n",
                                           encoding="utf-8")
    (content / "pages").mkdir(exist_ok=True)
    return content


def run(count: int = 1000, repeat: int = 3) -> dict:
    with tempfile.TemporaryDirectory(prefix="bench-check-") as tmp:
        content = generate(Path(tmp), count)
        times, cpu, report = [], [], None
        for _ in range(repeat):
            start, start_cpu = time.perf_counter(), time.process_time()
            report = check.check(None, content)
            times.append(time.perf_counter() - start)
            cpu.append(time.process_time() - start_cpu)
        assert len(report.items) == count, "số bài kiểm tra không khớp số bài sinh ra"
        one = sorted(content.rglob("*.md"))[count // 2]
        hook = []
        for _ in range(repeat):  # what the pre-commit hook does: one article against the rest
            start = time.perf_counter()
            check.check([one], content)
            hook.append(time.perf_counter() - start)
        result = {"articles": count, "best_s": min(times), "median_s": statistics.median(times),
                  "cpu_s": min(cpu), "one_s": min(hook),
                  "errors": len(report.errors), "warnings": len(report.warnings)}
    print(f"invoke check trên {count} bài (1/4 có 2 ảnh): nhanh nhất {result['best_s']:.2f} s, "
          f"trung vị {result['median_s']:.2f} s qua {repeat} lần (CPU {result['cpu_s']:.2f} s); "
          f"{result['errors']} lỗi, {result['warnings']} cảnh báo. Mục tiêu: dưới 2 s.\n"
          f"Một bài sửa so với {count - 1} bài còn lại (như hook pre-commit): "
          f"{result['one_s']:.2f} s.")
    return result


if __name__ == "__main__":
    run()
