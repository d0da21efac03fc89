"""From row amounts to booking lines: keys, months and lines, always in integer öre by
largest remainder so every total is exact; randomness from separate seeded streams (`_rng`).

The demo ledger, budget and forecast (`demo.economy`) and the earlier years (`demo.history`)
share this machinery.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from uppfoljning.demo.economy_spec import (
    _FLAT,
    DEFAULT_MONTH_NOISE,
    LINES_PER_MONTH,
    MONTH_NOISE,
    MONTH_PROFILES,
    MOTPART,
    PROJEKT,
    ROW_SPECS,
    ROW_TEXTS,
    SEED,
    TEXTS,
    UNIT_ORE,
    YEAR_WEIGHT_FACTORS,
)
from uppfoljning.present.formatting import SWEDISH_MONTHS


def _rng(stream: str) -> np.random.Generator:
    """Separate deterministic stream per purpose, so extending one file leaves others intact."""
    return np.random.default_rng([SEED, *stream.encode()])


def _allocate(total: int, weights: Sequence[float] | np.ndarray, grain: int = 1) -> np.ndarray:
    """Split integer `total` in proportion to `weights`, in multiples of `grain`, exactly.

    Largest remainder; any rest that is not a multiple of `grain` goes to the largest part.
    """
    w = np.asarray(weights, dtype=float)
    if w.sum() <= 0:
        raise ValueError("weights must have a positive sum")
    sign = -1 if total < 0 else 1
    grains, rest = divmod(abs(total), grain)
    exact = w / w.sum() * grains
    parts = np.floor(exact).astype(np.int64)
    missing = int(grains - parts.sum())
    if missing:
        order = np.argsort(-(exact - parts), kind="stable")
        parts[order[:missing]] += 1
    parts = parts * grain
    parts[int(np.argmax(w))] += rest
    return sign * parts


@dataclass(frozen=True)
class _Key:
    row: str
    ansvar: str
    verksamhet: str
    konto: str


def _expand_keys(rng: np.random.Generator) -> dict[str, dict[str, dict[_Key, float]]]:
    """row -> side ("cost"/"revenue") -> key -> base weight (ansvar sizes drawn once)."""
    sizes: dict[tuple[str, str], float] = {}
    result: dict[str, dict[str, dict[_Key, float]]] = {}
    for row, spec in ROW_SPECS.items():
        result[row] = {}
        for side, groups in (("cost", spec.costs), ("revenue", spec.revenues)):
            keys: dict[_Key, float] = defaultdict(float)
            for group in groups:
                for ansvar in group.ansvar:
                    size_key = (ansvar, group.verksamhet)
                    if size_key not in sizes:
                        sizes[size_key] = float(rng.lognormal(0.0, 0.3))
                for konto, weight in group.konto.items():
                    unit_sizes = np.array([sizes[(a, group.verksamhet)] for a in group.ansvar])
                    unit_sizes = unit_sizes / unit_sizes.sum()
                    for ansvar, size in zip(group.ansvar, unit_sizes, strict=True):
                        keys[_Key(row, ansvar, group.verksamhet, konto)] += weight * size
            result[row][side] = dict(keys)
    return result


KEYS = _expand_keys(_rng("structure"))


@dataclass(frozen=True)
class _Part:
    """Net amount of one row over some months, split in costs and revenues (öre)."""

    row: str
    months: tuple[int, ...]
    cost: int
    revenue: int


def _year_parts(
    row: str,
    net_jan_aug: int,
    net_year: int | None,
    revenue_year: int,
    revenue_share: float,
    grain: int = 1,
) -> list[_Part]:
    """Split a row's January-August (and, if given, full-year) net into cost/revenue parts."""
    revenue_jan_aug = int(round(revenue_year * revenue_share / grain)) * grain
    jan_aug = _Part(row, tuple(range(1, 9)), net_jan_aug - revenue_jan_aug, revenue_jan_aug)
    parts = [jan_aug]
    if net_year is not None:
        revenue_rest = revenue_year - revenue_jan_aug
        parts.append(
            _Part(row, tuple(range(9, 13)), net_year - net_jan_aug - revenue_rest, revenue_rest)
        )
    for part in parts:
        if part.cost <= 0 or part.revenue > 0:
            raise ValueError(f"implausible split for {row}: {part}")
    return parts


def _key_amounts(
    part: _Part, year: int, rng: np.random.Generator | None, grain: int
) -> dict[_Key, int]:
    """Distribute a part's costs and revenues over the row's keys."""
    result: dict[_Key, int] = {}
    factors = YEAR_WEIGHT_FACTORS.get(year, {})
    for side, total in (("cost", part.cost), ("revenue", part.revenue)):
        keys = KEYS[part.row][side]
        if not keys:
            if total:
                raise ValueError(f"row {part.row} has {side} {total} but no {side} keys")
            continue
        weights = np.array([w * factors.get((k.row, k.konto), 1.0) for k, w in keys.items()])
        if rng is not None:
            weights = weights * rng.lognormal(0.0, 0.04, len(weights))
        for key, amount in zip(keys, _allocate(total, weights, grain), strict=True):
            result[key] = result.get(key, 0) + int(amount)
    return result


def _month_amounts(
    key: _Key, total: int, months: Sequence[int], rng: np.random.Generator | None, grain: int
) -> np.ndarray:
    profile = np.array(MONTH_PROFILES.get(key.konto, _FLAT))[[m - 1 for m in months]]
    if rng is not None:
        noise = MONTH_NOISE.get(key.konto, DEFAULT_MONTH_NOISE)
        if noise:
            profile = profile * rng.lognormal(0.0, noise, len(profile))
    return _allocate(total, profile, grain)


def _seasonal_rows(
    parts: Iterable[_Part], year: int, rng: np.random.Generator | None, grain: int
) -> dict[tuple[_Key, int], int]:
    """(key, month) -> amount for all parts."""
    result: dict[tuple[_Key, int], int] = {}
    for part in parts:
        for key, amount in _key_amounts(part, year, rng, grain).items():
            for month, value in zip(
                part.months, _month_amounts(key, amount, part.months, rng, grain), strict=True
            ):
                result[(key, month)] = result.get((key, month), 0) + int(value)
    return result


def _format_sv(ore: int, thousands: str) -> str:
    """Swedish amount: thousands separator, decimal comma, two decimals."""
    kronor, rest = divmod(abs(ore), 100)
    sign = "-" if ore < 0 else ""
    return f"{sign}{kronor:,}".replace(",", thousands) + f",{rest:02d}"


def _ledger_lines(
    amounts: Mapping[tuple[_Key, int], int], year: int, rng: np.random.Generator
) -> list[tuple[str, str, str, str, int, str, str, str]]:
    """Booking lines (period, ansvar, verksamhet, konto, öre, motpart, projekt, text)."""
    lines: list[tuple[str, str, str, str, int, str, str, str]] = []
    ordered = sorted(
        amounts.items(),
        key=lambda kv: (
            kv[0][1],
            kv[0][0].ansvar,
            kv[0][0].row,
            kv[0][0].verksamhet,
            kv[0][0].konto,
        ),
    )
    for (key, month), amount in ordered:
        low, high = LINES_PER_MONTH.get(key.konto, (1, 1))
        count = int(rng.integers(low, high + 1))
        splits = _allocate(amount, rng.uniform(0.3, 1.0, count)) if count > 1 else [amount]
        texts = ROW_TEXTS.get((key.row, key.konto)) or TEXTS[key.konto]
        motpart = MOTPART.get((key.row, key.konto), "")
        projekt, p_projekt = PROJEKT.get((key.row, key.konto), ("", 0.0))
        for value in splits:
            text = texts[int(rng.integers(len(texts)))].format(m=SWEDISH_MONTHS[month - 1])
            proj = projekt if projekt and rng.random() < p_projekt else ""
            lines.append(
                (
                    f"{year}-{month:02d}",
                    key.ansvar,
                    key.verksamhet,
                    key.konto,
                    int(value),
                    motpart,
                    proj,
                    text,
                )
            )
    return lines


def _write_ledger(
    path: Path, lines: Sequence[tuple[str, str, str, str, int, str, str, str]], thousands: str
) -> None:
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh, delimiter=";", lineterminator="\r\n")
        writer.writerow(
            ["period", "ansvar", "verksamhet", "konto", "belopp", "motpart", "projekt", "text"]
        )
        for period, ansvar, verksamhet, konto, ore, motpart, projekt, text in lines:
            writer.writerow(
                [
                    period,
                    ansvar,
                    verksamhet,
                    konto,
                    _format_sv(ore, thousands),
                    motpart,
                    projekt,
                    text,
                ]
            )


ForecastLine = tuple[str, str, str, int, int, str]  # month, verksamhet, ansvar, cost, revenue, text


def _write_forecast_csv(path: Path, lines: Iterable[ForecastLine]) -> Path:
    """A forecast export as the finance system writes it: cp1252, ';', decimal comma; per line
    konto 4000 for the cost (with the comment) and, when there is one, 3000 for the revenue."""
    with path.open("w", encoding="cp1252", newline="") as fh:
        writer = csv.writer(fh, delimiter=";", lineterminator="\r\n")
        writer.writerow(["prognosmanad", "verksamhet", "ansvar", "konto", "belopp", "kommentar"])
        for month, verksamhet, ansvar, cost, revenue, comment in lines:
            writer.writerow([month, verksamhet, ansvar, "4000", _format_sv(cost, ""), comment])
            if revenue:
                writer.writerow([month, verksamhet, ansvar, "3000", _format_sv(revenue, ""), ""])
    return path


def _forecast_split_own(row: str, cost: int, revenue: int) -> list[tuple[str, int, int]]:
    """An own unit's forecast per 3-digit verksamhet, by its keys' weights (tkr grain)."""
    out: list[tuple[str, int, int]] = []
    by_side: dict[str, dict[str, float]] = {}
    for side in ("cost", "revenue"):
        weights: dict[str, float] = defaultdict(float)
        for key, w in KEYS[row][side].items():
            weights[key.verksamhet[:3]] += w
        by_side[side] = dict(sorted(weights.items()))
    codes = list(by_side["cost"])
    costs = _allocate(cost, [by_side["cost"][c] for c in codes], UNIT_ORE)
    revenues = _allocate(revenue, [by_side["revenue"].get(c, 0.0) for c in codes], UNIT_ORE)
    for code, c, r in zip(codes, costs, revenues, strict=True):
        out.append((code, int(c), int(r)))
    return out
