"""``invoke --help <task>`` for every task ``invoke --list`` shows: clean flags (each option a
long name, short flags only letters or digits, never invoke's stray ``--=STRING``) and help in
Vietnamese for the task and each option. Run through invoke's own command line, in process."""
from __future__ import annotations

import re

from invoke import Program

from newsroom.core.paths import ROOT

VIETNAMESE = re.compile(r"[àáảãạăằắẳẵặâầấẩẫậèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵđ]",
                        re.I)
LONG = re.compile(r"^--(?:\[no-\])?[a-z][a-z0-9-]*(?:=[A-Z]+)?$")
SHORT = re.compile(r"^-[a-z0-9](?: [A-Z]+)?$", re.I)


def invoke(capsys, *argv) -> str:
    Program(name="invoke", binary="inv[oke]").run(
        ["invoke", "--search-root", str(ROOT), *argv], exit=False)
    out, err = capsys.readouterr()
    assert not err, err
    return out


def task_names(capsys) -> list[str]:
    listing = invoke(capsys, "--list")
    return re.findall(r"^  ([a-z][a-z0-9.-]*)\s", listing, re.M)


def options(help_text: str) -> list[tuple[list[str], str]]:
    """``[(flags, help)]`` of the Options section of ``invoke --help <task>``."""
    section = help_text.split("Options:\n", 1)[1]
    found = []
    for line in section.splitlines():
        if not line.strip() or line.strip() == "none":
            continue
        entry = re.match(r"^  (-\S.*?)(?:\s{2,}(.*))?$", line)
        if entry:
            found.append(([f.strip() for f in entry[1].split(", ")], entry[2] or ""))
        else:  # the help of the option above, wrapped
            flags, text = found[-1]
            found[-1] = (flags, f"{text} {line.strip()}")
    return found


def test_every_task_is_listed(capsys):
    names = task_names(capsys)
    assert len(names) > 20 and {"build", "clip", "report", "bench.tags"} <= set(names)


def test_measurements_are_listed_apart_and_invoke_bench_is_the_build_s(capsys):
    """Everyday tasks first; the benchmarks only under ``bench.``, ``invoke bench`` the build's."""
    listing = invoke(capsys, "--list")
    names = re.findall(r"^  ([a-z][a-z0-9.-]*)\s", listing, re.M)
    measured = [n for n in names if n.startswith("bench")]
    assert measured == sorted(measured) and names[-len(measured):] == measured
    assert {"bench.build", "bench.images", "bench.check", "bench.report", "bench.publish",
            "bench.manifest"} <= set(measured)
    assert not [n for n in names if "bench" in n and not n.startswith("bench.")]
    assert re.search(r"^  bench\.build \(bench\)\s", listing, re.M)
    assert "Đo thời gian dựng" in invoke(capsys, "--help", "bench")


def test_every_task_help_is_clean_and_vietnamese(capsys):
    problems = []
    for name in task_names(capsys):
        problems += _problems(name, invoke(capsys, "--help", name))
    assert not problems, "\n".join(problems)


def _problems(name: str, text: str) -> list[str]:
    found = []
    docstring = text.split("Docstring:\n", 1)[1].split("Options:", 1)[0]
    if not VIETNAMESE.search(docstring):
        found.append(f"{name}: thiếu mô tả tiếng Việt")
    for flags, help_ in options(text):
        longs = [f for f in flags if f.startswith("--")]
        shorts = [f for f in flags if not f.startswith("--")]
        if not (len(longs) == 1 and LONG.match(longs[0])):
            found.append(f"{name}: {flags}: cần đúng một tên dài --tên")
        if not (all(SHORT.match(f) for f in shorts) and len(shorts) <= 1):
            found.append(f"{name}: {flags}: cờ ngắn lạ")
        if not VIETNAMESE.search(help_):
            found.append(f"{name} {flags}: trợ giúp không có tiếng Việt: {help_!r}")
    return found


def test_clip_data_dir_has_no_stray_short_flag_and_still_works(capsys):
    flags = dict((tuple(f), h) for f, h in options(invoke(capsys, "--help", "clip")))
    assert ("--data-dir=STRING",) in flags
    assert flags[("--data-dir=STRING",)].startswith("thư mục dữ liệu")
    assert ("-d STRING", "--date=STRING") in flags
