from .taxonomies import register  # noqa: F401
