"""The ledger's code map and row classification as DuckDB SQL, for queries over raw lines.

`ledger.apply_code_map` and `ledger.classify` work on pandas frames of aggregated lines; the
explorer needs the same rules inside a query over millions of Parquet lines (any month range,
dimensions the aggregates lack such as motpart, the single lines with their text). These
expressions are the same rules written once more in SQL; `tests/test_drilldown.py` holds them
to identical results on every code combination of the demo and of both report structures.
"""

from __future__ import annotations

import re
from pathlib import Path

import duckdb

from uppfoljning.data.config import UNCLASSIFIED_ID, CodeFilter, CodeMap, ReportStructure
from uppfoljning.economy.ledger import CODES

PERIOD_RE = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


def literal(text: str) -> str:
    """A SQL string literal (codes and row ids come from YAML files, so they are quoted)."""
    return "'" + str(text).replace("'", "''") + "'"


def _starts(column: str, prefixes: tuple[str, ...]) -> str:
    if not prefixes:  # str.startswith(()) is False
        return "FALSE"
    return "(" + " OR ".join(f"starts_with({column}, {literal(p)})" for p in prefixes) + ")"


def mapped_code(dim: str, code_map: CodeMap | None, column: str | None = None) -> str:
    """The code after the code map (longest old prefix first), as `apply_code_map` does."""
    column = column or f"coalesce(CAST({dim} AS VARCHAR), '')"
    pairs = (code_map.prefixes.get(dim, {}) if code_map else {}) or {}
    if not pairs:
        return column
    cases = " ".join(
        f"WHEN starts_with({column}, {literal(old)}) "
        f"THEN {literal(new)} || substr({column}, {len(old) + 1})"
        for old, new in sorted(pairs.items(), key=lambda kv: -len(kv[0]))
    )
    return f"CASE {cases} ELSE {column} END"


def _matches(flt: CodeFilter) -> str:
    parts = [_starts(dim, prefixes) for dim, prefixes in flt.include.items()]
    parts += [f"NOT {_starts(dim, prefixes)}" for dim, prefixes in flt.exclude.items()]
    return " AND ".join(parts) or "TRUE"


def row_of(structure: ReportStructure) -> str:
    """The top-level row id of a line, first match by precedence then order (as `classify`)."""
    order = sorted(enumerate(structure.leaf_rows), key=lambda t: (t[1].precedence, t[0]))
    cases = " ".join(f"WHEN {_matches(row.filter)} THEN {literal(row.id)}" for _, row in order)
    return (
        f"CASE {cases} ELSE {literal(UNCLASSIFIED_ID)} END" if cases else literal(UNCLASSIFIED_ID)
    )


def lines_sql(path: Path, structure: ReportStructure, code_map: CodeMap | None) -> str:
    """Every ledger line with mapped codes and its row id (`rad_id`), as a subquery."""
    codes = ", ".join(f"{mapped_code(dim, code_map)} AS {dim}" for dim in CODES)
    return f"""
        SELECT *, {row_of(structure)} AS rad_id FROM (
            SELECT period, {codes}, coalesce(CAST(motpart AS VARCHAR), '') AS motpart,
                   belopp, coalesce(CAST(text AS VARCHAR), '') AS text,
                   CAST(_fil AS VARCHAR) AS fil, _rad AS rad_i_filen
            FROM read_parquet({literal(path.as_posix())})
        )
    """


def period_filter(periods: list[str]) -> str:
    """`period IN (...)` for validated ÅÅÅÅ-MM strings, with a BETWEEN for Parquet pruning."""
    bad = [p for p in periods if not PERIOD_RE.match(str(p))]
    if bad:
        raise ValueError(f"Ogiltig månad {bad[0]!r}; ange ÅÅÅÅ-MM")
    if not periods:
        return "FALSE"
    listed = ", ".join(literal(p) for p in periods)
    first, last = literal(min(periods)), literal(max(periods))
    return f"period BETWEEN {first} AND {last} AND period IN ({listed})"


def connect() -> duckdb.DuckDBPyConnection:
    """An in-memory connection without the terminal progress bar (it would garble a notebook)."""
    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    return con
