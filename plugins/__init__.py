"""The Công đoàn TKV site's own Pelican plugins, one folder each."""
