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
