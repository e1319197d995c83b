from .bulletin import register  # noqa: F401
