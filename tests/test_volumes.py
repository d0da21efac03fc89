"""Volumes report: catalogue validation, period values and forecasts per measure type, the
desired-direction logic, and the demo data reproducing the published August 2024 tables."""

import csv
import io
import math
import re
from pathlib import Path

import nbformat
import pandas as pd
import pytest

from uppfoljning.data.config import ParamsError
from uppfoljning.data.ingest import ingest
from uppfoljning.demo import published_text
from uppfoljning.demo.volumes import write_demo_volumes
from uppfoljning.present.formatting import round_half_up
from uppfoljning.present.report import open_period
from uppfoljning.volumes.catalogue import ACCUMULATED, FLOW, STOCK, load_assessments, load_catalogue
from uppfoljning.volumes.compute import direction_met, forecast, monthly_frame, year_to_date
from uppfoljning.volumes.report import VolumeReport

ROOT = Path(__file__).resolve().parents[1]
PARAMS = ROOT / "params"
PERIOD = "2024-08"
DATASETS = ["volymer", "personal", "indikatorer"]


def _reference(name: str) -> list[dict[str, str]]:
    text = published_text(name, PERIOD)
    return list(csv.DictReader(io.StringIO(text)))


def _series(values: dict[tuple[int, int], float]) -> pd.Series:
    index = pd.MultiIndex.from_tuples(sorted(values), names=["ar", "manad"])
    return pd.Series([values[k] for k in sorted(values)], index=index, dtype=float)


# --------------------------------------------------------------------------- catalogue


def test_shipped_catalogue_and_assessments_are_valid():
    catalogue = load_catalogue(PARAMS / "volymmatt.yaml")
    kinds = {m.key: m.kind for m in catalogue.measures}
    assert kinds["aktualiseringar_0_20"] == FLOW
    assert kinds["pagaende_arenden_barn"] == ACCUMULATED
    assert {s.kind for s in catalogue.staff} == {FLOW, ACCUMULATED, STOCK}
    assert all(m.source for m in catalogue.measures)
    goals = load_assessments(PARAMS / "bedomningar" / f"{PERIOD}.yaml", period=PERIOD)
    assert len(goals.goals) == 10


def test_catalogue_lists_every_problem_at_once(tmp_path):
    path = tmp_path / "volymmatt.yaml"
    path.write_text(
        "volymmatt:\n"
        "  - {matt: a, rad: A, typ: flöde, farg: röd}\n"
        "  - {matt: b, rad: B, typ: ackumulerat, prognos: sasongsprofil, kon: ja}\n"
        "  - {matt: a, rad: C, typ: okänd}\n"
        "  - {matt: d, typ: tillstånd, prognos: gissning}\n"
        "personal:\n"
        "  - {matt: p, rad: P, typ: tillstand, malvarde: {tjugo: Minska}, decimaler: 9}\n"
        "extra: 1\n",
        encoding="utf-8",
    )
    with pytest.raises(ParamsError) as info:
        load_catalogue(path)
    text = "\n".join(info.value.problems)
    for expected in (
        "okänd nyckel 'extra'",
        "okänd nyckel 'farg'",
        "sasongsprofil fungerar bara för flöden",
        "kon: ska vara true eller false",
        "'okänd' ska vara en av flöde, ackumulerat, tillstånd",
        "nyckeln 'rad' saknas",
        "måttet förekommer flera gånger: ['a']",
        "'tjugo' är inte ett årtal",
        "decimaler: ska vara ett heltal",
        "(d).prognos: 'gissning' ska vara en av kvot",  # beside d's missing rad
    ):
        assert expected in text
    assert len(info.value.problems) == 10


def test_assessments_are_validated(tmp_path):
    path = tmp_path / "2024-08.yaml"
    path.write_text(
        "period: 2024-03\nmal:\n"
        "  - {malomrade: Ekonomi, namndmal: Hållbar ekonomi, bedomning: Nästan}\n"
        "  - {malomrade: Ekonomi, bedomning: Uppfyllt, prio: 1}\n",
        encoding="utf-8",
    )
    with pytest.raises(ParamsError) as info:
        load_assessments(path, period=PERIOD)
    text = "\n".join(info.value.problems)
    assert "filen gäller 2024-03" in text
    assert "'Nästan' ska vara en av Uppfyllt" in text
    assert "okänd nyckel 'prio'" in text
    assert "nyckeln 'namndmal' saknas" in text


# --------------------------------------------------------------------------- measure types


MONTHS = {(2023, m): 10.0 * m for m in range(1, 13)} | {(2024, m): 12.0 * m for m in range(1, 9)}


def test_year_to_date_per_type():
    s = _series(MONTHS)
    assert year_to_date(s, FLOW, 2024, 3) == 12 + 24 + 36  # a flow adds the months
    assert year_to_date(s, ACCUMULATED, 2024, 3) == 36  # distinct cases so far: the month
    assert year_to_date(s, STOCK, 2024, 3) == 36  # month-end stock
    assert math.isnan(year_to_date(s, ACCUMULATED, 2024, 9))
    assert math.isnan(year_to_date(s, FLOW, 2025, 3))


def test_ratio_forecast_uses_last_years_full_year_over_same_period():
    s = _series(MONTHS)
    # ackumulerat: Aug 2024 (96) × Dec 2023 (120) / Aug 2023 (80)
    assert forecast(s, ACCUMULATED, "kvot", 2024, 8) == pytest.approx(96 * 120 / 80)
    # a flow: Jan–Aug 2024 × full 2023 / Jan–Aug 2023
    ytd, full, same = 12 * 36, 10 * 78, 10 * 36
    assert forecast(s, FLOW, "kvot", 2024, 8) == pytest.approx(ytd * full / same)
    assert math.isnan(forecast(s, ACCUMULATED, "kvot", 2023, 8))  # no 2022
    assert forecast(s, STOCK, "kvot", 2023, 12) == 120  # December: the year itself


def test_seasonal_profile_pools_complete_earlier_years():
    values = {(2022, m): 5.0 for m in range(1, 13)}  # flat: Jan–Aug is 8/12 of the year
    values |= {(2023, m): 10.0 if m <= 8 else 30.0 for m in range(1, 13)}  # 80 of 200
    values |= {(2024, m): 20.0 for m in range(1, 9)}
    s = _series(values)
    share = (40 + 80) / (60 + 200)
    assert forecast(s, FLOW, "sasongsprofil", 2024, 8) == pytest.approx(160 / share)
    assert forecast(s, FLOW, "sasongsprofil", 2024, 8, profile_years=1) == pytest.approx(
        160 * 200 / 80
    )
    incomplete = _series({k: v for k, v in values.items() if k != (2023, 11)})
    assert forecast(incomplete, FLOW, "sasongsprofil", 2024, 8) == pytest.approx(160 * 60 / 40)
    assert forecast(s, FLOW, "linjar", 2024, 8) == pytest.approx(160 * 12 / 8)
    assert math.isnan(forecast(s, FLOW, "ingen", 2024, 8))
    assert math.isnan(forecast(_series({(2024, 1): 3.0}), FLOW, "sasongsprofil", 2024, 1))


def test_monthly_frame_totals_and_sex():
    raw = pd.DataFrame(
        {
            "matt": ["A", "a", "a", "b", "b", "b", "c"],
            "period": ["2024-01"] * 7,
            "varde": [3.0, 4.0, 5.0, 7.2, 7.0, 7.5, 1.0],
            "grupp": ["", "", "", "", "", "", ""],
            "kon": ["Kvinnor", "k", "Män", "Totalt", "K", "M", "X"],
        }
    )
    f = monthly_frame(raw).set_index("matt")
    assert f.loc["a", ["total", "kvinnor", "man"]].tolist() == [12.0, 7.0, 5.0]  # rows added
    assert f.loc["b", "total"] == 7.2  # an exported total wins over K + M (percentages)
    assert "c" not in f.index  # unknown sex is dropped (and noted by the report)


# --------------------------------------------------------------------------- directions


@pytest.mark.parametrize(
    ("values", "direction", "targets", "expected"),
    [
        ({2023: 13, 2024: 15}, "Öka", None, "Ja"),
        ({2023: 53, 2024: 51}, "öka", None, "Nej"),
        ({2023: 1, 2024: 1}, "Öka", None, "Nej"),
        ({2023: 16.5, 2024: 15.8}, "Minska", None, "Ja"),
        ({2022: 100, 2023: math.nan, 2024: 90}, "Minska", None, "Ja"),  # latest two with values
        ({2023: 77.7, 2024: 80.0}, "bibehålla", None, "Ja"),  # within ±5 %
        ({2023: 25, 2024: 27}, "Bibehålla", None, "Nej"),
        ({2024: 57}, "Öka", None, ""),
        ({2023: 8.2, 2024: 6.6}, "", None, ""),
        ({2022: 761, 2023: 787}, "Samma eller lägre än R9-snitt", {2023: 1154}, "Ja"),
        ({2022: 993, 2023: 1368}, "Samma eller lägre än R9-snitt", {2023: 1060}, "Nej"),
        ({2023: 5}, "Samma eller högre än målvärdet", {2023: 5}, "Ja"),
        ({2023: 5}, "Samma eller lägre än R9-snitt", {}, ""),
    ],
)
def test_direction_met(values, direction, targets, expected):
    assert direction_met(values, direction, targets) == expected


# --------------------------------------------------------------------------- demo vs reference


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    base = tmp_path_factory.mktemp("volymer")
    raw, processed = base / "raw", base / "processed"
    paths = write_demo_volumes(raw)
    ingest(raw, processed, DATASETS)
    return base, paths


@pytest.fixture(scope="module")
def report(demo):
    base, _ = demo
    ctx = open_period(PERIOD, params_file=PARAMS / f"{PERIOD}.yaml", data_dir=base / "processed")
    return VolumeReport.open(ctx)


def _r(value: float, decimals: int = 0) -> float:
    return round_half_up(value, decimals)


def test_demo_is_deterministic_and_accumulated_values_never_decrease(demo, tmp_path):
    base, paths = demo
    again = write_demo_volumes(tmp_path)
    assert [p.name for p in again] == [p.name for p in paths]
    for first, second in zip(paths, again, strict=True):
        assert first.read_bytes() == second.read_bytes(), first.name
    volumes = pd.read_parquet(base / "processed" / "volymer.parquet")
    accumulated = volumes[
        ~volumes["matt"].isin(["aktualiseringar_0_20", "inledda_utredningar_0_20"])
    ]
    accumulated = accumulated.assign(ar=accumulated["period"].str[:4]).sort_values("period")
    steps = accumulated.groupby(["matt", "grupp", "kon", "ar"])["varde"].diff().dropna()
    assert (steps >= 0).all()  # distinct cases January..month, restarting each January


def test_volume_table_reproduces_the_published_table(report):
    table = report.volume_table()
    assert list(table.columns) == [
        "rad", "grupp", "utfall_foregaende_ar", "utfall", "prognos_helar",
        "andel_kvinnor_foregaende_ar", "andel_kvinnor",
    ]  # fmt: skip
    reference = _reference("volymer.csv")
    assert list(zip(table["rad"], table["grupp"], strict=True)) == [
        (r["matt"], r["grupp"]) for r in reference
    ]
    for (_, row), ref in zip(table.iterrows(), reference, strict=True):
        where = f"{ref['matt']} {ref['grupp']}"
        assert row["utfall_foregaende_ar"] == float(ref["aug_2023"]), where
        assert row["utfall"] == float(ref["aug_2024"]), where
        for column, published in (
            ("prognos_helar", ref["prognos_2024"]),
            ("andel_kvinnor_foregaende_ar", ref["andel_flickor_kvinnor_aug_2023_pct"]),
            ("andel_kvinnor", ref["andel_flickor_kvinnor_aug_2024_pct"]),
        ):
            if published == "":
                assert pd.isna(row[column]), f"{where} {column}"
            else:
                assert _r(row[column]) == float(published), f"{where} {column}"
    assert report.notes == []


def test_staff_table_reproduces_the_published_table(report):
    table = report.staff_table()
    assert [c for c in table.columns if not c.startswith("_")] == [
        "rad", "utfall_foregaende_ar", "utfall", "malvarde",
    ]  # fmt: skip
    reference = _reference("personal.csv")
    assert table["rad"].tolist() == [r["matt"] for r in reference]
    for (_, row), ref in zip(table.iterrows(), reference, strict=True):
        decimals = len(ref["aug_2024"].partition(".")[2])
        assert _r(row["utfall_foregaende_ar"], decimals) == float(ref["aug_2023"]), ref["matt"]
        assert _r(row["utfall"], decimals) == float(ref["aug_2024"]), ref["matt"]
        assert row["malvarde"] == ref["malvarde_2024"]


def test_indicator_table_reproduces_the_published_table(report):
    table = report.indicator_table()
    assert [c for c in table.columns if not c.startswith("_")] == [
        "rad", "kon", "2022", "2023", "2024", "malvarde", "onskad_riktning", "i_onskad_riktning",
    ]  # fmt: skip
    reference = _reference("namndindikatorer.csv")
    assert list(zip(table["rad"], table["kon"], strict=True)) == [
        (r["indikator"], r["kon"]) for r in reference
    ]
    for (_, row), ref in zip(table.iterrows(), reference, strict=True):
        where = f"{ref['indikator']} {ref['kon']}"
        for year in ("2022", "2023", "2024"):
            if ref[year] == "":
                assert pd.isna(row[year]), f"{where} {year}"
            else:
                assert row[year] == pytest.approx(float(ref[year])), f"{where} {year}"
        assert row["onskad_riktning"] == ref["onskad_riktning"], where
        stated = re.findall(r"(\d+) \((\d{4})\)", ref["anmarkning"])  # R9-snitt per year
        target = re.search(r"målvärde (\d+)", ref["anmarkning"])
        if stated:
            assert row["malvarde"] == float(max(stated, key=lambda t: t[1])[0]), where
        elif target:
            assert row["malvarde"] == float(target.group(1)), where
        else:
            assert pd.isna(row["malvarde"]), where
    judged = dict(zip(zip(table["rad"], table["kon"], strict=True), table["i_onskad_riktning"],
                      strict=True))  # fmt: skip
    assert judged[("Hållbart medarbetarengagemang (HME)", "T")] == "Ja"
    assert judged[("Utredningstid barn och unga IFO median dagar", "T")] == "Nej"
    assert judged[("Chefsindex", "T")] == ""


def test_goal_assessments_reproduce_the_published_table(report):
    table = report.assessment_table()
    assert list(table.columns) == ["rad", "malomrade", "bedomning"]
    reference = _reference("namndmal_bedomning.csv")
    assert table.values.tolist() == [
        [r["namndmal"], r["malomrade"], r["bedomning"]] for r in reference
    ]
    assert report.assessment_summary() == "2 uppfyllda, 7 delvis uppfyllda, 1 ej uppfyllt"


def test_chart_data_cover_three_years_up_to_the_period(report):
    main = report.main_chart_data()
    assert sorted(main["ar"].unique()) == [2022, 2023, 2024]
    assert main[main["ar"] == 2024]["manad"].max() == 8
    assert main[main["ar"] == 2024]["varde"].sum() == 4413  # monthly flows add to the table
    assert not report.flow_chart_data().empty
    assert set(report.group_chart_data()["ar"]) == {2023, 2024}


def test_notebook_holds_no_published_figures():
    source = "\n".join(
        c.source for c in nbformat.read(ROOT / "notebooks" / "volymer.ipynb", 4).cells
    )
    for ref in _reference("volymer.csv"):
        for value in (ref["aug_2024"], ref["prognos_2024"]):
            if len(value) >= 3:
                assert value not in source


def test_notebook_runs_on_demo_data(demo, tmp_path):
    papermill = pytest.importorskip("papermill")
    base, _ = demo
    out = tmp_path / "rapport"
    papermill.execute_notebook(
        str(ROOT / "notebooks" / "volymer.ipynb"),
        str(tmp_path / "volymer.ipynb"),
        kernel_name="python3",
        parameters={
            "period": PERIOD,
            "params_file": str(PARAMS / f"{PERIOD}.yaml"),
            "data_dir": str(base / "processed"),
            "output_dir": str(out),
        },
        cwd=str(ROOT / "notebooks"),
        progress_bar=False,
    )
    expected = {
        "volymer": "rad,grupp,utfall_foregaende_ar,utfall,prognos_helar,"
        "andel_kvinnor_foregaende_ar,andel_kvinnor",
        "personal": "rad,utfall_foregaende_ar,utfall,malvarde",
        "namndindikatorer": "rad,kon,2022,2023,2024,malvarde,onskad_riktning,i_onskad_riktning",
        "namndmal_bedomning": "rad,malomrade,bedomning",
    }
    for table_id, header in expected.items():
        text = (out / "tables" / f"{table_id}.csv").read_text(encoding="utf-8")
        assert text.splitlines()[0] == header, table_id
    headlines = sorted(p.stem for p in (out / "headlines").glob("*.json"))
    assert "volym_aktualiseringar_0_20" in headlines
