"""The lock file (requirements.txt, made by `invoke lock` from requirements.in): every direct pin
is in it at the same version, every package has its hashes, and the environment the tests run
in is exactly what it locks."""
from __future__ import annotations

import re
from importlib import metadata

from tests.conftest import ROOT

ENTRY = re.compile(r"^([A-Za-z0-9_.\-]+)(?:\[[^\]]*\])?==(\S+)((?:\s*\\\n\s+--hash=sha256:[0-9a-f]{64})*)",
                   re.M)


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _locked() -> dict[str, tuple[str, int]]:
    text = (ROOT / "requirements.txt").read_text(encoding="utf-8")
    return {_norm(m[1]): (m[2], m[3].count("--hash=sha256:")) for m in ENTRY.finditer(text)}


def test_every_direct_pin_is_locked_at_its_version_with_hashes():
    locked = _locked()
    assert len(locked) > 40
    pins = re.findall(r"^([A-Za-z0-9_.\-]+)(?:\[[^\]]*\])?==(\S+)",
                      (ROOT / "requirements.in").read_text(encoding="utf-8"), re.M)
    assert len(pins) > 20
    for name, version in pins:
        assert locked.get(_norm(name), ("?",))[0] == version, name
    assert all(hashes >= 1 for _version, hashes in locked.values()), [
        name for name, (_v, hashes) in locked.items() if not hashes]


def test_the_installed_packages_are_the_locked_ones():
    wrong = {}
    for name, (version, _hashes) in _locked().items():
        try:
            installed = metadata.version(name)
        except metadata.PackageNotFoundError:
            installed = None
        if installed != version:
            wrong[name] = (version, installed)
    assert not wrong, wrong
