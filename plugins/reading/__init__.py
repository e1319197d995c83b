from .reading import register  # noqa: F401
