"""``invoke check``: the git path of a submission, played with real files, images and git."""
from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from newsroom.core import schema
from newsroom.core.paths import ROOT
from newsroom.intake import check
from tests import helpers
from tests.helpers import article

UNIT_DIR = "bai-viet/than-ha-lam/2020"


def jpeg(size=(640, 480)) -> bytes:
    return helpers.jpeg(size, (30, 90, 160))


def png() -> bytes:
    return helpers.png((320, 200), (200, 30, 30, 128))


def write(root: Path, files: dict) -> Path:
    for rel, body in files.items():
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(body, bytes):
            target.write_bytes(body)
        else:
            target.write_text(body, encoding="utf-8")
    return root


def run(paths, content: Path) -> tuple[int, str]:
    out = io.StringIO()
    code = check.main([*map(str, paths), "--content", str(content)], out=out)
    return code, out.getvalue()


@pytest.fixture
def content(tmp_path) -> Path:
    root = tmp_path / "content"
    write(root, {
        f"{UNIT_DIR}/doi-thoai.md": article(
            "Công đoàn Than Hà Lầm đối thoại với người lao động", date="2020-05-06 08:30",
            image="doi-thoai/anh-bia.jpg", image_alt="Hội trường đối thoại",
            body="Mở đầu.\n\n![Công nhân phát biểu]({static}doi-thoai/anh-2.png)\n"),
        f"{UNIT_DIR}/doi-thoai/anh-bia.jpg": jpeg(),
        f"{UNIT_DIR}/doi-thoai/anh-2.png": png(),
        "pages/gioi-thieu.md": "Title: Giới thiệu\n\nTrang giới thiệu.\n",
    })
    return root


def test_good_content_passes_and_exits_zero(content):
    code, out = run([], content)
    assert code == 0, out
    assert "Đã kiểm tra 2 tệp: không có lỗi" in out


def test_metadata_problems_are_listed_as_file_line_field_with_fix(content):
    bad = content / UNIT_DIR / "bai-loi.md"
    bad.write_text(
        "Title: Bài có lỗi\nDate: 31/02/2020 08:00\nUnit: than-ha-lamm\nCategory: Tin tuc\n"
        "Featured: maybe\n\nNội dung.\n", encoding="utf-8")
    code, out = run([bad], content)
    assert code == 1
    lines = out.splitlines()
    shown = "content/bai-viet/than-ha-lam/2020/bai-loi.md"
    date = next(line for line in lines if line.startswith(f"{shown}:2: Date: lỗi:"))
    assert "không tồn tại" in date and "Cách sửa:" in date
    unit = next(line for line in lines if line.startswith(f"{shown}:3: Unit: lỗi:"))
    assert "“Than Hà Lầm” (than-ha-lam)" in unit  # the nearest real unit is suggested
    assert any(line.startswith(f"{shown}:1: Author: lỗi: thiếu trường tác giả")
               for line in lines)
    assert any(line.startswith(f"{shown}:5: Featured: cảnh báo:") for line in lines)
    # the category written without accents is still the real category: no problem
    assert not any(": Category:" in line for line in lines)
    assert "Đã kiểm tra 1 tệp: 3 lỗi, 1 cảnh báo" in lines[-1]


def test_campaign_and_theme_slugs_come_from_the_schema(content):
    path = content / UNIT_DIR / "chien-dich.md"
    path.write_text(article("Tin có chiến dịch lạ", campaign="thang-cong-nhan-2019x",
                            theme="chu-de-la"), encoding="utf-8")
    code, out = run([path], content)
    assert code == 1
    assert "chien-dich.md:6: Campaign: lỗi: không có chiến dịch “thang-cong-nhan-2019x”" in out
    assert "chien-dich.md:7: Theme: lỗi: không có chủ đề “chu-de-la”" in out


def test_warnings_alone_do_not_fail(content):
    path = content / UNIT_DIR / "canh-bao.md"
    path.write_text(article("Tin có cảnh báo", featured="co le"), encoding="utf-8")
    code, out = run([path], content)
    assert code == 0, out
    assert ":6: Featured: cảnh báo:" in out


def test_images_must_exist_open_and_have_alt_text(content):
    folder = content / UNIT_DIR / "anh-loi"
    good = jpeg((1200, 800))
    write(folder, {
        "khong-alt.jpg": jpeg(),
        "hong.jpg": os.urandom(3000),
        "cat-do.jpg": good[: len(good) // 2],
        "qua-lon.png": b"",
        "iphone.heic": b"\x00\x00\x00\x18ftypheic",
    })
    Image.new("1", (8000, 7000)).save(folder / "qua-lon.png")  # 56 megapixels
    body = "\n".join([
        "Ảnh không mô tả: ![]({static}anh-loi/khong-alt.jpg)",
        "![Ảnh hỏng]({static}anh-loi/hong.jpg)",
        "![Ảnh chép dở]({static}anh-loi/cat-do.jpg)",
        "![Ảnh quá lớn]({static}anh-loi/qua-lon.png)",
        "![Ảnh iPhone]({static}anh-loi/iphone.heic)",
        "![Ảnh không có]({static}anh-loi/khong-co.jpg)",
        '<img src="{static}anh-loi/khong-alt.jpg">',
    ])
    path = content / UNIT_DIR / "anh-loi.md"
    path.write_text(article("Bài có ảnh lỗi", image="anh-loi/hong.jpg", image_alt="Bìa",
                            body=body), encoding="utf-8")
    code, out = run([path], content)
    assert code == 1
    shown = "content/bai-viet/than-ha-lam/2020/anh-loi.md"
    body_line = 9  # 7 header lines + blank line, body starts on line 9

    def at(line, *words):
        hits = [x for x in out.splitlines() if x.startswith(f"{shown}:{line}: ")]
        assert any(all(w in x for w in words) for x in hits), (line, words, out)

    at(6, "Image:", "“anh-loi/hong.jpg”", "bị hỏng")
    at(body_line, "Nội dung:", "chưa có mô tả (alt)")
    at(body_line + 1, "hong.jpg", "bị hỏng hoặc chưa chép hết")
    at(body_line + 2, "cat-do.jpg", "bị hỏng hoặc chưa chép hết")
    at(body_line + 3, "qua-lon.png", "8000×7000")
    at(body_line + 4, "HEIC", "JPEG")
    at(body_line + 5, "không tìm thấy ảnh “{static}anh-loi/khong-co.jpg”")
    at(body_line + 6, "alt=")
    # the whole photo is fine: nothing reported for a good image
    assert schema.image_problem(content / UNIT_DIR / "doi-thoai/anh-bia.jpg") is None


def test_oversized_file_is_refused(tmp_path):
    photo = tmp_path / "anh.jpg"
    photo.write_bytes(jpeg((1600, 1200)))
    message, fix = schema.image_problem(photo, schema.Limits(image_bytes=photo.stat().st_size - 1))
    assert "quá giới hạn" in message and "giảm kích thước" in fix


def test_raw_html_the_site_does_not_allow(content):
    body = "\n".join([
        "Đoạn mở đầu.",
        "<script>alert('x')</script>",
        "<style>body{display:none}</style>",
        '<iframe src="https://example.com/quang-cao"></iframe>',
        '<iframe src="https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ"></iframe>',
        '<p onclick="steal()">Bấm vào đây</p>',
        '<a href="javascript:void(0)">liên kết</a>',
        "Ví dụ mã: `<script>` chỉ là chữ.",
        "```",
        "<script>cũng chỉ là chữ trong khối mã</script>",
        "```",
    ])
    path = content / UNIT_DIR / "html.md"
    path.write_text(article("Bài có HTML", body=body), encoding="utf-8")
    code, out = run([path], content)
    assert code == 1
    problems = [x for x in out.splitlines() if ": Nội dung: " in x]
    lines = sorted(int(x.split(":")[1]) for x in problems)
    assert lines == [8, 9, 10, 11, 12, 13], out  # body starts on line 7
    assert "<script>" in out and "<style>" in out and "onclick" in out
    assert out.count("<iframe> không được phép") == 2 and "javascript:void(0)" in out


def test_same_address_is_an_error_same_title_elsewhere_a_warning(content):
    title = "Công đoàn Than Hà Lầm đối thoại với người lao động"
    same_month = content / "bai-viet/than-ha-lam/2020/doi-thoai-lan-2.md"
    same_month.write_text(article(title, date="2020-05-20 10:00"), encoding="utf-8")
    code, out = run([same_month], content)
    assert code == 1
    assert ("Slug: lỗi: địa chỉ “/2020/05/cong-doan-than-ha-lam-doi-thoai-voi-nguoi-lao-dong/” "
            "trùng với content/bai-viet/than-ha-lam/2020/doi-thoai.md") in out
    assert "Slug: cong-doan-than-ha-lam-doi-thoai-voi-nguoi-lao-dong-2" in out

    same_month.unlink()
    next_year = content / "bai-viet/than-ha-lam/2021/doi-thoai.md"
    write(content, {"bai-viet/than-ha-lam/2021/doi-thoai.md": article(title, date="2021-05-06")})
    code, out = run([next_year], content)
    assert code == 0, out
    assert "Title: cảnh báo: tiêu đề trùng với content/bai-viet/than-ha-lam/2020/doi-thoai.md" \
        in out


def test_remembered_headers_follow_edits(content):
    """The header cache never hides a change: an existing article retitled to collide."""
    mine = write(content, {f"{UNIT_DIR}/cua-toi.md": article("Tin của tôi",
                                                            date="2020-05-10")})
    mine = mine / UNIT_DIR / "cua-toi.md"
    other = content / UNIT_DIR / "khac.md"
    other.write_text(article("Tin khác", date="2020-05-11"), encoding="utf-8")
    assert run([mine], content)[0] == 0
    assert (content.parent / "cache" / check.CACHE_NAME).is_file()
    other.write_text(article("Tin của tôi", date="2020-05-11"), encoding="utf-8")
    code, out = run([mine], content)
    assert code == 1 and "trùng với content/bai-viet/than-ha-lam/2020/khac.md" in out
    (content.parent / "cache" / check.CACHE_NAME).write_text("{không phải json")
    assert run([mine], content)[0] == 1  # a broken cache is rebuilt, never trusted


def test_addresses_are_where_the_build_puts_the_pages(make_site, tmp_path):
    """check's idea of each article's address is the build's: the collision check relies on
    it."""
    titles = ["Công đoàn TKV: “Tháng Công nhân” 2020 – ATVSLĐ",
              "Tết sum vầy, xuân chia sẻ (lần thứ 5) & trao 1.200 suất quà",
              "Đ/c Nguyễn Văn Đức thăm thợ lò_ca 3 ở mức -300"]
    files = {f"{UNIT_DIR}/bai-{n}.md": article(title, date=f"2020-0{n + 1}-15 08:00")
             for n, title in enumerate(titles)}
    files[f"{UNIT_DIR}/bai-rieng.md"] = article("Tiêu đề dài", slug="duong-dan-rieng")
    files["pages/lien-he.md"] = "Title: Liên hệ Ban Tuyên giáo\n\nĐiện thoại...\n"
    built = make_site(files, strict=True)
    report = check.check(None, tmp_path / "content")
    urls = sorted(item.url for item in report.items)
    assert len(urls) == 5 and not report.errors
    for url in urls:
        assert built.exists(url), (url, sorted(p.relative_to(built.output).as_posix()
                                               for p in built.output.rglob("index.html")))
    assert "2020/06/duong-dan-rieng/" in urls and "lien-he-ban-tuyen-giao/" in urls


def test_the_strict_build_refuses_what_check_refuses(make_site, content):
    bad = article("Bài có mã độc", body="<script>alert(1)</script>\n\n![](x.jpg)")
    code, out = run([write(content, {f"{UNIT_DIR}/ma-doc.md": bad}) / UNIT_DIR / "ma-doc.md"],
                    content)
    assert code == 1
    with pytest.raises(Exception) as raised:
        make_site({f"{UNIT_DIR}/ma-doc.md": bad}, strict=True)
    assert "<script>" in str(raised.value) and "chưa có mô tả (alt)" in str(raised.value)


def test_good_body_images_build_with_their_alt_text(make_site):
    built = make_site({
        f"{UNIT_DIR}/anh.md": article(
            "Tin có ảnh", body="![Thợ lò nhận quà]({static}anh/anh-2.jpg)"),
        f"{UNIT_DIR}/anh/anh-2.jpg": jpeg(),
    }, strict=True)
    img = built.html("2020/06/tin-co-anh/").select_one("article img, main img")
    assert img is not None and img["alt"] == "Thợ lò nhận quà"


# --- git: --changed, --staged and the pre-commit hook ----------------------------------------

def git(repo: Path, *args, check_rc=True, **kw):
    env = {**os.environ, "GIT_AUTHOR_NAME": "Phóng viên", "GIT_AUTHOR_EMAIL": "pv@example.vn",
           "GIT_COMMITTER_NAME": "Phóng viên", "GIT_COMMITTER_EMAIL": "pv@example.vn"}
    result = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True,
                            env=env, **kw)
    if check_rc:
        assert result.returncode == 0, result.stderr
    return result


@pytest.fixture
def repo(tmp_path, content):
    git(tmp_path, "init", "-q", "-b", "main")
    git(tmp_path, "add", "content")
    git(tmp_path, "commit", "-q", "-m", "Nội dung ban đầu")
    return tmp_path


def test_changed_checks_only_what_differs_from_main(repo):
    content = repo / "content"
    git(repo, "checkout", "-q", "-b", "bai-moi")
    write(content, {f"{UNIT_DIR}/da-commit.md": article("Bài đã commit trên nhánh")})
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "Bài mới")
    write(content, {f"{UNIT_DIR}/chua-commit.md": article("Bài chưa commit", author=None)})
    (content / UNIT_DIR / "doi-thoai/anh-2.png").write_bytes(b"not a png")  # photo changed
    picked = sorted(p.name for p in check.changed_files(repo, "main", content))
    assert picked == ["chua-commit.md", "da-commit.md", "doi-thoai.md"]
    out = io.StringIO()
    code = check.main(["--changed", "--content", str(content)], out=out)
    text = out.getvalue()
    assert code == 1
    assert "chua-commit.md:1: Author: lỗi" in text
    assert "doi-thoai.md:11: Nội dung: lỗi: ảnh “{static}doi-thoai/anh-2.png”" in text
    assert "Đã kiểm tra 3 tệp" in text


def test_pre_commit_hook_stops_a_bad_article(repo):
    hook = check.install_hook(repo)
    assert os.access(hook, os.X_OK)
    content = repo / "content"
    write(content, {f"{UNIT_DIR}/bai-hook.md": article("Bài qua hook", date="32/13/2020")})
    git(repo, "add", ".")
    refused = git(repo, "commit", "-q", "-m", "Bài lỗi", check_rc=False)
    assert refused.returncode == 1
    assert "bai-hook.md:2: Date: lỗi:" in refused.stdout + refused.stderr
    assert git(repo, "log", "--oneline").stdout.count("\n") == 1

    write(content, {f"{UNIT_DIR}/bai-hook.md": article("Bài qua hook", date="12/05/2020 08:30")})
    git(repo, "add", ".")
    accepted = git(repo, "commit", "-q", "-m", "Bài đã sửa", check_rc=False)
    assert accepted.returncode == 0, accepted.stdout + accepted.stderr
    assert git(repo, "log", "--oneline").stdout.count("\n") == 2


def test_install_hook_keeps_someone_elses_hook(repo):
    hooks = repo / ".git" / "hooks"
    hooks.mkdir(exist_ok=True)
    (hooks / "pre-commit").write_text("#!/bin/sh\nexit 0\n")
    with pytest.raises(FileExistsError):
        check.install_hook(repo)
    assert check.install_hook(repo, force=True).read_text().count(check.HOOK_MARK) == 1


def test_hook_of_the_flat_layout_is_written_again(repo):
    """A hook installed when the checker was ``newsroom/check.py`` (the text it wrote then)
    would refuse every commit once the module moved: ``refresh_hook`` writes it again, with
    the same Python, and a good article is committed through it."""
    hook = repo / ".git" / "hooks" / "pre-commit"
    hook.parent.mkdir(exist_ok=True)
    hook.write_text(
        f"#!/bin/sh\n{check.HOOK_MARK}: kiểm tra bài viết trước khi commit (invoke install-hooks).\n"
        'top="$(git rev-parse --show-toplevel)" || exit 1\n'
        f'code="{ROOT}"; [ -f "$top/newsroom/check.py" ] && code="$top"\n'
        'cd "$top" && PYTHONPATH="$code${PYTHONPATH:+:$PYTHONPATH}" '
        f'exec "{sys.executable}" -m newsroom.check --staged --content "$top/content"\n')
    hook.chmod(0o755)
    write(repo / "content", {f"{UNIT_DIR}/bai-hook.md": article("Bài qua hook cũ")})
    git(repo, "add", ".")
    refused = git(repo, "commit", "-q", "-m", "Bài", check_rc=False)
    assert refused.returncode != 0 and "newsroom.check" in refused.stderr

    assert check.refresh_hook(repo) == hook
    text = hook.read_text()
    assert f'exec "{sys.executable}" -m newsroom.intake.check --staged' in text
    assert check.refresh_hook(repo) is None  # current already
    accepted = git(repo, "commit", "-q", "-m", "Bài", check_rc=False)
    assert accepted.returncode == 0, accepted.stdout + accepted.stderr
    assert git(repo, "log", "--oneline").stdout.count("\n") == 2


def test_invoke_check_task_runs_from_the_command_line(content):
    bad = write(content, {f"{UNIT_DIR}/cli.md": article("Bài dòng lệnh", unit="khong-co")})
    result = subprocess.run(
        [sys.executable, "-m", "invoke", "check", "--paths", str(bad / UNIT_DIR / "cli.md")],
        cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 1
    assert "cli.md:3: Unit: lỗi: “khong-co” không phải tên một đơn vị" in result.stdout


def test_sample_content_passes_check(sample_site):
    report = check.check(None, ROOT / "content")
    assert not report.errors, "\n".join(map(str, report.errors))


def test_benchmark_corpus_is_valid_content(capsys):
    """The benchmark measures clean articles (no timing asserted here: see invoke bench.check)."""
    from benchmarks import bench_check

    result = bench_check.run(40, repeat=1)
    assert result["articles"] == 40 and result["errors"] == 0 and result["warnings"] == 0
    assert "invoke check trên 40 bài" in capsys.readouterr().out


def test_bad_focus_point_is_reported_by_check_as_by_the_build(content, make_site, caplog):
    """``Image_focus`` is checked when a submission is checked, not only when the site is
    built: the same warning, file, line and fix in both."""
    text = article("Tin có điểm chính sai", image="doi-thoai/anh-bia.jpg",
                   image_alt="Hội trường", image_focus="giữa ảnh")
    line = text.splitlines().index("Image_focus: giữa ảnh") + 1
    path = content / UNIT_DIR / "diem-chinh.md"
    path.write_text(text, encoding="utf-8")
    code, out = run([path], content)
    expected = (f"content/{UNIT_DIR}/diem-chinh.md:{line}: Image_focus: cảnh báo: “giữa ảnh” "
                "không phải điểm chính hợp lệ. Cách sửa: ghi hai số phần trăm ngang, dọc, "
                "ví dụ “50, 30”")
    assert code == 0, out  # a warning alone does not refuse the submission
    assert expected in out.splitlines(), out
    good = content / UNIT_DIR / "diem-chinh-dung.md"
    good.write_text(article("Tin có điểm chính đúng", image="doi-thoai/anh-bia.jpg",
                            image_alt="Hội trường", image_focus="50%, 30,5%"), encoding="utf-8")
    assert "Image_focus" not in run([good], content)[1]
    assert schema.parse_focus("50%, 30,5%") == (0.5, 0.305)
    assert schema.parse_focus("101, 50") is None

    # The build (same content folder) says it once, in the same words.
    with caplog.at_level("WARNING"):
        built = make_site({}, strict=False)
    said = [r.getMessage() for r in caplog.records if "Image_focus" in r.getMessage()]
    assert said == [expected], said
    assert "Tin có điểm chính sai" in built.text("2020/06/tin-co-diem-chinh-sai/")


def test_check_and_the_image_plugin_say_the_same_about_size_and_heic(tmp_path):
    """One owner of the file checks: the image plugin's worker (``process.check_file``) and
    ``invoke check`` (``schema.image_problem``) give the same message and limit."""
    from plugins.images.images import DEFAULTS, config
    from plugins.images.process import ImageProblem, Limits, check_file

    limits = Limits.from_conf(config({"IMAGES": {}}))
    assert limits.max_bytes == schema.LIMITS.image_bytes
    assert "max_bytes" not in DEFAULTS  # one owner: NEWSROOM_LIMITS, not IMAGES
    heavy = tmp_path / "nang.jpg"
    heavy.write_bytes(jpeg() + b"\0" * (21 * 1024 * 1024))
    renamed = tmp_path / "iphone.jpg"  # an iPhone photo renamed: HEIC by its content
    renamed.write_bytes(b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + b"\0" * 200)
    for path, words in ((heavy, "quá giới hạn 20 MB"), (renamed, "HEIC")):
        said = schema.image_problem(path)
        with pytest.raises(ImageProblem) as raised:
            check_file(path, limits)
        assert (raised.value.message, raised.value.fix) == said
        assert words in said[0], said
