"""``invoke bench`` measures real builds of a generated corpus, in child processes. Only what
it reports is checked here (never how fast): see ``invoke bench`` for the figures."""
from benchmarks import bench_build as bench, corpus


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
    table = bench.phase_table(project["phases"], stock["phases"])
    assert "ảnh, thẻ chia sẻ" in table and "đọc bài" in table


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
    assert figures["photos"] == sum(len(corpus.photo_names(i)) for i in range(5)) > 0
    assert figures["cold_images_cpu_s"] > 0 and figures["cold_cpu_per_photo"] > 0
    # Warm: the photos come from the cache (nothing changed: the build stops at once).
    assert figures["noop_images_cpu_s"] == 0
    assert figures["clean_cpu_per_photo"] < figures["cold_cpu_per_photo"]
    assert 0 < figures["floor_cpu_per_photo"] and figures["one_cover_files"] > \
        figures["one_body_files"] >= 2
    assert "mức sàn của Pillow" in lines[-1]
    assert (tmp_path / "photos.json").is_file()
