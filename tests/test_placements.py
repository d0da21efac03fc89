"""The HVB placements report: care days, price–volume–mix, ingest rules, demo facts, privacy.

One demo run (write_demo_data → ingest → notebook) is shared by the module; the unit tests
build tiny registers by hand.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
from importlib.resources import files
from pathlib import Path

import nbformat
import numpy as np
import pandas as pd
import papermill
import pyarrow.parquet as pq
import pytest
import yaml
from matplotlib.colors import to_hex

from uppfoljning.data.care_forms import load_care_forms
from uppfoljning.data.ingest import PSEUDONYM_ENV, PSEUDONYM_KEY_FILE, IngestError, ingest
from uppfoljning.demo import placements as demo_placements
from uppfoljning.demo.economy import write_demo_data
from uppfoljning.placements import TARGET_GROUPS, PlacementReport, Register, load_settings
from uppfoljning.placements import plots as placement_plots
from uppfoljning.placements.aggregate import price_volume_mix
from uppfoljning.placements.care_day_tables import MERGED_LABEL
from uppfoljning.placements.dates import month_start, ytd_window
from uppfoljning.placements.display import count_format
from uppfoljning.placements.privacy import _recoverable, complementary_suppression
from uppfoljning.placements.texts import format_fact
from uppfoljning.present import plots
from uppfoljning.present.formatting import NBSP, format_cell, format_kronor, format_with_unit

ROOT = Path(__file__).resolve().parents[1]
PARAMS = ROOT / "params"
PERIOD = "2024-08"
HEADER = (
    "placering_id;person_id;malgrupp;kon;fodelsear;vardform;lagrum;utforare;avtal;"
    "startdatum;slutdatum;dygnskostnad;gangkoppling;tillaggsavtal\n"
)


def _row(pid: str, person: str, start: str, end: str, price: str = "5 000,00", **kw: str) -> str:
    values = {
        "malgrupp": "barn_unga",
        "vardform": "HVB",
        "avtal": "Ramavtal",
        "gang": "",
        "tillagg": "",
    } | kw
    return (
        f"{pid};{person};{values['malgrupp']};M;2008;{values['vardform']};SoL;Ekbacken HVB AB;"
        f"{values['avtal']};{start};{end};{price};{values['gang']};{values['tillagg']}\n"
    )


def _write_register(tmp_path: Path, body: str) -> Path:
    raw = tmp_path / "raw"
    raw.mkdir(exist_ok=True)
    (raw / "placeringar.csv").write_text(HEADER + body, encoding="utf-8")
    return raw


def _register(rows: list[tuple[str, str, str, float]], period: str) -> Register:
    """(vardform, start, end, price) rows, one person each."""
    frame = pd.DataFrame(
        {
            "placering_id": [f"P{i}" for i in range(len(rows))],
            "person_id": [f"X{i}" for i in range(len(rows))],
            "malgrupp": "barn_unga",
            "vardform": [r[0] for r in rows],
            "avtal": "Ramavtal",
            "startdatum": [r[1] for r in rows],
            "slutdatum": [r[2] for r in rows],
            "dygnskostnad": [r[3] for r in rows],
            "gangkoppling": "",
            "tillaggsavtal": "",
        }
    )
    return Register.from_frame(frame, load_care_forms(PARAMS), period)


# ---------------------------------------------------------------- care days


def test_care_day_convention_across_month_and_year_boundaries() -> None:
    """Start day counts, end day does not; ongoing counts to the period's last day."""
    reg = _register(
        [
            ("hvb", "2023-12-30", "2024-01-02", 1000.0),  # 30, 31 Dec + 1 Jan
            ("hvb", "2024-02-28", "2024-03-01", 1000.0),  # 28, 29 Feb (leap year)
            ("hvb", "2024-08-30", "", 1000.0),  # ongoing: 30, 31 Aug
            ("hvb", "2024-08-15", "2024-12-01", 1000.0),  # planned end: 15..31 Aug only
            ("hvb", "2024-05-05", "2024-05-05", 1000.0),  # same day: no care day
            ("hvb", "2023-01-01", "2024-01-01", 1000.0),  # the whole of 2023
            ("hvb", "2024-09-01", "", 1000.0),  # after the period: not in the register
        ],
        PERIOD,
    )
    months = ["2023-12", "2024-01", "2024-02", "2024-03", "2024-05", "2024-08", "2024-09"]
    days = pd.DataFrame(reg.monthly_days(months), columns=months)
    assert len(days) == 6
    by_placement = days.set_axis(reg.episodes["placement"]).loc[[f"P{i}" for i in range(6)]]
    assert by_placement.loc["P0"].tolist() == [2, 1, 0, 0, 0, 0, 0]
    assert by_placement.loc["P1"].tolist() == [0, 0, 2, 0, 0, 0, 0]
    assert by_placement.loc["P2", "2024-08"] == 2
    assert by_placement.loc["P3", "2024-08"] == 17 and by_placement.loc["P3", "2024-09"] == 0
    assert by_placement.loc["P4"].sum() == 0
    full_2023 = reg.days(month_start("2023-01"), month_start("2024-01"))
    assert dict(zip(reg.episodes["placement"], full_2023, strict=True))["P5"] == 365
    lo, hi = ytd_window(PERIOD)
    assert reg.days(lo, hi).sum() == 1 + 2 + 2 + 17 + 0 + 0
    assert ytd_window(PERIOD, 1) == (month_start("2023-01"), month_start("2023-09"))


def test_chains_join_split_episodes_but_not_other_forms() -> None:
    frame = pd.DataFrame(
        {
            "placering_id": ["A", "B", "C", "D"],
            "person_id": ["X", "X", "X", "X"],
            "malgrupp": "barn_unga",
            "vardform": ["hvb", "hvb", "stodboende", "hvb"],
            "avtal": "Ramavtal",
            "startdatum": ["2024-01-01", "2024-03-01", "2024-05-01", "2024-07-01"],
            "slutdatum": ["2024-03-01", "2024-05-01", "2024-06-01", ""],
            "dygnskostnad": [1.0, 1.1, 1.2, 1.3],
        }
    )
    reg = Register.from_frame(frame, load_care_forms(PARAMS), PERIOD)
    chains = reg.chains
    assert len(chains) == 3  # A+B one placement, C another form, D after a gap
    hvb = chains[chains["group"] == "hvb"].sort_values("start")
    assert hvb["end"].iloc[0] == month_start("2024-05")


# ---------------------------------------------------------------- price, volume, mix


def _pv(prev: dict, cur: dict) -> pd.DataFrame:
    def frame(d: dict) -> pd.DataFrame:
        return pd.DataFrame(d, index=["varddygn", "kostnad"]).T

    return price_volume_mix(frame(prev), frame(cur))


def test_bennet_decomposition_adds_up_exactly() -> None:
    rng = np.random.default_rng(7)
    cases = [
        ({"a": [100, 500_000], "b": [50, 400_000]}, {"a": [120, 660_000], "b": [40, 360_000]}),
        # a new form, a discontinued form
        ({"a": [100, 500_000], "b": [10, 90_000]}, {"a": [80, 480_000], "c": [30, 60_000]}),
        # no previous period at all
        ({}, {"a": [10, 1_000]}),
    ]
    for _ in range(50):  # realistic sizes: up to 20 000 care days at up to 15 000 kr
        names = list("abcdef")
        prev = {n: [d := int(rng.integers(1, 20_000)), d * rng.uniform(300, 15_000)] for n in names}
        cur = {n: [d := int(rng.integers(1, 20_000)), d * rng.uniform(300, 15_000)] for n in names}
        cases.append((prev, cur))
    for prev, cur in cases:
        table = _pv(prev, cur)
        effects = table[["volymeffekt", "mixeffekt", "priseffekt"]]
        # exact up to floating-point rounding: far below one öre
        assert np.allclose(effects.sum(axis=1), table["total_forandring"], rtol=0, atol=1e-6)
        total = table.sum()
        change = total["kostnad"] - total["kostnad_foregaende_ar"]
        assert abs(total[effects.columns].sum() - change) < 1e-6
        assert abs(total["total_forandring"] - change) < 1e-6
        # Each effect is its own closed form, not merely a remainder (which would add up anyway):
        # price = mean days × Δprice, mix = mean price × mean total days × Δshare.
        d0, d1 = table["varddygn_foregaende_ar"], table["varddygn"]
        c0, c1 = table["kostnad_foregaende_ar"], table["kostnad"]
        p0 = (c0 / d0).where(d0 > 0, c1 / d1)
        p1 = (c1 / d1).where(d1 > 0, p0)
        days0, days1 = d0.sum(), d1.sum()
        s0 = d0 / days0 if days0 else d0 * 0
        s1 = d1 / days1
        scale = max(1.0, c1.abs().max())
        price = (d0 + d1) / 2 * (p1 - p0)
        mix = (p0 + p1) / 2 * (days0 + days1) / 2 * (s1 - s0)
        assert np.allclose(table["priseffekt"], price, rtol=0, atol=1e-9 * scale)
        assert np.allclose(table["mixeffekt"], mix, rtol=0, atol=1e-9 * scale)
    # symmetric: swapping the periods negates every effect
    prev, cur = cases[0]
    forward, backward = _pv(prev, cur), _pv(cur, prev)
    for col in ("volymeffekt", "mixeffekt", "priseffekt"):
        assert np.allclose(forward[col], -backward[col])
    # same prices: no price effect; same shares: no mix effect
    same_price = _pv({"a": [100, 1000], "b": [100, 3000]}, {"a": [150, 1500], "b": [50, 1500]})
    assert np.allclose(same_price["priseffekt"], 0)
    same_mix = _pv({"a": [100, 1000], "b": [100, 3000]}, {"a": [200, 2400], "b": [200, 6600]})
    assert np.allclose(same_mix["mixeffekt"], 0)


# ---------------------------------------------------------------- ingest rules


def test_personal_identity_number_refused_with_line_and_column(tmp_path: Path) -> None:
    raw = _write_register(
        tmp_path,
        _row("PL-1", "BU-1", "2024-01-01", "")
        + _row("PL-2", "811218-9876", "2024-01-01", "")
        + _row("PL-3", "BU-3", "2024-01-01", ""),
    )
    with pytest.raises(IngestError) as info:
        ingest(raw, tmp_path / "processed", ["placeringar"], care_forms={"hvb"})
    text = str(info.value)
    assert "placeringar.csv, rad 3, kolumn person_id" in text and "personnummer" in text
    assert "811218" not in text
    assert not (tmp_path / "processed").exists()


def test_row_rules_are_errors_with_file_and_line(tmp_path: Path) -> None:
    raw = _write_register(
        tmp_path,
        _row("PL-1", "BU-1", "2024-01-01", "")
        + _row("PL-2", "BU-2", "2024-03-01", "2024-02-01")  # ends before it starts
        + _row("PL-3", "BU-3", "2024-01-01", "", price="-100,00")
        + _row("PL-4", "BU-4", "2024-01-01", "", vardform="HVB-X")
        + _row("PL-5", "BU-5", "2024-01-01", "", malgrupp="aldre")
        + _row("PL-6", "BU-6", "2024-02-30", "")  # no such day
        + _row("PL-7", "BU-7", "2024-01-01", "", gang="kanske"),
    )
    with pytest.raises(IngestError) as info:
        ingest(raw, tmp_path / "processed", ["placeringar"], care_forms=["HVB", "sis"])
    problems = info.value.problems
    expected = {
        "rad 3, kolumn slutdatum": "före startdatum",
        "rad 4, kolumn dygnskostnad": "negativ",
        "rad 5, kolumn vardform": "okänd vårdform 'hvb-x'",
        "rad 6, kolumn malgrupp": "okänd målgrupp 'aldre'",
        "rad 7, kolumn startdatum": "finns inte i kalendern",
        "rad 8, kolumn gangkoppling": "Ja, Nej eller tomt",
    }
    for where, what in expected.items():
        assert any(f"placeringar.csv, {where}" in p and what in p for p in problems), where
    assert len(problems) == len(expected)
    assert not any("2024-02-01" in p or "-100" in p for p in problems)  # no values echoed
    assert not (tmp_path / "processed").exists()


def test_unknown_care_form_read_from_params_catalogue(tmp_path: Path) -> None:
    raw = _write_register(tmp_path, _row("PL-1", "BU-1", "2024-01-01", "", vardform="Okänd"))
    with pytest.raises(IngestError, match="okänd vårdform 'okänd'"):
        ingest(raw, tmp_path / "processed", ["placeringar"])  # params/ from the project


def test_pseudonymisation(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(PSEUDONYM_ENV, raising=False)
    raw = _write_register(
        tmp_path,
        _row("PL-1", "BU-AAAA", "2024-01-01", "2024-02-01")
        + _row("PL-2", "BU-AAAA", "2024-02-01", "")
        + _row("PL-3", "BU-BBBB", "2024-01-01", ""),
    )
    processed = tmp_path / "processed"
    ingest(raw, processed, ["placeringar"], care_forms={"hvb"})
    key_file = processed / PSEUDONYM_KEY_FILE
    assert key_file.exists() and (key_file.stat().st_mode & 0o777) == 0o600
    table = pq.read_table(processed / "placeringar.parquet").to_pandas()
    persons = table["person_id"].tolist()
    assert persons[0] == persons[1] != persons[2]
    assert all(re.fullmatch(r"[0-9a-f]{32}", p) for p in persons)
    data = (processed / "placeringar.parquet").read_bytes()
    for raw_id in ("BU-AAAA", "BU-BBBB", "PL-1", "PL-2", "PL-3"):
        assert raw_id.encode() not in data
    # the key file is reused: the same pseudonyms again
    ingest(raw, processed, ["placeringar"], care_forms={"hvb"}, force=True)
    again = pq.read_table(processed / "placeringar.parquet").to_pandas()["person_id"].tolist()
    assert again == persons
    # a key from the environment gives other pseudonyms
    monkeypatch.setenv(PSEUDONYM_ENV, "en annan nyckel")
    ingest(raw, processed, ["placeringar"], care_forms={"hvb"}, force=True)
    other = pq.read_table(processed / "placeringar.parquet").to_pandas()["person_id"].tolist()
    assert other[0] != persons[0] and other[0] == other[1]


# ---------------------------------------------------------------- the demo run


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> dict:
    base = tmp_path_factory.mktemp("hvb")
    raw, processed, out = base / "raw", base / "processed", base / "rapport"
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv(PSEUDONYM_ENV, raising=False)
        write_demo_data(raw)
        ingest(raw, processed)
    executed = base / "hvb_placeringar.ipynb"
    papermill.execute_notebook(
        str(ROOT / "notebooks" / "hvb_placeringar.ipynb"),
        str(executed),
        kernel_name="python3",
        cwd=str(ROOT / "notebooks"),
        parameters={
            "period": PERIOD,
            "params_file": str(PARAMS / f"{PERIOD}.yaml"),
            "data_dir": str(processed),
            "output_dir": str(out),
        },
        progress_bar=False,
    )
    report = PlacementReport.from_data(processed, PERIOD, PARAMS)
    return {"raw": raw, "processed": processed, "out": out, "executed": executed, "report": report}


def _interval(value: str, unit: str) -> tuple[float, float]:
    """The values that print as the published figure ('drygt 19', 'strax under 150' …)."""
    number = float(value)
    decimals = len(value.split(".")[1]) if "." in value else 0
    if "drygt" in unit:
        return number, number + 1
    if "strax under" in unit:
        return number - 5, number
    half = 0.5 * 10**-decimals
    return number - half, number + half


def test_demo_reproduces_published_facts(demo: dict) -> None:
    report: PlacementReport = demo["report"]
    mnkr = 1_000_000
    measured = {
        "Antal vårddygn HVB barn": report.fact("varddygn_hvb_forandring"),
        "Antal vårddygn familjehem barn": report.fact("varddygn_familjehem_forandring"),
        "Andel konsulentstödda familjehem": report.fact("andel_konsulentstodda_familjehem"),
        "Andel dygnsplaceringar inom Barn": report.fact("andel_gangkopplade_placeringar"),
        "Kostnad dygnsplaceringar kopplade": report.fact("kostnad_gangkopplade") / mnkr,
        "Rullande årskostnad dygnsplaceringar barn och unga ett år tidigare": report.fact(
            "r12_kostnad_dygnsplaceringar_barn_foregaende_ar"
        )
        / mnkr,
        "Rullande årskostnad dygnsplaceringar barn och unga": report.fact(
            "r12_kostnad_dygnsplaceringar_barn"
        )
        / mnkr,
        "Genomsnittlig prisökning HVB ramavtal": report.price_step("2020-04"),
        "Antal individer placerade på HVB barn och unga januari 2020": report.individuals(
            "barn_unga", ["hvb"], ["2020-01"]
        ).iloc[0],
        "Antal individer placerade på HVB barn och unga april 2021": report.individuals(
            "barn_unga", ["hvb"], ["2021-04"]
        ).iloc[0],
    }
    text = files("uppfoljning") / "demo" / "calibration" / "2024-08" / "hvb_placeringar_fakta.csv"
    facts = list(csv.DictReader(io.StringIO(text.read_text(encoding="utf-8"))))
    checked = set()
    for fact in facts:
        key = max((k for k in measured if fact["fakta"].startswith(k)), key=len, default=None)
        if fact["fakta"].startswith("Andel familjehem i egen regi"):
            # "bedrivs till 75 % i egen regi" is stated loosely; with 25,8 % consultancy homes
            # the care-day share is 74,2 %
            assert 74 <= report.fact("andel_familjehem_egen_regi") <= 76
            continue
        if key is None:
            assert "Orosanmälningar" in fact["fakta"], fact["fakta"]  # the volumes report's
            continue
        low, high = _interval(fact["varde"], fact["enhet"])
        assert low <= measured[key] < high, (fact["fakta"], measured[key], (low, high))
        checked.add(key)
    assert checked == set(measured)


def test_demo_catalogue_matches_params() -> None:
    params = load_care_forms(PARAMS)
    demo_cat = demo_placements.DEMO_CATALOGUE
    assert params.groups == demo_cat.groups
    assert {c: (f.group, f.account, f.activity) for c, f in params.forms.items()} == {
        c: (f.group, f.account, f.activity) for c, f in demo_cat.forms.items()
    }


def test_demo_register_file_and_determinism(demo: dict, tmp_path: Path) -> None:
    first = demo["raw"] / demo_placements.FILE_NAME
    data = first.read_bytes()
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    header = data.decode("cp1252").split("\r\n", 1)[0].split("\t")
    assert header == list(demo_placements.COLUMNS)
    demo_placements._calibrated.cache_clear()  # build the register again from scratch
    again = demo_placements.write_demo_placements(tmp_path)
    assert again[0].read_bytes() == data
    rows = list(csv.DictReader(io.StringIO(data.decode("cp1252")), delimiter="\t"))
    starts = [r["startdatum"] for r in rows]
    assert min(r["slutdatum"] or "9999" for r in rows) >= "2020-01-01"
    assert max(starts) <= "2024-08-31" and len(rows) > 1000
    children = [r for r in rows if r["malgrupp"] == "barn_unga"]
    assert all(int(r["startdatum"][:4]) - int(r["fodelsear"]) <= 20 for r in children)


def test_reconciliation_within_threshold(demo: dict) -> None:
    settings = load_settings(PARAMS)
    for period in ("2024-08", "2023-12"):
        report = PlacementReport.from_data(demo["processed"], period, PARAMS)
        table = report.reconciliation_table()
        months = table[table["_niva"] == "rad"]
        assert len(months) == 2 * int(period[5:])
        assert not table["flaggad"].any(), table[table["flaggad"]]
        assert (months["differens_procent"].abs() < settings.threshold_percent).all()
        assert (months["register"] > 0).all()


def test_register_fits_inside_569_costs(demo: dict) -> None:
    report: PlacementReport = demo["report"]
    lines = report._ledger.monthly
    c569 = lines[
        lines["verksamhet"].str.startswith("569")
        & ~lines["konto"].str.startswith("3")
        & ~lines["ansvar"].str.startswith(("47", "48"))
        & lines["period"].between("2024-01", "2024-08")
    ]["belopp"].sum()
    children = report.fact("kostnad_dygnsplaceringar_barn")
    assert 0.3 * c569 < children < 0.45 * c569


def test_tables_follow_the_contract(demo: dict) -> None:
    tables = demo["out"] / "tables"
    pv = pd.read_csv(tables / "hvb_pris_volym.csv")
    assert list(pv.columns) == [
        "rad",
        "varddygn_foregaende_ar",
        "varddygn",
        "kostnad_foregaende_ar",
        "kostnad",
        "volymeffekt",
        "mixeffekt",
        "priseffekt",
        "total_forandring",
    ]
    assert pv["rad"].iloc[-1] == "Totalt" and "HVB" in set(pv["rad"])
    effects = pv[["volymeffekt", "mixeffekt", "priseffekt"]].sum(axis=1)
    assert np.allclose(effects, pv["total_forandring"], atol=1e-3)
    keys = pd.read_csv(tables / "hvb_nyckeltal.csv")
    assert list(keys.columns) == ["rad", "nyckel", "varde", "enhet"]
    assert set(keys["enhet"]) <= {"kr", "procent", "dygn", "antal"}
    assert {
        "varddygn_hvb_forandring",
        "varddygn_familjehem_forandring",
        "andel_konsulentstodda_familjehem",
        "andel_gangkopplade_placeringar",
        "kostnad_gangkopplade",
        "r12_kostnad_dygnsplaceringar_barn",
        "r12_kostnad_dygnsplaceringar_barn_foregaende_ar",
    } <= set(keys["nyckel"])
    for path in tables.glob("*.csv"):
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        assert frame.columns[0] == "rad", path.name
        assert not [c for c in frame.columns if c.startswith("_")], path.name
    headlines = list((demo["out"] / "headlines").glob("*.json"))
    assert {p.stem for p in headlines} >= {"hvb_r12_barn", "hvb_varddygn_hvb"}


def test_small_counts_are_suppressed(demo: dict) -> None:
    tables = demo["out"] / "tables"
    count_columns = re.compile(r"^(individer|nya|avslutade|placeringar|pagaende)")
    suppressed = 0
    for path in tables.glob("*.csv"):
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        for column in [c for c in frame.columns if count_columns.match(c)]:
            values = frame[column]
            suppressed += int((values == "<5").sum())
            numbers = pd.to_numeric(values[values != "<5"], errors="coerce").dropna()
            assert not numbers.between(1, 4).any(), (path.name, column)
    keys = pd.read_csv(tables / "hvb_nyckeltal.csv", dtype=str, keep_default_na=False)
    counts = pd.to_numeric(keys.loc[keys["enhet"] == "antal", "varde"], errors="coerce")
    assert not counts.between(1, 4).any()
    assert suppressed > 0  # the demo has small cells (LVM-hem, skyddat boende)


def test_no_person_or_placement_ids_in_outputs(demo: dict) -> None:
    path = demo["raw"] / demo_placements.FILE_NAME
    rows = list(csv.DictReader(io.StringIO(path.read_text("cp1252")), delimiter="\t"))
    ids = {r["person_id"] for r in rows} | {r["placering_id"] for r in rows}
    processed = pq.read_table(demo["processed"] / "placeringar.parquet").to_pandas()
    ids |= set(processed["person_id"]) | set(processed["placering_id"])
    key = (demo["processed"] / PSEUDONYM_KEY_FILE).read_text().strip()
    outputs = [demo["executed"], *demo["out"].rglob("*")]
    texts = [p.read_text(encoding="utf-8") for p in outputs if p.is_file()]
    assert len(texts) >= 14
    pattern = re.compile("|".join(re.escape(i) for i in sorted(ids, key=len, reverse=True)))
    for path, text in zip([p for p in outputs if p.is_file()], texts, strict=True):
        found = pattern.search(text)
        assert found is None, (path.name, found.group(0) if found else None)
        assert key not in text
    # and no single placement's dates: no ISO date at all in the tables
    for path in (demo["out"] / "tables").glob("*.csv"):
        assert not re.search(r"\d{4}-\d{2}-\d{2}", path.read_text("utf-8")), path.name
    nb = json.loads(demo["executed"].read_text("utf-8"))
    errors = [o for c in nb["cells"] for o in c.get("outputs", []) if o["output_type"] == "error"]
    assert not errors


def test_forecast_is_plausible(demo: dict) -> None:
    report: PlacementReport = demo["report"]
    forecast = report.forecast_table()
    sums = forecast[forecast["_niva"] == "summa"].set_index("rad")
    for _, row in sums.iterrows():
        assert row["prognos_helar"] > row["kostnad_hittills"] > 0
        rest = row["prognos_helar"] - row["kostnad_hittills"]
        assert 0.3 < rest / (row["kostnad_hittills"] * 4 / 8) < 1.6  # about the same pace
    comparison = report.forecast_comparison_table().set_index("rad")
    shown = comparison.dropna(subset=["prognos_placeringar"])
    assert len(shown) >= 1  # 559 is hidden in the demo (test_forecast_sums_reveal_no_hidden_cell)
    assert (shown["prognos_placeringar"] < shown["prognos_rad"]).all()
    assert comparison["utfall_placeringskonton"].gt(0).all()


def test_params_files_are_valid() -> None:
    catalogue = load_care_forms(PARAMS)
    settings = load_settings(PARAMS)
    assert set(settings.ledger) == {"barn_unga", "vuxna"}
    assert settings.ledger["barn_unga"].row == "569" and settings.ledger["vuxna"].row == "559"
    assert set(settings.fallback_length) <= set(catalogue.groups)
    raw = yaml.safe_load((PARAMS / "vardformer.yaml").read_text("utf-8"))
    assert all(str(v["konto"]).isdigit() for v in raw["vardformer"].values())


# ---------------------------------------------------------------- suppression (privacy)

HVB_BARN, SIS_BARN = "HVB, barn och unga", "SiS särskilda ungdomshem, barn och unga"
FORECAST_PARTS = ["kostnad_hittills", "aktiva_placeringar", "nya_placeringar"]


def _report(rows: list[tuple[str, str, str, float]], period: str = PERIOD) -> PlacementReport:
    return PlacementReport(period, _register(rows, period), load_settings(PARAMS))


def _small_hvb_register() -> list[tuple[str, str, str, float]]:
    """Three children on HVB (under the threshold), six on SiS, eight in each family home."""
    return (
        [("hvb", "2023-06-01", "", 6000.0)] * 3
        + [("sis", "2023-01-01", "", 8000.0)] * 6
        + [("fh_egen", "2023-01-01", "", 400.0)] * 8
        + [("fh_konsulent", "2023-01-01", "", 2000.0)] * 8
    )


def test_complementary_suppression_covers_totals_and_subtotals() -> None:
    # one hidden part of a published total gets a partner, the next smallest
    values = {"S": 40.0, "a": 3.0, "b": 7.0, "c": 30.0}
    total = {"S": 1.0, "a": -1.0, "b": -1.0, "c": -1.0}
    assert complementary_suppression(values, {"a"}, [total], fixed={"S"}) == {"a", "b"}
    # a subtotal R of a, b, c published in another table: d = S − R, so hiding one more part
    # is not enough; R goes too
    values = {"S": 100.0, "R": 90.0, "a": 50.0, "b": 30.0, "c": 10.0, "d": 10.0}
    equations = [
        {"S": 1.0, "a": -1.0, "b": -1.0, "c": -1.0, "d": -1.0},
        {"R": 1.0, "a": -1.0, "b": -1.0, "c": -1.0},
    ]
    assert complementary_suppression(values, {"d"}, equations, fixed={"S"}) == {"c", "d", "R"}
    # a figure and its complement to a published number are hidden together
    tied = [{"R": 1.0, "rest": 1.0}, {"S": 1.0, "R": -1.0, "x": -1.0}]
    hidden = complementary_suppression({"S": 9.0, "R": 5.0, "x": 4.0}, {"x"}, tied, {"S"})
    assert hidden == {"x", "R", "rest"}


def test_complementary_suppression_protects_every_cell_of_two_way_tables() -> None:
    """Random tables with row, column and grand totals: no primary cell can be solved for."""
    rng = np.random.default_rng(1)
    for _ in range(100):
        n_rows, n_cols = (int(n) for n in rng.integers(2, 6, size=2))
        values = {(i, j): float(rng.integers(1, 100)) for i in range(n_rows) for j in range(n_cols)}
        equations = []
        for j in range(n_cols):
            values[("T", j)] = sum(values[(i, j)] for i in range(n_rows))
        for i in [*range(n_rows), "T"]:
            row = [(i, j) for j in range(n_cols)]
            values[(i, "T")] = sum(values[c] for c in row)
            equations.append({(i, "T"): 1.0} | dict.fromkeys(row, -1.0))
        for j in [*range(n_cols), "T"]:
            column = [(i, j) for i in range(n_rows)]
            equations.append({("T", j): 1.0} | dict.fromkeys(column, -1.0))
        primary = {c for c in values if "T" not in c and rng.random() < 0.15}
        totals = {c for c in values if "T" in c}
        hidden = complementary_suppression(values, primary, equations, (), totals)
        assert not _recoverable(hidden, equations) & primary, (primary, hidden)
        assert not primary or len(hidden) > len(primary)


def test_figures_from_fewer_than_five_are_hidden_everywhere() -> None:
    """Days, cost, prices, forecast, key figures and text: nothing built on three children."""
    report = _report(_small_hvb_register())
    days = report.care_days_table().set_index("rad")
    assert days.loc[HVB_BARN, "individer"] == "<5" and math.isnan(days.loc[HVB_BARN, "varddygn"])
    # complementary: SiS (the next smallest) too, so Summa minus the shown rows gives a sum of two
    assert math.isnan(days.loc[SIS_BARN, "varddygn"]) and math.isnan(
        days.loc[SIS_BARN, "individer"]
    )
    cost = report.cost_table().set_index("rad")
    for table, columns in (
        (days, ["varddygn", "varddygn_foregaende_ar", "forandring", "forandring_procent"]),
        (cost, ["kostnad", "kostnad_foregaende_ar", "dygnskostnad", "forandring_procent"]),
    ):
        assert table.loc[[HVB_BARN, SIS_BARN], columns].isna().all().all()
        shown = table.loc[["Summa barn och unga", "Totalt"], columns[:2]]
        assert shown.notna().all().all()
    monthly = report.monthly_table().set_index("rad")
    assert monthly.loc[[HVB_BARN, SIS_BARN]].drop(columns="_niva").isna().all().all()
    pv = report.price_volume_table().set_index("rad")
    assert MERGED_LABEL in pv.index and not {"HVB", "SiS särskilda ungdomshem"} & set(pv.index)
    forecast = report.forecast_table().set_index("rad")
    columns = ["kostnad_hittills", "aktiva_placeringar", "prognos_helar"]
    assert forecast.loc[HVB_BARN, columns].isna().all()
    lengths = report.lengths_table().set_index("rad")
    assert lengths.loc[HVB_BARN, "pagaende"] == "<5"
    assert math.isnan(lengths.loc[SIS_BARN, "pagaende"])  # else Summa − the others gives it
    hvb_facts = [
        "varddygn_hvb",
        "varddygn_hvb_foregaende_ar",
        "varddygn_hvb_forandring",
        "dygnskostnad_hvb",
        "dygnskostnad_hvb_foregaende_ar",
    ]
    for key in hvb_facts:
        assert math.isnan(report.fact(key)), key
    assert "Vårddygn HVB barn och unga jan–aug 2024: *redovisas inte*" in report.key_figures_text()
    text = report.commentary()
    assert "i HVB" not in text and "färre än 5 individer" in text
    assert "familjehem" in text  # the figures that may be shown still are


def test_forecast_hides_parts_built_on_few_placements(demo: dict) -> None:
    report: PlacementReport = demo["report"]
    lengths = report.lengths_table().set_index("rad")
    few_ongoing = list(lengths.index[lengths["pagaende"] == "<5"])
    assert {"LVM-hem, vuxna", "Skyddat boende, vuxna"} <= set(few_ongoing)
    published = pd.read_csv(
        demo["out"] / "tables" / "hvb_prognos.csv", dtype=str, keep_default_na=False
    ).set_index("rad")
    for rad in few_ongoing:
        assert published.loc[rad, "aktiva_placeringar"] == "", rad
        assert published.loc[rad, "prognos_helar"] == "", rad


def test_forecast_sums_reveal_no_hidden_cell(demo: dict) -> None:
    """Summa rows and the register forecast beside the controllers' never give a hidden cell."""
    report: PlacementReport = demo["report"]
    forecast = report.forecast_table()
    comparison = report.forecast_comparison_table()
    for target, row_id in (("barn_unga", "569"), ("vuxna", "559")):
        label = TARGET_GROUPS[target].lower()
        rows = forecast[forecast["rad"].str.endswith(f", {label}")]
        summa = forecast[forecast["rad"] == f"Summa {label}"].iloc[0]
        for column in [*FORECAST_PARTS, "prognos_helar"]:
            assert rows[column].isna().sum() != 1 or math.isnan(summa[column]), column
        # the year forecast goes with any of its parts
        assert (rows["prognos_helar"].isna() | rows[FORECAST_PARTS].notna().all(axis=1)).all()
        register = comparison[comparison["rad"].str.startswith(row_id)].iloc[0]
        booked_here = rows[~rows["rad"].str.startswith("Skyddat boende")]  # 571 is elsewhere
        if not math.isnan(register["prognos_placeringar"]):
            assert booked_here["prognos_helar"].isna().sum() != 1
            elsewhere = rows[rows["rad"].str.startswith("Skyddat boende")]
            # Summa − the register's 559 forecast = the forms booked elsewhere
            assert elsewhere["prognos_helar"].notna().all() or math.isnan(summa["prognos_helar"])
        else:
            assert math.isnan(register["prognos_ovrigt"])  # their forecast minus it
    assert comparison["prognos_placeringar"].isna().any()  # the demo needs it: 559 is hidden


def test_monthly_care_days_hide_whole_rows(demo: dict) -> None:
    """A month under the threshold hides the form's every month (else: year total − others)."""
    report: PlacementReport = demo["report"]
    monthly = report.monthly_table().set_index("rad")
    months = [c for c in monthly.columns if c not in ("summa", "_niva")]
    days = report.care_days_table().set_index("rad")
    values = monthly[months]
    hidden = list(values.index[values.isna().any(axis=1)])
    assert {"LVM-hem, vuxna", "Skyddat boende, vuxna"} <= set(hidden)
    assert values.loc[hidden].isna().all().all()
    for rad in hidden:  # the year total stays when it rests on ≥ 5 individuals (hvb_varddygn)
        assert monthly.loc[rad, "summa"] == days.loc[rad, "varddygn"], rad
    for label in TARGET_GROUPS.values():
        assert sum(r.endswith(f", {label.lower()}") for r in hidden) != 1
    chart = report.care_days_chart_data("vuxna")  # last year too
    for key, part in chart.groupby(["rad", "ar"]):
        assert part["varddygn"].isna().all() or part["varddygn"].notna().all(), key
    published = pd.read_csv(demo["out"] / "tables" / "hvb_varddygn_manad.csv", dtype=str)
    lvm = published.set_index("rad").loc["LVM-hem, vuxna"]
    assert (
        lvm[months].isna().all() and float(lvm["summa"]) == days.loc["LVM-hem, vuxna", "varddygn"]
    )


def test_a_small_month_hides_its_whole_column_of_new_placements() -> None:
    rows = [("stodboende", "2024-01-10", "", 1500.0)] * 10
    rows += [("stodboende", "2024-03-05", "", 1500.0)] * 2
    table = _report(rows).flows_table().set_index("rad")
    new = table["nya_barn_unga"]
    months = [k for k in new.index if not k.startswith("Summa")]
    assert [k for k in months if new[k] == "<5"] == ["mar 2024"]
    assert all(isinstance(new[k], float) and math.isnan(new[k]) for k in months if k != "mar 2024")
    assert new["Summa jan–aug 2024"] == 12
    assert (table["avslutade_barn_unga"].iloc[:8] == 0).all()  # no small month: shown


def test_reconciliation_flags_only_a_month_over_both_thresholds(tmp_path: Path) -> None:
    period = "2024-04"
    rows = [("hvb", "2023-12-01", "", 5000.0)] * 10
    rows += [("hvb", "2024-04-01", "2024-05-01", 50000.0)] * 10  # a dear month: 16,5 mnkr
    settings = load_settings(PARAMS)
    assert (settings.threshold_percent, settings.threshold_kr) == (3.0, 100_000.0)
    mapping = settings.ledger["barn_unga"]
    days = {"2024-01": 31, "2024-02": 29, "2024-03": 31, "2024-04": 30}
    register = {m: 10 * 5000.0 * d for m, d in days.items()}
    register["2024-04"] += 10 * 50000.0 * 30
    extra = {
        "2024-01": 0.0,
        "2024-02": 200_000.0,  # 200 000 kr and 12 %: over both thresholds
        "2024-03": 80_000.0,  # 4,9 % but under 100 000 kr
        "2024-04": 300_000.0,  # over 100 000 kr but 1,8 %
    }
    pd.DataFrame(
        {
            "period": list(days),
            "ansvar": "47100",
            "verksamhet": mapping.activities[0],
            "konto": mapping.accounts[0],
            "belopp": [register[m] + extra[m] for m in days],
        }
    ).to_parquet(tmp_path / "huvudbok.parquet", index=False)
    report = PlacementReport(period, _register(rows, period), settings, None, tmp_path)
    table = report.reconciliation_table()
    months = table[(table["_niva"] == "rad") & (table["_malgrupp"] == "barn_unga")]
    assert months["register"].tolist() == [register[m] for m in days]
    assert months["differens"].tolist() == [extra[m] for m in days]
    assert months.loc[months["flaggad"], "rad"].tolist() == ["Barn och unga (569), feb 2024"]
    assert not table.loc[table["_niva"] == "summa", "flaggad"].any()  # 2,7 % for the period
    assert "mer än tröskeln för: Barn och unga (569), feb 2024." in report.commentary()


def test_about_describes_pseudonyms_and_the_suppression_rule(demo: dict) -> None:
    about = demo["report"].about()
    assert "pseudonymiserade personnummer" not in about
    assert "inga personnummer" in about and "nyckelad hash" in about
    assert "kompletterande" in about and "alla månader i samma serie" in about


def test_key_figures_and_cells_are_formatted_by_the_formatting_module() -> None:
    for unit in ("procent", "kr", "dygn", "antal"):
        assert format_fact(math.nan, unit) == "", unit  # empty, as in the tables
    assert format_fact("<5", "antal") == "<5" and format_fact(3.0, "antal") == "<5"
    assert format_fact(1_234_567.0, "kr") == "1,2 mnkr"
    assert format_fact(7397.3, "kr") == f"7{NBSP}397 kr"
    assert format_fact(25.84, "procent") == f"25,8{NBSP}%"
    assert format_fact(201.0, "dygn") == "201 dygn"
    fmt = count_format(5)
    assert [fmt(v) for v in ("<5", math.nan, None, 3, 12.0)] == ["<5", "", "", "<5", "12"]
    assert count_format(5, decimals=1)(1234.56) == f"1{NBSP}234,6"
    assert format_cell(math.nan) == format_with_unit(None, "dygn") == format_kronor(math.nan) == ""
    assert format_kronor(-2_500_000.0) == "-2,5 mnkr" and format_with_unit(12, "dygn") == "12 dygn"


def test_placement_charts_use_the_shared_colours() -> None:
    source = Path(placement_plots.__file__).read_text(encoding="utf-8")
    assert not re.search(r"#[0-9a-fA-F]{6}\b", source)  # colours come from plots.py
    rows = pd.DataFrame(
        {
            "rad": ["jan", "feb"],
            "differens": [150_000.0, -10.0],
            "flaggad": [True, False],
            "_niva": "rad",
        }
    )
    fig = placement_plots.reconciliation_bars(rows)
    assert {to_hex(p.get_facecolor()) for p in fig.axes[0].patches} == {
        plots.OVERSPEND,
        plots.PALETTE[0],
    }
    colours = placement_plots.series_colours(["HVB", "SiS", "Jourhem", "HVB"])
    assert list(colours) == ["HVB", "SiS", "Jourhem"]
    assert set(colours.values()) <= set(plots.PALETTE) - {plots.OVERSPEND, plots.UNDERSPEND}
    data = pd.DataFrame(
        {"rad": ["HVB"] * 4, "ar": [2023, 2023, 2024, 2024], "manad": [1, 2] * 2, "varddygn": 1.0}
    )
    lines = placement_plots.care_days_by_month(data).axes[0].get_lines()
    assert [to_hex(line.get_color()) for line in lines] == [plots.PALETTE[4], colours["HVB"]]


# ---------------------------------------------------------------- rules as explained


def test_chain_rule_has_no_gap_as_care_days_count() -> None:
    """End day not counted: a next start on the end day continues the placement, a start the
    day after leaves a day without care and is a new placement."""
    frame = pd.DataFrame(
        {
            "placering_id": ["A", "B", "C"],
            "person_id": ["X", "X", "X"],
            "malgrupp": "barn_unga",
            "vardform": ["hvb", "hvb", "hvb"],
            "avtal": "Ramavtal",
            "startdatum": ["2024-01-01", "2024-03-10", "2024-05-02"],
            "slutdatum": ["2024-03-10", "2024-05-01", ""],
            "dygnskostnad": [1.0, 1.1, 1.2],
        }
    )
    reg = Register.from_frame(frame, load_care_forms(PARAMS), PERIOD)
    chains = reg.chains.sort_values("start")
    assert len(chains) == 2  # A+B (10 March is B's first day), C (1 May had no care)
    first = chains.iloc[0]
    days = dict(zip(reg.episodes["placement"], reg.days(*ytd_window(PERIOD)), strict=True))
    assert first["end"] - first["start"] == days["A"] + days["B"]  # length = care days
    report = PlacementReport(PERIOD, reg, load_settings(PARAMS))
    rule = report.explanation("hvb_in_ut")
    assert "senast samma dag som den förra slutade" in rule and "11 mars" in rule
    assert "utan uppehåll" in report.about()


def test_forecast_follows_the_rules_it_prints() -> None:
    """Planned ends count to the end date and stop at 31 December; without an end date and
    without history, the standard length less the time so far, or the rest of the year."""
    settings = load_settings(PARAMS)
    rows = (
        [("hvb", "2024-01-15", "2024-10-01", 5000.0)] * 6  # 30 days left
        + [("hvb", "2024-01-15", "2025-03-01", 5000.0)] * 6  # capped at 31 Dec: 122 days
        + [("sis", "2024-06-01", "", 8000.0)] * 5  # standard length 150 − 92 days so far
        + [("sis", "2023-01-01", "", 8000.0)] * 5  # longer than 150: the rest of the year
    )
    report = PlacementReport(PERIOD, _register(rows, PERIOD), settings)
    forecast = report.forecast_table().set_index("rad")
    horizon = (np.datetime64("2025-01-01") - np.datetime64("2024-09-01")).astype(int)
    assert horizon == 122
    hvb = forecast.loc[HVB_BARN]
    assert hvb["aktiva_placeringar"] == 6 * 30 * 5000.0 + 6 * horizon * 5000.0
    assert hvb["nya_placeringar"] == 0  # none started March–August
    elapsed = (np.datetime64("2024-09-01") - np.datetime64("2024-06-01")).astype(int)
    standard = settings.fallback_length["sis"]
    sis = forecast.loc[SIS_BARN]
    assert sis["aktiva_placeringar"] == 5 * (standard - elapsed) * 8000.0 + 5 * horizon * 8000.0
    assert hvb["prognos_helar"] == pytest.approx(
        hvb["kostnad_hittills"] + hvb["aktiva_placeringar"] + hvb["nya_placeringar"]
    )
    rules = report.explanation("hvb_prognos")
    assert "från 2024-09-01 till och med 31 december 2024 (H = 122 dygn)" in rules
    assert f"de senaste {settings.inflow_months} månaderna" in rules
    assert f"färre än {settings.min_completed} sådana avslutade placeringar" in rules
    assert f"{report.catalogue.group_label('sis')}: {standard}" in rules


def test_price_volume_formulas_are_the_ones_computed() -> None:
    report = _report(_small_hvb_register())
    text = report.explanation("hvb_pris_volym")
    for formula in (
        "Volymeffekt = p̄ × s̄ × (D₁ − D₀)",
        "Mixeffekt = p̄ × D̄ × (s₁ − s₀)",
        "Priseffekt = d̄ × (p₁ − p₀)",
    ):
        assert formula in text
    assert "jan–aug 2023" in text and "jan–aug 2024" in text


def test_notebook_shows_the_rules_under_their_tables(demo: dict) -> None:
    nb = nbformat.read(demo["executed"], as_version=4)
    shown = "\n".join(
        out.get("data", {}).get("text/markdown", "")
        for cell in nb.cells
        for out in cell.get("outputs", [])
    )
    for heading in (
        "Så räknas pris, volym och mix",
        "Så räknas prognosen",
        "Så räknas placeringar",
        "Så räknas längden",
    ):
        assert shown.count(f"*{heading}:*") == 1, heading
    assert "Volymeffekt = p̄ × s̄ × (D₁ − D₀)" in shown and "(H = 122 dygn)" in shown
