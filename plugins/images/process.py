"""One photo in, its published files out: decode (JPEG draft mode), check, orient, convert to
sRGB, crop, resize and save without any metadata. Runs inside worker processes, so everything
here is a plain function of its arguments."""
from __future__ import annotations

import io
import math
import os
import warnings
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError

from newsroom.core import schema

#: Extensions treated as photos: never published as they are (they may carry GPS), always
#: through this module.
PHOTO_SUFFIXES = {".jpg", ".jpeg", ".jpe", ".png", ".webp", ".tif", ".tiff", ".bmp", ".gif",
                  ".avif", ".heic", ".heif"}
MIME = {"webp": "image/webp", "jpeg": "image/jpeg"}
SUFFIX = {"webp": ".webp", "jpeg": ".jpg"}
_SRGB = ImageCms.createProfile("sRGB")
#: How much narrower than asked a size may come out (never an ``exact`` one) when that lets
#: libjpeg decode at half or a quarter of the size: a portrait phone photo (3000 px wide) gives
#: 1500 px from a half-size decode instead of 1600 px from a full one, a third of its CPU.
DRAFT_SLACK = 0.9
#: libwebp's effort, 0–6. On phone photos, 2 gives the same quality as 4 (PSNR within 0.01 dB)
#: and files as small, in a third of the time: WebP was 60 % of a photo's CPU at 4.
WEBP_METHOD = 2


class ImageProblem(Exception):
    """A photo that cannot be published, said for the reporter: what is wrong and the fix."""

    def __init__(self, message: str, fix: str):
        super().__init__(message)
        self.message = message
        self.fix = fix


@dataclass(frozen=True)
class Variant:
    """One file to make from a photo: ``width`` px wide (never upscaled unless ``exact``),
    cropped to ``ratio`` around ``focus`` (fractions of width and height) when given."""

    name: str
    width: int
    format: str
    ratio: tuple[int, int] | None = None
    focus: tuple[float, float] = (0.5, 0.5)
    exact: bool = False


@dataclass(frozen=True)
class Limits:
    max_bytes: int
    max_pixels: int
    quality: tuple[tuple[str, int], ...] = (("webp", 78), ("jpeg", 82))

    @classmethod
    def from_conf(cls, conf: dict, limits: schema.Limits = schema.LIMITS) -> "Limits":
        """The sizes of the site's limits of an article (``NEWSROOM_LIMITS``), with the
        qualities of an ``IMAGES`` setting (merged over the plugin's defaults)."""
        return cls(limits.image_bytes, limits.image_pixels, tuple(conf["quality"].items()))


def check_file(path: Path, limits: Limits) -> None:
    """Raise :class:`ImageProblem` for a file that must not be decoded at all."""
    try:
        size = path.stat().st_size
        with path.open("rb") as handle:
            head = handle.read(32)
    except FileNotFoundError:
        raise ImageProblem("không tìm thấy tệp ảnh",
                           "kiểm tra tên tệp (cả chữ hoa, chữ thường) và đặt ảnh vào thư mục "
                           "cùng tên bài viết, cạnh tệp bài") from None
    bad = schema.file_problem(path, size, head, limits.max_bytes)  # HEIC, size: one owner
    if bad is not None:
        raise ImageProblem(*bad)


def open_checked(path: Path, limits: Limits) -> Image.Image:
    """Open a photo (header only) after the file checks; refuse decompression bombs."""
    check_file(path, limits)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(path)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _bomb(None, limits) from None
    except UnidentifiedImageError:
        raise ImageProblem("tệp không phải ảnh, hoặc ở định dạng không đọc được",
                           "gửi ảnh JPEG (.jpg) hoặc PNG chụp từ máy ảnh, điện thoại") from None
    except (OSError, SyntaxError, ValueError) as exc:
        raise ImageProblem("tệp ảnh hỏng, không mở được",
                           "chép lại ảnh gốc từ máy chụp rồi gửi lại") from exc
    pixels = image.width * image.height
    if pixels > limits.max_pixels:
        image.close()
        raise _bomb(image.size, limits)
    return image


def _bomb(size, limits: Limits) -> ImageProblem:
    return ImageProblem(*schema.pixels_problem(*(size or (None, None)), limits.max_pixels))


def _crop_box(size, ratio, focus):
    """The largest box of aspect ``ratio`` inside ``size``, centred on ``focus`` if it can."""
    width, height = size
    if not ratio:
        return (0.0, 0.0, float(width), float(height))
    want = ratio[0] / ratio[1]
    crop_w, crop_h = (height * want, height) if width / height > want else (width, width / want)
    left = min(max(focus[0] * width - crop_w / 2, 0), width - crop_w)
    top = min(max(focus[1] * height - crop_h / 2, 0), height - crop_h)
    return (left, top, left + crop_w, top + crop_h)


def _oriented_size(image: Image.Image) -> tuple[int, int]:
    orientation = image.getexif().get(0x0112, 1)
    return (image.height, image.width) if orientation in (5, 6, 7, 8) else image.size


def _draft(image: Image.Image, variants) -> None:
    """Let libjpeg decode at 1/2, 1/4 or 1/8 scale when every variant still gets enough pixels
    (all but :data:`DRAFT_SLACK` of them, for sizes that need not be exact)."""
    if image.format != "JPEG":
        return
    width, height = _oriented_size(image)
    scale = 0.0
    for variant in variants:
        box = _crop_box((width, height), variant.ratio, variant.focus)
        wanted = variant.width if variant.exact else variant.width * DRAFT_SLACK
        scale = max(scale, wanted / (box[2] - box[0]))
    if scale >= 1:
        return
    need = (math.ceil(image.width * scale), math.ceil(image.height * scale))
    image.draft(image.mode if image.mode in ("RGB", "L", "CMYK") else None, need)


def to_srgb(image: Image.Image) -> Image.Image:
    """Upright, sRGB (RGB or RGBA) pixels with no metadata attached."""
    icc = image.info.get("icc_profile")
    image = ImageOps.exif_transpose(image)
    has_alpha = image.mode in ("RGBA", "LA", "PA") or (
        image.mode == "P" and "transparency" in image.info)
    mode = "RGBA" if has_alpha else "RGB"
    if icc:
        try:
            source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            if image.mode not in ("RGB", "RGBA", "CMYK", "L"):
                image = image.convert(mode)
            image = ImageCms.profileToProfile(image, source, _SRGB, outputMode=mode
                                              if image.mode != "CMYK" else "RGB")
        except (ImageCms.PyCMSError, OSError, ValueError):
            pass
    if image.mode != mode:
        image = image.convert(mode)
    image.info = {}
    return image


def render(source: str, variants: tuple[Variant, ...], dest: str, limits: Limits) -> dict:
    """Make every variant of ``source`` into the folder ``dest`` (``<name><suffix>``).

    Returns ``{"size": [w, h], "files": {file name: [width, height]}}``; variants that would
    only repeat a smaller one (a small photo is never upscaled) are left out, and so is an
    ``exact`` one the photo is less than half as wide as. Raises
    :class:`ImageProblem` for a photo that cannot be published.
    """
    path = Path(source)
    image = open_checked(path, limits)
    with image:
        full = _oriented_size(image)  # as sent, before draft decoding shrinks it
        _draft(image, variants)
        try:
            image.load()
            pixels = to_srgb(image)
        except Image.DecompressionBombError:
            raise _bomb(image.size, limits) from None
        except (OSError, SyntaxError, ValueError) as exc:
            raise ImageProblem("tệp ảnh hỏng hoặc chép chưa hết",
                               "chép lại ảnh gốc từ máy chụp rồi gửi lại") from exc
    quality = dict(limits.quality)
    os.makedirs(dest, exist_ok=True)
    files: dict[str, list] = {}
    resized: dict[tuple, Image.Image] = {}
    chain: dict[tuple, Image.Image] = {}  # per crop, the last (smallest) image made so far
    scale_back = full[0] / pixels.width  # size of the photo before draft decoding
    # Largest first: each smaller size is resized from the one before (cheaper, as sharp).
    for variant in sorted(variants, key=lambda v: (repr(v.ratio), v.focus, -v.width, v.format)):
        box = _crop_box(pixels.size, variant.ratio, variant.focus)
        box_w, box_h = box[2] - box[0], box[3] - box[1]
        # never wider than the photo sent, nor than the pixels decoded (DRAFT_SLACK)
        width = variant.width if variant.exact else min(variant.width,
                                                        round(box_w * scale_back),
                                                        math.floor(box_w))
        height = max(1, round(width * box_h / box_w))
        if variant.exact and variant.ratio:
            height = round(variant.width * variant.ratio[1] / variant.ratio[0])
        if variant.exact and box_w * scale_back < variant.width / 2:
            continue  # too small to fill it sharply: the caller makes something else
        name = variant.name
        if name.endswith(f"w{variant.width}"):  # files are named by the width they really have
            name = name[: -len(str(variant.width))] + str(width)
        name += SUFFIX[variant.format]
        if name in files:  # a small photo: this size would only repeat a smaller one
            continue
        crop = (variant.ratio, variant.focus)
        out = resized.get((crop, width, height))
        if out is None:
            base = chain.get(crop)
            if base is not None and base.width >= width:
                out = base.resize((width, height), Image.Resampling.LANCZOS)
            else:
                out = pixels.resize((width, height), Image.Resampling.LANCZOS, box=box,
                                    reducing_gap=3.0 if box_w > 2 * width else None)
            out.info = {}
            resized[(crop, width, height)] = chain[crop] = out
        _save(out, Path(dest) / name, variant.format, quality[variant.format])
        files[name] = [width, height]
    return {"size": list(full), "files": files}


def _save(image: Image.Image, target: Path, fmt: str, quality: int) -> None:
    tmp = target.with_name(target.name + ".tmp")
    if fmt == "jpeg":
        if image.mode == "RGBA":
            flat = Image.new("RGB", image.size, (255, 255, 255))
            flat.paste(image, mask=image.getchannel("A"))
            image = flat
        image.save(tmp, "JPEG", quality=quality, optimize=True, progressive=True)
    else:
        image.save(tmp, "WEBP", quality=quality, method=WEBP_METHOD)
    os.replace(tmp, target)
