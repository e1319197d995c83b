"""Pelican hook of the image pipeline (settings, planning, markup, problems).

When all content is read (``static_generator_finalized``: the static generator runs last)
every photo an item uses (its cover, the photos in its body) becomes one job; :mod:`.batch`
makes or reuses the files on every core, then each item gets ``cover`` (a :class:`Picture` with
crops), ``social_image`` and its body photos rewritten to ``<picture>`` through the theme's
``partials/picture.html`` macros. Original photos are never copied to the output (they may carry
GPS). Problems (missing, corrupt, HEIC, too large) ride on the item as the schema's do, so the
schema plugin reports them with the rest: warnings in a preview build, a failed strict build
listing them all. The limits are the schema's (``NEWSROOM_LIMITS``: image_bytes,
image_pixels; :class:`newsroom.core.schema.Limits`), which ``invoke check`` applies before a photo
ever reaches the build.
"""
from __future__ import annotations

import functools
import gc
import logging
import os
import posixpath
import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from urllib.parse import unquote

from bs4 import BeautifulSoup
from PIL import Image
from pelican import signals


from newsroom.core import data, schema
from newsroom.core.schema import Problem, read_source, split
from newsroom.core.settings import plugin_settings
from plugins import fence

from .body import rewrite as rewrite_body
from .batch import Job, run
from .card import FILE as CARD
from .cache import Cache
from .feed import feed_entries
from .feed import forget as forget_feed_articles
from .process import PHOTO_SUFFIXES, SUFFIX, MIME, Limits, Variant
from .store import GIVEN, Store, build_token

logger = logging.getLogger(__name__)

DEFAULTS = {
    "widths": (480, 960, 1600),          # in-body and cover sizes, px wide (never upscaled)
    "formats": ("webp", "jpeg"),         # the last one is the <img> fallback
    "quality": {"webp": 78, "jpeg": 82},
    "crops": {"16x9": (16, 9), "4x3": (4, 3), "1x1": (1, 1)},  # cover crops
    "crop_widths": (480, 960),
    "card_size": (1200, 630),            # Open Graph image of every item
    "output_dir": "anh",
    "cache_dir": None,                   # default: <CACHE_PATH>/images
    "workers": 0,                        # 0: every core
    # The cache keeps what one of the last N full builds used; 0: it is never pruned.
    "cache_keep_builds": 3,
    "sizes": "(min-width: 48rem) 46rem, 100vw",
    # Card fonts, relative to the theme folder: theme/fonts/ is not published (no page uses
    # them; only the cards are drawn with them).
    "fonts": ("fonts/BeVietnamPro-Bold.ttf", "fonts/BeVietnamPro-Medium.ttf"),
    # Path prefixes (in content/) published as they are: site graphics drawn by the project
    # or a designer (campaign banners), never reporters' photos.
    "keep_originals": ("images",),
}
#: A photo's sizes (``w960.webp``), what an in-body photo uses of it.
_SIZED = re.compile(r"w\d+\.[a-z]+")
COVER_CARD = "og.jpg"  # a cover's social card, cut from the photo (a drawn one: CARD)
_LINK = re.compile(r"^(?:\{(?:static|attach|filename)\}|\|(?:static|attach|filename)\|)(?P<v>.*)$")


def config(settings) -> dict:
    """``IMAGES`` merged over :data:`DEFAULTS`, checked (a wrong setting fails at once)."""
    conf = plugin_settings(settings, "IMAGES", DEFAULTS, "plugins.images")
    for name in ("widths", "crop_widths"):
        if not conf[name] or not all(isinstance(w, int) and 16 <= w <= 8000 for w in conf[name]):
            raise ValueError(f"plugins.images: IMAGES['{name}'] phải là các số nguyên 16–8000")
    bad = [f for f in conf["formats"] if f not in SUFFIX]
    if bad or not conf["formats"]:
        raise ValueError(f"plugins.images: IMAGES['formats'] chỉ nhận {sorted(SUFFIX)}")
    keep = conf["cache_keep_builds"]
    if not isinstance(keep, int) or isinstance(keep, bool) or keep < 0:
        raise ValueError("plugins.images: IMAGES['cache_keep_builds'] phải là số nguyên ≥ 0 "
                         "(0: không bao giờ dọn bộ nhớ đệm ảnh)")
    return conf


def check_settings(pelican):
    config(pelican.settings)


# ---------------------------------------------------------------- what templates get

@dataclass(frozen=True)
class File:
    url: str
    width: int
    height: int


@dataclass
class Source:
    type: str
    files: list[File]


class Picture:
    """One photo as templates use it (see ``partials/picture.html``)."""

    def __init__(self, by_format: dict[str, list[File]], fallback: str, crops=None):
        fallback = fallback if fallback in by_format else next(iter(by_format))
        self.sources = [Source(MIME[f], files) for f, files in by_format.items() if f != fallback]
        self.fallback = by_format[fallback]
        middle = [f for f in self.fallback if f.width <= 960] or self.fallback[:1]
        chosen = middle[-1]
        self.src, self.width, self.height = chosen.url, chosen.width, chosen.height
        self.crops: dict[str, Picture] = crops or {}

    def __repr__(self):
        return f"<Picture {self.src} {self.width}×{self.height}>"


def _picture(manifest, prefix, crop, conf) -> Picture | None:
    by_format: dict[str, list[File]] = {}
    for fmt in conf["formats"]:
        stem = f"{crop}-w" if crop else "w"
        files = []
        for name, (width, height) in manifest["files"].items():
            base, suffix = posixpath.splitext(name)
            if suffix == SUFFIX[fmt] and re.fullmatch(re.escape(stem) + r"\d+", base):
                files.append(File(f"{prefix}-{name}", width, height))
        if files:
            by_format[fmt] = sorted(files, key=lambda f: f.width)
    return Picture(by_format, conf["formats"][-1]) if by_format else None


# ---------------------------------------------------------------- planning

class Plan:
    def __init__(self, settings, conf):
        self.settings = settings
        self.conf = conf
        self.content = Path(settings["PATH"]).resolve()
        above = Path(settings["PATH"]).parent
        self.shown_root = str(above) if above.is_absolute() and str(above) != os.sep else None
        self.jobs: dict[str, Job] = {}
        self.og_names: dict[str, str] = {}
        self._units = None
        self._campaigns: dict = {}

    # What every drawn card shares, worked out once per build (when a card is first drawn)
    # rather than per item.
    @functools.cached_property
    def card_fonts(self) -> tuple:
        return tuple(_theme_file(self.settings, f) for f in self.conf["fonts"])

    @functools.cached_property
    def card_site(self) -> str:
        site = re.sub(r"^https?://", "", self.settings.get("SITEURL", "")).rstrip("/")
        return site if "." in site else ""

    def units(self) -> dict:
        if self._units is None:
            self._units = data.units(self.settings.get("NEWSROOM_DATA"))
        return self._units

    def campaign_name(self, value) -> str:
        key = tuple(map(str, value)) if isinstance(value, (list, tuple)) else str(value)
        name = self._campaigns.get(key)
        if name is None:
            name = self._campaigns[key] = _campaign_name(value,
                                                         self.settings.get("NEWSROOM_DATA"))
        return name

    def photo(self, rel: str) -> Job:
        job = self.jobs.get(rel)
        if job is None:
            stem = posixpath.splitext(rel)[0]
            job = Job(source=str(self.content / rel),
                      prefix=f"{self.conf['output_dir']}/{stem}")
            self.jobs[rel] = job
        return job

    def sized(self, rel: str) -> Job:
        job = self.photo(rel)
        for width in self.conf["widths"]:
            for fmt in self.conf["formats"]:
                job.variants.add(Variant(f"w{width}", width, fmt))
        return job

    def cover(self, rel: str, focus, og_stem: str) -> Job:
        job = self.sized(rel)
        for name, ratio in self.conf["crops"].items():
            for width in self.conf["crop_widths"]:
                for fmt in self.conf["formats"]:
                    job.variants.add(Variant(f"{name}-w{width}", width, fmt, tuple(ratio), focus))
        width, height = self.conf["card_size"]
        job.variants.add(Variant("og", width, "jpeg", (width, height), focus, exact=True))
        job.aliases.setdefault(COVER_CARD, []).append(og_stem + ".jpg")
        return job

    def og_stem(self, item) -> str:
        """Where the item's social card goes, without its suffix: ``.jpg`` cut from its cover,
        ``.png`` drawn (:mod:`.card`)."""
        slug = getattr(item, "slug", None) or Path(item.source_path).stem
        name, n = slug, 1
        while self.og_names.get(name, item.source_path) != item.source_path:
            n += 1
            name = f"{slug}-{n}"
        self.og_names[name] = item.source_path
        return f"{self.conf['output_dir']}/og/{name}"


def _theme_file(settings, rel: str) -> str:
    return str(Path(settings["THEME"]) / rel)


def _card_job(plan: Plan, item, og_stem: str) -> Job:
    footer = []
    unit = item.metadata.get("unit")
    if unit:
        found = plan.units().get(unit) if isinstance(unit, str) else None
        footer.append([found["name"], found["short"]] if found else [str(unit)])
    campaign = getattr(item, "campaign", None) or item.metadata.get("campaign")
    name = plan.campaign_name(campaign) if campaign and campaign != "none" else ""
    if name:
        footer.append([name])
    spec = {"title": str(item.title), "footer": footer, "fonts": plan.card_fonts,
            "size": tuple(plan.conf["card_size"]), "site": plan.card_site,
            "brand": plan.settings.get("SITENAME", "")}
    return Job(source=None, card=spec, aliases={CARD: [og_stem + ".png"]})


def _campaign_name(value, data_dir=None) -> str:
    """Name of an item's (first) campaign, from data/campaigns.yml (one owner of that list)."""
    slug = value[0] if isinstance(value, (list, tuple)) and value else value
    slug = str(getattr(slug, "slug", slug))
    try:
        found = data.campaigns(data_dir).get(slug)
    except data.DataError:
        found = None
    return found["name"] if found else ""


def _focus(use) -> tuple[float, float]:
    """The cover's focal point from ``Image_focus: 50, 30``; the centre when there is none
    or it is wrong (the schema reports a wrong one when it reads the item, as
    ``invoke check`` does)."""
    raw = use.item.metadata.get("image_focus")
    return (raw and schema.parse_focus(raw)) or (0.5, 0.5)


def _resolve(src: str, item) -> str | None:
    """Path in content/ of an in-body photo, or None for an outside or non-photo link."""
    match = _LINK.match(src)
    value = match["v"] if match else src
    if not match and (re.match(r"^[a-z][a-z0-9+.-]*:", value, re.I) or value.startswith("//")):
        return None
    value = unquote(value.split("#")[0].split("?")[0])
    if PurePosixPath(value).suffix.lower() not in PHOTO_SUFFIXES:
        return None
    if value.startswith("/"):
        return posixpath.normpath(value.lstrip("/"))
    base = getattr(item, "relative_dir", "") or ""
    return posixpath.normpath(posixpath.join(base, value))


def _items(context):
    """Every item the build writes (translations too), each once."""
    seen = set()
    for name in fence.CONTENT_LISTS:
        for item in context.get(name) or ():
            for one in (item, *(getattr(item, "translations", None) or ())):
                if one.source_path not in seen:
                    seen.add(one.source_path)
                    yield one


def _problem(use, line, field, written, outcome, source: str | None, shown=True) -> None:
    """Put a photo's problem on its item, unless the schema has already said it: it checks
    every image a header or body shows (missing file, HEIC, over the limits, truncated) when
    it reads the item, with :func:`newsroom.core.schema.image_problem`."""
    if shown and source:
        limits = schema.Limits.from_setting(use.item.settings.get("NEWSROOM_LIMITS"))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            if not Path(source).is_file() or schema.image_problem(Path(source), limits):
                return
    item = use.item
    item.metadata["problems"] = [*(item.metadata.get("problems") or []),
                                 Problem(use.path, line, field,
                                         f"ảnh “{written}”: {outcome.message}", outcome.fix)]


@dataclass
class Use:
    """What one content item needs: its social card, its cover, its in-body photos."""

    item: object
    path: str                      # the source as problems name it
    og: str                        # where its social card goes, without suffix
    cover: Job | None = None
    card: Job | None = None        # the job that makes the social card
    soup: BeautifulSoup | None = None
    body: list = field(default_factory=list)  # [(img or a tag, job, path in content/)]

    @functools.cached_property
    def text(self) -> str:
        """The item's source, read again only to name the line of a problem."""
        try:
            return read_source(self.item.source_path)
        except (OSError, UnicodeDecodeError):
            return ""

    @functools.cached_property
    def header(self):
        """Its parsed header (the line of each field, for problems)."""
        return split(self.text)


def _photo_refs(html: str) -> bool:
    """Whether a body may show or link a photo (else it is not parsed at all)."""
    if "<img" in html:
        return True
    if "<a" not in html:
        return False
    lower = html.lower()
    return any(suffix in lower for suffix in PHOTO_SUFFIXES)


def _plan_item(plan: Plan, item, og: str) -> Use:
    use = Use(item, _shown(item, plan.settings, plan.shown_root), og)
    image = item.metadata.get("image")
    if isinstance(image, str) and image:
        focus = _focus(use)
        use.cover = plan.cover(image, focus, use.og)
    use.card = use.cover or _card_job(plan, item, use.og)
    if _photo_refs(fence.raw_content(item) or ""):
        use.soup = BeautifulSoup(fence.raw_content(item), "html.parser")
        for tag in use.soup.find_all(["img", "a"]):
            rel = _resolve(tag.get("src" if tag.name == "img" else "href", ""), item)
            if rel is not None:  # a link to a photo leads to its largest published size
                use.body.append((tag, plan.sized(rel), rel))
    return use


def process(generator):
    """Plan every item's photos, make them (cache, every core), then give the items their
    pictures, social card and rewritten body, and their problems."""
    # What the build holds by now (10,000 items read) is set aside from Python's cycle
    # collector while this step runs: it made thousands of small objects, and each full
    # collection walked the whole build again (a third of the step's time at 10,000 items).
    gc.freeze()
    try:
        _process(generator)
    finally:
        gc.unfreeze()


def _process(generator):
    drop_originals(generator)
    settings = generator.settings
    conf = config(settings)
    plan = Plan(settings, conf)
    # A live session (invoke livereload) keeps the items whose source did not change, with
    # their pictures: only new or re-read items are planned again.
    items = list(_items(generator.context))
    todo = [item for item in items if item.__dict__.get("_images_done") is not settings]
    every_item = len(todo) == len(items)  # else a live session: the rest are not looked at
    ogs = [plan.og_stem(item) for item in todo]  # in the build's order (names taken first)

    cache = Cache(conf["cache_dir"] or Path(settings.get("CACHE_PATH", "cache")) / "images")
    limits = Limits.from_conf(conf,
                              schema.Limits.from_setting(settings.get("NEWSROOM_LIMITS")))
    output = Path(settings["OUTPUT_PATH"])
    # A build keeps what each item got (``store``); a live session's update plans only what
    # changed, and leaves the store to the builds.
    store = Store(cache, output, build_token(settings)) if every_item else None
    with cache.in_use():  # no other build sharing the cache prunes it meanwhile
        if store is not None:
            store.load()
        reused, uses = _reuse(store, todo, ogs, plan, cache)
        jobs = list(plan.jobs.values()) + [u.card for u in uses if u.card.source is None]
        outcomes, stats, uses = _make(plan, uses, jobs, cache, output, limits, conf)
    stats.reused = reused
    settings["IMAGES_STATS"] = stats  # this build's figures, for tests and benchmarks
    problems = [len(u.item.metadata.get("problems") or ()) for u in uses]
    _attach(generator, uses, outcomes, conf)
    if conf["cache_keep_builds"] and every_item:
        removed = cache.prune(conf["cache_keep_builds"])
        if removed:
            logger.info("plugins.images: bỏ %d mục bộ nhớ đệm không bản dựng nào dùng gần đây",
                        removed)
    if store is not None:  # after the prune: the cache as the next build finds it
        for use, before in zip(uses, problems):
            _remember(store, use, outcomes, before, cache)
        store.save(item.source_path for item in items)
    logger.info("plugins.images: %s", stats)


def _reuse(store, items, ogs, plan, cache) -> tuple[int, list]:
    """Give each item whose stored entry still holds what it got last build (``store``);
    returns how many, and the uses of the others, planned."""
    uses, reused = [], 0
    settings = plan.settings
    for item, og in zip(items, ogs):
        entry = store.restore(item, og) if store is not None else None
        if entry is None:
            uses.append(_plan_item(plan, item, og))
            continue
        reused += 1
        cache.used.update(entry.objects)  # not pruned: the output still uses them
        item.__dict__.update(zip(GIVEN, entry.given))
        if entry.body is not None:
            fence.set_raw_content(item, entry.body)
        item._images_done = settings
    return reused, uses


def _remember(store, use, outcomes, problems: int, cache) -> None:
    """Keep what ``use``'s item got, unless something went wrong (a problem on the item, a
    file not made): such an item is planned again at every build."""
    item = use.item
    jobs = [j for j in (use.cover, use.card, *(job for _, job, _ in use.body)) if j is not None]
    if (len(item.metadata.get("problems") or ()) != problems
            or not all(outcomes[id(job)].ok for job in jobs)):
        return
    files, photos = [], []
    for job in jobs:
        names = outcomes[id(job)].manifest["files"]
        if job.source is None:
            files.append(use.og + ".png")
            continue
        photos.append((job.source, cache.digest(job.source)))
        if job is use.cover:
            files += [f"{job.prefix}-{n}" for n in names if n not in job.aliases]
            if use.card is job:
                files.append(use.og + ".jpg")
        else:  # an in-body photo (or a link to one): its sizes only
            files += [f"{job.prefix}-{n}" for n in names if _SIZED.fullmatch(n)]
    given = [item.__dict__.get(name) for name in GIVEN]
    store.record(item, files, [outcomes[id(j)].manifest["key"] for j in jobs], photos,
                 given, fence.raw_content(item) if use.body else None)


def _make(plan, uses, jobs, cache, output, limits, conf):
    """Make or reuse every job's files; a cover that cannot make a sharp card gets a drawn
    one."""
    outcomes, stats = run(jobs, cache, output, limits, conf["workers"])

    # A cover that could not be read, or too small for a sharp card: a drawn card instead.
    redraw = []
    for use in uses:
        outcome = outcomes[id(use.card)]
        if use.card is use.cover and not (outcome.ok and COVER_CARD in outcome.manifest["files"]):
            use.card = _card_job(plan, use.item, use.og)
            redraw.append(use.card)
    if redraw:
        extra, more = run(redraw, cache, output, limits, conf["workers"])
        outcomes.update(extra)
        stats.add(more)
    return outcomes, stats, uses


def _attach(generator, uses, outcomes, conf):
    """Give each item its pictures, social card, rewritten body and problems."""
    settings = generator.settings
    macros = generator.env.get_template("partials/picture.html").make_module(
        {"SITEURL": settings.get("SITEURL", "")})
    unsharable: dict[str, list[str]] = {}  # a drawn card that failed: message → items
    for use in uses:
        item = use.item
        item.cover = None
        if use.cover is not None:
            outcome = outcomes[id(use.cover)]
            if outcome.ok:
                item.cover = _picture(outcome.manifest, use.cover.prefix, None, conf)
                crops = {name: _picture(outcome.manifest, use.cover.prefix, name, conf)
                         for name in conf["crops"]}
                item.cover.crops = {name: crop for name, crop in crops.items() if crop}
            else:
                written = use.header.fields.get("image") or item.metadata["image"]
                _problem(use, use.header.lines.get("image", 1), "Image", written, outcome,
                         use.cover.source)
        card = outcomes[id(use.card)]
        if not card.ok and use.card is not use.cover:  # a drawn card (no cover to blame)
            unsharable.setdefault(card.message, []).append(_shown(item, settings))
        if card.ok:
            item.social_image = use.og + (".jpg" if use.card is use.cover else ".png")
            item.social_image_width, item.social_image_height = conf["card_size"]
            item.social_image_alt = (item.metadata.get("image_alt")
                                     if use.card is use.cover else str(item.title))
        if use.body:
            _rewrite(use, outcomes, macros, conf)
        item._images_done = settings
    # A drawn card fails for the site's set-up (a card font missing), not for one article:
    # one line per cause, naming the first articles, not thousands of the same line.
    for message, shown in unsharable.items():
        more = f" và {len(shown) - 3} bài khác" if len(shown) > 3 else ""
        logger.warning("%s%s: không vẽ được ảnh chia sẻ (Open Graph): %s. Cách sửa: kiểm "
                       "tra IMAGES['fonts'] trong cấu hình và các tệp phông chữ trong "
                       "theme/fonts/", ", ".join(shown[:3]), more, message)


def _line_of(text: str, needle: str, default: int) -> int:
    for number, line in enumerate(text.split("\n"), 1):
        if needle and needle in line:
            return number
    return default


def _shown(item, settings, root: str | None = None) -> str:
    """The source as the schema names it: ``content/bai-viet/...`` (``root``: the folder
    above content/, as a string, when the caller has it)."""
    if root and item.source_path.startswith(root + os.sep):
        return item.source_path[len(root) + 1:]
    source = Path(item.source_path)
    try:
        return str(source.relative_to(Path(settings["PATH"]).parent))
    except ValueError:
        return str(source)


def _rewrite(use: Use, outcomes, macros, conf):
    """Report the body's bad photos, point links to photos at their largest published size,
    then rewrite the photos (see :mod:`.body`)."""
    item, soup = use.item, use.soup
    eager = getattr(item, "cover", None) is None  # the first photo on the page loads at once
    siteurl = item.settings.get("SITEURL", "")
    pictures = {}
    for tag, job, rel in use.body:
        outcome = outcomes[id(job)]
        if outcome.ok:
            picture = _picture(outcome.manifest, job.prefix, None, conf)
            if tag.name == "a":
                tag["href"] = f"{siteurl}/{picture.fallback[-1].url}"
            else:
                pictures[id(tag)] = picture
            continue
        written = _LINK.sub(r"\g<v>", tag.get("src") or tag.get("href", ""))
        _problem(use, _line_of(use.text, written, use.header.body_line), "Nội dung", written,
                 outcome, job.source, shown=tag.name == "img")
        if tag.name == "img":
            holder = soup.new_tag("span", attrs={"class": "image-error", "role": "img",
                                                 "aria-label": tag.get("alt", "")})
            holder.string = f"[Ảnh lỗi: {PurePosixPath(rel).name}]"
            tag.replace_with(holder)
    rewrite_body(soup, pictures, macros, conf["sizes"], eager)
    fence.set_raw_content(item, str(soup))


def drop_originals(generator):
    """Photos are published only as processed files: drop the originals from static output."""
    conf = config(generator.settings)
    keep = tuple(p.rstrip("/") + "/" for p in conf["keep_originals"])
    kept = [sc for sc in generator.staticfiles
            if PurePosixPath(sc.source_path).suffix.lower() not in PHOTO_SUFFIXES
            or sc.relative_source_path.startswith(keep)]
    generator.staticfiles[:] = kept
    if generator.context.get("staticfiles") is not generator.staticfiles:
        generator.context["staticfiles"] = kept


def register():
    signals.initialized.connect(check_settings)
    signals.static_generator_finalized.connect(process)
    signals.feed_generated.connect(feed_entries)
    signals.finalized.connect(forget_feed_articles)
