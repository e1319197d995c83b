"""Settings of the published congdoantkv.vn (``invoke publish``): strict, absolute URLs."""
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from pelicanconf import *  # noqa: E402,F401,F403

SITEURL = os.environ.get("SITEURL", "https://congdoantkv.vn")
FEED_DOMAIN = SITEURL
RELATIVE_URLS = False
DELETE_OUTPUT_DIRECTORY = True
NEWSROOM_STRICT = True
ASSET_FINGERPRINTS = True  # plugins/fingerprints: theme files named by their content

# Nothing scheduled or unfinished goes out: future-dated articles become drafts, drafts are
# not written at all (``newsroom.publish.verify`` checks the output for both anyway).
WITH_FUTURE_DATES = False
DRAFT_SAVE_AS = ""
DRAFT_PAGE_SAVE_AS = ""

# ``invoke publish`` (newsroom/publish/release.py; README, "Xuất bản"). Servers as
# "user@host:port/path"; the environment variable CONGDOANTKV_TARGETS (comma-separated)
# replaces this list. Host keys are checked against PUBLISH_KNOWN_HOSTS
# (CONGDOANTKV_KNOWN_HOSTS); SSH keys stay in the webmaster's ssh-agent, never in the repo.
PUBLISH_TARGETS = []  # e.g. ["deploy@origin1.congdoantkv.vn:22/srv/congdoantkv"]
PUBLISH_KEEP_RELEASES = 5
PUBLISH_KNOWN_HOSTS = "~/.ssh/known_hosts"
