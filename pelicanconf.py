"""Settings of congdoantkv.vn for a preview build (``invoke build`` / ``invoke serve``)."""
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from newsroom.core import dates  # noqa: E402
from plugins.fingerprints.fingerprints import asset  # noqa: E402

AUTHOR = "Ban Tuyên giáo Công đoàn TKV"
SITENAME = "Công đoàn Than – Khoáng sản Việt Nam"
SITENAME_SHORT = "Công đoàn TKV"
SITE_DESCRIPTION = ("Trang thông tin điện tử của Công đoàn Than – Khoáng sản Việt Nam: tin tức, "
                    "chiến dịch, gương điển hình và tư vấn pháp luật cho đoàn viên, người lao động.")
SITE_SLOGAN = "Công đoàn Việt Nam: Chủ động - Tích cực - Sáng tạo - Trách nhiệm"
SITEURL = os.environ.get("SITEURL", "")  # root-relative links: the preview works on any port
PUBLISHER = {"name": "Công đoàn Than – Khoáng sản Việt Nam", "email": "toasoan@congdoantkv.vn"}

PATH = "content"
ARTICLE_PATHS = ["bai-viet"]
PAGE_PATHS = ["pages"]
STATIC_PATHS = ["bai-viet", "images", "extra"]
STATIC_EXCLUDES = []
IGNORE_FILES = [".*", "*.receipt.txt", "~$*"]
THEME = "theme"
OUTPUT_PATH = "output"

TIMEZONE = "Asia/Ho_Chi_Minh"
DEFAULT_LANG = "vi"
LOCALE = ("C.UTF-8",)  # dates are written by newsroom.core.dates, never by the OS locale
DEFAULT_DATE_FORMAT = "%d/%m/%Y"
DEFAULT_CATEGORY = "Tin tức"
DEFAULT_PAGINATION = 12
# A year's archive is one page of titles (period_archives.html), not pages of 12 stories: the
# complete list of the site by date, which lists cut short (PAGINATION_MAX_PAGES) lead to.
PAGINATED_TEMPLATES = {"index": None, "tag": None, "category": None, "author": None,
                       "unit": None, "campaign": None, "theme": None}
# Lists are cut into pages counted from the oldest article (plugins/paging/paging.py): the
# list's own address shows the newest, and "trang/N/" keeps its articles when news is added,
# so a new article changes the first page of each list it is in (and adds a page when a block
# of 12 fills) instead of every page.
PAGINATION_STABLE = True
# Lists that would grow a page for every 12 articles tagged with them, though readers only look
# at the newest: the front page and 9 older pages are written (about 120 articles), the last
# one leading to the year archive (plugins/paging). The year archives (a page a year), units,
# categories and campaigns keep every article: each stays on a list, and in the sitemap.
PAGINATION_MAX_PAGES = {"theme": 10, "tag": 10, "author": 10, "index": 10}
PAGINATION_PATTERNS = (
    (1, "{url}", "{save_as}"),
    (2, "{base_name}/trang/{number}/", "{base_name}/trang/{number}/index.html"),
)

# Readable ASCII URLs ending in "/" (đ → d through python-slugify's unidecode).
ARTICLE_URL = "{date:%Y}/{date:%m}/{slug}/"
ARTICLE_SAVE_AS = "{date:%Y}/{date:%m}/{slug}/index.html"
DRAFT_URL = "ban-nhap/{slug}/"
DRAFT_SAVE_AS = "ban-nhap/{slug}/index.html"
PAGE_URL = "{slug}/"
PAGE_SAVE_AS = "{slug}/index.html"
CATEGORY_URL = "chuyen-muc/{slug}/"
CATEGORY_SAVE_AS = "chuyen-muc/{slug}/index.html"
CATEGORIES_URL = "chuyen-muc/"
CATEGORIES_SAVE_AS = "chuyen-muc/index.html"
TAG_URL = "the/{slug}/"
TAG_SAVE_AS = "the/{slug}/index.html"
TAGS_URL = "the/"
TAGS_SAVE_AS = "the/index.html"
AUTHOR_URL = "tac-gia/{slug}/"
AUTHOR_SAVE_AS = "tac-gia/{slug}/index.html"
AUTHORS_URL = "tac-gia/"
AUTHORS_SAVE_AS = "tac-gia/index.html"
ARCHIVES_URL = "luu-tru/"
ARCHIVES_SAVE_AS = "luu-tru/index.html"
YEAR_ARCHIVE_SAVE_AS = "{date:%Y}/index.html"
YEAR_ARCHIVE_URL = "{date:%Y}/"
INDEX_SAVE_AS = "index.html"
DIRECT_TEMPLATES = ["index", "categories", "tags", "authors", "archives"]
# sw.js: the offline reader (at the root, so it serves every page); doc-ngoai-tuyen/: what can
# be read without signal.
TEMPLATE_PAGES = {"404.html": "404.html", "sw.js": "sw.js", "offline.html": "doc-ngoai-tuyen/index.html"}
SLUGIFY_SOURCE = "title"

FEED_DOMAIN = SITEURL or "http://localhost:8000"
FEED_ALL_ATOM = "feeds/tat-ca.atom.xml"
CATEGORY_FEED_ATOM = "chuyen-muc/{slug}/feed.xml"
TAG_FEED_ATOM = None
AUTHOR_FEED_ATOM = None
AUTHOR_FEED_RSS = None
TRANSLATION_FEED_ATOM = None
FEED_MAX_ITEMS = 20

PLUGINS = ["plugins.markdown_reader", "plugins.taxonomies", "plugins.campaigns", "plugins.images",
           "plugins.paging",  # PAGINATION_STABLE
           # Reader-facing: related and previous/next stories, sitemaps and robots.txt, search.
           "plugins.reading", "plugins.sitemaps", "plugins.search",
           # The printed weekly bulletins (invoke bulletin): /ban-tin/, its PDFs and feed.
           "plugins.bulletins",
           "plugins.fastbuild", "plugins.fingerprints"]
TAXONOMIES = {
    "unit": {
        "plural": "units",
        "data": "units",
        "title": "Đơn vị",
        "url": "don-vi/{slug}/",
        "save_as": "don-vi/{slug}/index.html",
        "index_url": "don-vi/",
        "index_save_as": "don-vi/index.html",
        "feed_save_as": "don-vi/{slug}/feed.xml",
    },
    "campaign": {  # data/campaigns.yml; articles tagged by plugins.campaigns
        "plural": "campaigns",
        "data": "campaigns",
        "title": "Chiến dịch",
        "url": "chien-dich/{slug}/",
        "save_as": "chien-dich/{slug}/index.html",
        "index_url": "chien-dich/",
        "index_save_as": "chien-dich/index.html",
        "feed_save_as": "chien-dich/{slug}/feed.xml",
        "all_terms": True,
    },
    "theme": {  # data/themes.yml; articles tagged by plugins.campaigns
        "plural": "themes",
        "data": "themes",
        "title": "Chủ đề",
        "url": "chu-de/{slug}/",
        "save_as": "chu-de/{slug}/index.html",
        "index_url": "chu-de/",
        "index_save_as": "chu-de/index.html",
        "feed_save_as": "chu-de/{slug}/feed.xml",
        "all_terms": True,
    },
}
# Folder of the data files (None: data/ of the project) and build date YYYY-MM-DD for the
# status of campaigns (None: today, Vietnam time); both can come from the environment.
NEWSROOM_DATA = os.environ.get("NEWSROOM_DATA") or None
NEWSROOM_TODAY = os.environ.get("NEWSROOM_TODAY") or None
NEWSROOM_STRICT = False
# How much one article may hold (README, "Giới hạn của một bài"; defaults in
# newsroom/core/schema.py, Limits): only the keys given here change, e.g. {"tags": 40}. The build,
# `invoke check` and `invoke ingest` all read this one setting.
NEWSROOM_LIMITS = {}

# Every template and feed escapes what it prints: metadata is plain text (read once, escaped
# once when written); only the sanitised article body is marked safe, in the templates.
JINJA_ENVIRONMENT = {"trim_blocks": True, "lstrip_blocks": True, "extensions": [],
                     "autoescape": True}
JINJA_FILTERS = {"vn_datetime": dates.vn_datetime, "vn_date": dates.vn_date,
                 "asset": asset}  # theme files by hashed name (ASSET_FINGERPRINTS)
# Theme files under names that change with their content, so browsers keep them a year
# (plugins/fingerprints): on for the published site (publishconf.py), off for a preview.
ASSET_FINGERPRINTS = False
MARKDOWN = {
    "extension_configs": {
        # Table alignment as align="..." (the sanitiser keeps no style attribute), footnote
        # links titled in Vietnamese.
        "markdown.extensions.extra": {
            "tables": {"use_align_attribute": True},
            "footnotes": {"BACKLINK_TITLE": "Quay lại chỗ dẫn chú thích %d"},
        },
        "markdown.extensions.smarty": {"smart_quotes": True},  # “…” in article text, as in the site's labels
        "markdown.extensions.toc": {"permalink": False},
    },
    "output_format": "html5",
}

# Metadata is plain text (newsroom.core.schema decodes entities once; templates escape): a summary
# is not Markdown, so nothing in the header becomes markup.
FORMATTED_FIELDS = []

MENU = [
    ("Tin tức", "chuyen-muc/tin-tuc/"),
    ("Bài viết - Phóng sự", "chuyen-muc/bai-viet-phong-su/"),
    ("Gương điển hình", "chuyen-muc/guong-dien-hinh/"),
    ("Tư vấn pháp luật", "chuyen-muc/tu-van-phap-luat/"),
    ("Ảnh", "chuyen-muc/anh/"),
    ("Video", "chuyen-muc/video/"),
    ("Đơn vị", "don-vi/"),
    ("Chiến dịch", "chien-dich/"),
    ("Chủ đề", "chu-de/"),
]
DISPLAY_PAGES_ON_MENU = False
DISPLAY_CATEGORIES_ON_MENU = False
READERS = {"rst": None}  # articles are Markdown; no docutils warnings
CACHE_CONTENT = False  # plugins.fastbuild keeps its own per-file cache (FASTBUILD)
# Build speed (plugins/fastbuild): cache of what was read, workers = every core. It switches
# itself off (same pages, slower) with FASTBUILD=off in the environment or on a Pelican that
# plugins/fence.py does not know. See README, "Hiệu năng" and "Nâng cấp Pelican".
FASTBUILD = {"workers": 0, "cache": True}
LOAD_CONTENT_CACHE = False
DELETE_OUTPUT_DIRECTORY = False
RELATIVE_URLS = False
