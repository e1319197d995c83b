"""``invoke bench`` measures real builds of a generated corpus, in child processes. Only what
it reports is checked here (never how fast): see ``invoke bench`` for the figures."""
import json

from benchmarks import bench_build as bench, bench_publish, corpus


def test_bench_splits_a_cold_build_into_its_steps(tmp_path):
    """The step table says where a cold build's time goes: its steps add up to the build,
    reading the articles and making the cards are steps of their own, and stock Pelican is
    measured the same way."""
    content = tmp_path / "content"
    corpus.generate(content, 24)
    project = bench.measure("project", content, tmp_path / "out", tmp_path / "cache")
    stock = bench.measure("stock", content, tmp_path / "out-stock", tmp_path / "cache-stock")

    labels = [label for _, label in bench.PHASES]
    for result in (project, stock):
        steps = result["phases"]
        assert [label for label, _, _ in steps] == labels
        # The steps are the child's build, without starting Python and importing Pelican.
        assert sum(wall for _, wall, _ in steps) <= result["seconds"]
        assert sum(cpu for _, _, cpu in steps) <= result["cpu"] + 0.05
    steps = {label: (wall, cpu) for label, wall, cpu in project["phases"]}
    assert steps["đọc bài"][1] > 0 and steps["ảnh, thẻ chia sẻ"][1] > 0  # 24 cards drawn
    assert (tmp_path / "out" / "pagefind" / "shards.json").is_file()

    # Cold with the derived images kept: the output and the other caches go, not one photo or
    # card of the image cache is made again.
    objects = tmp_path / "cache" / "images" / "objects"
    made = {p: p.stat().st_mtime_ns for p in objects.rglob("*") if p.is_file()}
    bench.keep_images(tmp_path / "out", tmp_path / "cache")
    assert not (tmp_path / "out").exists()
    assert [p.name for p in (tmp_path / "cache").iterdir()] == [bench.IMAGE_CACHE]
    kept = bench.measure("project", content, tmp_path / "out", tmp_path / "cache")
    assert made and {p: p.stat().st_mtime_ns for p in objects.rglob("*") if p.is_file()} == made
    assert len(list((tmp_path / "out" / "anh").rglob("*.*"))) >= len(made) // 2

    # Stock + Pagefind: Pagefind as the project runs it indexes every page of stock's output.
    pagefind = bench.measure_pagefind(tmp_path / "out-stock")
    entry = json.loads((tmp_path / "out-stock" / "pagefind" / "pagefind-entry.json").read_text())
    pages = [p for p in (tmp_path / "out-stock").rglob("*.html") if "pagefind" not in p.parts]
    assert sum(lang["page_count"] for lang in entry["languages"].values()) == len(pages) > 24
    assert pagefind["cpu"] > 0 and pagefind["memory_mb"] > 0

    table = bench.phase_table([("dự án", project["phases"]), ("giữ ảnh", kept["phases"]),
                               ("gốc + Pagefind",
                                bench.one_after_other(stock, pagefind)["phases"])])
    assert "ảnh, thẻ chia sẻ" in table and "đọc bài" in table
    assert table.splitlines()[-2].split()[-1] == f"({pagefind['cpu']:.1f})"


def _figures(wall: dict, cpu_scale: float = 1.0, memory: float = 100.0) -> dict:
    return {**wall, "cpu": {step: value * cpu_scale for step, value in wall.items()},
            "memory": memory, "memory_rss": memory * 1.5,
            "phases": [["đọc bài", wall["cold"] / 2, wall["cold"] / 2],
                       ["trang bài viết", wall["cold"] / 2, wall["cold"] / 2]]}


def test_bench_table_sets_each_step_beside_stock_and_stock_with_pagefind():
    """One row a step, the three variants side by side with the project's two ratios; the
    kept-images build is set against the others' cold build; the goals say met or not."""
    stock = _figures({"cold": 40.0, "noop": 20.0, "edit": 22.0, "add": 22.0})
    with_pagefind = _figures({"cold": 50.0, "noop": 30.0, "edit": 32.0, "add": 32.0},
                             memory=300.0)
    with_pagefind["phases"].append([bench.PAGEFIND_STEP, 10.0, 10.0])
    project = _figures({"cold": 60.0, "kept": 25.0, "noop": 1.0, "edit": 5.0, "add": 6.0},
                       cpu_scale=2.0, memory=600.0)
    project["phases_kept"] = [["đọc bài", 20.0, 30.0]]
    text = bench.table(1000, {"project": project, "stock": stock,
                              "stock_pagefind": with_pagefind})
    lines = text.splitlines()
    assert lines[1].split() == ["dự", "án", "Pelican", "gốc", "gốc", "+", "Pagefind",
                                "dự", "án/gốc", "dự", "án/(gốc+PF)"]
    rows = {line[:20].strip(): line[20:].split() for line in lines[2:8]}
    assert rows["dựng mới"] == ["60.00", "(120.0)", "40.00", "(40.0)", "50.00", "(50.0)",
                                "1.50", "1.20"]
    assert rows["dựng mới, giữ ảnh"] == ["25.00", "(50.0)", "–", "–", "0.62*", "0.50*"]
    assert rows["không đổi"][-2:] == ["0.05", "0.03"]
    assert rows["bộ nhớ đỉnh (MB)"] == ["600", "(900)", "100", "(150)", "300", "(450)",
                                        "6.00", "2.00"]
    goals = [line.strip() for line in text.splitlines() if "mục tiêu ≤" in line]
    assert goals == ["dựng mới             1.20 lần (CPU 2.40 lần); mục tiêu ≤ 1.0: chưa đạt",
                     "dựng mới, giữ ảnh    0.50 lần (CPU 1.00 lần); mục tiêu ≤ 0.6: đạt"]
    phases = text[text.index("dựng mới, từng bước"):].splitlines()
    assert phases[1].split() == ["dự", "án", "dự", "án,", "giữ", "ảnh", "Pelican", "gốc",
                                 "gốc", "+", "Pagefind"]
    pagefind_row = next(line for line in phases if bench.PAGEFIND_STEP in line)
    assert pagefind_row.split()[-4:] == ["–", "–", "10.00", "(10.0)"]
    assert phases[-1].split() == ["cộng", "60.00", "(60.0)", "20.00", "(30.0)", "40.00",
                                  "(40.0)", "60.00", "(60.0)"]
    # Without stock (--no-stock): the project alone, no goals.
    alone = bench.table(1000, {"project": project}).splitlines()
    assert alone[1].split() == ["dự", "án"] and alone[2].split() == ["dựng", "mới", "60.00",
                                                                     "(120.0)"]
    assert not [line for line in alone if "gốc" in line or "mục tiêu" in line or "*" in line]


def test_publish_table_says_the_first_publish_is_a_setup_step():
    step = {name: 1.0 for name in (*bench_publish.STEPS, "total", "cpu")}
    counts = dict.fromkeys(("files", "changed", "compressed", "checked", "sent"), 7)
    first = bench_publish.table(300, {"reused": False, "cold": {**step, **counts},
                                      "full": {**step, **counts},
                                      "incremental": {**step, **counts}})
    assert "| bước | lần đầu (chuẩn bị) | toàn bộ (--full) | hằng ngày |" in first
    assert "chỉ là bước chuẩn bị" in first
    again = bench_publish.table(300, {"reused": True, "full": {**step, **counts},
                                      "incremental": {**step, **counts}})
    assert "| bước | toàn bộ (--full) | hằng ngày |" in again
    assert "| tổng | 1.00 | 1.00 |" in again and "bench/publish-300/" in again


def test_photo_heavy_corpus_gives_most_articles_distinct_camera_photos(tmp_path):
    """80 % of the articles carry 1–6 photos, the first the cover, the others in the body;
    every file has its own bytes and an article never shows one picture twice."""
    paths = corpus.generate(tmp_path, 20, photos=True, photo_size=(64, 48))
    with_photos, seen = 0, set()
    for index, path in enumerate(paths):
        names = corpus.photo_names(index)
        assert (index % 5 == 4) == (not names) and len(names) <= 6
        assert len(set(names)) == len(names)
        text = path.read_text(encoding="utf-8")
        folder = path.with_suffix("")
        assert sorted(p.name for p in folder.glob("*.jpg")) == sorted(names)
        if names:
            with_photos += 1
            assert f"Image: {folder.name}/{names[0]}" in text
            assert all(f"{{static}}{folder.name}/{name})" in text for name in names[1:])
        for photo in folder.glob("*.jpg"):
            data = photo.read_bytes()
            assert data not in seen and data.startswith(b"\xff\xd8")
            seen.add(data)
    assert with_photos == 16
    # The same articles as the plain corpus, text aside from the photos.
    plain = corpus.Corpus().article(3)
    assert corpus.Corpus(photos=True).article(3)[0] == plain[0]


def test_photo_bench_reports_cpu_per_photo_beside_pillows_floor(tmp_path):
    from benchmarks import bench_photos

    lines = []
    figures = bench_photos.run(5, tmp_path, sample=2, photo_size=(400, 300), log=lines.append)
    assert lines and all(line.startswith("— ") for line in lines)  # progress; the report apart
    assert figures["photos"] == sum(len(corpus.photo_names(i)) for i in range(5)) > 0
    assert figures["cold_images_cpu_s"] > 0 and figures["cold_cpu_per_photo"] > 0
    # Warm: the photos come from the cache (nothing changed: the build stops at once).
    assert figures["noop_images_cpu_s"] == 0
    assert figures["clean_cpu_per_photo"] < figures["cold_cpu_per_photo"]
    assert 0 < figures["floor_cpu_per_photo"] and figures["one_cover_files"] > \
        figures["one_body_files"] >= 2
    assert "mức sàn của Pillow" in bench_photos.report(figures)
    assert (tmp_path / "photos.json").is_file()
