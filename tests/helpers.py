"""Small helpers for writing test content."""


def article(title="Tin thử nghiệm", date="2020-06-10 09:00", unit="than-ha-lam",
            author="Nguyễn Văn An", category="Tin tức", body="Nội dung tin.", **extra) -> str:
    """Markdown source of an article; ``None`` drops a field."""
    fields = {"Title": title, "Date": date, "Unit": unit, "Author": author,
              "Category": category, **{k.capitalize(): v for k, v in extra.items()}}
    header = "\n".join(f"{k}: {v}" for k, v in fields.items() if v is not None)
    return f"{header}\n\n{body}\n"
