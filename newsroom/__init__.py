"""Công đoàn TKV newsroom: the shared library behind the site's plugins and tasks.

One module owns each fact: ``data`` the lists (units, categories...), ``schema`` the article
metadata, ``dates`` how dates are read and written, ``text`` Vietnamese text handling.
"""
