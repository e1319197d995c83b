"""The speed layer's shortcuts give what Pelican's own code gives: the build's one walk of
each content folder lists the files ``Generator.get_files`` lists (excluded and ignored
folders, hidden and ignored files, linked folders, extensions), an item's source path
relative to the content folder is Pelican's, and the stamps' listing of a folder is the one
``os.walk`` gives."""
from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

import pytest
from pelican.contents import Article
from pelican.generators import ArticlesGenerator, Generator, StaticGenerator

from newsroom.build import site
from newsroom.core.paths import tree_rows
from plugins import fence
from plugins.fastbuild import fastbuild, listing


@pytest.fixture()
def tricky(tmp_path) -> Path:
    """A content folder with what Pelican's listing rules look at."""
    content = tmp_path / "noi dung"
    files = [
        "bai-viet/2024/05/tin-mot.md", "bai-viet/2024/05/tin-mot/anh-1.jpg",
        "bai-viet/2024/05/.tin-an.md", "bai-viet/2024/05/~$tin-word.md",
        "bai-viet/2024/05/tin.receipt.txt", "bai-viet/2024/06/Tin Hoa.MD",
        "bai-viet/.git/config", "bai-viet/.an/tin.md", "bai-viet/nhap/tin-nhap.md",
        "bai-viet/nhap/sau/tin.md", "bai-viet/2024/khong-duoi", "pages/gioi-thieu.md",
        "pages/gioi-thieu.html", "images/logo.png", "images/con/bieu-tuong.svg",
        "extra/robots.txt", "bai-viet/__pycache__/x.pyc",
    ]
    for rel in files:
        path = content / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(rel, encoding="utf-8")
    outside = tmp_path / "ben-ngoai"
    outside.mkdir()
    (outside / "tin-lien-ket.md").write_text("x", encoding="utf-8")
    os.symlink(outside, content / "bai-viet" / "lien-ket")
    return content


def _generators(content: Path, tmp_path: Path):
    settings = site.settings_for(PATH=content, OUTPUT_PATH=tmp_path / "out",
                                 CACHE_PATH=tmp_path / "cache")
    context = settings.copy()
    context.update(generated_content={}, static_content={}, static_links=set())
    made = []
    for cls in (Generator, ArticlesGenerator, StaticGenerator):
        made.append(cls(context=context, settings=settings, path=str(content),
                        theme=settings["THEME"], output_path=str(tmp_path / "out")))
    return made


@pytest.mark.parametrize("args", [
    (["bai-viet"], None, None), (["bai-viet"], ["bai-viet/nhap"], None),
    (["bai-viet", "images", "extra"], ["images/con"], False), (["bai-viet"], [], ("md",)),
    (["pages"], None, None), ([""], ["bai-viet/2024"], False), (["khong-co"], None, None),
    (["pages/gioi-thieu.md", "extra/robots.txt"], None, False), ("bai-viet", None, None),
])
def test_one_walk_lists_what_pelican_lists(tricky, tmp_path, args):
    paths, exclude, extensions = args
    for generator in _generators(tricky, tmp_path):
        stock = Generator.get_files(generator, paths, exclude=exclude, extensions=extensions)
        assert listing.list_files(generator, paths, exclude, extensions) == stock
        # Twice in one build (from the walk kept in the context), the same again.
        assert listing.list_files(generator, paths, exclude, extensions) == stock
    assert stock or paths == ["khong-co"]


def test_the_walk_is_kept_for_one_build_only(tricky, tmp_path):
    """Each build walks again: a file added since the last build is listed."""
    first = _generators(tricky, tmp_path)[1]
    before = listing.list_files(first, ["bai-viet"])
    (tricky / "bai-viet/2024/05/tin-moi.md").write_text("x", encoding="utf-8")
    assert listing.list_files(first, ["bai-viet"]) == before  # the same build
    again = _generators(tricky, tmp_path)[1]
    assert listing.list_files(again, ["bai-viet"]) == before | {"bai-viet/2024/05/tin-moi.md"}


def test_a_generator_with_its_own_file_rules_keeps_them(tricky, tmp_path):
    generator = _generators(tricky, tmp_path)[1]
    generator._include_path = lambda path, extensions=None: path.endswith(".jpg")
    assert listing.list_files(generator, ["bai-viet"]) == {"bai-viet/2024/05/tin-mot/anh-1.jpg"}


@pytest.mark.parametrize("source", [
    "{PATH}/bai-viet/2024/05/tin-mot.md", "{PATH}/bai-viet/./2024/tin.md",
    "{PATH}/../ben-ngoai/tin.md", "{PATH}//bai-viet/tin.md", "{PATH}/bai-viet/.an/tin.md",
    "bai-viet/tuong-doi.md", "{PATH}-khac/tin.md", "/tin-o-goc.md", "{PATH}/",
])
def test_source_path_relative_to_the_content_folder_is_pelicans(tmp_path, source):
    (tmp_path / "noi dung").mkdir()
    settings = site.settings_for(PATH=tmp_path / "noi dung", OUTPUT_PATH=tmp_path / "out")
    item = Article("<p>x</p>", metadata={"title": "Tin", "date": datetime(2024, 5, 1, 9, 0)},
                   settings=settings, source_path=source.format(PATH=settings["PATH"]))
    stock = fence.original_relative_source_path()(item)
    memo = fastbuild._relative_source_path(fence.original_relative_source_path())
    assert memo(item) == stock


def test_tree_rows_list_what_os_walk_finds(tricky):
    (tricky / "bai-viet/2024/05/tin-hong").symlink_to(tricky / "khong-co")  # a broken link
    expected = []
    for dirpath, dirnames, filenames in os.walk(tricky):
        dirnames[:] = sorted(d for d in dirnames if d != "__pycache__")
        for name in sorted(filenames):
            path = os.path.join(dirpath, name)
            if os.path.exists(path):
                st = os.stat(path)
                expected.append((path, st.st_size, st.st_mtime_ns))
    found = tree_rows(tricky)
    assert found == expected
    assert not any("ben-ngoai" in row[0] or "__pycache__" in row[0] for row in found)
    assert any(row[0].endswith("anh-1.jpg") for row in found)
