"""What changed since the previous report: this report's figures beside the previous one's.

The committee asks first what moved since it last met. The comparison is made after the
notebooks, from the two reports' published tables alone (`tables/*.csv`): outcome, its
deviation from the periodised budget and the full-year forecast per row of the operating
summary, volumes, committee indicators, staff figures and the HVB key figures. Nothing is
recomputed, so the previous figures are exactly those the committee saw.

The table `forandring_sedan_forra` has the columns `COLUMNS`: one row per figure, `omrade` in
the order of `AREAS`, within an area the largest change first (amounts in kronor by the change
in kronor, everything else by the relative change); figures found in only one report come last
in their area with `forandring` empty.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from uppfoljning.present.formatting import (
    format_amount,
    format_number,
    format_percent,
    period_label,
)

CHANGES_TABLE = "forandring_sedan_forra"
SHORT_VIEW = "forandring_sedan_forra_kort"  # the committee document's short list (a view only)
PER_AREA_IN_DOCUMENT = 2
# Year-to-date figures: against a report of another month they grow (or start over at the new
# year) by the calendar alone, so the committee's short list leaves them out then.
YEAR_TO_DATE_AREAS = ("Utfall", "Volymer")
_ZERO = re.compile(r"[-+−]?0(,0+)?")  # a change that shows as zero is no change to list
COLUMNS = ("rad", "omrade", "enhet", "tidigare", "nu", "forandring", "forandring_procent")
PER_AREA_SHOWN = 5  # rows per area on the start page; the table holds them all
_PERIOD_DIR = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
_YEAR = re.compile(r"^\d{4}$")
_SEX = {"K": "kvinnor", "M": "män"}
_TEXT_COLUMNS = ("rad", "grupp", "kon", "nyckel", "enhet")


@dataclass(frozen=True)
class Figure:
    """One comparable figure of a report: its key within the area, label, unit and value."""

    key: str
    label: str
    unit: str
    value: float


Extract = Callable[[pd.DataFrame], list[Figure]]


def _float(value: Any) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return math.nan
    return number


def _column(column: str, unit: str | Callable[[str], str]) -> Extract:
    """Each row's `column`, keyed by its label."""

    def extract(frame: pd.DataFrame) -> list[Figure]:
        if column not in frame:
            return []
        return [
            Figure(r, r, unit(r) if callable(unit) else unit, _float(v))
            for r, v in zip(frame["rad"], frame[column], strict=True)
        ]

    return extract


def _percent_or(other: str) -> Callable[[str], str]:
    return lambda label: "procent" if "(%)" in label else other


def _volumes(frame: pd.DataFrame) -> list[Figure]:
    if "utfall" not in frame:
        return []
    groups = frame["grupp"] if "grupp" in frame else [""] * len(frame)
    return [
        Figure(f"{r}\0{g}", f"{r} ({g})" if g else r, "antal", _float(v))
        for r, g, v in zip(frame["rad"], groups, frame["utfall"], strict=True)
    ]


def _indicators(frame: pd.DataFrame) -> list[Figure]:
    """The latest year with a value: the figure the report shows as the indicator's now."""
    years = sorted((c for c in frame.columns if _YEAR.match(str(c))), reverse=True)
    sexes = frame["kon"] if "kon" in frame else [""] * len(frame)
    out = []
    for position, (label, sex) in enumerate(zip(frame["rad"], sexes, strict=True)):
        values = [_float(frame[y].iloc[position]) for y in years]
        value = next((v for v in values if not math.isnan(v)), math.nan)
        name = f"{label}, {_SEX[sex]}" if sex in _SEX else label
        out.append(Figure(f"{label}\0{sex}", name, _percent_or("värde")(label), value))
    return out


def _placements(frame: pd.DataFrame) -> list[Figure]:
    """HVB key figures by their stable key (labels name the months); last year's and targets
    describe other periods, not this report."""
    if not {"nyckel", "varde"} <= set(frame.columns):
        return []
    units = frame["enhet"] if "enhet" in frame else [""] * len(frame)
    return [
        Figure(k, r, u or "värde", _float(v))
        for r, k, v, u in zip(frame["rad"], frame["nyckel"], frame["varde"], units, strict=True)
        if not (k.endswith("_foregaende_ar") or k.startswith("mal_"))
    ]


# (area as readers see it, table id, how its figures are read), in the table's order.
AREAS: tuple[tuple[str, str, Extract], ...] = (
    ("Utfall", "driftsammandrag_period", _column("utfall", "kr")),
    ("Avvikelse", "driftsammandrag_period", _column("avvikelse", "kr")),
    ("Prognos", "driftsammandrag_prognos", _column("prognos", "kr")),
    ("Volymer", "volymer", _volumes),
    ("Indikatorer", "namndindikatorer", _indicators),
    ("Personal", "personal", _column("utfall", _percent_or("antal"))),
    ("HVB", "hvb_nyckeltal", _placements),
)


def read_table(tables: Path, table_id: str) -> pd.DataFrame | None:
    """A published table with its text columns as text (empty, not NaN); None if absent."""
    path = Path(tables) / f"{table_id}.csv"
    if not path.is_file():
        return None
    frame = pd.read_csv(path, encoding="utf-8", dtype={c: str for c in _TEXT_COLUMNS})
    for column in _TEXT_COLUMNS:
        if column in frame:
            frame[column] = frame[column].fillna("")
    return frame


def figures(tables: Path) -> dict[str, dict[str, Figure]]:
    """{area: {key: figure}} of one report's tables directory."""
    out: dict[str, dict[str, Figure]] = {}
    for area, table_id, extract in AREAS:
        frame = read_table(tables, table_id)
        found = extract(frame) if frame is not None and "rad" in frame else []
        out[area] = {f.key: f for f in found}
    return out


def compare(
    previous: dict[str, dict[str, Figure]], current: dict[str, dict[str, Figure]]
) -> pd.DataFrame:
    """The changes table (`COLUMNS`) from two reports' figures, largest changes first."""
    rows = []
    for area, _, _ in AREAS:
        before, now = previous.get(area, {}), current.get(area, {})
        keys = list(now) + [k for k in before if k not in now]
        block = []
        for key in keys:
            old, new = before.get(key), now.get(key)
            first = new or old
            assert first is not None
            was = old.value if old else math.nan
            is_ = new.value if new else math.nan
            if math.isnan(was) and math.isnan(is_):
                continue
            change = round(is_ - was, 6)  # no float noise (785596630.3399999) in the CSV
            percent = change / abs(was) * 100 if not math.isnan(change) and was else math.nan
            block.append((first.label, area, first.unit, was, is_, change, percent))
        block.sort(key=_largest_first)
        rows += block
    return pd.DataFrame(rows, columns=list(COLUMNS))


def _largest_first(row: tuple) -> tuple:
    """Kronor by the change in kronor, other units by the relative change; unknown last."""
    unit, change, percent = row[2], row[5], row[6]
    if math.isnan(change):
        return (2, 0.0)
    size = abs(change) if unit == "kr" or math.isnan(percent) else abs(percent)
    return (0 if unit == "kr" or not math.isnan(percent) else 1, -size)


def changes(current: Path, previous: Path) -> pd.DataFrame:
    """This report's tables against the previous report's (both `tables/` directories)."""
    return compare(figures(previous), figures(current))


def previous_report(out_dir: Path, period: str, preferred: str | None = None) -> str | None:
    """The period of the report to compare with: `preferred` (the period file's
    `foregaende_prognos`, the report the controllers compare with) when it is published, else
    the latest earlier published report in `out_dir`; None when there is none."""
    out_dir = Path(out_dir)

    def published(name: str) -> bool:
        return (out_dir / name / "tables").is_dir() and (out_dir / name / "manifest.json").is_file()

    if preferred and preferred < period and published(preferred):
        return preferred
    earlier = (
        sorted(
            p.name
            for p in out_dir.iterdir()
            if p.is_dir() and _PERIOD_DIR.match(p.name) and p.name < period and published(p.name)
        )
        if out_dir.is_dir()
        else []
    )
    return earlier[-1] if earlier else None


def comparison_digest(out_dir: Path, period: str, preferred: str | None = None) -> str:
    """A hash of what the changes table would be computed from: the previous report's period
    and the bytes of the tables read. A run whose notebooks are all unchanged still rebuilds
    the report when this differs (a previous report published or rebuilt since)."""
    import hashlib

    previous = previous_report(out_dir, period, preferred)
    digest = hashlib.sha256(str(previous).encode("utf-8"))
    if previous is not None:
        for table_id in sorted({table_id for _, table_id, _ in AREAS}):
            path = Path(out_dir) / previous / "tables" / f"{table_id}.csv"
            digest.update(table_id.encode("utf-8") + b"\0")
            digest.update(path.read_bytes() if path.is_file() else b"")
    return digest.hexdigest()


def write_changes(tables: Path, previous_tables: Path | None) -> pd.DataFrame | None:
    """Write `tables/forandring_sedan_forra.csv` (full precision, first column `rad`); without
    a previous report remove it, so a re-run never shows an old comparison."""
    target = Path(tables) / f"{CHANGES_TABLE}.csv"
    target.unlink(missing_ok=True)
    if previous_tables is None:
        return None
    frame = changes(Path(tables), Path(previous_tables))
    frame.to_csv(target, index=False, encoding="utf-8", lineterminator="\n")
    return frame


def _period_settings(params_file: Path) -> tuple[str | None, str]:
    """(foregaende_prognos, amount unit) of a period file, read leniently: the run validated it."""
    from uppfoljning.data.config import ParamsError, read_yaml

    try:
        data = read_yaml(Path(params_file))
    except (OSError, ParamsError):
        data = None
    data = data if isinstance(data, dict) else {}
    preferred = data.get("foregaende_prognos")
    unit = data.get("enhet") or ("tkr" if data.get("rapporttyp") == "arsbokslut" else "mnkr")
    return (str(preferred) if preferred else None), str(unit)


def publish_changes(
    report: Path, out_dir: Path, period: str, params_file: Path
) -> tuple[dict[str, Any], str | None]:
    """After the notebooks: compare `report` (its merged `tables/`) with the previous report in
    `out_dir`, write the table, and return the start page's view and the period compared with."""
    preferred, unit = _period_settings(params_file)
    previous = previous_report(out_dir, period, preferred)
    previous_tables = Path(out_dir) / previous / "tables" if previous else None
    frame = write_changes(Path(report) / "tables", previous_tables)
    view_file = Path(report) / "views" / f"{CHANGES_TABLE}.json"
    short_file = view_file.with_name(f"{SHORT_VIEW}.json")
    view_file.unlink(missing_ok=True)
    short_file.unlink(missing_ok=True)
    if frame is not None and previous is not None:
        shown = table_view(frame, period=period, previous=previous, money_unit=unit)
        view_file.parent.mkdir(parents=True, exist_ok=True)
        view_file.write_text(json.dumps(shown, ensure_ascii=False, indent=1), encoding="utf-8")
        same_month = previous[-2:] == period[-2:]
        short = short_view(shown, leave_out=() if same_month else YEAR_TO_DATE_AREAS)
        short_file.write_text(json.dumps(short, ensure_ascii=False, indent=1), encoding="utf-8")
    view = start_page_view(frame, period=period, previous=previous, money_unit=unit)
    return view, previous


def table_view(
    frame: pd.DataFrame, *, period: str, previous: str, money_unit: str = "mnkr"
) -> dict[str, Any]:
    """The table as shown (`views/<id>.json`, like `present.tables.table_view`), for the
    workbook and the committee document: Swedish headers, each row's figures in its own unit."""
    labels = {
        "rad": "Mått",
        "omrade": "Område",
        "enhet": "Enhet",
        "tidigare": f"Förra rapporten ({period_label(previous)})",
        "nu": f"Den här rapporten ({period_label(period)})",
        "forandring": "Förändring",
        "forandring_procent": "Förändring, procent",
    }
    kinds = {"tidigare": "formatted", "nu": "formatted", "forandring": "formatted"}
    columns = [
        {"name": c, "label": labels[c], "kind": kinds.get(c, "text"), "decimals": None}
        for c in COLUMNS
    ]
    columns[-1].update(kind="percent", decimals=1)
    rows = [
        {
            "level": "rad",
            "cells": [
                r.rad,
                r.omrade,
                money_unit if r.enhet == "kr" else r.enhet,
                _format(r.tidigare, r.enhet, money_unit),
                _format(r.nu, r.enhet, money_unit),
                _format(r.forandring, r.enhet, money_unit),
                "" if math.isnan(r.forandring_procent) else format_percent(r.forandring_procent),
            ],
        }
        for r in frame.itertuples(index=False)
    ]
    caption = f"Förändring sedan förra rapporten, jämfört med {period_label(previous)}"
    return {
        "id": CHANGES_TABLE,
        "caption": caption,
        "unit": money_unit,
        "columns": columns,
        "rows": rows,
    }


def short_view(
    view: dict[str, Any],
    per_area: int = PER_AREA_IN_DOCUMENT,
    *,
    leave_out: tuple[str, ...] = (),
) -> dict[str, Any]:
    """The committee document's short list: the largest changes of each area (rows already
    come largest first within their area), without figures found in one report only or that
    did not move, and without the areas in ``leave_out``."""
    area = [c["name"] for c in view["columns"]].index("omrade")
    change = [c["name"] for c in view["columns"]].index("forandring")
    taken: dict[str, int] = {}
    rows = []
    for row in view["rows"]:
        key = row["cells"][area]
        moved = row["cells"][change] and not _ZERO.fullmatch(row["cells"][change])
        if moved and key not in leave_out and taken.get(key, 0) < per_area:
            taken[key] = taken.get(key, 0) + 1
            rows.append(row)
    caption = (
        f"De största förändringarna per område; {view['caption'][0].lower()}{view['caption'][1:]}"
    )
    return {**view, "id": SHORT_VIEW, "caption": caption, "rows": rows}


# --------------------------------------------------------------------------- start page


def _format(value: float, unit: str, money_unit: str, *, sign: bool = False) -> str:
    if math.isnan(value):
        return ""
    if unit == "kr" and money_unit != "kr":
        return format_amount(value, money_unit, sign=sign)
    if unit == "procent":
        return format_number(value, 1, sign=sign)
    decimals = 0 if float(value).is_integer() else 1
    return format_number(value, decimals, sign=sign)


UNIT_LABELS = {"procent": "%", "antal": "antal", "dygn": "dygn", "värde": ""}


def start_page_view(
    frame: pd.DataFrame | None,
    *,
    period: str,
    previous: str | None,
    money_unit: str = "mnkr",
    per_area: int = PER_AREA_SHOWN,
) -> dict[str, Any]:
    """What the start page shows: a sentence, and per area the largest changes, formatted."""
    if frame is None or previous is None:
        return {
            "text": f"Det finns ingen tidigare publicerad rapport före {period_label(period)} "
            "att jämföra med; förändringen sedan förra rapporten visas från nästa rapport.",
            "areas": [],
            "href": None,
        }
    areas = []
    for area, _, _ in AREAS:
        block = frame[frame["omrade"] == area]
        shown = block[block["forandring"].notna() & (block["forandring"] != 0)].head(per_area)
        if shown.empty:
            continue
        rows = [
            {
                "rad": r.rad,
                "enhet": money_unit if r.enhet == "kr" else UNIT_LABELS.get(r.enhet, r.enhet),
                "tidigare": _format(r.tidigare, r.enhet, money_unit),
                "nu": _format(r.nu, r.enhet, money_unit),
                "forandring": _format(r.forandring, r.enhet, money_unit, sign=True),
                "procent": format_percent(r.forandring_procent, 1, sign=True)
                if not math.isnan(r.forandring_procent)
                else "",
            }
            for r in shown.itertuples(index=False)
        ]
        areas.append({"name": area, "rows": rows, "more": len(block) - len(shown)})
    unchanged = " Inget av måtten har ändrats." if not areas else ""
    return {
        "text": f"Jämfört med rapporten för {period_label(previous)}: de största "
        f"förändringarna per område.{unchanged}",
        "areas": areas,
        "href": f"tables/{CHANGES_TABLE}.csv",
        "previous_label": period_label(previous),
        "label": period_label(period),
    }
