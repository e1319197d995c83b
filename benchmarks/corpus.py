"""A deterministic corpus of realistic articles for benchmarks and tests.

``generate(folder, n)`` writes ``n`` Vietnamese articles into ``folder/bai-viet/<unit>/<year>/``
as reporters write them (the schema's fields, Markdown body of a few hundred words, some with a
small cover photo beside them), spread over the real units and categories of ``data/`` and over
2020–2026. Article ``i`` depends only on ``i`` and the seed, so a corpus of 10,000 holds the
corpus of 1,000, and two runs give the same bytes. Units, categories, campaigns and themes are
read through ``newsroom.core.data`` (campaigns and themes when their files exist): keywords are written
into the text of articles dated in a campaign's window, so the tagging plugins have work to do.

``generate(folder, n, photos=True)`` is the photo-heavy variant, as union news really is: 80 % of
the articles (all but every fifth) carry 1–6 photos of a phone camera's size
(:data:`PHOTO_SIZE`, 3–6 MB each, with sensor-like noise so the encoder has work), the first
as the cover, the others in the body. The photos are :data:`PHOTO_BASES` distinct pictures, each
file with its own bytes (a trailer after the end of the JPEG), so every one is a photo of its own
to the build's cache and is decoded in full; an article never shows the same picture twice.
"""
from __future__ import annotations

import datetime as dt
import io
import random
import shutil
from pathlib import Path

from newsroom.core import data
from newsroom.core.paths import ROOT
from newsroom.core.text import slugify

START = dt.datetime(2020, 1, 2, 7, 0)
END = dt.datetime(2026, 11, 20, 17, 0)

PEOPLE = [
    "Nguyễn Thị Hoa", "Trần Văn Minh", "Lê Thị Thu Hà", "Phạm Quốc Hưng", "Hoàng Văn Đức",
    "Vũ Thị Lan", "Đặng Văn Toàn", "Bùi Thị Hằng", "Đỗ Mạnh Cường", "Ngô Văn Thắng",
    "Dương Thị Ngọc", "Lý Văn Sơn", "Phan Thị Mai", "Trịnh Văn Hải", "Đinh Thị Thủy",
    "Mai Văn Khánh", "Tạ Thị Huyền", "Cao Văn Long", "Lương Thị Yến", "Hà Văn Tùng",
    "Quách Thị Nga", "Đào Văn Phúc", "Lâm Thị Hương", "Kiều Văn Dũng", "Chu Thị Oanh",
]
TOPICS = [
    "an toàn vệ sinh lao động", "thỏa ước lao động tập thể", "đối thoại tại nơi làm việc",
    "bữa ăn ca", "nhà tắm giao ca", "Mái ấm công đoàn", "chăm lo Tết cho thợ mỏ",
    "thi đua lao động giỏi", "sáng kiến cải tiến kỹ thuật", "phòng chống dịch Covid-19",
    "Bộ luật Lao động 2019", "tiền lương tối thiểu vùng", "nữ công", "đoàn viên khó khăn",
    "thể thao công nhân", "văn hóa doanh nghiệp", "Tháng Công nhân", "hội nghị người lao động",
    "khám sức khỏe định kỳ", "bảo hộ lao động", "huấn luyện cấp cứu mỏ", "nước uống giữa ca",
    "xe đưa đón công nhân", "nhà ở tập thể", "học bổng cho con thợ mỏ", "thợ mỏ thu nhập cao",
    "điển hình tiên tiến", "Luật Công đoàn sửa đổi", "bảo hiểm xã hội", "phúc lợi tập thể",
]
TITLES = [
    "{unit} tổ chức {topic} năm {year}",
    "Công đoàn {unit} chăm lo {topic} cho người lao động",
    "{unit}: hiệu quả từ mô hình {topic}",
    "Tọa đàm về {topic} tại {unit}",
    "{person}, người thợ mỏ gắn bó với {topic}",
    "Kiểm tra, giám sát {topic} ở {unit}",
    "{unit} sơ kết công tác {topic} quý {quarter}/{year}",
    "Hỏi đáp: quy định mới về {topic}",
    "Đoàn viên {unit} hưởng ứng {topic}",
    "Phóng sự ảnh: {topic} tại {unit}",
]
SENTENCES = [
    "Sáng {day}/{month}, Công đoàn {unit} phối hợp với chuyên môn tổ chức hội nghị về {topic}, "
    "thu hút {n} đoàn viên, người lao động tham dự.",
    "Theo đồng chí {person}, Chủ tịch Công đoàn Công ty, trong năm {year} đơn vị đã dành hơn "
    "{money} triệu đồng cho các hoạt động {topic}.",
    "Tại hội nghị, người lao động nêu {k} kiến nghị, tập trung vào {topic} và điều kiện làm "
    "việc trong lò.",
    "Lãnh đạo Công ty trả lời trực tiếp từng ý kiến, giao các phòng ban liên quan hoàn thành "
    "trước ngày {day}/{month}.",
    "Anh {person}, tổ trưởng công trường khai thác số {k}, chia sẻ: \"Anh em thợ lò thấy rõ sự "
    "thay đổi, nhất là chuyện {topic}.\"",
    "Công đoàn cơ sở thường xuyên kiểm tra, giám sát việc thực hiện {topic} tại các phân "
    "xưởng, công trường.",
    "Dịp này, Công đoàn trao {k} suất quà, mỗi suất {money} nghìn đồng, cho đoàn viên có hoàn "
    "cảnh khó khăn.",
    "Các tổ công đoàn đã tổ chức {n} buổi sinh hoạt chuyên đề, phổ biến nội dung mới của "
    "{topic} đến từng người lao động.",
    "Kết quả, {n} sáng kiến được công nhận, làm lợi cho đơn vị hơn {money} triệu đồng.",
    "Việc chăm lo đời sống, bảo vệ quyền lợi hợp pháp của người lao động luôn được Công đoàn "
    "{unit} đặt lên hàng đầu.",
    "Đợt kiểm tra phát hiện {k} tồn tại về {topic}; đơn vị đã khắc phục ngay trong ca làm việc.",
    "Thời gian tới, Công đoàn tiếp tục đổi mới nội dung, phương thức hoạt động, hướng về cơ sở, "
    "lấy đoàn viên làm trung tâm.",
    "Năm {year}, thu nhập bình quân của người lao động đạt {income} triệu đồng mỗi tháng, tăng "
    "{k}% so với cùng kỳ.",
    "Hội nghị cũng biểu dương {k} tập thể và {n} cá nhân có thành tích xuất sắc trong phong "
    "trào {topic}.",
    "Theo Bộ luật Lao động 2019, người sử dụng lao động phải bảo đảm {topic} cho người lao "
    "động, và công đoàn có quyền giám sát việc thực hiện.",
]
HEADINGS = ["Kết quả nổi bật", "Ý kiến người lao động", "Những việc cần làm ngay",
            "Nhiều cách làm hay", "Giám sát đến cùng", "Hướng tới cơ sở"]


def _theme_words() -> list[str]:
    """The keywords of every theme (``newsroom.core.data.themes``), none if the file is missing."""
    try:
        themes = data.themes()
    except data.DataError:
        return []
    return [word for theme in themes.values() for word in theme["keywords"]]


def _windows() -> list[tuple[dt.date, dt.date, list[str]]]:
    """(start, end, keywords) of each campaign with keywords (``newsroom.core.data.campaigns``)."""
    try:
        campaigns = data.campaigns()
    except data.DataError:
        return []
    return [(c["start"], c["end"], list(c["keywords"])) for c in campaigns.values()
            if c["keywords"]]


class Corpus:
    """The articles of a corpus, computed from their index (see :func:`generate`)."""

    def __init__(self, seed: int = 2020, photos: bool = False):
        self.seed = seed
        self.photos = photos
        self.units = list(data.units().values())
        self.categories = list(data.categories().values())
        self.tags = sorted({slugify(t): t for t in TOPICS}.values())
        self.theme_words = _theme_words()
        self.windows = _windows()
        self.tags += [f"{t} {y}" for t in ("Tháng Công nhân", "Tết", "an toàn lao động")
                      for y in range(2020, 2027)]

    def date(self, index: int, rng: random.Random) -> dt.datetime:
        span = (END - START).total_seconds()
        # Spread over the years but not in index order, as a real archive imported at once.
        fraction = ((index * 7919) % 100_003) / 100_003
        when = START + dt.timedelta(seconds=int(span * fraction))
        return when.replace(minute=rng.choice((0, 15, 30, 45)), second=0)

    def article(self, index: int, date: dt.datetime | None = None) -> tuple[str, str, dict]:
        """``(relative path, Markdown source, info)`` of article number ``index``."""
        rng = random.Random(f"{self.seed}:{index}")
        unit = self.units[index % len(self.units)]
        category = self.categories[rng.randrange(len(self.categories))]
        date = date or self.date(index, rng)
        topic = rng.choice(TOPICS)
        person = rng.choice(PEOPLE)
        slots = {"unit": unit["short"], "topic": topic, "person": person, "year": date.year,
                 "quarter": (date.month - 1) // 3 + 1}
        title = rng.choice(TITLES).format(**slots)
        title = title[0].upper() + title[1:]
        slug = f"{slugify(title)[:60].rstrip('-')}-{index}"
        authors = [person] if rng.random() < 0.8 else [person, rng.choice(PEOPLE)]
        tags = rng.sample(self.tags, rng.randint(1, 4))
        extra_words = []
        for start, end, words in self.windows:
            if start <= date.date() <= end:
                extra_words.extend(words[:2])
        if self.theme_words and rng.random() < 0.5:
            extra_words.append(rng.choice(self.theme_words))

        def sentence():
            return rng.choice(SENTENCES).format(
                **{**slots, "person": rng.choice(PEOPLE)}, day=rng.randint(1, 28),
                month=date.month, n=rng.randint(20, 900), k=rng.randint(2, 30),
                money=rng.randint(5, 900), income=rng.randint(9, 25))

        paragraphs = []
        for _ in range(rng.randint(4, 9)):
            paragraphs.append(" ".join(sentence() for _ in range(rng.randint(2, 5))))
        if extra_words:
            paragraphs.insert(1, "Hoạt động nằm trong chương trình "
                              + ", ".join(extra_words) + " của Công đoàn TKV.")
        body_parts = [paragraphs[0]]
        for i, paragraph in enumerate(paragraphs[1:], 1):
            if i % 3 == 0:
                body_parts.append(f"## {rng.choice(HEADINGS)}")
            if i == 4:
                body_parts.append("\n".join(f"- {sentence()}" for _ in range(3)))
            body_parts.append(paragraph)
        summary = sentence()[:250]

        fields = {
            "Title": title,
            "Date": date.strftime("%Y-%m-%d %H:%M"),
            "Unit": unit["slug"],
            "Author": ", ".join(dict.fromkeys(authors)),
            "Category": category["name"],
            "Tags": ", ".join(tags),
            "Summary": summary,
            "Slug": slug,
        }
        if category.get("question_required"):
            fields["Question"] = f"Anh {person} ở {unit['short']} hỏi: quy định về {topic} ra sao?"
        image = index % 20 == 0 and not self.photos
        if image:
            fields["Image"] = f"{slug}/anh-bia.jpg"
            fields["Image_alt"] = f"Đoàn viên {unit['short']} tại hội nghị về {topic}"
            body_parts.append(f"![Quang cảnh hội nghị]({{static}}{slug}/anh-bia.jpg)")
        photos = photo_names(index, self.seed) if self.photos else []
        if photos:
            fields["Image"] = f"{slug}/{photos[0]}"
            fields["Image_alt"] = f"Đoàn viên {unit['short']} tại hội nghị về {topic}"
            for n, name in enumerate(photos[1:], 2):
                body_parts.insert(min(n, len(body_parts)),
                                  f"![Ảnh {n}: {topic} tại {unit['short']}]({{static}}{slug}/{name})")
        if rng.random() < 0.05:
            fields["Featured"] = "yes"
        header = "\n".join(f"{k}: {v}" for k, v in fields.items())
        source = header + "\n\n" + "\n\n".join(body_parts) + "\n"
        rel = f"bai-viet/{unit['slug']}/{date.year}/{slug}.md"
        return rel, source, {"slug": slug, "image": image, "title": title, "date": date,
                             "photos": photos}


PHOTO_SIZE = (4000, 3000)
PHOTO_BASES = 16


def photo_names(index: int, seed: int = 2020) -> list[str]:
    """The photo files of article ``index`` in the photo-heavy corpus: none for every fifth
    article, else 1–6, each naming the distinct picture it shows (``anh-<picture>.jpg``)."""
    if index % 5 == 4:
        return []
    rng = random.Random(f"{seed}:anh:{index}")
    return [f"anh-{base}.jpg" for base in rng.sample(range(PHOTO_BASES), rng.randint(1, 6))]


def camera_photo(size=PHOTO_SIZE, seed=0) -> bytes:
    """A JPEG with the weight of a phone photo (gradient, shapes and sensor-like noise, EXIF
    orientation and GPS), 3–6 MB at 4000×3000."""
    from PIL import Image, ImageFilter

    rnd = random.Random(seed)
    width, height = size
    base = Image.linear_gradient("L").resize(size).convert("RGB")
    tint = Image.new("RGB", size, (rnd.randrange(256), rnd.randrange(256), rnd.randrange(256)))
    image = Image.blend(base, tint, 0.5)
    for _ in range(40):
        x, y = rnd.randrange(width), rnd.randrange(height)
        image.paste((rnd.randrange(256),) * 3, (x, y, x + rnd.randrange(50, 900),
                                               y + rnd.randrange(50, 700)))
    noise = Image.effect_noise(size, 60).convert("RGB").filter(ImageFilter.SMOOTH)
    image = Image.blend(image, noise, 0.25)
    exif = Image.Exif()
    exif[0x0112] = rnd.choice((1, 6, 8))
    exif.get_ifd(0x8825).update({1: "N", 2: (21.0, 0.0, 56.0), 3: "E", 4: (107.0, 7.0, 30.0)})
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=95, exif=exif.tobytes())
    return buffer.getvalue()


def image_bytes(index: int) -> bytes:
    """A small JPEG (deterministic bytes) standing in for a reporter's photo."""
    from PIL import Image, ImageDraw

    rng = random.Random(index)
    img = Image.new("RGB", (320, 200), tuple(rng.randrange(60, 200) for _ in range(3)))
    draw = ImageDraw.Draw(img)
    for _ in range(12):
        x, y = rng.randrange(320), rng.randrange(200)
        draw.rectangle((x, y, x + rng.randrange(10, 80), y + rng.randrange(10, 60)),
                       fill=tuple(rng.randrange(256) for _ in range(3)))
    buffer = io.BytesIO()
    img.save(buffer, "JPEG", quality=70)
    return buffer.getvalue()


PAGES = {
    "pages/gioi-thieu.md": "Title: Giới thiệu\n\nTrang thông tin điện tử của Công đoàn TKV.\n",
    "pages/lien-he.md": ("Title: Liên hệ\n\nBan Tuyên giáo Công đoàn TKV, "
                         "email toasoan@congdoantkv.vn.\n"),
}


def write_article(folder: Path, corpus: Corpus, index: int, date=None,
                  pictures: dict | None = None, photo_size=PHOTO_SIZE) -> Path:
    """Write article ``index`` and its photos; ``pictures``: the photo-heavy corpus's
    pictures by file name, made once (:func:`camera_photo`, ``photo_size``)."""
    rel, source, info = corpus.article(index, date)
    target = Path(folder) / rel
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(source, encoding="utf-8")
    if info["image"]:
        image = target.parent / info["slug"] / "anh-bia.jpg"
        image.parent.mkdir(exist_ok=True)
        image.write_bytes(image_bytes(index))
    for name in info["photos"]:
        if pictures is None:
            pictures = {}
        if name not in pictures:
            pictures[name] = camera_photo(photo_size, seed=int(name[4:-4]))
        image = target.parent / info["slug"] / name
        image.parent.mkdir(exist_ok=True)
        image.write_bytes(pictures[name] + f"{info['slug']}/{name}".encode())
    return target


def generate(folder: Path | str, n: int, seed: int = 2020, photos: bool = False,
             photo_size=PHOTO_SIZE) -> list[Path]:
    """Write ``n`` articles (and two pages) under ``folder``; return the article paths.
    ``photos``: the photo-heavy variant (see the module), its photos ``photo_size`` px."""
    folder = Path(folder)
    corpus = Corpus(seed, photos)
    pictures: dict[str, bytes] = {}
    shared = ROOT / "content" / "images"  # campaign banners and other site images
    if shared.is_dir():
        shutil.copytree(shared, folder / "images", dirs_exist_ok=True)
    for rel, text in PAGES.items():
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        (folder / rel).write_text(text, encoding="utf-8")
    return [write_article(folder, corpus, i, pictures=pictures, photo_size=photo_size)
            for i in range(n)]


class Changes:
    """Edit one article and add one, then put the corpus back as it was."""

    def __init__(self, content: Path, n: int):
        self.content = content
        self.n = n
        self.corpus = Corpus()
        rel, _, _ = self.corpus.article(n // 2)
        self.edited = content / rel
        self.original = self.edited.read_bytes()
        self.added: list[Path] = []

    def edit(self, round_: int):
        text = self.original.decode("utf-8")
        self.edited.write_text(text.replace("\n\n", f"\n\nBản sửa lần {round_ + 1}. ", 1)
                               .rstrip() + f" Cập nhật lần {round_ + 1}.\n", encoding="utf-8")

    def add(self, round_: int):
        date = END + dt.timedelta(days=1 + round_)
        self.added.append(write_article(self.content, self.corpus, self.n + round_, date))

    def restore(self):
        self.edited.write_bytes(self.original)
        for path in self.added:
            path.unlink(missing_ok=True)
            shutil.rmtree(path.with_suffix(""), ignore_errors=True)
        self.added.clear()
