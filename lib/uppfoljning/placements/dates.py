"""Day numbers and month windows: the calendar every placement figure is counted in.

Dates are whole days since 1970-01-01 (int64), months are "YYYY-MM" strings; a window is
[first day, first day after), so the end day of an interval is never counted.
"""

from __future__ import annotations

import numpy as np

from uppfoljning.data.config import parse_period


def day_number(text: str) -> int:
    """`"2024-08-31"` → days since 1970-01-01."""
    return int(np.datetime64(text, "D").astype(np.int64))


def month_start(period: str) -> int:
    return day_number(f"{period}-01")


def shift_month(period: str, months: int) -> str:
    year, month = parse_period(period)
    index = year * 12 + month - 1 + months
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def month_range(first: str, last: str) -> list[str]:
    """Every month from `first` to `last`, both included."""
    out, current = [], first
    while current <= last:
        out.append(current)
        current = shift_month(current, 1)
    return out


def ytd_window(period: str, years_back: int = 0) -> tuple[int, int]:
    """[1 January, first day after the period month) of the period's year minus `years_back`."""
    year, month = parse_period(period)
    end = shift_month(f"{year - years_back}-{month:02d}", 1)
    return day_number(f"{year - years_back}-01-01"), month_start(end)


def r12_window(period: str) -> tuple[int, int]:
    """The twelve months ending with the period month."""
    return month_start(shift_month(period, -11)), month_start(shift_month(period, 1))


def overlap_days(start: np.ndarray, end: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Care days of each episode (rows) in each window [lo, hi) (columns): start in, end out."""
    first = np.maximum(start[:, None], lo[None, :])
    last = np.minimum(end[:, None], hi[None, :])
    return np.clip(last - first, 0, None)
