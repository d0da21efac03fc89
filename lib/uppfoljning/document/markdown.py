"""The controllers' Markdown as Typst (for the PDF) and as HTML (for rapport.html).

Parsed by markdown-it (CommonMark, raw HTML off). Typst gets every piece of text as a string
literal, so nothing a controller writes can act as Typst markup or code.
"""

from __future__ import annotations

from markdown_it import MarkdownIt
from markdown_it.token import Token

_PARSER = MarkdownIt("commonmark", {"html": False})


def typst_string(text: str) -> str:
    """A Typst string literal: only backslash and quote need escaping."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _inline(children: list[Token]) -> str:
    out: list[str] = []
    stack: list[str] = []
    for tok in children:
        if tok.type == "text" or tok.type == "code_inline":
            out.append(f"#{typst_string(tok.content)}")
        elif tok.type in ("softbreak",):
            out.append('#" "')
        elif tok.type == "hardbreak":
            out.append("#linebreak()")
        elif tok.type in ("strong_open", "em_open"):
            stack.append(tok.type)
            out.append("#strong[" if tok.type == "strong_open" else "#emph[")
        elif tok.type in ("strong_close", "em_close", "link_close"):
            if stack:
                stack.pop()
            out.append("]")
        elif tok.type == "link_open":
            stack.append("link")
            href = str(tok.attrs.get("href", ""))
            safe = href.startswith(("http://", "https://", "mailto:"))
            out.append(f"#link({typst_string(href)})[" if safe else "#[")
    out.extend("]" for _ in stack)
    return "".join(out)


def to_typst(markdown: str, *, heading_level: int = 3) -> str:
    """Markdown → Typst markup (paragraphs, lists, emphasis, links, headings as sub-headings)."""
    tokens = _PARSER.parse(markdown)
    out: list[str] = []
    lists: list[str] = []
    for i, tok in enumerate(tokens):
        if tok.type == "inline":
            prev = tokens[i - 1].type if i else ""
            text = _inline(tok.children or [])
            if prev == "heading_open":
                level = min(heading_level + int(tokens[i - 1].tag[1]) - 3, 6)
                out.append(
                    f"#heading(level: {max(level, heading_level)}, outlined: false)[{text}]\n"
                )
            elif lists:
                marker = "- " if lists[-1] == "bullet" else "+ "
                out.append("  " * (len(lists) - 1) + marker + text + "\n")
            else:
                out.append(text + "\n\n")
        elif tok.type == "bullet_list_open":
            lists.append("bullet")
        elif tok.type == "ordered_list_open":
            lists.append("ordered")
        elif tok.type in ("bullet_list_close", "ordered_list_close"):
            lists.pop()
            if not lists:
                out.append("\n")
        elif tok.type in ("code_block", "fence"):
            out.append(f"#raw({typst_string(tok.content)}, block: true)\n\n")
    return "".join(out)


def to_html(markdown: str) -> str:
    """Markdown → HTML, raw HTML off; markdown-it refuses javascript: and similar links."""
    return _PARSER.render(markdown)
