"""A report as a list of blocks, rendered to Markdown or to one self-contained HTML file.

``markdown.document(data)`` says WHAT the comparison report shows (headings, paragraphs,
tables, lists, plots); this module says how it looks in each format, so comparison.md and
comparison.html cannot drift apart. Text inside blocks may use three inline Markdown forms,
``**bold**``, ``*italic*`` and ```code```, which the HTML renderer converts after escaping.

The HTML file has no external reference: the style sheet is inline and every plot is embedded
as a ``data:image/png;base64`` URI, so the file can be mailed or attached on its own.
"""

from __future__ import annotations

import base64
import html
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field


@dataclass
class Heading:
    """A section title (level 1 is the report's title)."""

    text: str
    level: int = 2


@dataclass
class Paragraph:
    """A paragraph of text with inline Markdown."""

    text: str
    css: str = ""  # an HTML class, e.g. "headline"


@dataclass
class Table:
    """A table: ``lead`` left-aligned name columns, then right-aligned value columns."""

    header: list[str]
    rows: list[list[str]]
    lead: int = 1


@dataclass
class Bullets:
    """A bulleted list."""

    items: list[str]


@dataclass
class Image:
    """A plot: ``path`` relative to the report folder."""

    alt: str
    path: str


@dataclass
class Section:
    """A titled group of blocks (a ``<section>`` in HTML, a heading in Markdown)."""

    title: str
    blocks: list[Block] = field(default_factory=list)
    level: int = 2


Block = Heading | Paragraph | Table | Bullets | Image | Section


def table_row(lead: Sequence[str], cells: Sequence[str]) -> str:
    """One Markdown table row: the ``lead`` cells (names), then the value ``cells``."""
    return "| " + " | ".join([*lead, *cells]) + " |"


def table_rule(lead: Sequence[str], values: int) -> str:
    """The line under a table's header: ``lead`` alignments as given ("---" left, "---:"
    right), then ``values`` right-aligned number columns."""
    return "|" + "".join(f"{a}|" for a in lead) + "---:|" * values


def to_markdown(blocks: Sequence[Block]) -> str:
    """The blocks as GitHub-flavoured Markdown, one blank line between blocks."""
    return "\n\n".join(_markdown(b) for b in blocks) + "\n"


def _markdown(block: Block) -> str:
    if isinstance(block, Heading):
        return "#" * block.level + " " + block.text
    if isinstance(block, Paragraph):
        return block.text
    if isinstance(block, Table):
        lines = [table_row(block.header[: block.lead], block.header[block.lead :])]
        lines.append(table_rule(["---"] * block.lead, len(block.header) - block.lead))
        lines += [table_row(r[: block.lead], r[block.lead :]) for r in block.rows]
        return "\n".join(lines)
    if isinstance(block, Bullets):
        return "\n".join(f"- {item}" for item in block.items)
    if isinstance(block, Image):
        return f"![{block.alt}]({block.path})"
    inner = [Heading(block.title, block.level), *block.blocks]
    return "\n\n".join(_markdown(b) for b in inner)


_INLINE = (
    (re.compile(r"\*\*(.+?)\*\*"), r"<strong>\1</strong>"),
    (re.compile(r"(?<![\w*])\*(?!\s)(.+?)(?<!\s)\*(?![\w*])"), r"<em>\1</em>"),
    (re.compile(r"`(.+?)`"), r"<code>\1</code>"),
)


def inline_html(text: str) -> str:
    """Escape ``text`` and turn its inline Markdown into HTML."""
    out = html.escape(text, quote=False)
    for pattern, repl in _INLINE:
        out = pattern.sub(repl, out)
    return out


STYLE = """
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2em auto;
       max-width: 1200px; padding: 0 1em; color: #222; }
h1 { font-size: 1.6em; } h2 { font-size: 1.25em; margin-top: 1.8em; border-bottom: 1px solid #ddd; }
h3 { font-size: 1.05em; }
p.headline { font-size: 1.1em; background: #f4f7fb; border-left: 4px solid #2b6cb0;
             padding: 0.6em 0.9em; }
table { border-collapse: collapse; margin: 0.6em 0; font-size: 13px; }
th, td { border: 1px solid #ccc; padding: 3px 8px; }
th { background: #f0f0f0; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
tr:nth-child(even) td { background: #fafafa; }
img { max-width: 100%; display: block; margin: 0.8em 0; border: 1px solid #eee; }
code { background: #f3f3f3; padding: 0 3px; }
"""


def to_html(blocks: Sequence[Block], title: str, image_bytes: Callable[[str], bytes | None]) -> str:
    """One self-contained HTML page; ``image_bytes(path)`` reads a plot (None: left out)."""
    body = "\n".join(_html(b, image_bytes) for b in blocks)
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{html.escape(title)}</title>\n<style>{STYLE}</style>\n</head>\n"
        f"<body>\n{body}\n</body>\n</html>\n"
    )


def _html(block: Block, image_bytes: Callable[[str], bytes | None]) -> str:
    if isinstance(block, Heading):
        return f"<h{block.level}>{inline_html(block.text)}</h{block.level}>"
    if isinstance(block, Paragraph):
        css = f' class="{block.css}"' if block.css else ""
        return f"<p{css}>{inline_html(block.text)}</p>"
    if isinstance(block, Table):
        head = "".join(f"<th>{inline_html(h)}</th>" for h in block.header)
        rows = []
        for r in block.rows:
            cells = [
                f"<td>{inline_html(c)}</td>"
                if i < block.lead
                else f'<td class="num">{inline_html(c)}</td>'
                for i, c in enumerate(r)
            ]
            rows.append("<tr>" + "".join(cells) + "</tr>")
        return f"<table>\n<tr>{head}</tr>\n" + "\n".join(rows) + "\n</table>"
    if isinstance(block, Bullets):
        return "<ul>\n" + "\n".join(f"<li>{inline_html(i)}</li>" for i in block.items) + "\n</ul>"
    if isinstance(block, Image):
        data = image_bytes(block.path)
        if data is None:
            return ""
        uri = "data:image/png;base64," + base64.b64encode(data).decode("ascii")
        return f'<img alt="{html.escape(block.alt)}" src="{uri}">'
    inner = "\n".join(_html(b, image_bytes) for b in block.blocks)
    title = f"<h{block.level}>{inline_html(block.title)}</h{block.level}>"
    return f"<section>\n{title}\n{inner}\n</section>"
