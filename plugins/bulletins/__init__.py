from .bulletins import register  # noqa: F401
