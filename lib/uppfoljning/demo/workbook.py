"""Reproducible Excel exports: fixed properties and zip times, so a workbook is
byte-identical from run to run; the budget workbook's layout."""

from __future__ import annotations

import io
import zipfile
from collections import defaultdict
from pathlib import Path

from openpyxl import Workbook
from openpyxl.xml.functions import tostring

from uppfoljning.demo.bookings import _Key

FIXED_TIMESTAMP = (2024, 9, 2, 8, 0, 0)


def save_workbook(wb: Workbook, path: Path) -> None:
    """Save an openpyxl workbook byte-for-byte reproducibly (fixed properties and zip times)."""
    import datetime as dt

    stamp = dt.datetime(*FIXED_TIMESTAMP)
    buffer = io.BytesIO()
    wb.save(buffer)  # stamps properties.modified with the current time ...
    wb.properties.created = stamp
    wb.properties.modified = stamp  # ... so core.xml is rewritten below
    wb.properties.creator = "uppfoljning.demo"
    core = tostring(wb.properties.to_tree())
    out = io.BytesIO()
    with zipfile.ZipFile(buffer) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = core if info.filename == "docProps/core.xml" else src.read(info.filename)
            entry = zipfile.ZipInfo(info.filename, date_time=FIXED_TIMESTAMP)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o600 << 16
            dst.writestr(entry, data)
    path.write_bytes(out.getvalue())


def write_budget_book(
    path: Path,
    year: int,
    amounts: dict[tuple[_Key, int], int],
    cut: tuple[tuple[str, str, str], int],
) -> None:
    """A budget workbook: revised monthly lines, then the original annual lines, which differ
    from the revised by `cut` (öre) on one key (a frame change decided during the year)."""
    wb = Workbook()
    ws = wb.active
    ws.title = "Budget"
    ws.append(["ar", "version", "ansvar", "verksamhet", "konto", "period", "belopp"])
    annual: dict[_Key, int] = defaultdict(int)
    for (key, month), amount in sorted(
        amounts.items(),
        key=lambda kv: (kv[0][0].ansvar, kv[0][0].verksamhet, kv[0][0].konto, kv[0][1]),
    ):
        annual[key] += amount
        period = f"{year}-{month:02d}"
        ws.append([year, "reviderad", key.ansvar, key.verksamhet, key.konto, period, amount // 100])
    cut_key, cut_ore = cut
    done = False
    for key, amount in annual.items():
        if (key.ansvar, key.verksamhet, key.konto) == cut_key:
            amount -= cut_ore
            done = True
        ws.append([year, "original", key.ansvar, key.verksamhet, key.konto, None, amount // 100])
    if not done:
        raise ValueError(f"original budget key {cut_key} not in the {year} budget")
    save_workbook(wb, path)
