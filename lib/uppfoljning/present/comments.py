"""The controllers' comments file (Markdown, one `## ` heading per section), parsed without
pandas or matplotlib, so that the checks before a run can read it cheaply."""

from __future__ import annotations


def parse_comments(text: str) -> dict[str, str]:
    """Split a Markdown file into {heading (lower case): body} on `## ` headings."""
    out: dict[str, str] = {}
    current: str | None = None
    lines: list[str] = []
    for line in text.splitlines():
        if line.startswith("## "):
            if current is not None:
                out[current] = "\n".join(lines).strip()
            current, lines = line[3:].strip().lower(), []
        elif current is not None:
            lines.append(line)
    if current is not None:
        out[current] = "\n".join(lines).strip()
    return out
