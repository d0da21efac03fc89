"""Demo Kolada cache: the files the client would write, with made-up but calibrated values.

Why: the suite must run and be tested without the network and without real peer data. The demo
reproduces the municipality's values and the R9 means that the real interim report 2024-08 cites
(``calibration/2024-08/r9.csv``) exactly; the eight other members get deterministic, plausible
values whose unweighted mean over all nine equals the published mean, and the group G96092 gets
exactly that mean. Everything else (other years and KPIs, population) is smooth invented trends.
A ``DEMO`` marker file tells the report to say that the peers' values are demo values.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Iterable
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

from uppfoljning import kolada, r9

DEMO_FETCHED_AT = datetime(2024, 9, 2, 6, 0, tzinfo=UTC)
DEMO_YEARS = range(2015, 2024)
CALIBRATION_MUNICIPALITY = "0580"
DEMO_TEXT = (
    "Observera: demodata. Jämförelsekommunernas värden är påhittade; Linköpings värden och "
    "R9-snittet 2022 och 2023 för de tre målnyckeltalen är de som delårsrapporten 2024-08 anger.\n"
    "\n"
    "Skapad av uppfoljning.kolada_demo. Övriga år och nyckeltal och befolkningen är påhittade\n"
    "jämna trender. Ersätt med riktiga data med 'uppfoljning kolada refresh'.\n"
)
# Inhabitants 31/12 2023 (rounded, realistic scale) and share aged 0-20 (%), per member.
_POPULATION_2023 = {
    "0181": 101_900,
    "0380": 244_900,
    "0484": 107_400,
    "0580": 166_700,
    "0581": 145_000,
    "0680": 144_900,
    "1880": 158_300,
    "1980": 157_900,
    "2180": 103_500,
}
_SHARE_0_20 = {
    "0181": 27.6,
    "0380": 25.3,
    "0484": 25.1,
    "0580": 24.6,
    "0581": 24.4,
    "0680": 25.6,
    "1880": 25.2,
    "1980": 25.0,
    "2180": 23.6,
}
# Relative levels of the eight peers before normalisation; rotated per KPI.
_PEER_FACTORS = (1.18, 0.86, 1.27, 0.95, 1.05, 0.90, 1.12, 0.97)
# Plain KPIs: (R9 level 2023, yearly growth, decimals, the municipality's ratio to the mean).
_PLAIN = {"N35025": (3950.0, 0.035, 0, 0.94)}
_GENERIC = (1000.0, 0.03, 0, 1.0)
_GENDERED = {"N33816", "N33817", "N33818"}
_TITLES = {
    "N01951": ("Invånare totalt, antal", "Befolkning"),
    "N33900": ("Invånare 0-20 år, andel (%)", "Befolkning"),
}


def read_calibration() -> dict[tuple[str, int], tuple[float, float]]:
    """Published (own value, R9 mean) per (kpi, year) from ``calibration/2024-08/r9.csv``."""
    text = (
        resources.files("uppfoljning")
        .joinpath("calibration", "2024-08", "r9.csv")
        .read_text(encoding="utf-8")
    )
    out = {}
    for row in csv.DictReader(io.StringIO(text)):
        out[(row["kpi"], int(row["ar"]))] = (
            float(row["linkoping_kr_per_inv"]),
            float(row["r9_snitt_kr_per_inv"]),
        )
    return out


def _wave(i: int, year: int, k: int) -> float:
    # Small deterministic wobble so series are not ruler-straight.
    return 0.02 * math.sin(1.7 * i + 0.9 * (year - 2015) + 0.6 * k)


def _round(value: float, decimals: int) -> float:
    return float(round(value, decimals)) if decimals else float(round(value))


def _fit(
    fixed: float, raw: dict[str, float], target_total: float, decimals: int
) -> dict[str, float]:
    """Round peers to ``decimals`` so that fixed + sum(peers) == target_total exactly."""
    unit = 10**decimals
    remaining = round((target_total - fixed) * unit)
    scale = remaining / sum(raw.values())
    units = {c: round(v * scale) for c, v in raw.items()}
    diff = remaining - sum(units.values())
    order = sorted(raw, key=lambda c: (-raw[c], c))
    step = 1 if diff > 0 else -1
    for i in range(abs(diff)):
        units[order[i % len(order)]] += step
    return {c: u / unit for c, u in units.items()}


class _Generator:
    """Deterministic demo values for every (kpi, municipality, year, gender)."""

    def __init__(self, config: r9.R9Config, years: Iterable[int]) -> None:
        self.config = config
        self.years = sorted({int(y) for y in years})
        self.members = [m.code for m in config.group.members]
        if CALIBRATION_MUNICIPALITY not in self.members:
            raise ValueError(
                f"Demodata kräver att {CALIBRATION_MUNICIPALITY} ingår i jämförelsegruppen."
            )
        self.peers = [c for c in self.members if c != CALIBRATION_MUNICIPALITY]
        self.calibration = read_calibration()
        # (kpi, municipality, year, gender) -> (value, status, count)
        self.values: dict[tuple[str, str, int, str], tuple[float | None, str, int]] = {}

    def set(
        self,
        kpi: str,
        code: str,
        year: int,
        value: float | None,
        gender: str = "T",
        status: str = "",
        count: int | None = None,
    ) -> None:
        if count is None:
            count = 0 if value is None else 1
        self.values[(kpi, code, year, gender)] = (value, status, count)

    def get(self, kpi: str, code: str, year: int, gender: str = "T") -> float:
        value = self.values[(kpi, code, year, gender)][0]
        return math.nan if value is None else value

    def _peer_factors(self, k: int, own_ratio: float) -> dict[str, float]:
        base = [_PEER_FACTORS[(i + k) % len(_PEER_FACTORS)] for i in range(len(self.peers))]
        # Normalised so the nine's raw mean equals the level: the peers carry 9 - own_ratio.
        norm = (len(self.members) - own_ratio) / sum(base)
        return {c: f * norm for c, f in zip(self.peers, base, strict=True)}

    def series(
        self,
        kpi: str,
        k: int,
        level: float,
        growth: float,
        decimals: int,
        own_ratio: float,
        anchor_year: int = 2023,
    ) -> None:
        """A plain KPI: level(year) × factor × wobble, no calibration."""
        factors = self._peer_factors(k, own_ratio)
        factors[CALIBRATION_MUNICIPALITY] = own_ratio
        for year in self.years:
            mean = level * (1 + growth) ** (year - anchor_year)
            for i, code in enumerate(self.members):
                value = mean * factors[code] * (1 + _wave(i, year, k))
                self.set(kpi, code, year, _round(value, decimals))

    def calibrated(self, kpi: str, k: int, growth: float) -> None:
        """A KPI of r9.csv: published own values and means reproduced exactly."""
        anchors = {y: v for (kid, y), v in self.calibration.items() if kid == kpi}
        first, last = min(anchors), max(anchors)
        for year in self.years:
            if year in anchors:
                own, mean = anchors[year]
            else:
                ref = first if year < first else last
                own_ref, mean_ref = anchors[ref]
                mean = mean_ref * (1 + growth) ** (year - ref)
                own = _round(mean * own_ref / mean_ref * (1 + _wave(3, year, k)), 0)
            own_ratio = own / mean
            factors = self._peer_factors(k, own_ratio)
            raw = {
                c: mean * f * (1 + _wave(i, year, k)) for i, (c, f) in enumerate(factors.items())
            }
            peers = _fit(own, raw, mean * len(self.members), 0)
            self.set(kpi, CALIBRATION_MUNICIPALITY, year, own)
            for code, value in peers.items():
                self.set(kpi, code, year, value)

    def build(self) -> None:
        """Fill every KPI the report requests."""
        cfg = self.config
        for year in self.years:
            for code in self.members:
                self.set(
                    cfg.population_total_kpi,
                    code,
                    year,
                    float(round(_POPULATION_2023.get(code, 120_000) * 1.011 ** (year - 2023))),
                )
                self.set(
                    cfg.population_share_0_20_kpi,
                    code,
                    year,
                    _round(_SHARE_0_20.get(code, 25.0) + 0.03 * (2023 - year), 1),
                )
        known = {cfg.population_total_kpi, cfg.population_share_0_20_kpi}
        growth = {"N35001": 0.04, "N33022": 0.05, "N33009": 0.04}
        for k, kpi in enumerate(cfg.kpi_ids):
            if any(kid == kpi for kid, _ in self.calibration):
                self.calibrated(kpi, k, growth.get(kpi, 0.04))
                known.add(kpi)
        derived = self._derive(known)
        for k, kpi in enumerate(cfg.kpi_ids):
            if kpi not in known and kpi not in derived:
                level, g, decimals, own = _PLAIN.get(kpi, _GENERIC)
                self.series(kpi, k, level, g, decimals, own)
        # One value Kolada lacks, so the report's missing-value notes have something to show.
        if "N35025" in cfg.kpi_ids and self.years and "0181" in self.members:
            self.set("N35025", "0181", self.years[0], None, status="Missing")
        self._group_means()

    def _derive(self, known: set[str]) -> set[str]:
        """Parts and explanatory KPIs consistent with the calibrated totals."""
        wanted = set(self.config.kpi_ids)
        done: set[str] = set()
        for year in self.years:
            for i, code in enumerate(self.members):
                share = self.get(self.config.population_share_0_20_kpi, code, year)
                if "N33022" in known:
                    total = self.get("N33022", code, year)
                    hvb = round(total * (0.44 + 0.03 * math.sin(i + 0.3 * (year - 2015))))
                    for kpi, value in (("N33002", hvb), ("N33004", total - hvb)):
                        if kpi in wanted:
                            self.set(kpi, code, year, float(value))
                            done.add(kpi)
                    # Cost per placed child ~1.05 mnkr (2023 prices), dearer in the municipality.
                    per_child = (
                        1_050_000
                        * (1.06 if code == CALIBRATION_MUNICIPALITY else 0.93 + 0.03 * (i % 5))
                        * 1.03 ** (year - 2023)
                    )
                    placed = round(1000 * total / per_child, 1)
                    family = 0.66 + 0.02 * math.cos(i + year)
                    parts = {
                        "N33816": placed,
                        "N33817": round(placed * family, 1),
                        "N33818": round(placed * (1 - family) * 1.05, 1),
                    }
                    for kpi, value in parts.items():
                        if kpi in wanted:
                            self.set(kpi, code, year, value)
                            self.set(kpi, code, year, round(value * 0.88, 1), gender="K")
                            self.set(kpi, code, year, round(value * 1.12, 1), gender="M")
                            done.add(kpi)
                    if "N33021" in wanted and "N33009" in known:
                        open_per_0_20 = self.get("N33009", code, year) * 100 / share
                        other = 1400 * 1.03 ** (year - 2023)
                        self.set("N33021", code, year, float(round(total + open_per_0_20 + other)))
                        done.add("N33021")
                if "N35001" in known:
                    total = self.get("N35001", code, year)
                    inst = 0.42 + 0.04 * math.sin(2 * i + 0.5 * (year - 2015))
                    for kpi, value in (("N35009", total * inst), ("N35011", total * 0.48)):
                        if kpi in wanted:
                            self.set(kpi, code, year, float(round(value)))
                            done.add(kpi)
        return done

    def _group_means(self) -> None:
        group_id = self.config.group.kolada_id
        if not group_id:
            return
        keys = {(kpi, year, gender) for (kpi, _code, year, gender) in self.values}
        for kpi, year, gender in sorted(keys):
            present = [
                v
                for c in self.members
                if (v := self.values.get((kpi, c, year, gender), (None, "", 0))[0]) is not None
            ]
            if present:
                # Kolada's group value: unweighted mean, count = members that had data.
                self.set(
                    kpi,
                    group_id,
                    year,
                    sum(present) / len(present),
                    gender=gender,
                    count=len(present),
                )

    # ----------------------------------------------------------------- responses

    def data_response(self, kpis: list[str], codes: list[str], years: list[int]) -> dict[str, Any]:
        rows = []
        for kpi in kpis:
            for code in codes:
                for year in years:
                    points = []
                    for gender in ("T", "K", "M"):
                        if (kpi, code, year, gender) not in self.values:
                            continue
                        value, status, count = self.values[(kpi, code, year, gender)]
                        points.append(
                            {
                                "gender": gender,
                                "value": value,
                                "count": count,
                                "status": status,
                                "isdeleted": False,
                            }
                        )
                    if points:
                        rows.append(
                            {"kpi": kpi, "municipality": code, "period": year, "values": points}
                        )
        return {"values": rows, "count": len(rows), "next_url": None, "previous_url": None}

    def kpi_response(self, kpis: list[str]) -> dict[str, Any]:
        rows = []
        for kpi in kpis:
            if kpi in _TITLES:
                title, area = _TITLES[kpi]
            else:
                title, area = self.config.label(kpi), "Individ- och familjeomsorg"
            rows.append(
                {
                    "id": kpi,
                    "title": title,
                    "description": "Demometadata. Hämta Koladas beskrivning med "
                    "'uppfoljning kolada refresh'.",
                    "operating_area": area,
                    "is_divided_by_gender": kpi in _GENDERED,
                    "municipality_type": "K",
                    "has_ou_data": False,
                    "publication_date": "2024-04-03",
                }
            )
        return {"values": rows, "count": len(rows), "next_url": None, "previous_url": None}

    def group_response(self) -> dict[str, Any]:
        group = self.config.group
        members = [{"member_id": m.code, "member_title": m.name} for m in group.members]
        rows = [{"id": group.kolada_id, "title": group.name, "members": members}]
        return {"values": rows, "count": 1, "next_url": None, "previous_url": None}


def _write(cache_dir: Path, path: str, response: dict[str, Any], fetched_at: datetime) -> None:
    url = kolada.request_url(path)
    body = json.dumps(response, ensure_ascii=False).encode("utf-8")
    kolada.write_cache_entry(cache_dir, kolada.request_key(url), url, body, fetched_at)


def write_demo_kolada_cache(
    cache_dir: Path | str | None = None,
    config: r9.R9Config | None = None,
    years: Iterable[int] = DEMO_YEARS,
    *,
    fetched_at: datetime = DEMO_FETCHED_AT,
    force: bool = False,
) -> Path:
    """Write a demo Kolada cache for the R9 report's requests and mark it ``DEMO``.

    ``cache_dir`` defaults to the project's ``data/raw/kolada/``, ``config`` to its
    ``params/jamforelsegrupper.yaml``. Refuses to overwrite a cache of real Kolada data unless
    ``force``. Returns the cache directory.
    """
    cache_dir = Path(cache_dir) if cache_dir is not None else r9.default_cache_dir()
    config = config or r9.load_config()
    if cache_dir.is_dir():
        existing = [p for p in cache_dir.glob("*.json") if p.is_file()]
        if existing and not kolada.is_demo_cache(cache_dir) and not force:
            raise FileExistsError(
                f"{cache_dir} innehåller riktiga Kolada-data; demodata skrivs inte över dem."
            )
        for old in existing:
            old.unlink()
    request = r9.kolada_request(config, years)
    gen = _Generator(config, request["years"])
    gen.build()
    for path in kolada.kpi_paths(request["kpis"]):
        gen_kpis = path.removeprefix("kpi/").split(",")
        _write(cache_dir, path, gen.kpi_response(gen_kpis), fetched_at)
    for group_id in request["groups"]:
        _write(cache_dir, kolada.group_path(group_id), gen.group_response(), fetched_at)
    for path in kolada.data_paths(request["kpis"], request["municipalities"], request["years"]):
        _, _, kpis, _, codes, _, years_text = path.split("/")
        response = gen.data_response(
            kpis.split(","), codes.split(","), [int(y) for y in years_text.split(",")]
        )
        _write(cache_dir, path, response, fetched_at)
    (cache_dir / kolada.DEMO_MARKER).write_text(DEMO_TEXT, encoding="utf-8")
    return cache_dir
