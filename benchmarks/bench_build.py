"""``invoke bench``: how long the site takes to build at scale, beside stock Pelican.

For each size N a deterministic corpus (``benchmarks.corpus``) is written once under the bench
folder. Two variants build it, each in its own child process so that time and peak memory
belong to that build alone:

- ``project``: ``pelicanconf.py`` with the project's theme and every project plugin, strict;
- ``stock``: Pelican as it comes (no plugins, default theme, its content cache on), same corpus;
  after each of its builds, Pagefind over its output (:func:`measure_pagefind`), so that
  "stock + Pagefind" (a site that has the project's search) is measured step by step too.

Each variant is measured cold (no output, no cache), rebuilt with nothing changed, after one
article is edited and after one article is added; the corpus is restored afterwards. The
project is also measured cold with the derived images kept (``kept``: output and every other
cache emptied, the photo and card cache kept, as Hugo keeps ``resources/_gen``). With
``repeat`` > 1 the figures are medians. The cold builds are also shown step by step
(:data:`PHASES`: reading, cards, pages, search…), so the table says where the time goes, and
:func:`goals` sets the cold builds against stock + Pagefind. ``livereload`` adds the time
``invoke livereload`` takes to bring the output up to date after the same edit and addition.
"""
from __future__ import annotations

import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from benchmarks import corpus
from newsroom.core.paths import ROOT

STEPS = ("cold", "kept", "noop", "edit", "add")
#: The steps of each variant, in the order they are run (``kept`` right after ``cold``: the
#: same corpus, and the state the later steps start from is the same).
VARIANT_STEPS = {"project": STEPS, "stock": ("cold", "noop", "edit", "add")}
LABELS = {"cold": "dựng mới", "kept": "dựng mới, giữ ảnh", "noop": "không đổi",
          "edit": "sửa 1 bài", "add": "thêm 1 bài",
          "memory": "bộ nhớ đỉnh (MB)"}  # memory: PSS of the whole process tree, sampled
#: The cache the ``kept`` step keeps: the photos and cards the images plugin made
#: (``plugins/images``: ``IMAGES["cache_dir"]``, by default ``<CACHE_PATH>/images``; the
#: project's configuration keeps the default).
IMAGE_CACHE = "images"
#: The goals of issue 17 for a cold build, as a ratio to stock + Pagefind's cold build.
GOALS = {"cold": 1.0, "kept": 0.6}


def corpus_dir(workdir: Path, n: int) -> Path:
    """The content folder of the corpus of size ``n`` (generated on first use)."""
    folder = Path(workdir) / f"corpus-{n}"
    content = folder / "content"
    stamp = folder / "done"
    if not stamp.exists():
        shutil.rmtree(folder, ignore_errors=True)
        corpus.generate(content, n)
        stamp.write_text(str(n))
    return content


def stock_settings(content: Path, output: Path, cache: Path) -> dict:
    """Pelican's defaults with only what the corpus needs to be found and dated."""
    from pelican.settings import read_settings

    return read_settings(None, override={
        "PATH": str(content), "OUTPUT_PATH": str(output), "CACHE_PATH": str(cache),
        "ARTICLE_PATHS": ["bai-viet"], "PAGE_PATHS": ["pages"], "STATIC_PATHS": ["bai-viet"],
        "TIMEZONE": "Asia/Ho_Chi_Minh", "DEFAULT_LANG": "vi", "SITEURL": "http://localhost:8000",
        "DEFAULT_PAGINATION": 12, "CACHE_CONTENT": True, "LOAD_CONTENT_CACHE": True,
        "PLUGINS": [], "DELETE_OUTPUT_DIRECTORY": False,
    })


#: The steps of a build as Pelican's signals mark them: each ends when its signal is sent (the
#: last one when the build returns). The receivers that note the time are connected before any
#: plugin's, so they run first. Project plugins do their work in these signals: fastbuild reads
#: every article in ``article_generator_init``, images makes photos and cards in
#: ``static_generator_finalized``, reading ranks related stories in
#: ``all_generators_finalized``, search waits for its index in ``finalized``.
PHASES = (("article_generator_init", "khởi động"),
          ("article_generator_finalized", "đọc bài"),
          ("static_generator_finalized", "trang tĩnh, tệp tĩnh"),
          ("all_generators_finalized", "ảnh, thẻ chia sẻ"),
          ("get_writer", "liên kết, bài liên quan"),
          ("article_writer_finalized", "trang bài viết"),
          ("finalized", "trang danh sách, trang khác"),
          (None, "tìm kiếm, sơ đồ trang"))


class Phases:
    """Wall and CPU seconds of each step of :data:`PHASES` in this build. CPU counts this
    process and its children; a child's CPU is counted when it ends (a pool of workers at
    the end of its step), so it lands in the step that ran it."""

    def __init__(self):
        from pelican import signals

        self.start = self._now()
        self.marks: dict[str, tuple[float, float]] = {}
        self.receivers = []
        for name, _ in PHASES[:-1]:
            def mark(*args, name=name, **kwargs):
                self.marks.setdefault(name, self._now())  # the first time it is sent

            getattr(signals, name).connect(mark, weak=False)
            self.receivers.append((getattr(signals, name), mark))

    @staticmethod
    def _now() -> tuple[float, float]:
        own = resource.getrusage(resource.RUSAGE_SELF)
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        return (time.perf_counter(), own.ru_utime + own.ru_stime + children.ru_utime
                + children.ru_stime)

    def result(self) -> list:
        """``[[label, wall s, CPU s], …]`` up to now; a step whose signal was never sent is
        counted in the step before it."""
        for signal, receiver in self.receivers:
            signal.disconnect(receiver)
        ends = [self.marks.get(name) for name, _ in PHASES[:-1]] + [self._now()]
        rows, start = [], self.start
        for (_, label), end in zip(PHASES, ends):
            if end is not None:
                rows.append([label, end[0] - start[0], end[1] - start[1]])
                start = end
        return rows


def build_once(variant: str, content: Path, output: Path, cache: Path) -> dict:
    """One build in this process (the child side of :func:`measure`)."""
    phases = Phases()
    if variant == "stock":
        from pelican import Pelican

        Pelican(stock_settings(content, output, cache)).run()
    else:
        from newsroom.build import site

        site.build("pelicanconf.py", PATH=content, OUTPUT_PATH=output, CACHE_PATH=cache,
                   NEWSROOM_STRICT=True, skip_unchanged=True)  # as `invoke build` does
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return {"rss_kb": own, "children_rss_kb": children, "phases": phases.result()}


class Peak:
    """Peak memory of process ``pid`` (this one by default) and all its descendants, sampled
    from /proc every ``every`` seconds on a thread: resident (``rss``, KB, shared pages counted
    in each process) and proportional (``pss``, KB, shared pages split among the processes
    sharing them: the memory they really need at once). A peak shorter than ``every`` can be
    missed; zeros where /proc is missing."""

    def __init__(self, pid: int | None = None, every: float = 0.05):
        self.pid, self.every = pid or os.getpid(), every
        self.rss = self.pss = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    @staticmethod
    def _kb(pid: int, name: str, field: str) -> int:
        try:
            with open(f"/proc/{pid}/{name}", encoding="ascii") as handle:
                for line in handle:
                    if line.startswith(field):
                        return int(line.split()[1])
        except (OSError, ValueError):
            pass
        return 0

    @staticmethod
    def _children(pid: int) -> list[int]:
        found = []
        try:
            for task in os.listdir(f"/proc/{pid}/task"):
                with open(f"/proc/{pid}/task/{task}/children", encoding="ascii") as handle:
                    found += [int(p) for p in handle.read().split()]
        except OSError:
            pass
        return found

    def sample(self) -> None:
        pids, stack = [], [self.pid]
        while stack:
            pid = stack.pop()
            pids.append(pid)
            stack += self._children(pid)
        self.rss = max(self.rss, sum(self._kb(p, "status", "VmRSS:") for p in pids))
        self.pss = max(self.pss, sum(self._kb(p, "smaps_rollup", "Pss:") for p in pids))

    def _run(self):
        while not self._stop.wait(self.every):
            self.sample()

    def __enter__(self):
        self.sample()
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.sample()


def _child(argv: list[str], what: str) -> tuple[dict, str]:
    """Run ``argv`` in a child process from the project folder: wall seconds, CPU seconds of
    the child and of everything it ran, peak memory of the whole tree (:class:`Peak`, PSS,
    MB) and the largest peak RSS among them (MB); and what it printed."""
    start = time.perf_counter()
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        proc = subprocess.Popen(argv, cwd=ROOT, stdout=out, stderr=err, text=True)
        with Peak(proc.pid, every=0.1) as peak:
            _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    if proc.returncode:
        raise RuntimeError(f"{what} lỗi:\n{stdout[-3000:]}\n{stderr[-3000:]}")
    return {"seconds": seconds, "cpu": usage.ru_utime + usage.ru_stime,
            "memory_mb": peak.pss / 1024, "memory_rss_mb": usage.ru_maxrss / 1024}, stdout


def measure(variant: str, content: Path, output: Path, cache: Path) -> dict:
    """Run one build in a child process: wall time (s), CPU (s) and peak memory (MB).

    ``memory_mb`` is the highest memory the build and all its child processes used at once
    (:class:`Peak`, PSS). ``memory_rss_mb`` is the build process's peak RSS plus the
    largest peak RSS of its children, which counts pages shared with forked workers twice and
    adds peaks that never happened together: an upper bound."""
    result, stdout = _child(
        [sys.executable, "-m", "benchmarks.bench_build", "_build", variant, str(content),
         str(output), str(cache)], f"bản dựng {variant}")
    info = json.loads(stdout.strip().splitlines()[-1])
    result["memory_rss_mb"] = (info["rss_kb"] + info["children_rss_kb"]) / 1024
    result["phases"] = info["phases"]
    return result


def stock_pagefind_command(output: Path) -> list[str]:
    """Pagefind over every page of stock's ``output``, as the project runs it
    (``plugins/search``: the same ``pagefind[bin]``, its options) but for the root selector:
    stock's theme has no ``data-pagefind-body`` element, and with the selector Pagefind finds
    no page at all; without it each page is read whole, as on any site that adds Pagefind."""
    from plugins.search import search  # noqa: PLC0415 (a plugin, imported when measured)

    command = search.pagefind_command()
    at = command.index("--root-selector")
    del command[at:at + 2]
    return [*command, "--site", str(output)]


PAGEFIND_STEP = "Pagefind trên output (mọi trang)"


def measure_pagefind(output: Path) -> dict:
    """Pagefind over stock's ``output`` after its build (:func:`stock_pagefind_command`), in
    a child process measured as a build is (its bundle ``pagefind/`` made anew each time)."""
    shutil.rmtree(Path(output) / "pagefind", ignore_errors=True)
    result, _ = _child(stock_pagefind_command(output), "Pagefind trên output Pelican gốc")
    result["phases"] = [[PAGEFIND_STEP, result["seconds"], result["cpu"]]]
    return result


def one_after_other(first: dict, then: dict) -> dict:
    """Two runs one after the other as one (stock's build, then Pagefind): times and steps
    add up; the peak memory is the larger of the two."""
    return {"seconds": first["seconds"] + then["seconds"], "cpu": first["cpu"] + then["cpu"],
            "memory_mb": max(first["memory_mb"], then["memory_mb"]),
            "memory_rss_mb": max(first["memory_rss_mb"], then["memory_rss_mb"]),
            "phases": first["phases"] + then["phases"]}


def keep_images(output: Path, cache: Path) -> None:
    """Before the ``kept`` step: the output and every cache emptied but the derived images."""
    shutil.rmtree(output, ignore_errors=True)
    for path in Path(cache).iterdir() if Path(cache).is_dir() else ():
        if path.name != IMAGE_CACHE:
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
            else:
                path.unlink()


def _prepare(step: str, round_: int, changes: corpus.Changes, output: Path, cache: Path):
    if step == "kept":
        keep_images(output, cache)
    elif step == "edit":
        changes.edit(round_)
    elif step == "add":
        changes.add(round_)


def run_variant(variant: str, content: Path, workdir: Path, n: int, repeat: int) -> dict:
    """Measure ``variant`` step by step (:data:`VARIANT_STEPS`), ``repeat`` times; return
    ``{name: figures}`` (:func:`summarise`): the variant's, and for stock also Pagefind's
    over its output after each step (``pagefind``) and the two one after the other
    (``stock_pagefind``)."""
    output, cache = workdir / f"out-{variant}-{n}", workdir / f"cache-{variant}-{n}"
    steps = VARIANT_STEPS[variant]
    rounds: dict[str, list[dict]] = {variant: []}
    if variant == "stock":
        rounds.update(pagefind=[], stock_pagefind=[])
    changes = corpus.Changes(content, n)
    try:
        for round_ in range(repeat):
            shutil.rmtree(output, ignore_errors=True)
            shutil.rmtree(cache, ignore_errors=True)
            got = {name: {} for name in rounds}
            for step in steps:
                _prepare(step, round_, changes, output, cache)
                got[variant][step] = measure(variant, content, output, cache)
                if variant == "stock":
                    got["pagefind"][step] = measure_pagefind(output)
                    got["stock_pagefind"][step] = one_after_other(got["stock"][step],
                                                                  got["pagefind"][step])
            for name, by_step in got.items():
                rounds[name].append(by_step)
            changes.restore()
    finally:
        changes.restore()
    return {name: summarise(measured) for name, measured in rounds.items()}


def summarise(rounds: list[dict]) -> dict:
    """The figures of a variant from its rounds (``[{step: result}]``): each step's median
    wall and CPU seconds, the largest peak memory, and the steps (:data:`PHASES`) of the cold
    build (and of ``kept``) whose time was the median: its own steps, not medians of steps
    from different builds, so they add up."""
    steps = list(rounds[0])
    samples = {step: [r[step]["seconds"] for r in rounds] for step in steps}
    figures = {step: statistics.median(values) for step, values in samples.items()}
    figures["cpu"] = {step: statistics.median(r[step]["cpu"] for r in rounds) for step in steps}
    figures["memory"] = max(r[step]["memory_mb"] for r in rounds for step in steps)
    figures["memory_rss"] = max(r[step]["memory_rss_mb"] for r in rounds for step in steps)
    figures["samples"] = samples
    for step, key in (("cold", "phases"), ("kept", "phases_kept")):
        if step in samples:
            median = samples[step].index(statistics.median_low(samples[step]))
            figures[key] = rounds[median][step]["phases"]
    return figures


VARIANT_NAMES = {"project": "dự án", "stock": "Pelican gốc", "pagefind": "Pagefind",
                 "stock_pagefind": "gốc + Pagefind"}


def run(sizes=(1000, 10000), repeat: int = 1, workdir: Path | str | None = None,
        variants=("project", "stock"), livereload: bool = True, log=print) -> dict:
    """Benchmark every size; return ``{n: {variant: figures}}`` (also saved in
    ``results.json``; :func:`table` prints a size's)."""
    workdir = Path(workdir or ROOT / "bench")
    workdir.mkdir(parents=True, exist_ok=True)
    results = {}
    for n in sizes:
        log(f"— {n} bài: tạo kho bài mẫu…")
        content = corpus_dir(workdir, n)
        results[n] = {}
        for variant in variants:
            log(f"— {n} bài: đo {VARIANT_NAMES.get(variant, variant)}…")
            results[n].update(run_variant(variant, content, workdir, n, repeat))
            save(workdir, results)
        if livereload and "project" in variants:
            from benchmarks import bench_livereload

            log(f"— {n} bài: livereload…")
            results[n]["livereload"] = bench_livereload.run(content, workdir / f"out-live-{n}",
                                                workdir / f"cache-project-{n}", n, repeat)
        save(workdir, results)
    return results


def save(workdir: Path, results: dict):
    """Add this run's figures to ``results.json`` (sizes measured before are kept)."""
    path = workdir / "results.json"
    try:
        saved = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        saved = {}
    saved.update({str(n): r for n, r in results.items()})
    path.write_text(json.dumps(saved, indent=1, default=str), encoding="utf-8")


#: The columns of the tables: name in ``results[n]``, heading.
COLUMNS = (("project", "dự án"), ("stock", "Pelican gốc"), ("stock_pagefind", "gốc + Pagefind"))


def table(n: int, result: dict) -> str:
    """One size's figures: each step for the project, stock and stock + Pagefind side by side
    with the project's ratios to both, the goals of the cold builds, the cold builds step by
    step, livereload."""
    shown = [(key, head) for key, head in COLUMNS if result.get(key)]
    project = result.get("project")
    compared = bool(project) and len(shown) > 1  # the ratios, when there is something beside
    rows = [f"{n} bài (trung vị; giây thực, trong ngoặc giây CPU; bộ nhớ: MB PSS, trong ngoặc "
            "cận trên RSS)",
            f"{'':20}" + "".join(f"{head:>16}" for _, head in shown)
            + (f"{'dự án/gốc':>11}{'dự án/(gốc+PF)':>16}" if compared else "")]
    for step in (*STEPS, "memory"):
        row = f"{LABELS[step]:20}" + "".join(f"{_cell(result[key], step):>16}"
                                             for key, _ in shown)
        if compared:
            # kept: against the others' cold build, as the goal is set (marked *)
            other, mark = ("cold", "*") if step == "kept" else (step, "")
            ratios = [_ratio(project, step, result.get(key), other) + mark
                      for key in ("stock", "stock_pagefind")]
            row += f"{ratios[0]:>11}{ratios[1]:>16}"
        rows.append(row)
    if compared and "kept" in project:
        rows.append("* dựng mới, giữ ảnh: output và mọi bộ nhớ đệm trống trừ ảnh đã làm (ảnh, thẻ "
                    "chia sẻ); tỉ lệ so với lần dựng mới của Pelican gốc")
    rows += goals(result)
    if project and project.get("phases"):
        columns = [("dự án", project["phases"])]
        if project.get("phases_kept"):
            columns.append(("dự án, giữ ảnh", project["phases_kept"]))
        columns += [(head, result[key]["phases"]) for key, head in COLUMNS[1:]
                    if result.get(key, {}).get("phases")]
        rows.append(phase_table(columns))
    rows += _livereload_rows(result.get("livereload"))
    return "\n".join(rows)


def _cell(figures: dict, step: str) -> str:
    if step == "memory":  # in brackets: the upper bound from peak RSS (see measure)
        return f"{figures['memory']:.0f} ({figures['memory_rss']:.0f})"
    if step not in figures:
        return "–"
    return f"{_fmt(figures[step])} ({figures['cpu'][step]:.1f})"


def _quotient(project: dict | None, step: str, other: dict | None, other_step: str,
              key: str | None = None) -> float | None:
    """``project[step] / other[other_step]`` (wall seconds, or CPU with ``key="cpu"``)."""
    if not project or not other or step not in project or other_step not in other:
        return None
    mine, theirs = ((project[key][step], other[key][other_step]) if key
                    else (project[step], other[other_step]))
    return mine / theirs if theirs else None


def _ratio(*args, **kwargs) -> str:
    value = _quotient(*args, **kwargs)
    return "–" if value is None else f"{value:.2f}"


def goals(result: dict) -> list[str]:
    """The goals of issue 17 for a cold build (:data:`GOALS`), each met or not, on wall
    seconds of the same run (CPU seconds beside: the machine is shared)."""
    project, base = result.get("project"), result.get("stock_pagefind")
    if not project or not base:
        return []
    rows = ["Mục tiêu dựng mới, so với lần dựng mới của gốc + Pagefind trong cùng lượt đo:"]
    for step, goal in GOALS.items():
        wall = _quotient(project, step, base, "cold")
        if wall is None:
            continue
        met = "đạt" if wall <= goal else "chưa đạt"
        rows.append(f"  {LABELS[step]:20} {wall:.2f} lần (CPU "
                    f"{_ratio(project, step, base, 'cold', 'cpu')} lần); mục tiêu ≤ {goal:.1f}: "
                    f"{met}")
    return rows


def _livereload_rows(live: dict | None) -> list[str]:
    if not live:
        return []
    cold = (f", lần đầu vào thư mục trống {live['start_cold']:.1f} s"
            if "start_cold" in live else "")
    rows = [f"livereload: sửa 1 bài {live['edit']:.2f} s, thêm 1 bài {live['add']:.2f} s"
            f" (khởi động {live['start']:.1f} s{cold}, bộ nhớ {live['memory']:.0f} MB)"]
    if "search_edit" in live:
        from newsroom.build.livereload import QUIET

        rows.append(f"  tìm kiếm thấy thay đổi sau: sửa {live['search_edit']:.1f} s, thêm "
                    f"{live['search_add']:.1f} s (chỉ mục làm lại sau {QUIET:g} s không "
                    "sửa gì)")
    return rows


def phase_table(columns: list[tuple[str, list]]) -> str:
    """Cold builds step by step, one column each (``[(heading, [[step, wall, CPU], …])]``):
    wall seconds, CPU seconds in brackets; a step a column lacks shows "–"; the last row
    adds the steps up."""
    rows = ["dựng mới, từng bước (giây thực; trong ngoặc: giây CPU, cả tiến trình con)",
            f"  {'':34}" + "".join(f"{head:>16}" for head, _ in columns)]
    labels = list(dict.fromkeys(label for _, steps in columns for label, _, _ in steps))
    by_label = [{label: (wall, cpu) for label, wall, cpu in steps} for _, steps in columns]
    for steps in by_label:
        steps["cộng"] = (sum(wall for wall, _ in steps.values()),
                         sum(cpu for _, cpu in steps.values()))
    for label in [*labels, "cộng"]:
        cells = [f"{_fmt(steps[label][0])} ({steps[label][1]:.1f})" if label in steps else "–"
                 for steps in by_label]
        rows.append(f"  {label:34}" + "".join(f"{c:>16}" for c in cells))
    return "\n".join(rows)


def _fmt(value):
    return "–" if value is None else f"{value:.2f}" if value < 100 else f"{value:.0f}"


def main(argv):
    if argv and argv[0] == "_build":
        variant, content, output, cache = argv[1:5]
        import logging

        logging.basicConfig(level=logging.WARNING)
        print(json.dumps(build_once(variant, Path(content), Path(output), Path(cache))))
        if variant == "project":  # as `invoke build`'s process ends (stock Pelican's: as it does)
            from newsroom.build import site

            site.end_process(0)
        return 0
    raise SystemExit("dùng: invoke bench [--sizes 1000,10000] [--repeat 3]")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
