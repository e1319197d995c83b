from .search import defer_index, register, stop_background, undefer  # noqa: F401
