"""The speed layer (README, "Hiệu năng"). What ``newsroom.build.livereload`` may use of it:

- ``session_state(context)`` / ``carry_state(state, context)``: the per-build state (the read
  cache, the options) taken from one build's context and given to the next;
- ``source_stamp(path)``: what says an article file (and its photo folder) changed;
- ``item_version(item)``: a digest of what the pages show of an item, the same in every
  process (``versions``); ``item_links_elsewhere(item)``: whether its texts link to other files;
- ``page_store(settings)``: what each page of the output folder was made from, kept on disk
  and shared with ``invoke build`` (``pagestore``), and ``kept_pages(fingerprints, names)``:
  a live session's entries as the store keeps them.
"""
from .fastbuild import carry_state, page_store, register, session_state  # noqa: F401
from .readcache import stamp as source_stamp  # noqa: F401
from .versions import links_elsewhere as item_links_elsewhere  # noqa: F401
from .versions import version as item_version  # noqa: F401
from .writer import kept_pages  # noqa: F401
