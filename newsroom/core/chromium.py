"""Debian's Chromium, and the flags it needs on a machine with no network but loopback: one
browser for the preview's tests, the audit, the screenshots and the printed bulletin."""

CHROMIUM = "/usr/bin/chromium"
CHROME_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync"]
