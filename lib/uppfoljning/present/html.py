"""The report's HTML pages: one self-contained page per executed notebook, and the start page.

A page is deterministic (the same notebook gives the same bytes: pandas Styler ids are
renumbered, run-specific metadata and stderr are left out), gets a table of contents of its
h1-h3 headings, and is refused when anything in it would load from the network or could run in
a browser. The templates live in `uppfoljning/templates/uppfoljning/`.
"""

from __future__ import annotations

import contextlib
import copy
import html
import re
from collections.abc import Sequence
from importlib.resources import as_file, files
from pathlib import Path
from typing import Any

from uppfoljning.present import safety

__all__ = ["TEMPLATE_NAME", "export_html", "write_index"]

TEMPLATE_NAME = "uppfoljning"
_TOC_PLACEHOLDER = "<!--uppfoljning:innehall-->"


def _templates_dir() -> contextlib.AbstractContextManager[Path]:
    """The package's template directory as a real path (nbconvert and jinja need one)."""
    return as_file(files("uppfoljning") / "templates")


def _stylesheet() -> str:
    path = files("uppfoljning") / "templates" / TEMPLATE_NAME / "static" / "uppfoljning.css"
    return path.read_text(encoding="utf-8")


def _start_page_css() -> str:
    """The stylesheet for the start page, which shows it unescaped (`| safe`): autoescaping
    turned its quotes into `&#34;`, the browser dropped the font stack and fell back to Times."""
    css = _stylesheet()
    if "</" in css:  # our own file, but a `</style>` in it would end the style element
        raise ValueError("uppfoljning.css får inte innehålla '</'")
    return css


_TABLE_TAG_RE = re.compile(r"<(/?)table\b[^>]*>", re.I)
TABLE_WRAPPER = '<div class="tabell">'


def _wrap_tables(page: str) -> str:
    """Put every outermost `<table>` in `<div class="tabell">`, the container that scrolls
    sideways on a narrow screen (390 px) so that the page itself never does."""
    out: list[str] = []
    position = depth = 0
    for match in _TABLE_TAG_RE.finditer(page):
        closing = bool(match.group(1))
        if not closing:
            if depth == 0:
                out.append(page[position : match.start()] + TABLE_WRAPPER)
                position = match.start()
            depth += 1
        elif depth:
            depth -= 1
            if depth == 0:
                out.append(page[position : match.end()] + "</div>")
                position = match.end()
    if depth:  # an unclosed table (not from nbconvert): leave the page as it was
        return page
    out.append(page[position:])
    return "".join(out)


_HEADING_RE = re.compile(r"<h([1-3])((?:\s[^>]*)?)>(.*?)</h\1\s*>", re.S | re.I)
_ID_RE = re.compile(r"""\sid\s*=\s*(?:"([^"]*)"|'([^']*)')""", re.I)
_ANCHOR_LINK_RE = re.compile(r"<a\b[^>]*\banchor-link\b[^>]*>.*?</a>", re.S | re.I)
_TAG_RE = re.compile(r"<[^>]+>")
_STYLER_TABLE_RE = re.compile(r"""<table\b[^>]*\bid=["']T_([0-9a-f]{3,32})["']""", re.I)
_EXTERNAL_RE = re.compile(
    r"""<(?!a\b)[a-z][a-z0-9]*\b[^>]*?\s(?:src|href|data|poster|srcset)\s*=\s*["']?"""
    r"""\s*(?:https?:)?//[^\s"'>]*"""
    r"""|url\(\s*["']?\s*(?:https?:)?//[^)]*\)"""
    r"""|@import\b[^;]*""",
    re.I,
)
_MISSING_ALT = 'alt="No description has been provided for this image"'
_REMOVE_CELL_TAGS = {"remove_cell", "remove-cell"}
_REMOVE_OUTPUT_TAGS = {"remove_output", "remove-output"}
_DISPLAY_PRIORITY = [
    "text/html",
    "text/markdown",
    "image/svg+xml",
    "image/png",
    "image/jpeg",
    "text/latex",
    "text/plain",
]


def _clean_for_html(nb: Any) -> Any:
    """Copy of the notebook with only what readers see and nothing run-specific.

    Papermill and nbclient timing metadata, cell ids (random for the injected parameters cell)
    and stderr output would otherwise make pages differ between identical runs.
    """
    nb = copy.deepcopy(nb)
    nb.metadata.pop("papermill", None)
    nb.metadata.pop("widgets", None)
    cells = []
    for index, cell in enumerate(nb.cells):
        tags = set(cell.metadata.get("tags", []))
        if tags & _REMOVE_CELL_TAGS or "papermill-error-cell-tag" in tags:
            continue
        cell.metadata.pop("papermill", None)
        cell.metadata.pop("execution", None)
        cell.id = f"cell-{index}"
        if cell.cell_type == "code":
            if tags & _REMOVE_OUTPUT_TAGS:
                cell.outputs = []
            cell.outputs = [
                out
                for out in cell.outputs
                if not (out.output_type == "stream" and out.get("name") == "stderr")
            ]
            if not cell.outputs:
                continue  # inputs are hidden: an output-less code cell shows nothing
            cell.execution_count = None
        cells.append(cell)
    nb.cells = cells
    return nb


def _strip_tags(fragment: str) -> str:
    text = _ANCHOR_LINK_RE.sub("", fragment)
    return " ".join(html.unescape(_TAG_RE.sub("", text)).split())


def _slug(text: str) -> str:
    return re.sub(r"[^\w-]+", "-", text, flags=re.UNICODE).strip("-") or "rubrik"


def _add_toc(page: str) -> tuple[str, str]:
    """Give every h1-h3 an id, put a nav of them at the top; return page and first h1 text."""
    start = page.find(_TOC_PLACEHOLDER)
    if start < 0:
        return page, ""
    head, body = page[:start], page[start + len(_TOC_PLACEHOLDER) :]
    seen: set[str] = set()
    entries: list[tuple[int, str, str]] = []
    title = ""

    def heading(match: re.Match[str]) -> str:
        nonlocal title
        level, attrs, inner = int(match.group(1)), match.group(2), match.group(3)
        text = _strip_tags(inner)
        id_match = _ID_RE.search(attrs)
        if id_match:
            raw_id = id_match.group(1) if id_match.group(1) is not None else id_match.group(2)
        else:
            raw_id = html.escape(_slug(text), quote=True)
        anchor = html.unescape(raw_id)
        if anchor in seen:
            number = 2
            while f"{anchor}-{number}" in seen:
                number += 1
            new = f"{anchor}-{number}"
            inner = inner.replace(f'href="#{raw_id}"', f'href="#{html.escape(new, quote=True)}"')
            anchor, raw_id = new, html.escape(new, quote=True)
            attrs = _ID_RE.sub("", attrs)
            id_match = None
        seen.add(anchor)
        if not id_match:
            attrs = f' id="{raw_id}"{attrs}'
        if text:
            entries.append((level, raw_id, text))
            if level == 1 and not title:
                title = text
        return f"<h{level}{attrs}>{inner}</h{level}>"

    body = _HEADING_RE.sub(heading, body)
    if not entries:
        return head + body, title
    items = "\n".join(
        f'<li class="niva-{level}"><a href="#{raw_id}">{html.escape(text)}</a></li>'
        for level, raw_id, text in entries
    )
    nav = (
        '<nav class="innehall" aria-label="Innehåll">\n<h2>Innehåll</h2>\n'
        f"<ul>\n{items}\n</ul>\n</nav>"
    )
    return head + nav + body, title


def _renumber_styler_ids(page: str) -> str:
    """Replace pandas Styler's random table uuids (T_1a2b3) by sequence numbers."""
    for number, uuid in enumerate(dict.fromkeys(_STYLER_TABLE_RE.findall(page)), start=1):
        page = re.sub(rf"T_{uuid}(?![0-9a-f])", f"T_tabell{number}", page)
    return page


def _check_offline(page: str, name: str) -> None:
    match = _EXTERNAL_RE.search(page)
    if match:
        raise ValueError(
            f"Sidan {name}.html hänvisar till en extern resurs och går inte att öppna utan "
            f"nätverk: {match.group(0)[:160]!r}. Bädda in resursen eller ta bort den."
        )


def export_html(
    executed: Path,
    html_path: Path,
    *,
    report_title: str = "",
    index_href: str = "index.html",
    source_dir: Path | None = None,
    notebook: Any = None,
) -> str:
    """Export one executed notebook to a self-contained Swedish report page.

    Deterministic: the same notebook content gives the same bytes. ``source_dir`` resolves
    relative image paths in markdown (they are embedded). ``notebook``, when given, is the
    content of ``executed`` already in memory (it is not read again). Returns the page title
    (first H1, else the notebook name). A page with anything that could run in a browser
    (script, on*= handler, javascript: URL) is refused (`safety.check_html`), as is an
    external resource.
    """
    import nbformat
    from nbconvert import HTMLExporter
    from traitlets.config import Config

    name = Path(executed).stem
    nb = _clean_for_html(
        notebook if notebook is not None else nbformat.read(executed, as_version=4)
    )
    config = Config({"NbConvertBase": {"display_data_priority": _DISPLAY_PRIORITY}})
    with _templates_dir() as templates:
        exporter = HTMLExporter(
            config=config,
            template_name=TEMPLATE_NAME,
            extra_template_basedirs=[str(templates)],
            exclude_input=True,
            exclude_input_prompt=True,
            exclude_output_prompt=True,
            embed_images=True,
            language_code="sv",
        )
        resources = {
            "metadata": {"name": name, "path": str(source_dir or Path(executed).parent)},
            "uppfoljning": {"report_title": report_title, "index_href": index_href},
        }
        page, _ = exporter.from_notebook_node(nb, resources=resources)
    page = _renumber_styler_ids(page)
    page = page.replace(_MISSING_ALT, 'alt="Bild"')
    page = _wrap_tables(page)
    page, title = _add_toc(page)
    title = title or name
    page = re.sub(
        r"<title>.*?</title>",
        lambda _: f"<title>{html.escape(title)}</title>",
        page,
        count=1,
        flags=re.S,
    )
    _check_offline(page, name)
    safety.check_html(page, f"{name}.html")  # nothing from the data may run in the browser
    if not page.endswith("\n"):
        page += "\n"
    Path(html_path).write_bytes(page.encode("utf-8"))
    return title


def write_index(
    report: Path,
    *,
    title: str,
    notebooks: Sequence[tuple[str, str]],
    headlines: Sequence[dict[str, Any]],
    tables: Sequence[str],
    xlsx: str,
    demo: bool = False,
    changes: dict[str, Any] | None = None,
) -> None:
    """The start page; `changes` is `present.changes.start_page_view`'s comparison with the
    previous report (None: the page has no such section)."""
    import jinja2

    by_section: dict[str, list[dict[str, Any]]] = {}
    for item in headlines:
        by_section.setdefault(item["section"], []).append(item)
    sections = [
        {"name": name, "entries": sorted(items, key=lambda i: (i["order"], i["key"]))}
        for name, items in sorted(
            by_section.items(),
            key=lambda kv: (min(i.get("_notebook", 0) for i in kv[1]), kv[0]),
        )
    ]
    with _templates_dir() as templates:
        env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(templates / TEMPLATE_NAME),
            autoescape=True,
            keep_trailing_newline=True,
        )
        page = env.get_template("startsida.html.j2").render(
            title=title,
            css=_start_page_css(),
            sections=sections,
            notebooks=[{"href": f"{name}.html", "title": nb_title} for name, nb_title in notebooks],
            tables=[
                {
                    "id": t,
                    "href": f"tables/{t}.csv",
                    "excel": f"excel/{t}.csv" if (report / "excel" / f"{t}.csv").is_file() else "",
                }
                for t in tables
            ],
            xlsx=xlsx,
            manifest="manifest.json",
            demo=demo,
            changes=changes,
        )
    (report / "index.html").write_bytes(page.encode("utf-8"))
