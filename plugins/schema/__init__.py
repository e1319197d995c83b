from .schema import register  # noqa: F401
