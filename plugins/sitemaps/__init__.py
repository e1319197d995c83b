from .sitemaps import register  # noqa: F401
