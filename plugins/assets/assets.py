"""Theme files under content-hashed names, made by the build itself (``ASSET_FINGERPRINTS``).

When the setting is on (``publishconf.py``), the hashed names are worked out from the theme
before any page is written (:func:`newsroom.publish.assets.fingerprints`) and the templates name the
files through the ``asset`` filter (``{{ 'css/site.css'|asset }}``), so every page is written
once, already pointing at ``css/site.<hash>.css``. After the last page (``finalized``) the
hashed copies and the rewritten style sheet are put in the output; a file already holding the
same bytes is left as it is. Nothing rewrites the pages after the build, so a page that did not
change keeps its bytes from one publish to the next. Off (a preview), the filter gives the
names as they are and nothing is written.
"""
from __future__ import annotations

import logging

from pelican import signals

from newsroom.core import safefs
from newsroom.publish import assets

logger = logging.getLogger(__name__)


def plan(pelican) -> None:
    """The hashed names, for the templates: in the settings, so every generator's context
    (and every render worker) has them."""
    settings = pelican.settings
    settings.pop(assets.TABLE, None)
    if assets.fingerprinting(settings):
        found = assets.fingerprints(settings)
        settings[assets.TABLE] = found.within(settings.get("THEME_STATIC_DIR", "theme"))


def write(pelican) -> None:
    settings = pelican.settings
    if not assets.fingerprinting(settings):
        return
    found = assets.fingerprints(settings)
    if found.within(settings.get("THEME_STATIC_DIR", "theme")) != settings.get(assets.TABLE):
        logger.error("plugins.assets: tệp giao diện (theme/static) đổi trong lúc dựng; các trang "
                     "có thể trỏ tới tên cũ. Cách sửa: dựng lại")
        return
    written = assets.write_fingerprinted(settings["OUTPUT_PATH"], found, safefs.keep)
    logger.info("plugins.assets: %d tệp giao diện có tên băm (%d tệp ghi mới)",
                len(found.hashed), written)


def register():
    signals.initialized.connect(plan)
    signals.finalized.connect(write)
