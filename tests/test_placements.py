"""The HVB placements report: care days, price–volume–mix, ingest rules, demo facts, privacy.

One demo run (write_demo_data → ingest → notebook) is shared by the module; the unit tests
build tiny registers by hand.
"""

from __future__ import annotations

import csv
import io
import json
import re
from importlib.resources import files
from pathlib import Path

import numpy as np
import pandas as pd
import papermill
import pyarrow.parquet as pq
import pytest
import yaml

from uppfoljning import demo_placements
from uppfoljning.demo import write_demo_data
from uppfoljning.ingest import PSEUDONYM_ENV, PSEUDONYM_KEY_FILE, IngestError, ingest
from uppfoljning.placements import (
    PlacementReport,
    Register,
    load_care_forms,
    load_settings,
    month_start,
    price_volume_mix,
    ytd_window,
)

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
    text = files("uppfoljning") / "calibration" / "2024-08" / "hvb_placeringar_fakta.csv"
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
    assert (comparison["prognos_placeringar"] < comparison["prognos_rad"]).all()
    assert comparison["utfall_placeringskonton"].gt(0).all()


def test_params_files_are_valid() -> None:
    catalogue = load_care_forms(PARAMS)
    settings = load_settings(PARAMS)
    assert set(settings.ledger) == {"barn_unga", "vuxna"}
    assert settings.ledger["barn_unga"].row == "569" and settings.ledger["vuxna"].row == "559"
    assert set(settings.fallback_length) <= set(catalogue.groups)
    raw = yaml.safe_load((PARAMS / "vardformer.yaml").read_text("utf-8"))
    assert all(str(v["konto"]).isdigit() for v in raw["vardformer"].values())
