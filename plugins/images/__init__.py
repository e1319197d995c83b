"""Photos and social cards for congdoantkv.vn, made with Pillow (see ``images.py``)."""
from .images import register  # noqa: F401
