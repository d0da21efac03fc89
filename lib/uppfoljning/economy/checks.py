"""Consistency checks on every table the economy report prints.

A table that does not add up is an error, not a footnote: a committee must never read a sum
that differs from its rows. Each check returns a Swedish sentence for the report's quality box
when it holds and raises TableCheckError when it does not.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from uppfoljning.data.config import UNCLASSIFIED_LABEL, ReportStructure
from uppfoljning.economy.ledger import LEVEL, _leaves_under

TOLERANCE_KR = 1.0  # kronor; sums of öre amounts in floating point differ by far less


class TableCheckError(AssertionError):
    """A printed table is internally inconsistent; the report stops rather than mislead."""


@dataclass
class QualityLog:
    """The checks that passed, for the report's quality box."""

    passed: list[str] = field(default_factory=list)

    def markdown(self) -> str:
        if not self.passed:
            return "*Inga kontroller har körts.*"
        items = "\n".join(f"- ✓ {p}" for p in dict.fromkeys(self.passed))
        return f"**Kvalitetskontroller** (rapporten stoppas om någon inte håller):\n\n{items}"


def _fail(table_id: str, what: str, rows: list[str]) -> None:
    raise TableCheckError(f"Tabellen {table_id}: {what} stämmer inte för {', '.join(rows)}")


def check_sums(
    table_id: str, frame: pd.DataFrame, structure: ReportStructure, columns: list[str]
) -> str:
    """Every sum row equals the sum of its parts (the unclassified row included)."""
    bad = []
    for row in structure.rows:
        if not row.is_sum or row.id not in frame.index:
            continue
        parts = [i for i in _leaves_under(structure, row.id) if i in frame.index]
        for col in columns:
            total = frame.loc[parts, col].sum(min_count=1)
            value = frame.loc[row.id, col]
            if pd.notna(value) and pd.notna(total) and abs(total - value) > TOLERANCE_KR:
                bad.append(f"{row.label} ({col})")
    if bad:
        _fail(table_id, "summaraden", bad)
    return f"{table_id}: summaraderna är summan av sina rader."


def check_deviation(
    table_id: str, frame: pd.DataFrame, budget: str, outcome: str, *, column: str = "avvikelse"
) -> str:
    """`column` (by default avvikelse) = budget − outcome on every row where both are known."""
    diff = frame[budget] - frame[outcome] - frame[column]
    bad = frame.loc[diff.abs() > TOLERANCE_KR, "rad"].tolist()
    if bad:
        _fail(table_id, f"{column} = {budget} − {outcome}", bad)
    return f"{table_id}: {column} = {budget} − {outcome} på varje rad."


def check_cost_revenue(table_id: str, frame: pd.DataFrame, columns: list[str]) -> str:
    """varav kostnader + varav intäkter = the net of the total row (where both are known)."""
    if not {"kostnader", "intakter"} <= set(frame.index):
        return f"{table_id}: ingen uppdelning på kostnader och intäkter."
    total = frame[frame[LEVEL] == "total"].iloc[0]
    bad = []
    for col in columns:
        parts = frame.loc["kostnader", col] + frame.loc["intakter", col]
        if pd.notna(parts) and abs(parts - total[col]) > TOLERANCE_KR:
            bad.append(col)
    if bad:
        _fail(table_id, "kostnader + intäkter = netto", bad)
    return f"{table_id}: kostnader + intäkter = nettokostnad."


def check_column_total(table_id: str, frame: pd.DataFrame, columns: list[str]) -> str:
    """A table with one total row (level `total`): the other rows add up to it."""
    rows = frame[frame[LEVEL] == "rad"]
    total = frame[frame[LEVEL] == "total"]
    bad = [
        c for c in columns if len(total) and abs(rows[c].sum() - total[c].iloc[0]) > TOLERANCE_KR
    ]
    if bad:
        _fail(table_id, "summaraden", bad)
    return f"{table_id}: summaraden är summan av raderna."


def check_unclassified_total(
    table_id: str, frame: pd.DataFrame, row: pd.Series, columns: list[str]
) -> str:
    """A per-code table of the stray lines: its sum row (`summa`) is the driftsammandrag's
    "Ej klassificerat" row, so the codes listed are all there is."""
    for col in columns:
        if abs(frame.loc["summa", col] - row[col]) > TOLERANCE_KR:
            raise TableCheckError(
                f"Tabellen {table_id}: summan ({col}) stämmer inte med raden "
                f"{UNCLASSIFIED_LABEL!r} i driftsammandraget"
            )
    return f"{table_id}: summan är raden {UNCLASSIFIED_LABEL} i driftsammandraget."
