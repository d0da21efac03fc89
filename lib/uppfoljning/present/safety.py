"""Data is shown as text, never run: HTML escaping, safe Markdown, no live workbook formulas.

Real exports carry free text: ledger `text`, row labels (params/rapportstruktur_*.yaml), code
names (params/kodnamn.yaml), the controllers' comments (params/kommentarer/*.md). None of it
may become markup in the HTML pages or a formula in the workbook. The rules live here:

- `escape_html` / `escaped`: every data-derived string in HTML (Styler cells, headers, captions).
- `Markdown` / `sanitize_markdown`: Markdown shown in the reports keeps its formatting (bold,
  lists, links to http, https and mailto) but raw HTML is shown as text and other link targets
  are dropped. nbconvert passes raw HTML in Markdown straight through, hence the need.
- `check_html`: the last line of defence on a finished page; it refuses scripts, event-handler
  attributes and script or data URLs, which the report template itself never contains.
- `set_text_cell`: a text cell of the workbook is always a string cell; one that Excel would
  read as a formula (=, +, -, @, tab, CR first; OWASP CSV injection) gets a leading `'`.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from html.parser import HTMLParser
from typing import Any

from IPython.display import Markdown as _IPythonMarkdown

__all__ = [
    "FORMULA_PREFIXES",
    "Markdown",
    "UnsafeHtmlError",
    "check_html",
    "escape_html",
    "escaped",
    "excel_text",
    "sanitize_markdown",
    "set_text_cell",
]

# --------------------------------------------------------------------------- HTML


def escape_html(value: object) -> str:
    """`value` as HTML text: `&`, `<`, `>` and quotes escaped (safe in text and attributes)."""
    return html.escape(str(value), quote=True)


def escaped(formatter: Callable[[Any], object] | str) -> Callable[[Any], str]:
    """A Styler formatter whose output is escaped; the formatter itself still sees raw values.

    Escaping the output (not the input, as Styler's ``escape="html"`` does for a callable)
    also covers text a formatter makes up or passes through (a code's name, a `<5` marker).
    A str is a format string, as in `Styler.format`.
    """
    format_value = formatter.format if isinstance(formatter, str) else formatter
    return lambda value: escape_html(format_value(value))


# --------------------------------------------------------------------------- Markdown

SAFE_LINK_SCHEMES = frozenset({"http", "https", "mailto"})
_AUTOLINK_RE = re.compile(r"<(?:https?|mailto):[^\s<>\"'`]*>", re.I)
# An inline link or image destination, `](target`, and a reference definition, `[id]: target`.
_INLINE_TARGET_RE = re.compile(r"(\]\(\s*)([^\s)]*)")
_REFERENCE_TARGET_RE = re.compile(
    r"""^( {0,3}\[[^\]\n]+\]:\s*)(\S+)(?=[ \t]*(?:"[^"\n]*"|'[^'\n]*'|\([^)\n]*\))?[ \t]*$)""",
    re.M,
)
_SCHEME_RE = re.compile(r"([a-z][a-z0-9+.\-]*):", re.I)
# Characters browsers drop from a URL (so `java\tscript:` is still javascript:).
_URL_NOISE_RE = re.compile(r"[\x00-\x20\x7f]+")
# Script URLs anywhere else (text the Markdown renderer might still turn into a link).
_SCRIPT_URL_RE = re.compile(r"\b((?:java|vb|live)script\s*)\\?:", re.I)


def _escape_markdown_text(text: str) -> str:
    """`&` and `<` as entities: no raw HTML tag, comment or entity trick survives.

    `>` stays, so `> citat` remains a block quote (without `<` it cannot make a tag).
    """
    return text.replace("&", "&amp;").replace("<", "&lt;")


def _link_scheme(target: str) -> str | None:
    """The scheme a browser would see in a Markdown link target (entities, `\\:` decoded)."""
    for _ in range(3):  # `&amp;#58;` is a colon after the renderer's and the browser's decoding
        target = html.unescape(target)
    target = _URL_NOISE_RE.sub("", re.sub(r"\\(?=[!-/:-@\[-`{-~])", "", target))
    scheme = _SCHEME_RE.match(target)
    return scheme.group(1).lower() if scheme else None


def _safe_target(match: re.Match[str]) -> str:
    scheme = _link_scheme(match.group(2))
    if scheme is not None and scheme not in SAFE_LINK_SCHEMES:
        return match.group(1) + "#"
    return match.group(0)


def sanitize_markdown(text: str) -> str:
    """Markdown with its formatting but no raw HTML and only http/https/mailto/relative links.

    Raw HTML (`<script>`, `<img onerror=...>`) is shown as the text it is; a link to
    `javascript:`, `data:` or any other scheme keeps its text and points to `#`. Inside code
    spans an escaped `<` or `&` shows as the entity; comments rarely hold code.
    """
    parts: list[str] = []
    position = 0
    for autolink in _AUTOLINK_RE.finditer(text):
        parts.append(_escape_markdown_text(text[position : autolink.start()]))
        parts.append(autolink.group(0).replace("&", "&amp;"))
        position = autolink.end()
    parts.append(_escape_markdown_text(text[position:]))
    out = "".join(parts)
    out = _INLINE_TARGET_RE.sub(_safe_target, out)
    out = _REFERENCE_TARGET_RE.sub(_safe_target, out)
    return _SCRIPT_URL_RE.sub(r"\1%3A", out)


class Markdown(_IPythonMarkdown):
    """IPython's Markdown display, sanitised (`sanitize_markdown`): use it for all report text.

    Library text interpolates labels, code names and comments from the data, so the whole
    Markdown string is sanitised, not just the values. It is always text: IPython's own class
    would download a string that starts with "http" and read one that names an existing file.
    """

    def __init__(self, data: object = "", metadata: dict[str, Any] | None = None) -> None:
        self.url = None
        self.filename = None
        self.data = sanitize_markdown("" if data is None else str(data))
        self.metadata = {} if metadata is None else metadata
        self._check_data()


# --------------------------------------------------------------------------- final check


class UnsafeHtmlError(ValueError):
    """A finished page holds something that could run in the reader's browser."""


_ACTIVE_TAGS = frozenset(
    {"script", "iframe", "frame", "frameset", "object", "embed", "applet", "base", "form"}
)
_URL_ATTRIBUTES = frozenset(
    {
        "href",
        "src",
        "action",
        "formaction",
        "xlink:href",
        "data",
        "poster",
        "srcset",
        "background",
        "lowsrc",
        "dynsrc",
        "ping",
        "cite",
        "longdesc",
        "codebase",
        "archive",
        "manifest",
    }
)


def _url_problem(tag: str, attribute: str, value: str) -> str | None:
    """Why this URL may not appear in a report, or None when it may."""
    url = _URL_NOISE_RE.sub("", html.unescape(value)).lower()  # browsers ignore these too
    scheme = _SCHEME_RE.match(url)
    if scheme is None or scheme.group(1) in SAFE_LINK_SCHEMES:
        return None
    if scheme.group(1) == "data" and tag == "img" and attribute == "src":
        return None if url.startswith("data:image/") else "data-adress som inte är en bild"
    return f"adress med {scheme.group(1)}:"


class _ActiveContent(HTMLParser):
    """Collects start tags that could run code: active elements, on*= handlers, script URLs."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[tuple[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found: list[str] = []
        if tag in _ACTIVE_TAGS:
            found.append(f"elementet <{tag}>")
        if tag == "meta" and any(name == "http-equiv" for name, _ in attrs):
            found.append("<meta http-equiv>")
        for name, value in attrs:
            if name.startswith("on"):
                found.append(f"händelseattributet {name}=")
            elif name in _URL_ATTRIBUTES and value:
                for url in value.split(",") if name == "srcset" else [value]:
                    problem = _url_problem(tag, name, url.strip())
                    if problem:
                        found.append(f"{problem} i {name}=")
            elif name == "style" and value and "javascript:" in value.lower():
                found.append("javascript: i style=")
        for what in found:
            self.problems.append((what, self.get_starttag_text() or f"<{tag}>"))

    handle_startendtag = handle_starttag


def check_html(page: str, name: str) -> None:
    """Refuse a page with anything that could run: data must have reached it as text.

    The report template and nbconvert's output contain no scripts, handlers or script URLs,
    so a hit means some text was not escaped on its way into the page (a bug to fix, not data
    to publish).
    """
    parser = _ActiveContent()
    parser.feed(page)
    parser.close()
    if parser.problems:
        what, snippet = parser.problems[0]
        more = f" (och {len(parser.problems) - 1} till)" if len(parser.problems) > 1 else ""
        raise UnsafeHtmlError(
            f"Sidan {name} innehåller kod som skulle kunna köras i läsarens webbläsare: "
            f"{what}{more}, {snippet[:160]!r}. Text från indata ska visas som text; sidan "
            "publiceras inte. Det är ett fel i rapportkoden, inte i indata."
        )


# --------------------------------------------------------------------------- workbook

# OWASP "CSV injection": a cell starting with one of these is read as a formula (or DDE call).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def excel_text(text: str) -> str:
    """The text a workbook cell holds: a leading `'` when Excel would read it as a formula."""
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def set_text_cell(cell: Any, text: str) -> None:
    """Write `text` to an openpyxl cell as a string that no spreadsheet evaluates.

    openpyxl turns a str starting with `=` into a formula (and `#N/A` into an error) on
    assignment, so the type is set after it. A value that looks like a formula also gets the
    `'` prefix (it stays text when exported to CSV or edited) and Excel's quotePrefix flag.
    """
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    # Control characters (a stray \x01 from an export) cannot be stored in XLSX at all.
    safe = excel_text(ILLEGAL_CHARACTERS_RE.sub("\ufffd", text))
    cell.value = safe
    cell.data_type = "s"
    if safe != text and safe.startswith("'"):
        cell.quotePrefix = True
