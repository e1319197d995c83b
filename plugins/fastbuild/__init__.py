"""The speed layer (README, "Hiệu năng"). What ``newsroom.build.livereload`` may use of it:

- ``session_state(context)`` / ``carry_state(state, context)``: the per-build state (the read
  cache, the options) taken from one build's context and given to the next;
- ``source_stamp(path)``: what says an article file (and its photo folder) changed;
- ``item_version(item)``: a number that changes when an item is read again.
"""
from .fastbuild import carry_state, register, session_state  # noqa: F401
from .readcache import stamp as source_stamp  # noqa: F401
from .writer import version as item_version  # noqa: F401
