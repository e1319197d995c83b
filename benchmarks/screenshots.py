"""``invoke screenshots``: the sample site as a reader sees it, on a phone and a computer.

The site is built from the sample content into a temporary folder, served on 127.0.0.1 with the
real server's headers, and photographed with Debian's Chromium (headless, through Playwright):
home, an article, a campaign and the search page, each at 412×915 (phone) and 1366×900
(computer), the first screen only; and page one of the sample content's printed bulletin. The
PNGs are made small (a palette of 128 colours) for the README ("Bạn đọc").
"""
from __future__ import annotations

import io
import tempfile
from pathlib import Path

from newsroom.build import site
from newsroom.build.preview import serve
from newsroom.core.chromium import CHROME_FLAGS, CHROMIUM
from newsroom.core.paths import ROOT
from newsroom.editorial import bulletin

TARGET = ROOT / "docs" / "anh"
SCREENS = {"dien-thoai": {"width": 412, "height": 915}, "may-tinh": {"width": 1366, "height": 900}}


def pages(output: Path) -> dict[str, str]:
    """Which pages: name -> path from the site root (the newest article with a photo, the
    running or else first campaign)."""
    from benchmarks.audit import pages as audit_pages

    chosen = audit_pages(output)
    found = {"trang-chu": "", "tim-kiem": "tim-kiem/?q=an+toan"}
    articles = sorted(output.glob("[12][0-9][0-9][0-9]/[01][0-9]/*/index.html"), reverse=True)
    with_photo = [p for p in articles if 'class="cover"' in p.read_text(encoding="utf-8")]
    if with_photo or articles:
        found["bai-viet"] = (with_photo or articles)[0].parent.relative_to(output).as_posix() + "/"
    if "Chiến dịch" in chosen:
        found["chien-dich"] = chosen["Chiến dịch"]
    return found


def small_png(data: bytes) -> bytes:
    """A screenshot as a PNG of 128 colours (a few tens of KB)."""
    from PIL import Image

    image = Image.open(io.BytesIO(data)).convert("RGB")
    out = io.BytesIO()
    image.quantize(colors=128, method=Image.Quantize.MEDIANCUT).save(out, "PNG", optimize=True)
    return out.getvalue()


def shoot(base: str, chosen: dict[str, str], target: Path) -> list[Path]:
    from playwright.sync_api import sync_playwright

    target.mkdir(parents=True, exist_ok=True)
    made = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROME_FLAGS, headless=True)
        try:
            for screen, viewport in SCREENS.items():
                phone = screen == "dien-thoai"
                context = browser.new_context(viewport=viewport, locale="vi-VN",
                                              is_mobile=phone, has_touch=phone)
                page = context.new_page()
                for name, path in chosen.items():
                    page.goto(f"{base}/{path}", wait_until="load")
                    page.evaluate("document.fonts.ready")
                    if name == "tim-kiem":
                        page.wait_for_selector("#search-results li", timeout=15_000)
                    out = target / f"{name}-{screen}.png"
                    out.write_bytes(small_png(page.screenshot()))
                    made.append(out)
                context.close()
        finally:
            browser.close()
    return made


def run(conf: str = "pelicanconf.py", target: Path = TARGET) -> list[Path]:
    """Build the sample site and photograph it into ``target``."""
    with tempfile.TemporaryDirectory(prefix="anh-") as tmp:
        output = Path(tmp) / "output"
        site.build(conf, OUTPUT_PATH=output)
        with serve(output) as base:
            return shoot(base, pages(output), target)


def page_png(pdf: Path, target: Path, page: int = 0, width: int = 900) -> Path:
    """One page of a bulletin as a small PNG (the README's picture, ``docs/anh/``)."""
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(str(pdf))
    sheet = document[page]
    image = sheet.render(scale=width / sheet.get_width()).to_pil()
    out = io.BytesIO()
    image.save(out, "PNG")
    target.write_bytes(small_png(out.getvalue()))
    return target


def bulletin_picture(target: Path = ROOT / "docs" / "anh" / "ban-tin-trang-1.png") -> Path:
    """Page one of the sample content's bulletin (``bulletin.SAMPLE``) for the README."""
    with tempfile.TemporaryDirectory(prefix="ban-tin-") as folder:
        made = bulletin.make(start=bulletin.SAMPLE[0], end=bulletin.SAMPLE[1], out=folder)
        return page_png(made.pdf, target)
