"""Deterministic demo exports for the volumes report: volume measures, staff, indicators.

The files look like what controllers export (Qlik Sense volumes per month, sex and group; HR
staff statistics; the committee's indicator sheet), in several dialects, and are calibrated so
that the report computed from them reproduces the published August 2024 tables in
`uppfoljning/calibration/2024-08/` (volymer, personal, namndindikatorer) after rounding:

- Year-to-date values for August 2023 and 2024 and the shares of girls/women are set exactly.
- Each forecast is reproduced by choosing the earlier years, not by writing the forecast:
  for ackumulerat measures the December 2023 value F makes Aug 2024 × F / Aug 2023 round to
  the published forecast (the `kvot` method); for flows the 2023 full year makes
  Aug 2024 ÷ (Σ Jan–Aug ÷ Σ full year, 2022–2023) round to it (the `sasongsprofil` method).
- "ackumulerat" values are distinct cases January..month: non-decreasing within a year,
  restarting in January, never sums of monthly values.

The measure keys (`matt`) are those of `params/volymmatt.yaml`. Every random stream has its
own seed (`_rng(name)`), so the files are byte-identical across runs.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path

import numpy as np
from openpyxl import Workbook

__all__ = ["MEASURE_KEYS", "STAFF_KEYS", "write_demo_volumes"]

SEED = 20240902
CALIBRATION = "2024-08"
YEAR, PREVIOUS, FIRST = 2024, 2023, 2022
LAST_MONTH = 8

# reference label (`matt` in calibration/2024-08/volymer.csv) -> key in params/volymmatt.yaml
MEASURE_KEYS = {
    "Antal aktualiseringar 0-20 år ackumulerat": "aktualiseringar_0_20",
    "Antal inledda utredningar för barn och unga ackumulerat": "inledda_utredningar_0_20",
    "Antal pågående ärenden barn och unga ackumulerat": "pagaende_arenden_barn",
    "Antal barn och unga med öppenvårdsinsatser (bistånd) ackumulerat": "oppenvard_barn",
    "Antal barn och unga i dygnsvård ackumulerat": "dygnsvard_barn",
    "Antal pågående ärenden vuxna ackumulerat": "pagaende_arenden_vuxna",
    "Antal vuxna med verkställt beslut om boende särskild service (SoL/LSS) ackumulerat": (
        "boende_sarskild_service"
    ),
    "Antal vuxna med beslut om daglig verksamhet ackumulerat": "daglig_verksamhet",
    "Antal vuxna i dygnsvård IFO (HVB, skyddat boende, familjehem, SiS, motivationsboende) "
    "ackumulerat": "dygnsvard_vuxna",
    "Antal vuxna med beslut om boendestöd ackumulerat": "boendestod_vuxna",
}
FLOWS = ("aktualiseringar_0_20", "inledda_utredningar_0_20")
STAFF_KEYS = {
    "Antal tillsvidareanställda": "tillsvidareanstallda",
    "Total sjukfrånvaro (%)": "sjukfranvaro_total",
    "Personalavgångar externt (%)": "personalavgangar_externt",
}

# Monthly shape of flows (referrals dip in the summer holidays and peak in the autumn) and of
# new cases in ackumulerat measures.
FLOW_SEASON = (1.00, 1.02, 1.08, 0.97, 1.04, 0.92, 0.62, 0.86, 1.12, 1.18, 1.12, 0.90)
NEW_CASES = (0.0, 1.05, 1.10, 1.00, 1.05, 0.95, 0.70, 0.90, 1.10, 1.10, 1.05, 0.95)
FLOW_LEVEL_2022 = 0.93  # referrals rose in 2023 compared with earlier years
SICK_SEASON = (1.25, 1.22, 1.10, 1.00, 0.92, 0.85, 0.68, 0.80, 1.00, 1.08, 1.12, 1.18)
LEAVER_SEASON = (0.9, 0.8, 0.9, 0.9, 1.0, 1.5, 1.3, 1.6, 1.2, 0.9, 0.9, 1.0)
SEX_CODES = {"T": "Totalt", "K": "Kvinnor", "M": "Män"}


def _rng(stream: str) -> np.random.Generator:
    return np.random.default_rng([SEED, *stream.encode()])


def _reference(name: str) -> list[dict[str, str]]:
    text = (files("uppfoljning") / "demo" / "calibration" / CALIBRATION / name).read_text(
        encoding="utf-8"
    )
    return list(csv.DictReader(io.StringIO(text)))


def _half_up(numerator: int, denominator: int) -> int:
    """round(numerator / denominator), halves up, in integers (non-negative arguments)."""
    return (2 * numerator + denominator) // (2 * denominator)


def _allocate(total: int, weights: Sequence[float]) -> list[int]:
    """Split an integer total by weights (largest remainder; ties to the earlier month)."""
    w = np.asarray(weights, dtype=float)
    if total == 0 or w.sum() == 0:
        return [0] * len(w)
    exact = total * w / w.sum()
    out = np.floor(exact).astype(int)
    order = sorted(range(len(w)), key=lambda i: (-(exact[i] - out[i]), i))
    for i in order[: total - int(out.sum())]:
        out[i] += 1
    return [int(v) for v in out]


def _women(total: int, percent: int) -> int:
    """Women among `total` so that the share rounds (half up) to `percent`."""
    women = _half_up(total * percent, 100)
    for candidate in sorted(range(women - 2, women + 3), key=lambda c: abs(c - women)):
        if 0 <= candidate <= total and _half_up(200 * candidate, 2 * total) == percent:
            return candidate
    raise ValueError(f"no count of women in {total} rounds to {percent} %")


def _rounds_to(value_num: int, value_den: int, target: int) -> bool:
    """|num/den − target| < 0.5: rounds to target whatever the rounding convention."""
    return abs(2 * value_num - 2 * target * value_den) < value_den


@dataclass
class _Series:
    """One measure (and group): totals and women per (year, month)."""

    key: str
    group: str
    total: dict[tuple[int, int], int]
    women: dict[tuple[int, int], int] | None


def _months(year: int) -> range:
    return range(1, (LAST_MONTH if year == YEAR else 12) + 1)


# --------------------------------------------------------------------------- volumes


def _flow(key: str, ref: dict[str, str], rng: np.random.Generator) -> _Series:
    """Monthly counts; full years 2022–2023 chosen so the seasonal profile gives the forecast."""
    a23, a24 = int(ref["aug_2023"]), int(ref["aug_2024"])
    target = int(ref["prognos_2024"])
    share = a24 / target  # the share of the year that Jan–Aug must represent
    f22 = round(a23 / share * FLOW_LEVEL_2022)
    a22 = round(f22 * share * rng.uniform(0.99, 1.01))
    same = a22 + a23
    both = _half_up(target * same, a24)  # f22 + f23
    if not _rounds_to(a24 * both, same, target):
        raise ValueError(f"{key}: no 2023 full year reproduces the forecast {target}")
    f23 = both - f22
    segments = {
        FIRST: (a22, f22 - a22),
        PREVIOUS: (a23, f23 - a23),
        YEAR: (a24, 0),
    }
    pct = {
        PREVIOUS: int(ref["andel_flickor_kvinnor_aug_2023_pct"]),
        YEAR: int(ref["andel_flickor_kvinnor_aug_2024_pct"]),
    }
    total: dict[tuple[int, int], int] = {}
    women: dict[tuple[int, int], int] = {}
    for year, (jan_aug, sep_dec) in segments.items():
        for months, amount in ((range(1, 9), jan_aug), (range(9, 13), sep_dec)):
            if year == YEAR and months.start == 9:
                continue
            weights = [FLOW_SEASON[m - 1] * rng.uniform(0.93, 1.07) for m in months]
            counts = _allocate(amount, weights)
            if year in pct and months.start == 1:
                w = _women(amount, pct[year])
            else:
                w = round(amount * pct[PREVIOUS] / 100 * rng.uniform(0.97, 1.03))
            for m, c, cw in zip(months, counts, _allocate(w, counts), strict=True):
                total[(year, m)] = c
                women[(year, m)] = cw
    return _Series(key, "", total, women)


def _proportional(curve: dict[int, int], anchor: int, women_at_anchor: int) -> dict[int, int]:
    """Women per month in the same proportion as at the anchor month (monotone if curve is)."""
    return {m: _half_up(c * women_at_anchor, curve[anchor]) for m, c in curve.items()}


def _accumulated(key: str, group: str, ref: dict[str, str], rng: np.random.Generator) -> _Series:
    """Distinct cases January..month: a January stock plus new cases, restarting each year."""
    a23, a24 = int(ref["aug_2023"]), int(ref["aug_2024"])
    if ref["prognos_2024"]:
        target = int(ref["prognos_2024"])
        centre = _half_up(target * a23, a24)
        f23 = next(
            f
            for f in sorted(range(centre - 3, centre + 4), key=lambda f: abs(f - centre))
            if _rounds_to(a24 * f, a23, target)
        )
    else:
        f23 = round(a23 * rng.uniform(1.10, 1.16))
    rate = (f23 - a23) / 4  # new cases per month in the autumn of 2023
    january = max(1, min(a23, round(a23 - 7 * rate * rng.uniform(0.95, 1.05))))
    c23 = {1: january}
    for months, amount in ((range(2, 9), a23 - january), (range(9, 13), f23 - a23)):
        weights = [NEW_CASES[m - 1] * rng.uniform(0.85, 1.15) for m in months]
        for m, new in zip(months, _allocate(amount, weights), strict=True):
            c23[m] = c23[m - 1] + new
    c24 = {m: _half_up(c23[m] * a24, a23) for m in _months(YEAR)}
    level = rng.uniform(0.94, 1.02)
    c22 = {m: round(c23[m] * level) for m in range(1, 13)}
    total = {
        (y, m): v for y, c in ((FIRST, c22), (PREVIOUS, c23), (YEAR, c24)) for m, v in c.items()
    }
    if not ref["andel_flickor_kvinnor_aug_2023_pct"]:
        return _Series(key, group, total, None)
    p23 = int(ref["andel_flickor_kvinnor_aug_2023_pct"])
    p24 = int(ref["andel_flickor_kvinnor_aug_2024_pct"])
    w23 = _proportional(c23, LAST_MONTH, _women(a23, p23))
    w24 = _proportional(c24, LAST_MONTH, _women(a24, p24))
    w22 = _proportional(c22, 12, round(c22[12] * p23 / 100 * rng.uniform(0.97, 1.03)))
    women = {
        (y, m): v for y, w in ((FIRST, w22), (PREVIOUS, w23), (YEAR, w24)) for m, v in w.items()
    }
    return _Series(key, group, total, women)


def volume_series() -> list[_Series]:
    """Every measure and group of the reference volume table, calibrated."""
    out = []
    for ref in _reference("volymer.csv"):
        key = MEASURE_KEYS[ref["matt"]]
        rng = _rng(f"volymer-{key}-{ref['grupp']}")
        if key in FLOWS:
            out.append(_flow(key, ref, rng))
        else:
            out.append(_accumulated(key, ref["grupp"], ref, rng))
    return out


def _volume_rows(series: list[_Series], years: Sequence[int]) -> list[tuple]:
    """(matt, year, month, grupp, kon, value) rows: K and M where split by sex, else total."""
    rows = []
    for s in series:
        for year in years:
            for month in _months(year):
                value = s.total[(year, month)]
                if s.women is None:
                    rows.append((s.key, year, month, s.group, "", value))
                else:
                    women = s.women[(year, month)]
                    rows.append((s.key, year, month, s.group, "K", women))
                    rows.append((s.key, year, month, s.group, "M", value - women))
    return rows


VOLUME_HEADER = ["matt", "period", "grupp", "kon", "varde"]


def write_volumes_csv(out_dir: Path, series: list[_Series]) -> Path:
    """volymer_2022-2023.csv: Qlik export, UTF-8 with BOM, ';', CRLF."""
    path = out_dir / "volymer_2022-2023.csv"
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh, delimiter=";", lineterminator="\r\n")
        writer.writerow(VOLUME_HEADER)
        for key, year, month, group, sex, value in _volume_rows(series, (FIRST, PREVIOUS)):
            writer.writerow([key, f"{year}-{month:02d}", group, sex, value])
    return path


def write_volumes_xlsx(out_dir: Path, series: list[_Series]) -> Path:
    """volymer_2024.xlsx: the same export saved from Excel, months as dates."""
    from uppfoljning.demo.workbook import save_workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "Volymer"
    ws.append(VOLUME_HEADER)
    for key, year, month, group, sex, value in _volume_rows(series, (YEAR,)):
        ws.append([key, dt.datetime(year, month, 1), group or None, sex or None, value])
    path = out_dir / "volymer_2024.xlsx"
    save_workbook(wb, path)
    return path


# --------------------------------------------------------------------------- staff


def _sv(value: float, decimals: int = 2) -> str:
    return f"{value:.{decimals}f}".replace(".", ",")


def _target_hundredths(text: str, rng: np.random.Generator) -> int:
    """A two-decimal value (in hundredths) that rounds to the published one-decimal `text`."""
    return round(float(text) * 100) + int(rng.integers(-3, 4))


def _headcount(ref: dict[str, str], rng: np.random.Generator) -> dict[tuple[int, int], int]:
    """Month-end stock: anchors at Aug 2023 and Aug 2024, a noisy line in between."""
    a23, a24 = int(ref["aug_2023"]), int(ref["aug_2024"])
    anchors = {(FIRST, 1): a23 - 31, (PREVIOUS, LAST_MONTH): a23, (PREVIOUS, 12): a23 + 5,
               (YEAR, LAST_MONTH): a24}  # fmt: skip
    months = [(y, m) for y in (FIRST, PREVIOUS, YEAR) for m in _months(y)]
    known = sorted(anchors, key=months.index)
    out = {}
    for i, ym in enumerate(months):
        if ym in anchors:
            out[ym] = anchors[ym]
            continue
        left = max(k for k in known if months.index(k) < i)
        right = min(k for k in known if months.index(k) > i)
        li, ri = months.index(left), months.index(right)
        line = anchors[left] + (anchors[right] - anchors[left]) * (i - li) / (ri - li)
        out[ym] = round(line + rng.normal(0, 3))
    return out


def _sick_leave(
    ref: dict[str, str], full_years: dict[int, float], rng: np.random.Generator
) -> dict[tuple[int, int], int]:
    """Year-to-date sick leave in hundredths of a percent.

    January–August 2023 and 2024 average to the published figures; the autumn of 2022 and 2023
    follows the full-year values of the indicator sheet, so the two exports agree.
    """
    anchors = {PREVIOUS: ref["aug_2023"], YEAR: ref["aug_2024"]}
    out = {}
    for year in (FIRST, PREVIOUS, YEAR):
        rates = [s * rng.uniform(0.97, 1.03) for s in SICK_SEASON]
        if year in anchors:
            mean = _target_hundredths(anchors[year], rng) / 100
            scale = mean * LAST_MONTH / sum(rates[:LAST_MONTH])
            rates[:LAST_MONTH] = [r * scale for r in rates[:LAST_MONTH]]
            if year in full_years:
                rest = full_years[year] * 12 - sum(rates[:LAST_MONTH])
                scale = rest / sum(rates[LAST_MONTH:])
                rates[LAST_MONTH:] = [r * scale for r in rates[LAST_MONTH:]]
        elif year in full_years:
            scale = full_years[year] * 12 / sum(rates)
            rates = [r * scale for r in rates]
        for m in _months(year):
            out[(year, m)] = round(sum(rates[:m]) / m * 100)
    return out


def _leavers(ref: dict[str, str], rng: np.random.Generator) -> dict[tuple[int, int], int]:
    """Monthly external leavers in hundredths of a percent; Jan–Aug sums as published."""
    out = {}
    anchors = {PREVIOUS: ref["aug_2023"], YEAR: ref["aug_2024"]}
    for year in (FIRST, PREVIOUS, YEAR):
        jan_aug = _target_hundredths(anchors.get(year, "1.7"), rng)
        weights = [LEAVER_SEASON[m - 1] * rng.uniform(0.8, 1.2) for m in range(1, 9)]
        values = _allocate(jan_aug, weights)
        if year != YEAR:
            autumn = [LEAVER_SEASON[m - 1] * rng.uniform(0.8, 1.2) for m in range(9, 13)]
            values += _allocate(round(jan_aug * 0.45), autumn)
        for m, v in zip(_months(year), values, strict=True):
            out[(year, m)] = v
    return out


def write_staff(out_dir: Path) -> Path:
    """personal_2022-2024.csv: HR export, Windows-1252, tab separated, decimal comma."""
    refs = {STAFF_KEYS[r["matt"]]: r for r in _reference("personal.csv")}
    indicators = {(r["indikator"], r["kon"]): r for r in _reference("namndindikatorer.csv")}
    sick_year = indicators[("Total sjukfrånvaro (%)", "T")]
    full_years = {FIRST: float(sick_year["2022"]), PREVIOUS: float(sick_year["2023"])}
    heads = _headcount(refs["tillsvidareanstallda"], _rng("staff-heads"))
    sick = _sick_leave(refs["sjukfranvaro_total"], full_years, _rng("staff-sick"))
    leavers = _leavers(refs["personalavgangar_externt"], _rng("staff-leavers"))
    women_share = _rng("staff-women")
    path = out_dir / "personal_2022-2024.csv"
    with path.open("w", encoding="cp1252", newline="") as fh:
        writer = csv.writer(fh, delimiter="\t", lineterminator="\r\n")
        writer.writerow(["matt", "period", "kon", "varde"])
        for (year, month), count in heads.items():
            women = round(count * women_share.uniform(0.781, 0.789))
            period = f"{year}-{month:02d}"
            writer.writerow(["tillsvidareanstallda", period, SEX_CODES["K"], women])
            writer.writerow(["tillsvidareanstallda", period, SEX_CODES["M"], count - women])
        for key, values in (("sjukfranvaro_total", sick), ("personalavgangar_externt", leavers)):
            for (year, month), hundredths in values.items():
                writer.writerow([key, f"{year}-{month:02d}", SEX_CODES["T"], _sv(hundredths / 100)])
    return path


# --------------------------------------------------------------------------- indicators


def _indicator_targets(note: str, latest: int) -> dict[int, str]:
    """Targets stated in the reference's note: "målvärde 4", "R9-snitt 1063 (2022) och …"."""
    targets = {int(y): v for v, y in re.findall(r"(\d[\d ]*)\s*\((\d{4})\)", note)}
    if match := re.search(r"målvärde\s+(\d+(?:[.,]\d+)?)", note):
        targets[latest] = match.group(1)
    return targets


def write_indicators(out_dir: Path) -> Path:
    """indikatorer_2022-2024.csv: the committee's indicator sheet, UTF-8 BOM, ';', decimal comma."""
    path = out_dir / "indikatorer_2022-2024.csv"
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh, delimiter=";", lineterminator="\r\n")
        writer.writerow(["indikator", "ar", "kon", "varde", "malvarde", "riktning"])
        for ref in _reference("namndindikatorer.csv"):
            targets = _indicator_targets(ref["anmarkning"], YEAR)
            direction = ref["onskad_riktning"]
            if ref["malomrade"] == "Medarbetare":  # the HR sheet writes directions in lower case
                direction = direction.lower()
            for year in (FIRST, PREVIOUS, YEAR):
                value = ref[str(year)]
                if value == "":
                    continue  # i.u.: no row
                writer.writerow(
                    [
                        ref["indikator"],
                        year,
                        SEX_CODES[ref["kon"]],
                        value.replace(".", ","),
                        targets.get(year, "").replace(" ", "").replace(".", ","),
                        direction,
                    ]
                )
    return path


def write_demo_volumes(out_dir: Path) -> list[Path]:
    """Write the volume, staff and indicator demo exports into `out_dir`; returns the paths."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    series = volume_series()
    return [
        write_volumes_csv(out_dir, series),
        write_volumes_xlsx(out_dir, series),
        write_staff(out_dir),
        write_indicators(out_dir),
    ]
