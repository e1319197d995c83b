from .paging import register  # noqa: F401
