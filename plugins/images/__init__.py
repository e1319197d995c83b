"""Photos and social cards for congdoantkv.vn, made with Pillow (see ``images.py``)."""


def register():
    # Imported here, not at the top: worker processes import this package for the job
    # functions (``batch``, ``card``, ``process``) and need neither Pelican nor the rest.
    from .images import register as connect

    connect()
