from .fingerprints import register  # noqa: F401
