"""What a notebook may leave in its output_dir, and the tables and headlines of a report.

The output contract is described in `uppfoljning.run.runner`: `tables/<id>.csv` and
`headlines/<key>.json`, each written by one notebook. A partial re-run (`keep_others`) starts
from the published report, whose manifest says which notebook wrote which table and headline.
"""

from __future__ import annotations

import contextlib
import csv
import json
import os
import re
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from uppfoljning.run.errors import ReportError, ReportOutputError

NAME_RE = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*")  # a notebook name (file name without .ipynb)
# sub-directory -> file suffix. views/ holds each table as shown (labels, unit, formatted
# cells), figures/ the charts as SVG and texts/ generated texts, for the committee document.
OUTPUT_KINDS = {
    "tables": ".csv",
    "headlines": ".json",
    "views": ".json",
    "figures": ".svg",
    "texts": ".md",
}
_OUTPUT_LABELS = {
    "tables": "Tabellen",
    "headlines": "Nyckeltalet",
    "views": "Tabellvisningen",
    "figures": "Diagrammet",
    "texts": "Texten",
}
OLD_TIME_KEYS = ("started", "finished", "duration_seconds")  # in manifest entries of old runners


def rmtree(path: Path) -> None:
    """Remove a file, link or directory tree (a link is removed, never followed)."""
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    elif path.exists() or path.is_symlink():
        path.unlink()


def collect_tables(report: Path) -> dict[str, Path]:
    """The report's tables by id; a CSV whose first column is not ``rad`` breaks the contract."""
    tables: dict[str, Path] = {}
    for path in sorted((report / "tables").glob("*.csv")):
        with open(path, encoding="utf-8-sig", newline="") as handle:
            header = next(csv.reader(handle), [])
        if not header or header[0] != "rad":
            raise ReportOutputError(
                f"Tabellen {path.name} följer inte formatet: första kolumnen ska heta 'rad' och "
                f"fälten skiljas med kommatecken (rubrikraden var {header!r})."
            )
        tables[path.stem] = path
    return tables


def collect_headlines(report: Path) -> list[dict[str, Any]]:
    """Every headline of the report, each checked against the contract (sorted by file name)."""
    headlines = []
    for path in sorted((report / "headlines").glob("*.json")):
        try:
            item = json.loads(path.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ReportOutputError(f"Nyckeltalet {path.name} är inte giltig JSON: {exc}") from exc
        ok = isinstance(item, dict) and all(
            isinstance(item.get(k), str) for k in ("key", "label", "text", "section")
        )
        if not ok or type(item.get("order")) is not int:
            raise ReportOutputError(
                f"Nyckeltalet {path.name} ska ha key, label, text och section (text) samt "
                f"order (heltal); innehållet var {item!r}."
            )
        headlines.append(item)
    return headlines


def _plain_name(value: object) -> bool:
    """A file name stem from a manifest that is safe to join to a report directory."""
    return (
        isinstance(value, str)
        and value not in {"", ".", ".."}
        and "/" not in value
        and "\\" not in value
        and "\0" not in value
    )


def _previous_entries(final: Path) -> list[dict[str, Any]]:
    """The notebook entries of the published report's manifest, in report order."""
    try:
        manifest = json.loads((final / "manifest.json").read_text(encoding="utf-8"))
        entries = manifest["notebooks"]
        valid = isinstance(entries, list) and all(
            isinstance(e, dict)
            and isinstance(e.get("name"), str)
            and NAME_RE.fullmatch(e["name"]) is not None
            for e in entries
        )
    except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError):
        valid = False
    if not valid:
        raise ReportError(
            f"Den tidigare rapporten i {final} saknar en läsbar manifest.json, så det går inte att "
            "veta vilka notebooks den innehåller. Kör alla periodens notebooks i stället."
        )
    unique: dict[str, dict[str, Any]] = {}
    for entry in entries:
        unique.setdefault(entry["name"], entry)
    return list(unique.values())


def published_times(final: Path) -> dict[str, Any]:
    """Run times per notebook from the published manifest (``tider.notebooks``)."""
    with contextlib.suppress(OSError, ValueError, KeyError, TypeError, AttributeError):
        manifest = json.loads((final / "manifest.json").read_text(encoding="utf-8"))
        times = manifest["tider"]["notebooks"]
        if isinstance(times, dict):
            return times
    return {}


def _owned(entry: dict[str, Any], kind: str) -> list[str] | None:
    """The table ids or headline keys a manifest entry says its notebook wrote (None: unknown)."""
    names = entry.get(kind)
    if not isinstance(names, list) or not all(_plain_name(n) for n in names):
        return None
    return names


def start_from_previous(
    final: Path, staging: Path, rerun: Sequence[str], period: str
) -> tuple[list[dict[str, Any]], dict[tuple[str, str], str]]:
    """Copy the published report into ``staging`` without what the re-run notebooks own.

    Returns the previous manifest's notebook entries (in report order) and the owner of every
    table and headline of the notebooks that are kept, keyed by ("tables"|"headlines", name).
    """
    entries = _previous_entries(final)
    shutil.copytree(final, staging, symlinks=True)
    for derived in ("index.html", "manifest.json", f"uppfoljning_{period}.xlsx"):
        rmtree(staging / derived)
    owners: dict[tuple[str, str], str] = {}
    for entry in entries:
        name = entry["name"]
        for kind, suffix in OUTPUT_KINDS.items():
            for item in _owned(entry, kind) or []:
                if name in rerun:
                    rmtree(staging / kind / f"{item}{suffix}")
                else:
                    owners[(kind, item)] = name
        if name in rerun:
            rmtree(staging / f"{name}.html")
            rmtree(staging / "executed" / f"{name}.ipynb")
    return entries, owners


def merge_outputs(
    staging: Path, names: Sequence[str], owners: dict[tuple[str, str], str]
) -> dict[str, dict[str, list[str]]]:
    """Move each notebook's tables and headlines from utdata/<name>/ into the report.

    ``owners`` holds the tables and headlines of kept notebooks and is extended with the new
    ones; a name written by two notebooks is an error. Returns, per notebook, the table ids and
    headline keys (file names without suffix, sorted) it wrote.
    """
    produced: dict[str, dict[str, list[str]]] = {}
    for name in names:
        source = staging / "utdata" / name
        found: dict[str, list[str]] = {kind: [] for kind in OUTPUT_KINDS}
        unexpected: list[str] = []
        kinds = list(OUTPUT_KINDS)
        files = [
            path.relative_to(source)
            for path in source.rglob("*")
            if not path.is_dir() or path.is_symlink()
        ]
        files.sort(key=lambda r: (kinds.index(r.parts[0]) if r.parts[0] in kinds else 2, r))
        for relative in files:
            path = source / relative
            kind = relative.parts[0] if len(relative.parts) == 2 else ""
            if kind not in OUTPUT_KINDS or path.suffix != OUTPUT_KINDS[kind]:
                unexpected.append(relative.as_posix())
                continue
            owner = owners.get((kind, path.stem))
            if owner is not None:
                raise ReportOutputError(
                    f"{_OUTPUT_LABELS[kind]} {path.stem} skrivs av både {owner} och {name}. "
                    "Varje tabell och varje nyckeltal ska komma från en enda notebook."
                )
            owners[(kind, path.stem)] = name
            os.replace(path, staging / kind / path.name)
            found[kind].append(path.stem)
        if unexpected:
            raise ReportOutputError(
                f"Notebooken {name} skrev filer som inte hör till rapporten i output_dir: "
                f"{', '.join(unexpected[:10])}. Bara tables/<id>.csv, headlines/<nyckel>.json, "
                "views/<id>.json, figures/<id>.svg och texts/<nyckel>.md tas med."
            )
        produced[name] = found
    shutil.rmtree(staging / "utdata")
    return produced
