from .campaigns import register  # noqa: F401
