"""Reading pages the way a user (or a crawler) does: the text of table rows, the links."""

from __future__ import annotations

from html.parser import HTMLParser

LINK_ATTRIBUTES = {
    ("a", "href"),
    ("a", "hx-get"),
    ("img", "src"),
    ("link", "href"),
    ("script", "src"),
    ("form", "action"),
    ("form", "hx-get"),
    ("th", "hx-get"),
}


class _Tables(HTMLParser):
    """Rows (lists of cell texts) of every table whose class list contains `css_class`."""

    def __init__(self, css_class: str):
        super().__init__()
        self.css_class = css_class
        self.depth = 0  # > 0 while inside a matching table
        self.rows: list[list[str]] = []
        self.cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table" and (self.depth or self.css_class in (attrs.get("class") or "").split()):
            self.depth += 1
        elif self.depth and tag == "tr":
            self.rows.append([])
        elif self.depth and tag in ("td", "th"):
            self.cell = []

    def handle_endtag(self, tag):
        if tag == "table" and self.depth:
            self.depth -= 1
        elif self.depth and tag in ("td", "th") and self.cell is not None:
            self.rows[-1].append(" ".join("".join(self.cell).split()))
            self.cell = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell.append(data)


def table_rows(html: str, css_class: str) -> list[list[str]]:
    """Body rows of the table with this class, as cell texts (the header row is left out)."""
    parser = _Tables(css_class)
    parser.feed(html)
    return [row for row in parser.rows[1:] if row]


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.links: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "form" and (dict(attrs).get("method") or "get").lower() != "get":
            return  # a POST form changes something: not a link to follow
        for name, value in attrs:
            if (tag, name) in LINK_ATTRIBUTES and value:
                self.links.append(value)


def links(html: str) -> list[str]:
    """Every URL a GET can reach from the page: links, htmx GETs, images, styles, scripts, GET forms."""
    parser = _Links()
    parser.feed(html)
    return parser.links
