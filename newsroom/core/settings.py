"""Plugin settings: one namespaced dict per plugin, merged over its documented defaults and
checked once at start-up, with a message naming the plugin and the setting."""
from __future__ import annotations

import copy
from urllib.parse import urlsplit


def plugin_settings(settings, name: str, defaults: dict, plugin: str,
                    error: type[Exception] = ValueError) -> dict:
    """``settings[name]`` merged over a copy of ``defaults``; an unknown key or a value that is
    not a dict raises ``error`` (the user's settings are never changed)."""
    given = settings.get(name) or {}
    if not isinstance(given, dict):
        raise error(f"{plugin}: {name} phải là một dict")
    unknown = set(given) - set(defaults)
    if unknown:
        raise error(f"{plugin}: {name} có khóa lạ {sorted(unknown)}; "
                    f"các khóa hợp lệ: {sorted(defaults)}")
    return {**copy.deepcopy(defaults), **given}


def absolute_base(settings) -> str:
    """The absolute address that feeds and sitemaps start their URLs with: ``SITEURL`` when it
    is absolute (the published site), else ``FEED_DOMAIN`` (a preview links from the root);
    "" when neither is."""
    for value in (settings.get("SITEURL"), settings.get("FEED_DOMAIN")):
        if value and urlsplit(str(value)).scheme:
            return str(value).rstrip("/")
    return ""
