"""The Công đoàn TKV site's own Pelican plugins, one folder each.

Features that change the site's addresses are checked here, at start-up, whichever project
plugins a build lists: a setting that nothing implements is an error, not a silent change.
"""
import sys

#: Setting → the plugin that implements it.
FEATURES = {"PAGINATION_STABLE": "plugins.paging"}


def check_features(pelican):
    """``initialized`` receiver: every feature the settings turn on has its plugin listed."""
    from plugins import fence

    for setting, plugin in FEATURES.items():
        if pelican.settings.get(setting) and not fence.listed(pelican.settings, plugin):
            raise ValueError(
                f"{setting} = True nhưng PLUGINS không có “{plugin}”, plugin làm nên tính năng "
                f"này: thêm “{plugin}” vào PLUGINS trong pelicanconf.py, hoặc đặt {setting} = "
                "False (khi đó địa chỉ các trang danh sách trang/N/ sẽ đổi).")


# Pelican imports this package when it loads a project plugin; worker processes that only
# import a plugin's job functions (plugins.images, spawned) do not need Pelican at all.
if "pelican" in sys.modules:
    from pelican import signals

    signals.initialized.connect(check_features)
