"""Photos in an article body: every <img> of a processed photo becomes the theme's <picture>;
a photo with a caption (a title, or an italic line right under it) becomes a <figure>; two or
more photos in a row (in one paragraph, or in paragraphs that follow each other) become a
gallery: a grid with captions and a larger view for each photo."""
from __future__ import annotations

from bs4 import BeautifulSoup, NavigableString, Tag

_CAPTION_TAGS = {"em", "i"}


def _tokens(paragraph: Tag) -> list:
    return [k for k in paragraph.children
            if not (isinstance(k, NavigableString) and not k.strip())
            and getattr(k, "name", None) != "br"]


def photo_items(paragraph: Tag, pictures: dict) -> list[dict] | None:
    """The photos of a paragraph that holds only photos (each may be followed by an italic
    caption), or None."""
    items: list[dict] = []
    for token in _tokens(paragraph):
        name = getattr(token, "name", None)
        if name == "img" and id(token) in pictures:
            items.append({"img": token, "image": pictures[id(token)],
                          "alt": token.get("alt", ""), "caption": token.get("title", "")})
        elif name in _CAPTION_TAGS and items and not items[-1]["caption"]:
            items[-1]["caption"] = token.get_text(" ", strip=True)
        else:
            return None
    return items or None


def _runs(soup: BeautifulSoup, pictures: dict):
    """Groups of consecutive top-level photo paragraphs: [(paragraphs, items)]."""
    runs, current = [], None
    for node in list(soup.children):
        if isinstance(node, NavigableString) and not node.strip():
            continue
        items = photo_items(node, pictures) if getattr(node, "name", None) == "p" else None
        if items is None:
            current = None
            continue
        if current is None:
            current = ([], [])
            runs.append(current)
        current[0].append(node)
        current[1].extend(items)
    return runs


def rewrite(soup: BeautifulSoup, pictures: dict, macros, sizes: str, eager: bool) -> None:
    """Rewrite ``soup`` in place. ``pictures`` maps id(img tag) → Picture; ``eager`` lets the
    first photo of the body load at once (when the page shows no cover above it)."""
    first = next((img for img in soup.find_all("img") if id(img) in pictures), None)
    first = first if eager else None

    def html(markup) -> BeautifulSoup:
        return BeautifulSoup(str(markup), "html.parser")

    album = 0
    for paragraphs, items in _runs(soup, pictures):
        if len(items) >= 2:
            album += 1
            for item in items:
                item["caption"] = item["caption"] or item["alt"]
            markup = macros.gallery(items, f"album-{album}", items[0]["img"] is first)
        else:
            item = items[0]
            if item["caption"]:
                markup = macros.figure(item["image"], item["alt"], item["caption"], sizes,
                                       item["img"] is first)
            else:
                picture = macros.picture(item["image"], item["alt"], sizes, item["img"] is first)
                markup = f"<p>{picture}</p>"
        paragraphs[0].replace_with(html(markup))
        for paragraph in paragraphs[1:]:
            paragraph.decompose()
    for img in soup.find_all("img"):  # photos inside text, lists, tables, links
        picture = pictures.get(id(img))
        if picture is not None:
            img.replace_with(html(macros.picture(picture, img.get("alt", ""), sizes,
                                                 img is first)))
