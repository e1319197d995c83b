"""The one word-wrapping rule shared by social cards, campaign banners and chart labels."""
from PIL import ImageFont

from newsroom.core.paths import ROOT
from newsroom.core.wrapping import wrap, wrap_text

FONT = ImageFont.truetype(str(ROOT / "theme" / "fonts" / "BeVietnamPro-Bold.ttf"), 40)
TITLE = ("Công đoàn Than Hà Lầm tổ chức đối thoại với người lao động về an toàn, "
         "vệ sinh lao động năm 2020")


def test_lines_fit_break_at_spaces_and_keep_every_word():
    for width in (200, 400, 700, 1056):
        lines = wrap_text(TITLE, width, FONT.getlength)
        assert " ".join(lines) == TITLE
        assert all(FONT.getlength(line) <= width for line in lines), width
        # greedy: the next line's first word would not have fitted on the line before
        for line, following in zip(lines, lines[1:]):
            assert FONT.getlength(f"{line} {following.split()[0]}") > width


def test_a_word_wider_than_the_width_stands_alone():
    assert wrap_text("Tặng Siêuuuuuuuuuuuuuuuuuuuudài quà", 120, FONT.getlength) == [
        "Tặng", "Siêuuuuuuuuuuuuuuuuuuuudài", "quà"]
    assert wrap_text("", 100, FONT.getlength) == []


def test_additive_measure_sums_words_and_spaces():
    """Each character 10 px wide: "ab cd" is 50 px whole or added up."""
    def length(text):
        return 10 * len(text)

    words = "ab cd efg h ijklmnop q".split()
    assert wrap(words, 50, length, additive=True) == wrap(words, 50, length) == [
        ["ab", "cd"], ["efg", "h"], ["ijklmnop"], ["q"]]
