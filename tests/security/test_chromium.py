"""Headless Chromium (Debian's, through Playwright) opens every page of both hostile builds,
served without the Content-Security-Policy header and with the page's own policy bypassed, so
nothing but the site's escaping and sanitising stands between a payload and the reader; then
the HTML of every feed entry, as a feed reader would show it; then the search page, with
results from the index. Script must never run: no dialog, no call of alert/confirm/prompt/
print, no ``window.__xss`` set, no change of ``document.title``, no page that moves itself
elsewhere; and the DOM Chromium builds (its own HTML parser, shadow roots included) passes the
allowlist of tests/security/markup.py."""
from __future__ import annotations

import asyncio
import time
from collections import Counter
from pathlib import Path

import lxml.etree
import pytest
from playwright.async_api import async_playwright

from newsroom.build.preview import start, stop
from newsroom.core.chromium import CHROME_FLAGS, CHROMIUM
from tests.security import findings, markup
from tests.security.builds import (  # noqa: F401 - fixtures
    build, hostile_content, preview_build, publish_build, run_folder)

PARALLEL = 2  # browser contexts of one Chromium, each opening pages one after another
PARTS = 2  # each build's pages in this many tests, which pytest-xdist runs side by side
TIMEOUT = 10_000
FEED_ENTRIES_PER_PAGE = 10
FEED_PAGES = "__tin-trong-feed__"  # where the feed entries are shown (never a file of the site)
UNFETCHED = "**/*.{jpg,jpeg,png,webp,gif,svg,css,woff,woff2,ttf}"
#: Run before any script of every frame: the calls a payload makes are recorded and made
#: harmless (a real dialog would stop the page until answered; any dialog that still opens is
#: seen by Playwright's "dialog" event).
WATCH = """
(() => {
  const log = [];
  Object.defineProperty(window, "__xssLog", {value: log});
  for (const name of ["alert", "confirm", "prompt", "print"]) {
    window[name] = function (...args) { log.push(`${name}(${args.join(",")})`); };
  }
  let flag;
  Object.defineProperty(window, "__xss", {get() { return flag; },
                                         set(v) { flag = v; log.push(`window.__xss=${v}`); }});
  const title = Object.getOwnPropertyDescriptor(Document.prototype, "title");
  Object.defineProperty(Document.prototype, "title", {get: title.get, configurable: true,
    set(v) { log.push(`document.title=${v}`); title.set.call(this, v); }});
})();
"""
#: Once the page has loaded and drawn a frame (events queued by the load, such as a
#: details' toggle, have run): the calls recorded by WATCH, and the elements of the DOM that
#: the allowlist must look at (the rest passes it for sure), each as [tag, namespace,
#: attributes, script text, where]. Shadow roots, templates and same-origin frames too.
SEEN = """
async ([allowed, global, safePrefixes, urlNames]) => {
  await new Promise((r) => requestAnimationFrame(() => setTimeout(r)));
  const out = [];
  const label = (el) => el.localName + (el.id ? "#" + el.id : (typeof el.className === "string"
    && el.className.trim() ? "." + el.className.trim().split(/\\s+/).slice(0, 2).join(".") : ""));
  const where = (el) => {
    const parts = [];
    for (let n = el; n && parts.length < 4; n = n.parentElement || (n.getRootNode && n.getRootNode().host)) {
      const l = label(n);
      if (n === el || l.includes("#") || l.includes(".")) parts.push(l);
    }
    return parts.join(" < ");
  };
  const safe = (name, value) => !urlNames.includes(name)
    || (name === "srcset" ? value.split(",").map((u) => u.trim()) : [value])
         .every((u) => safePrefixes.some((p) => u.startsWith(p)));
  const walk = (root) => {
    for (const el of root.querySelectorAll("*")) {
      const tag = el.localName;
      const attrs = Array.from(el.attributes, (a) => [a.name, a.value]);
      const ok = el.namespaceURI === "http://www.w3.org/1999/xhtml" && Object.hasOwn(allowed, tag)
        && !["script", "meta", "link", "form"].includes(tag)
        && attrs.every(([n, v]) => !n.startsWith("on") && (allowed[tag].includes(n)
             || global.includes(n) || n.startsWith("aria-")) && safe(n, v));
      if (!ok) out.push([tag, el.namespaceURI || "", attrs, tag === "script" ? el.text : "", where(el)]);
      if (el.shadowRoot) walk(el.shadowRoot);
      if (tag === "template" && el.content) walk(el.content);
      try { if (el.contentDocument) walk(el.contentDocument); } catch (e) { /* cross-origin */ }
    }
  };
  walk(document);
  return {log: window.__xssLog, dom: out};
}
"""
SAFE_PREFIXES = ["https://", "http://", "/", "#", "mailto:", "tel:"]


def _dom_arguments():
    return [{tag: sorted(attrs) for tag, attrs in markup.ALLOWED.items()}, sorted(markup.GLOBAL),
            SAFE_PREFIXES, sorted(markup.URL_ATTRIBUTES | {"srcset"})]


class Visit:
    """What happened on the pages opened: script that ran, pages that moved, DOM problems."""

    def __init__(self, site_url: str):
        self.site_url = site_url
        self.ran: list[markup.Violation] = []
        self.dom: list[markup.Violation] = []
        self.pages = 0

    def saw(self, url: str, what: str, value: str = ""):
        self.ran.append(markup.Violation(url, "Chromium", what, value))

    def check_dom(self, url: str, elements):
        for tag, namespace, attrs, text, where in elements:
            for what, value in markup.element_problems(tag, dict(attrs), text, namespace=namespace,
                                                       site_url=self.site_url):
                self.dom.append(markup.Violation(url, where, what, value))


async def _frame_logs(page) -> list[str]:
    """What WATCH recorded in the page's frames (an iframe's srcdoc runs in a frame)."""
    found = []
    for frame in page.frames[1:]:
        try:
            found += await frame.evaluate("() => window.__xssLog || []")
        except Exception:  # noqa: BLE001 - a frame gone, or one that never ran anything
            pass
    return found


class Tab:
    """One page of a browser context, opened again after a page that moved itself away."""

    def __init__(self, context, visit: Visit):
        self.context, self.visit, self.page, self.name = context, visit, None, ""

    async def _page(self):
        if self.page is None:
            self.page = await self.context.new_page()
            self.page.on("dialog", self._dialog)
        return self.page

    def _dialog(self, dialog):
        self.visit.saw(self.name, f"hộp thoại {dialog.type}", dialog.message)
        asyncio.ensure_future(dialog.dismiss())

    async def open(self, url: str, name: str, ready=None):
        self.name = name
        page = await self._page()
        try:
            await page.goto(url, wait_until="load", timeout=TIMEOUT)
            if ready:
                await ready(page)
            # A page a payload holds up (a print dialog, an endless loop) is a finding too.
            seen = await asyncio.wait_for(page.evaluate(SEEN, _dom_arguments()), TIMEOUT / 1000)
            logs = await asyncio.wait_for(_frame_logs(page), TIMEOUT / 1000)
            for entry in seen["log"] + logs:
                self.visit.saw(name, "mã của nội dung đã chạy", entry)
            if page.url.split("#")[0] != url.split("#")[0]:
                raise RuntimeError(f"trang đã chuyển sang {page.url}")
            self.visit.check_dom(name, seen["dom"])
        except Exception as exc:  # noqa: BLE001 - a page that moves or never loads is a finding
            self.visit.saw(name, "trang không mở xong (tự chuyển đi, hoặc bị chặn)", str(exc)[:160])
            self.page = None
            try:  # a page caught mid-navigation can keep Playwright's close waiting for ever
                await asyncio.wait_for(page.close(), TIMEOUT / 1000)
            except (asyncio.TimeoutError, Exception):  # noqa: BLE001 - the context closes it
                pass
        finally:
            self.visit.pages += 1


def _feed_documents(output: Path) -> list[str]:
    """The HTML of every feed entry (content and summary), each once, a few to a page."""
    seen, parts = set(), []
    for path in sorted(output.rglob("*.xml")):
        root = lxml.etree.parse(str(path)).getroot()
        if not root.tag.endswith("feed"):
            continue
        for element in root.iter(f"{markup.ATOM}content", f"{markup.ATOM}summary"):
            if element.get("type") == "html" and element.text and element.text not in seen:
                seen.add(element.text)
                parts.append(f"<article>{element.text}</article>")
    pages = []
    for i in range(0, len(parts), FEED_ENTRIES_PER_PAGE):
        pages.append("<!doctype html><html lang=vi><meta charset=utf-8><title>Tin</title><body>"
                     + "\n".join(parts[i:i + FEED_ENTRIES_PER_PAGE]) + "</body></html>")
    return pages


async def _search_ready(page):
    await page.wait_for_function(
        "() => /^(Tìm thấy|Không tìm thấy)/.test(document.getElementById('search-status')"
        ".textContent)", timeout=TIMEOUT)


def _jobs(output: Path, site: str, server: str, feeds: int) -> list[tuple]:
    """(address, name, what to wait for) of every page to open: each HTML file, each page of
    feed entries, the search page with queries that find the hostile articles."""
    pages = sorted(p.relative_to(output).as_posix() for p in output.rglob("*.html"))
    jobs = [(f"{site}/{rel}", rel, None) for rel in pages]
    jobs += [(f"{server}/{FEED_PAGES}/{n}.html", f"feed: nhóm mục {n}", None)
             for n in range(feeds)]
    if (output / "tim-kiem" / "index.html").is_file():
        jobs += [(f"{site}/tim-kiem/?q={q}", f"tim-kiem/?q={q}", _search_ready)
                 for q in ("alert", "script", "onerror")]
    return jobs


async def _visit_site(output: Path, site_url: str, part: int = 0, parts: int = 1) -> Visit:
    """Open every page of ``output`` (a build whose SITEURL is ``site_url``), the HTML of its
    feeds' entries and its search page (of these, part ``part`` of ``parts``: every
    ``parts``-th one); what happened on each."""
    visit = Visit(site_url)
    httpd = start(output, policy="")
    server = f"http://127.0.0.1:{httpd.server_port}"
    site = site_url.rstrip("/") or server
    feeds = _feed_documents(output)
    jobs = _jobs(output, site, server, len(feeds))[part::parts]

    async def feed_page(route):
        n = int(route.request.url.rsplit("/", 1)[1].split(".")[0])
        await route.fulfill(status=200, content_type="text/html; charset=utf-8", body=feeds[n])

    async def published(route):
        """The publish build's own https:// addresses, answered by the local server."""
        rest = route.request.url[len(site):]
        await route.fulfill(response=await route.fetch(url=server + rest))

    try:
        async with async_playwright() as p:
            # Offline: every host but the local server fails at once.
            browser = await p.chromium.launch(executable_path=CHROMIUM, headless=True, args=[
                *CHROME_FLAGS, "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"])
            queue = asyncio.Queue()
            for job in jobs:
                queue.put_nowait(job)

            async def worker():
                # No service worker (offline reading): every request goes through the routes.
                context = await browser.new_context(bypass_csp=True, locale="vi-VN",
                                                    service_workers="block")
                await context.add_init_script(WATCH)
                await context.route(f"{server}/{FEED_PAGES}/*", feed_page)
                if site != server:
                    await context.route(f"{site}/**", published)
                # Photos, fonts and the style sheet are not fetched (photos fail: their onerror
                # handlers get their turn), which halves the time of a page.
                await context.route(UNFETCHED, lambda route: route.abort())
                tab = Tab(context, visit)
                while not queue.empty():
                    await tab.open(*queue.get_nowait())
                await context.close()

            await asyncio.gather(*(worker() for _ in range(PARALLEL)))
            await browser.close()
    finally:
        stop(httpd)
    assert visit.pages == len(jobs)
    return visit


@pytest.mark.parametrize("part", range(PARTS))
def test_no_script_runs_in_chromium(build, part):
    assert Path(CHROMIUM).exists(), "thiếu Chromium: apt-get install chromium (.ci/apt-packages.txt)"
    start_time = time.perf_counter()
    visit = asyncio.run(_visit_site(build.output, build.site_url, part, PARTS))
    seconds = time.perf_counter() - start_time
    ran = Counter(v.file for v in visit.ran)
    message = (f"bản dựng {build.name}, phần {part + 1}/{PARTS}: Chromium mở {visit.pages} trang "
               f"trong {seconds:.0f} s; "
               f"mã chạy hoặc trang tự chuyển trên {len(ran)} trang")
    assert not visit.ran and not visit.dom, "\n".join([
        findings.summary(visit.ran, build.content, message),
        findings.summary(visit.dom, build.content, f"bản dựng {build.name}, DOM của Chromium")])


CAUGHT = {
    "anh.html": ("<p><img src=x onerror=alert(1)></p>", "alert(1)"),
    "tieu-de.html": ("<script>document.title='XSS'</script>", "document.title=XSS"),
    "svg.html": ("<svg onload=window.__xss=1></svg>", "window.__xss=1"),
    "mo-ra.html": ("<details open ontoggle=confirm(1)><summary>x</summary></details>",
                   "confirm(1)"),
    "khung.html": ("<iframe srcdoc=\"<script>print()</script>\"></iframe>", "print()"),
    "chuyen.html": ('<meta http-equiv="refresh" content="0;url=/khac.html">', "trang"),
}


def test_chromium_sees_script_that_runs(tmp_path):
    """The watch itself can fail: each way a payload shows itself is seen, on its page."""
    for name, (html, _) in CAUGHT.items():
        (tmp_path / name).write_text(f"<!doctype html><title>Thử</title>{html}", encoding="utf-8")
    visit = asyncio.run(_visit_site(tmp_path, ""))
    for name, (_, sign) in CAUGHT.items():
        assert any(v.file == name and sign in f"{v.what} {v.value}" for v in visit.ran), (
            name, [str(v) for v in visit.ran])
    assert {v.file for v in visit.dom} >= set(CAUGHT) - {"chuyen.html"}  # moved: no DOM
