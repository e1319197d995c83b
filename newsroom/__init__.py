"""Công đoàn TKV newsroom: the shared library behind the site's plugins and tasks, one folder
per step of an article's way (README, "Sơ đồ dự án"): ``core`` (what every step shares: the
article schema, the data lists, dates, Vietnamese text, tagging), ``intake`` (articles
arriving), ``build`` (Pelican run from Python), ``publish`` (the built site checked and sent)
and ``editorial`` (the union's reports). One module owns each fact: ``core.data`` the lists
(units, categories...), ``core.schema`` the article metadata, ``core.dates`` how dates are
read and written, ``core.text`` Vietnamese text handling.
"""
