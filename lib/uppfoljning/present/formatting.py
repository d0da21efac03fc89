"""The one place for Swedish number formatting (sv_SE).

Reports show `1 880,9`: a no-break space between thousands, a decimal comma, a hyphen-minus
for negatives (as the municipality's reports print them) and half-up rounding. Babel and
Python's `round` round half to even, which would print 0,05 as 0,0; controllers compare our
figures with their spreadsheets, so we round as Excel does: half away from zero.
"""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal

NBSP = "\u00a0"
MNKR = 1_000_000
TKR = 1_000

UNIT_DIVISORS: dict[str, float] = {"kr": 1, "tkr": TKR, "mnkr": MNKR}

SWEDISH_MONTHS = [
    "januari",
    "februari",
    "mars",
    "april",
    "maj",
    "juni",
    "juli",
    "augusti",
    "september",
    "oktober",
    "november",
    "december",
]
SWEDISH_MONTHS_SHORT = [
    "jan",
    "feb",
    "mar",
    "apr",
    "maj",
    "jun",
    "jul",
    "aug",
    "sep",
    "okt",
    "nov",
    "dec",
]


def round_half_up(value: float, decimals: int = 0) -> float:
    """Round half away from zero, via the shortest decimal repr of the float."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return math.nan
    quantum = Decimal(1).scaleb(-decimals)
    return float(Decimal(repr(float(value))).quantize(quantum, rounding=ROUND_HALF_UP))


def format_number(value: float | int | None, decimals: int = 1, *, sign: bool = False) -> str:
    """`1234567.85` → `1 234 567,9` (no-break spaces). Empty string for missing values."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    rounded = Decimal(repr(float(value))).quantize(
        Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP
    )
    if rounded == 0:
        rounded = abs(rounded)  # never print "-0,0"
    text = f"{abs(rounded):,.{decimals}f}".replace(",", NBSP).replace(".", ",")
    if rounded < 0:
        return "-" + text
    if sign and rounded > 0:
        return "+" + text
    return text


def format_amount(value: float | None, unit: str = "mnkr", decimals: int = 1, **kw: bool) -> str:
    """Kronor → a number in `unit` (kr, tkr, mnkr), formatted."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return format_number(value / UNIT_DIVISORS[unit], decimals, **kw)


def format_mnkr(value: float | None, *, sign: bool = False, suffix: bool = False) -> str:
    """Kronor → `1 880,9` (mnkr), optionally with the unit."""
    text = format_amount(value, "mnkr", 1, sign=sign)
    return f"{text} mnkr" if suffix and text else text


def format_percent(value: float | None, decimals: int = 1, *, sign: bool = False) -> str:
    """A percentage already in percent units → `25,8 %`."""
    text = format_number(value, decimals, sign=sign)
    return f"{text}{NBSP}%" if text else ""


def format_count(value: float | int | None, *, threshold: int = 0) -> str:
    """A count; counts under `threshold` are suppressed as `<threshold` (privacy rule)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if threshold and 0 < value < threshold:
        return f"<{threshold}"
    return format_number(value, 0)


def format_cell(value: object, decimals: int = 0, *, threshold: int = 0) -> str:
    """A table cell: text (a marker such as `<5`) as it is, a missing value as "", a number
    with `decimals`, or (decimals 0) a count suppressed under `threshold` (format_count)."""
    if isinstance(value, str):
        return value
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if decimals:
        return format_number(value, decimals)  # type: ignore[arg-type]
    return format_count(value, threshold=threshold)  # type: ignore[arg-type]


def format_with_unit(value: float | int | None, unit: str, decimals: int = 0) -> str:
    """A number followed by its unit, for running text: `1 266 dygn`; "" when missing."""
    text = format_number(value, decimals)
    return f"{text} {unit}" if text else ""


def format_kronor(value: float | None, *, mnkr_from: float = MNKR) -> str:
    """Kronor for running text: `7 397 kr` below `mnkr_from`, `199,9 mnkr` from it up."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if abs(value) >= mnkr_from:
        return format_mnkr(value, suffix=True)
    return format_with_unit(value, "kr", 0)


def month_name(month: int) -> str:
    return SWEDISH_MONTHS[month - 1]


def period_label(period: str) -> str:
    """`2024-08` → `augusti 2024`."""
    year, month = period.split("-")
    return f"{month_name(int(month))} {year}"


def period_range_label(period: str) -> str:
    """`2024-08` → `jan–aug 2024` (the year-to-date span a table covers)."""
    year, month = period.split("-")
    last = SWEDISH_MONTHS_SHORT[int(month) - 1]
    return f"jan\u2013{last} {year}" if int(month) > 1 else f"jan {year}"
