"""Editing raw exports the way a controller (or a spreadsheet program) would.

The demo exports come in several encodings (UTF-8 with BOM, Windows-1252) and with CRLF line
ends; an edit keeps the file's encoding and line ends, so only the intended mistake changes.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from pathlib import Path

BOM = "\ufeff"


def _decode(path: Path) -> tuple[str, str, str]:
    """(text without BOM, encoding to write back, line end)."""
    data = path.read_bytes()
    newline = "\r\n" if b"\r\n" in data else "\n"
    try:
        text = data.decode("utf-8")
        encoding = "utf-8-sig" if text.startswith(BOM) else "utf-8"
        text = text.removeprefix(BOM)
    except UnicodeDecodeError:
        text, encoding = data.decode("cp1252"), "cp1252"
    return text, encoding, newline


def lines_of(path: Path) -> list[str]:
    text, _, newline = _decode(path)
    return text.rstrip("\r\n").split(newline)


def _write(path: Path, lines: list[str], encoding: str, newline: str) -> None:
    path.write_bytes((newline.join(lines) + newline).encode(encoding))


def append_lines(path: Path, lines: list[str], *, new: bool = False) -> None:
    """Append lines (or write a new file in UTF-8 with `new`)."""
    if new:
        _write(path, lines, "utf-8", "\n")
        return
    _, encoding, newline = _decode(path)
    _write(path, [*lines_of(path), *lines], encoding, newline)


def _separator(header: str) -> str:
    return max(";\t,", key=header.count)


def edit_lines(
    path: Path,
    edits: Mapping[int, Callable[[list[str]], list[str]]],
    separator: str | None = None,
) -> None:
    """Replace the cells of the given physical lines (1 = header) by `edit(cells)`."""
    _, encoding, newline = _decode(path)
    lines = lines_of(path)
    sep = separator or _separator(lines[0])
    for number, edit in edits.items():
        lines[number - 1] = sep.join(edit(lines[number - 1].split(sep)))
    _write(path, lines, encoding, newline)


def find_line(path: Path, predicate: Callable[[list[str]], bool]) -> int:
    """The physical line number of the first data line whose cells satisfy `predicate`."""
    lines = lines_of(path)
    sep = _separator(lines[0])
    for number, line in enumerate(lines[1:], start=2):
        if predicate(line.split(sep)):
            return number
    raise LookupError(path)


def edit_yaml(path: Path, edit: Callable[[str], str]) -> None:
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    path.write_text(edit(text), encoding="utf-8")


def write_xlsx(path: Path, rows: list[list[object]]) -> None:
    from openpyxl import Workbook

    workbook = Workbook()
    for row in rows:
        workbook.active.append(row)
    workbook.save(path)


def economy_only(params: Path, period: str) -> None:
    """Make params/ fit an economy-only run: no committee document (its chapters need all four
    notebooks), and so only the comments that the analysis pages show."""
    from uppfoljning.run.preflight import comment_headings

    period_file = params / f"{period}.yaml"
    lines = period_file.read_text(encoding="utf-8").splitlines()
    kept = [line for line in lines if not line.startswith("dokument:")]
    period_file.write_text("\n".join(kept) + "\n", encoding="utf-8")
    comments = params / "kommentarer" / f"{period}.md"
    notebooks = Path(__file__).resolve().parents[2] / "notebooks"
    shown = {
        h.lower() for h in comment_headings(notebooks, [p.stem for p in notebooks.glob("*.ipynb")])
    }
    sections = re.split(r"(?m)^(?=## )", comments.read_text(encoding="utf-8"))
    comments.write_text(
        "".join(
            s for s in sections if not s.startswith("## ") or s[3:].splitlines()[0].lower() in shown
        ),
        encoding="utf-8",
    )
