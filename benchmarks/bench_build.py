"""``invoke bench``: how long the site takes to build at scale, beside stock Pelican.

For each size N a deterministic corpus (``benchmarks.corpus``) is written once under the bench
folder. Two variants build it, each in its own child process so that time and peak memory
belong to that build alone:

- ``project``: ``pelicanconf.py`` with the project's theme and every project plugin, strict;
- ``stock``: Pelican as it comes (no plugins, default theme, its content cache on), same corpus.

Each variant is measured cold (no output, no cache), rebuilt with nothing changed, after one
article is edited and after one article is added; the corpus is restored afterwards. With
``repeat`` > 1 the figures are medians. The cold builds are also shown step by step
(:data:`PHASES`: reading, cards, pages, search…), so the table says where the time goes.
``livereload`` adds the time ``invoke livereload``
takes to bring the output up to date after the same edit and addition.
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

STEPS = ("cold", "noop", "edit", "add")
LABELS = {"cold": "dựng mới", "noop": "không đổi", "edit": "sửa 1 bài", "add": "thêm 1 bài",
          "memory": "bộ nhớ đỉnh (MB)"}  # memory: PSS of the whole process tree, sampled


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


def measure(variant: str, content: Path, output: Path, cache: Path) -> dict:
    """Run one build in a child process: wall time (s), CPU (s) and peak memory (MB).

    ``memory_mb`` is the highest memory the build and all its child processes used at once
    (:class:`Peak`, PSS). ``memory_rss_mb`` is the build process's peak RSS plus the
    largest peak RSS of its children, which counts pages shared with forked workers twice and
    adds peaks that never happened together: an upper bound."""
    start = time.perf_counter()
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        proc = subprocess.Popen(
            [sys.executable, "-m", "benchmarks.bench_build", "_build", variant, str(content),
             str(output), str(cache)], cwd=ROOT, stdout=out, stderr=err, text=True)
        with Peak(proc.pid, every=0.1) as peak:
            _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    if proc.returncode:
        raise RuntimeError(f"bản dựng {variant} lỗi:\n{stdout[-3000:]}\n{stderr[-3000:]}")
    info = json.loads(stdout.strip().splitlines()[-1])
    return {"seconds": seconds, "cpu": usage.ru_utime + usage.ru_stime,
            "memory_mb": peak.pss / 1024,
            "memory_rss_mb": (info["rss_kb"] + info["children_rss_kb"]) / 1024,
            "phases": info["phases"]}


def run_variant(variant: str, content: Path, workdir: Path, n: int, repeat: int) -> dict:
    output, cache = workdir / f"out-{variant}-{n}", workdir / f"cache-{variant}-{n}"
    samples = {step: [] for step in STEPS}
    cpu = {step: [] for step in STEPS}
    memory, memory_rss = [], []
    phases = []  # of each cold build
    changes = corpus.Changes(content, n)
    try:
        for round_ in range(repeat):
            shutil.rmtree(output, ignore_errors=True)
            shutil.rmtree(cache, ignore_errors=True)
            for step in STEPS:
                if step == "edit":
                    changes.edit(round_)
                elif step == "add":
                    changes.add(round_)
                result = measure(variant, content, output, cache)
                samples[step].append(result["seconds"])
                cpu[step].append(result["cpu"])
                memory.append(result["memory_mb"])
                memory_rss.append(result["memory_rss_mb"])
                if step == "cold":
                    phases.append(result["phases"])
            changes.restore()
    finally:
        changes.restore()
    figures = {step: statistics.median(values) for step, values in samples.items()}
    figures["memory"] = max(memory)
    figures["memory_rss"] = max(memory_rss)
    figures["cpu"] = {step: statistics.median(values) for step, values in cpu.items()}
    figures["samples"] = samples
    # The steps of the cold build whose time was the median (its own steps, not medians of
    # steps from different builds, so they add up).
    figures["phases"] = phases[samples["cold"].index(statistics.median_low(samples["cold"]))]
    return figures


VARIANT_NAMES = {"project": "dự án", "stock": "Pelican gốc"}


def run(sizes=(1000, 10000), repeat: int = 1, workdir: Path | str | None = None,
        variants=("project", "stock"), livereload: bool = True, log=print) -> dict:
    """Benchmark every size; return ``{n: {variant: figures}}`` and log a table."""
    workdir = Path(workdir or ROOT / "bench")
    workdir.mkdir(parents=True, exist_ok=True)
    results = {}
    for n in sizes:
        log(f"— {n} bài: tạo kho bài mẫu…")
        content = corpus_dir(workdir, n)
        results[n] = {}
        for variant in variants:
            log(f"— {n} bài: đo {VARIANT_NAMES.get(variant, variant)}…")
            results[n][variant] = run_variant(variant, content, workdir, n, repeat)
            _save(workdir, results)
        if livereload and "project" in variants:
            from benchmarks import bench_livereload

            log(f"— {n} bài: livereload…")
            results[n]["livereload"] = bench_livereload.run(content, workdir / f"out-live-{n}",
                                                workdir / f"cache-project-{n}", n, repeat)
        _save(workdir, results)
        log(table(n, results[n]))
    return results


def _save(workdir: Path, results: dict):
    """Add this run's figures to ``results.json`` (sizes measured before are kept)."""
    path = workdir / "results.json"
    try:
        saved = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        saved = {}
    saved.update({str(n): r for n, r in results.items()})
    path.write_text(json.dumps(saved, indent=1, default=str), encoding="utf-8")


def table(n: int, result: dict) -> str:
    rows = [f"{n} bài (trung vị; thời gian thực, giây; trong ngoặc: giây CPU)",
            f"{'':18}{'dự án':>16}{'Pelican gốc':>16}{'tỉ lệ':>8}"]
    project, stock = result.get("project"), result.get("stock")
    for step in (*STEPS, "memory"):
        p = project[step] if project else None
        s = stock[step] if stock else None
        ratio = f"{p / s:.2f}" if p is not None and s else "–"
        if step != "memory":
            p_text = _fmt(p) + (f" ({project['cpu'][step]:.1f})" if project else "")
            s_text = _fmt(s) + (f" ({stock['cpu'][step]:.1f})" if stock else "")
        else:  # in brackets: the upper bound from peak RSS (see measure)
            p_text = _fmt(p) + (f" ({project['memory_rss']:.0f})" if project else "")
            s_text = _fmt(s) + (f" ({stock['memory_rss']:.0f})" if stock else "")
        rows.append(f"{LABELS[step]:18}{p_text:>16}{s_text:>16}{ratio:>8}")
    if project and project.get("phases"):
        rows.append(phase_table(project["phases"], stock.get("phases") if stock else None))
    live = result.get("livereload")
    if live:
        cold = (f", lần đầu vào thư mục trống {live['start_cold']:.1f} s"
                if "start_cold" in live else "")
        rows.append(f"livereload: sửa 1 bài {live['edit']:.2f} s, thêm 1 bài {live['add']:.2f} s"
                    f" (khởi động {live['start']:.1f} s{cold}, bộ nhớ {live['memory']:.0f} MB)")
        if "search_edit" in live:
            from newsroom.build.livereload import QUIET

            rows.append(f"  tìm kiếm thấy thay đổi sau: sửa {live['search_edit']:.1f} s, thêm "
                        f"{live['search_add']:.1f} s (chỉ mục làm lại sau {QUIET:g} s không "
                        "sửa gì)")
    return "\n".join(rows)


def phase_table(project: list, stock: list | None) -> str:
    """The cold builds step by step: wall seconds, CPU seconds in brackets."""
    rows = ["dựng mới, từng bước (giây thực; trong ngoặc: giây CPU, cả tiến trình con)",
            f"  {'':28}{'dự án':>14}{'Pelican gốc':>16}"]
    stock = {label: (wall, cpu) for label, wall, cpu in stock or []}
    for label, wall, cpu in project:
        other = stock.get(label)
        s_text = f"{_fmt(other[0])} ({other[1]:.1f})" if other else "–"
        rows.append(f"  {label:28}{_fmt(wall) + f' ({cpu:.1f})':>14}{s_text:>16}")
    return "\n".join(rows)


def _fmt(value):
    return "–" if value is None else f"{value:.2f}" if value < 100 else f"{value:.0f}"


def main(argv):
    if argv and argv[0] == "_build":
        variant, content, output, cache = argv[1:5]
        import logging

        logging.basicConfig(level=logging.WARNING)
        print(json.dumps(build_once(variant, Path(content), Path(output), Path(cache))))
        return 0
    raise SystemExit("dùng: invoke bench [--sizes 1000,10000] [--repeat 3]")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
