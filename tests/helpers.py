"""Small helpers for writing test content: files, articles, photos, a folder's bytes."""
import io
import subprocess
import textwrap
from pathlib import Path

from PIL import Image

from newsroom.core.paths import ROOT

#: The card fonts shipped with the theme (bold for titles, medium for footers).
FONTS = (str(ROOT / "theme/fonts/BeVietnamPro-Bold.ttf"),
         str(ROOT / "theme/fonts/BeVietnamPro-Medium.ttf"))


def write_files(content: Path, files: dict) -> None:
    """Write ``{relative path: text or bytes}`` under ``content`` (text dedented, bytes as they
    are), with an empty ``pages/`` folder as a content tree has."""
    for rel, body in files.items():
        target = Path(content) / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(body, bytes):
            target.write_bytes(body)
        else:
            target.write_text(textwrap.dedent(body).lstrip(), encoding="utf-8")
    (Path(content) / "pages").mkdir(parents=True, exist_ok=True)


def article(title="Tin thử nghiệm", date="2020-06-10 09:00", unit="than-ha-lam",
            author="Nguyễn Văn An", category="Tin tức", body="Nội dung tin.", **extra) -> str:
    """Markdown source of an article; ``None`` drops a field."""
    fields = {"Title": title, "Date": date, "Unit": unit, "Author": author,
              "Category": category, **{k.capitalize(): v for k, v in extra.items()}}
    header = "\n".join(f"{k}: {v}" for k, v in fields.items() if v is not None)
    return f"{header}\n\n{body}\n"


def jpeg(size=(1200, 800), color=(20, 80, 150), quality=85) -> bytes:
    """A plain JPEG photo: its bytes depend only on the arguments."""
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, "JPEG", quality=quality)
    return buffer.getvalue()


def png(size=(400, 300), color=(220, 40, 40, 160)) -> bytes:
    """A plain PNG with transparency."""
    buffer = io.BytesIO()
    Image.new("RGBA", size, color).save(buffer, "PNG")
    return buffer.getvalue()


def tree(folder: Path) -> dict[str, bytes]:
    """``{relative path: bytes}`` of every file under ``folder`` (to compare two builds)."""
    folder = Path(folder)
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def git(repo: Path, *args: str) -> str:
    """``git -C repo args``; its output (fails the test on an error)."""
    return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True,
                          check=True).stdout


def editors_repo(repo: Path) -> Path:
    """A new git repository with an empty ``content/pages`` and one commit, made by the editor
    Lê Thu Hà (the repository approvals are committed to); returns ``repo / "content"``."""
    (repo / "content" / "pages").mkdir(parents=True)
    git(repo, "init", "-q")
    git(repo, "config", "user.name", "Lê Thu Hà")
    git(repo, "config", "user.email", "ha@congdoantkv.vn")
    (repo / "README.md").write_text("kho\n")
    git(repo, "add", "README.md")
    git(repo, "commit", "-qm", "Khởi tạo")
    return repo / "content"
