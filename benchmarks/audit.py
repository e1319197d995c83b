"""``invoke audit``: Lighthouse and axe on the pages readers see most, as a benchmark.

The site is built as it is published (``publishconf.py``, strict) into a temporary folder, served
on a free port of 127.0.0.1 with gzip like the real server, then:

- Lighthouse (pinned in ``tools/audit/package.json``, run with Debian's Chromium) scores the home
  page, an article, a campaign page (when the site has campaigns) and the search page on a
  throttled phone: performance, accessibility, best practices, SEO;
- axe-core (the same pinned package, injected with Playwright) lists WCAG 2.2 A/AA violations
  on those pages and on one page of every other kind (lists, terms, archives, pages, 404), on a
  phone and a desktop screen.

Targets: performance ≥ 95, accessibility 100, best practices ≥ 95, SEO 100, no axe violation.
They are figures to watch, not a test: a slow machine lowers the performance score.
"""
from __future__ import annotations

import http.server
import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from newsroom.build import site
from newsroom.build.preview import serve
from newsroom.core.chromium import CHROME_FLAGS, CHROMIUM
from newsroom.core.paths import ROOT


class AuditError(RuntimeError):
    """The audit could not run (a tool is missing); the message says how to fix it."""


TOOLS = ROOT / "tools" / "audit"
CATEGORIES = ("performance", "accessibility", "best-practices", "seo")
TARGETS = {"performance": 95, "accessibility": 100, "best-practices": 95, "seo": 100}
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


def ensure_tools() -> Path:
    """The Lighthouse command (``npm ci`` in tools/audit the first time)."""
    if not Path(CHROMIUM).exists():
        raise AuditError("thiếu Chromium: chạy “apt-get install -y chromium”")
    lighthouse = TOOLS / "node_modules" / ".bin" / "lighthouse"
    if not lighthouse.exists():
        npm = shutil.which("npm")
        if not npm:
            raise AuditError("thiếu Node.js/npm (Node 20): chạy “apt-get install -y nodejs npm”")
        subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=TOOLS, check=True)
    return lighthouse


def pages(output: Path) -> dict[str, str]:
    """Which pages to audit: name -> path from the site root."""
    chosen = {"Trang chủ": ""}
    articles = sorted(output.glob("[12][0-9][0-9][0-9]/[01][0-9]/*/index.html"), reverse=True)
    if articles:
        chosen["Bài viết"] = articles[0].parent.relative_to(output).as_posix() + "/"
    campaigns = sorted(p for p in (output / "chien-dich").glob("*/index.html")
                       if p.parent.name != "trang") if (output / "chien-dich").is_dir() else []
    if campaigns:
        chosen["Chiến dịch"] = campaigns[0].parent.relative_to(output).as_posix() + "/"
    chosen["Tìm kiếm"] = "tim-kiem/?q=cong+doan"
    return chosen


#: One page of every other kind, checked by axe only (Lighthouse is slow).
OTHER_KINDS = ("chuyen-muc/", "chuyen-muc/*/", "don-vi/", "don-vi/*/", "chien-dich/", "chu-de/",
               "chu-de/*/", "the/", "the/*/", "tac-gia/", "tac-gia/*/", "luu-tru/", "[12]*/",
               "trang/2/", "gioi-thieu/", "lien-he/", "404.html")


def other_pages(output: Path) -> list[str]:
    """The first existing page of each kind in :data:`OTHER_KINDS`."""
    found = []
    for pattern in OTHER_KINDS:
        if pattern.endswith(".html"):
            matches = [output / pattern] if (output / pattern).is_file() else []
        else:
            matches = sorted(output.glob(pattern + "index.html"))
        if matches:
            rel = matches[0].relative_to(output).as_posix()
            found.append(rel[: -len("index.html")] if rel.endswith("index.html") else rel)
    return found


def lighthouse(command: Path, url: str, report: Path) -> dict[str, int]:
    """Lighthouse scores (0–100) of one URL, a throttled phone as Lighthouse defines it."""
    env = {**os.environ, "CHROME_PATH": CHROMIUM}
    subprocess.run(
        [str(command), url, "--quiet", "--output=json", f"--output-path={report}",
         f"--only-categories={','.join(CATEGORIES)}",
         f"--chrome-flags={' '.join(CHROME_FLAGS)}", "--max-wait-for-load=30000"],
        env=env, check=True, timeout=240)
    data = json.loads(report.read_text(encoding="utf-8"))
    scores = {name: round((data["categories"][name]["score"] or 0) * 100) for name in CATEGORIES}
    failing = [audit["id"] for audit in data["audits"].values()
               if audit.get("score") is not None and audit["score"] < 0.9
               and audit.get("scoreDisplayMode") in ("binary", "numeric")]
    scores["_failing"] = failing
    return scores


def axe(urls: list[str]) -> dict[str, list[str]]:
    """axe-core WCAG 2.2 A/AA violations of each URL: URL -> ["rule (n nodes)", ...]."""
    from playwright.sync_api import sync_playwright

    script = TOOLS / "node_modules" / "axe-core" / "axe.min.js"
    found = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROME_FLAGS, headless=True)
        for viewport in ({"width": 390, "height": 844}, {"width": 1280, "height": 900}):
            # axe is injected as a script: the page's CSP must let it in
            context = browser.new_context(viewport=viewport, locale="vi-VN", bypass_csp=True)
            page = context.new_page()
            for url in urls:
                page.goto(url, wait_until="load")
                page.wait_for_timeout(300)
                page.add_script_tag(path=str(script))
                result = page.evaluate(
                    "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", AXE_TAGS)
                found.setdefault(url, [])
                for v in result["violations"]:
                    entry = f"{v['id']} ({len(v['nodes'])}) @{viewport['width']}px"
                    found[url].append(entry)
            context.close()
        browser.close()
    return found


def run(conf: str = "publishconf.py", report_dir: Path | None = None) -> dict:
    """Build, serve and audit; return ``{page name: {url, scores..., axe: [...]}}``."""
    command = ensure_tools()
    report_dir = Path(report_dir or ROOT / "reports" / "audit")
    report_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="audit-") as tmp:
        output = Path(tmp) / "output"
        httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), http.server.BaseHTTPRequestHandler)
        base = f"http://127.0.0.1:{httpd.server_port}"
        site.build(conf, OUTPUT_PATH=output, SITEURL=base, FEED_DOMAIN=base)
        results = {}
        with serve(output, httpd):
            chosen = pages(output)
            for name, path in chosen.items():
                url = f"{base}/{path}"
                slug = path.split("?")[0].strip("/").replace("/", "_") or "trang-chu"
                scores = lighthouse(command, url, report_dir / f"{slug}.json")
                results[name] = {"url": url, **scores}
            others = [f"{base}/{path}" for path in other_pages(output)]
            violations = axe([r["url"] for r in results.values()] + others)
        for entry in results.values():
            entry["axe"] = violations.get(entry["url"], [])
        results["_axe_others"] = {url[len(base):]: violations.get(url, []) for url in others}
    (report_dir / "tong-hop.json").write_text(
        json.dumps(results, ensure_ascii=False, indent=2), encoding="utf-8")
    return results


def table(results: dict) -> str:
    """The scores as a text table, with the targets."""
    head = f"{'Trang':<12} {'Hiệu năng':>9} {'Tiếp cận':>9} {'Thực hành':>9} {'SEO':>5} {'axe':>4}"
    lines = [head, "-" * len(head)]
    others = results.get("_axe_others", {})
    results = {k: v for k, v in results.items() if not k.startswith("_")}
    for name, r in results.items():
        lines.append(f"{name:<12} {r['performance']:>9} {r['accessibility']:>9} "
                     f"{r['best-practices']:>9} {r['seo']:>5} {len(r['axe']):>4}")
    lines.append(f"{'Mục tiêu':<12} {'≥95':>9} {'100':>9} {'≥95':>9} {'100':>5} {'0':>4}")
    for name, r in results.items():
        misses = [f"{k}={r[k]}" for k, target in TARGETS.items() if r[k] < target]
        if misses or r["axe"] or r["_failing"]:
            lines.append(f"{name}: {', '.join(misses) or 'đạt'}; chưa đạt: "
                         f"{', '.join(r['_failing']) or '-'}; axe: {', '.join(r['axe']) or '-'}")
    bad = {url: found for url, found in others.items() if found}
    lines.append(f"axe trên {len(others)} trang loại khác: "
                 + ("; ".join(f"{u}: {', '.join(f)}" for u, f in bad.items()) if bad else "0 lỗi"))
    return "\n".join(lines)
