"""The ledger: outcome, budget and forecasts per driftsammandrag row.

Raw lines are aggregated in DuckDB straight from Parquet to one sum per month and code
combination, so a ledger of millions of lines costs one scan; everything after that works on a
few thousand rows in pandas. All amounts stay in kronor at full precision; rounding happens
only when a table is displayed.

Every line lands in exactly one top-level row (first match by precedence, then list order);
lines that match no row form a visible "Ej klassificerat" row, so totals always reconcile.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from uppfoljning.data.config import (
    LEVEL,
    UNCLASSIFIED_ID,
    UNCLASSIFIED_LABEL,
    CodeFilter,
    CodeMap,
    ReportRow,
    ReportStructure,
    parse_period,
)
from uppfoljning.present.formatting import format_number

CODES = ["verksamhet", "ansvar", "konto"]


class ClassificationWarning(UserWarning):
    """Lines matched no report row and were shown as "Ej klassificerat"."""


def _scan(data_dir: Path, dataset: str, select: str, group: str, where: str = "") -> pd.DataFrame:
    path = Path(data_dir) / f"{dataset}.parquet"
    if not path.exists():
        raise FileNotFoundError(
            f"{path} saknas: kör `uppfoljning ingest` (eller `uppfoljning run`) först"
        )
    sql = f"SELECT {select} FROM read_parquet(?) {where} GROUP BY {group} ORDER BY {group}"
    with duckdb.connect() as con:
        return con.execute(sql, [str(path)]).df()


def dataset_rows(data_dir: Path, dataset: str) -> int:
    """Rows of a processed dataset; 0 when it is empty or was never ingested (optional data)."""
    path = Path(data_dir) / f"{dataset}.parquet"
    if not path.exists():
        return 0
    with duckdb.connect() as con:
        return int(con.execute("SELECT count(*) FROM read_parquet(?)", [str(path)]).fetchone()[0])


def matches(frame: pd.DataFrame, flt: CodeFilter) -> np.ndarray:
    """Boolean mask of lines whose codes start with one of the filter's prefixes."""
    mask = np.ones(len(frame), dtype=bool)
    for dim, prefixes in flt.include.items():
        mask &= frame[dim].astype(str).str.startswith(prefixes).to_numpy()
    for dim, prefixes in flt.exclude.items():
        mask &= ~frame[dim].astype(str).str.startswith(prefixes).to_numpy()
    return mask


def classify(frame: pd.DataFrame, structure: ReportStructure) -> pd.Series:
    """The top-level row id of every line (UNCLASSIFIED_ID where nothing matches)."""
    result = np.full(len(frame), UNCLASSIFIED_ID, dtype=object)
    free = np.ones(len(frame), dtype=bool)
    order = sorted(enumerate(structure.leaf_rows), key=lambda t: (t[1].precedence, t[0]))
    for _, row in order:
        hit = free & matches(frame, row.filter)
        result[hit] = row.id
        free &= ~hit
    return pd.Series(result, index=frame.index, name="rad_id")


def _leaves_under(structure: ReportStructure, row_id: str) -> set[str]:
    if row_id == UNCLASSIFIED_ID:  # the visible "Ej klassificerat" row is a leaf of its own
        return {UNCLASSIFIED_ID}
    row = structure.row(row_id)
    if not row.is_sum:
        return {row.id}
    out: set[str] = set()
    for part in row.sum_of:
        out |= _leaves_under(structure, part)
    if row.id == structure.unclassified_in or structure.unclassified_in in _sum_parts(
        structure, row.id
    ):
        out.add(UNCLASSIFIED_ID)
    return out


def _sum_parts(structure: ReportStructure, row_id: str) -> set[str]:
    row = structure.row(row_id)
    out = set(row.sum_of)
    for part in row.sum_of:
        if structure.row(part).is_sum:
            out |= _sum_parts(structure, part)
    return out


@dataclass
class Summary:
    """A report table before formatting: one row per report row, one column per quantity."""

    frame: pd.DataFrame  # index: row id; columns: rad, LEVEL, quantities…
    unclassified: pd.DataFrame = field(default_factory=pd.DataFrame)


def summarise(
    quantities: dict[str, pd.DataFrame],
    structure: ReportStructure,
    *,
    warn: bool = True,
    subrows: bool = True,
) -> Summary:
    """Sum each quantity's lines (codes + `belopp`) into the structure's rows.

    A `varav` row is NaN for a quantity whose lines lack the code its filter needs (a forecast
    made per verksamhet without accounts cannot be split into costs and revenues). With
    ``subrows=False`` the `varav` rows are left out (the monthly series need only the rows).
    """
    classified = {}
    for name, lines in quantities.items():
        lines = lines.copy()
        for dim in CODES:
            if dim not in lines:
                lines[dim] = ""
            lines[dim] = lines[dim].fillna("").astype(str)
        lines["rad_id"] = classify(lines, structure)
        classified[name] = lines

    records: list[dict] = []
    leaf_values: dict[str, dict[str, float]] = {}
    unclassified_parts = []
    any_unclassified = False
    for name, lines in classified.items():
        sums = lines.groupby("rad_id")["belopp"].sum()
        leaf_values[name] = sums.to_dict()
        stray = lines[lines["rad_id"] == UNCLASSIFIED_ID]
        if len(stray):
            any_unclassified = True
            part = stray.groupby(CODES, as_index=False)["belopp"].sum()
            part.insert(0, "kalla", name)
            unclassified_parts.append(part)

    def value(name: str, row: ReportRow) -> float:
        leaves = _leaves_under(structure, row.id)
        return float(sum(leaf_values[name].get(leaf, 0.0) for leaf in leaves))

    def varav_value(name: str, parent: ReportRow, sub: ReportRow) -> float:
        lines = classified[name]
        lines = lines[lines["rad_id"].isin(_leaves_under(structure, parent.id))]
        needed = list(sub.filter.include) + list(sub.filter.exclude)
        if any((lines[dim] == "").any() for dim in needed):
            return float("nan")
        return float(lines.loc[matches(lines, sub.filter), "belopp"].sum())

    for row in structure.rows:
        if row.is_sum and row.id == structure.unclassified_in and any_unclassified:
            records.append(
                {"rad_id": UNCLASSIFIED_ID, "rad": UNCLASSIFIED_LABEL, LEVEL: "rad"}
                | {n: float(leaf_values[n].get(UNCLASSIFIED_ID, 0.0)) for n in quantities}
            )
        level = "total" if row.is_total else ("summa" if row.is_sum else "rad")
        records.append(
            {"rad_id": row.id, "rad": row.label, LEVEL: level}
            | {n: value(n, row) for n in quantities}
        )
        for sub in row.subrows if subrows else ():
            records.append(
                {"rad_id": sub.id, "rad": sub.label, LEVEL: "varav"}
                | {n: varav_value(n, row, sub) for n in quantities}
            )
    frame = pd.DataFrame.from_records(records).set_index("rad_id")
    unclassified = (
        pd.concat(unclassified_parts, ignore_index=True) if unclassified_parts else pd.DataFrame()
    )
    if warn and any_unclassified:
        total = unclassified["belopp"].abs().sum()
        codes = ", ".join(sorted(set(unclassified["verksamhet"].astype(str)))[:8])
        count = len(unclassified[CODES].drop_duplicates())
        warnings.warn(
            f"{count} kodkombination{'er' if count > 1 else ''} ({format_number(total, 0)} kr) "
            f"matchar ingen rad i {structure.path.name} och visas som {UNCLASSIFIED_LABEL!r} "
            f"(verksamhet {codes})",
            ClassificationWarning,
            stacklevel=2,
        )
    return Summary(frame, unclassified)


def _periods(year: int, first: int, last: int) -> list[str]:
    return [f"{year}-{m:02d}" for m in range(first, last + 1)]


def apply_code_map(frame: pd.DataFrame, code_map: CodeMap | None) -> pd.DataFrame:
    """Rewrite old code prefixes to new ones (a reorganisation), then re-aggregate."""
    if code_map is None or code_map.is_empty:
        return frame
    frame = frame.copy()
    for dim, pairs in code_map.prefixes.items():
        if dim not in frame:
            continue
        codes = frame[dim].astype(str)
        mapped = codes.copy()
        done = np.zeros(len(codes), dtype=bool)
        for old, new in sorted(pairs.items(), key=lambda kv: -len(kv[0])):  # longest first
            hit = ~done & codes.str.startswith(old).to_numpy()
            mapped[hit] = new + codes[hit].str[len(old) :]
            done |= hit
        frame[dim] = mapped
    keys = [c for c in frame.columns if c != "belopp"]
    return frame.groupby(keys, as_index=False, sort=True)["belopp"].sum()


@dataclass
class Ledger:
    """Economy data of the processed directory, aggregated once per session.

    With a `code_map`, lines booked on an old organisation's codes are shown in this year's
    rows, so last year's outcome stays comparable after a reorganisation.
    """

    data_dir: Path
    code_map: CodeMap | None = None
    _cache: dict[str, pd.DataFrame] = field(default_factory=dict, repr=False)

    def _get(self, key: str, loader) -> pd.DataFrame:
        if key not in self._cache:
            self._cache[key] = apply_code_map(loader(), self.code_map)
        return self._cache[key]

    # -- raw aggregates ---------------------------------------------------------------------
    @property
    def monthly(self) -> pd.DataFrame:
        """Outcome per month and code combination: period, verksamhet, ansvar, konto, belopp."""
        return self._get(
            "monthly",
            lambda: _scan(
                self.data_dir,
                "huvudbok",
                "period, verksamhet, ansvar, konto, sum(belopp) AS belopp",
                "period, verksamhet, ansvar, konto",
            ),
        )

    @property
    def budget(self) -> pd.DataFrame:
        return self._get(
            "budget",
            lambda: _scan(
                self.data_dir,
                "budget",
                "ar, version, period, verksamhet, ansvar, konto, sum(belopp) AS belopp",
                "ar, version, period, verksamhet, ansvar, konto",
            ),
        )

    @property
    def forecasts(self) -> pd.DataFrame:
        """The controllers' forecasts; empty (not an error) when none were delivered."""

        def load() -> pd.DataFrame:
            if not (Path(self.data_dir) / "prognos.parquet").exists():
                return pd.DataFrame(columns=["prognosmanad", *CODES, "belopp"])
            return _scan(
                self.data_dir,
                "prognos",
                "prognosmanad, verksamhet, ansvar, konto, sum(belopp) AS belopp",
                "prognosmanad, verksamhet, ansvar, konto",
            )

        return self._get("forecasts", load)

    @property
    def periods(self) -> list[str]:
        return sorted(self.monthly["period"].unique())

    # -- selections -------------------------------------------------------------------------
    def outcome(self, periods: Iterable[str]) -> pd.DataFrame:
        wanted = set(periods)
        lines = self.monthly[self.monthly["period"].isin(wanted)]
        return lines.groupby(CODES, as_index=False)["belopp"].sum()

    def outcome_ytd(self, period: str, years_back: int = 0) -> pd.DataFrame:
        year, month = parse_period(period)
        return self.outcome(_periods(year - years_back, 1, month))

    def outcome_year(self, year: int) -> pd.DataFrame:
        return self.outcome(_periods(year, 1, 12))

    def has_full_year(self, year: int) -> bool:
        return set(_periods(year, 1, 12)) <= set(self.periods)

    def budget_versions(self, year: int) -> list[str]:
        b = self.budget
        return sorted(b.loc[b["ar"] == year, "version"].unique())

    def budget_lines(self, year: int, version: str, *, through_month: int = 12) -> pd.DataFrame:
        """Budget for January..through_month; annual lines without period count pro rata."""
        b = self.budget
        b = b[(b["ar"] == year) & (b["version"] == version)]
        if b.empty:
            known = ", ".join(self.budget_versions(year)) or "inga"
            raise LookupError(f"Budgetversion {version!r} för {year} saknas (finns: {known})")
        monthly = b[b["period"] != ""]
        monthly = monthly[monthly["period"] <= f"{year}-{through_month:02d}"]
        annual = b[b["period"] == ""].copy()
        annual["belopp"] = annual["belopp"] * through_month / 12
        lines = pd.concat([monthly, annual], ignore_index=True)
        return lines.groupby(CODES, as_index=False)["belopp"].sum()

    def forecast_months(self, year: int | None = None) -> list[str]:
        months = sorted(self.forecasts["prognosmanad"].unique())
        return [m for m in months if year is None or m.startswith(f"{year}-")]

    def forecast_for(self, period: str) -> str | None:
        """The forecast in force at `period`: the latest made that year up to the period."""
        year, _ = parse_period(period)
        made = [m for m in self.forecast_months(year) if m <= period]
        return made[-1] if made else None

    def forecast_lines(self, month: str) -> pd.DataFrame:
        f = self.forecasts
        return f.loc[f["prognosmanad"] == month, [*CODES, "belopp"]]
