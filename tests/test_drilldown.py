"""The drill-down and explorer: parts that add up to the tables' rows for any months,
dimensions and structure, names per unit, and the widgets' table, chart and export."""

from __future__ import annotations

import openpyxl
import pytest

import uppfoljning as uf
from uppfoljning.data.config import load_structure
from uppfoljning.economy import drilldown
from uppfoljning.economy.ledger import _leaves_under, classify

from conftest import ROOT

STRUCTURES = ("rapportstruktur_2024.yaml", "rapportstruktur_2020.yaml")


@pytest.fixture(scope="module")
def eko(demo_data):
    ctx = uf.open_period(
        "2024-08", params_file=ROOT / "params" / "2024-08.yaml", data_dir=demo_data / "processed"
    )
    return uf.EconomyReport.open(ctx)


@pytest.mark.parametrize("name", STRUCTURES)
def test_every_row_of_either_structure_adds_up_to_the_table(demo_data, name):
    ctx = uf.open_period(
        "2024-08", params_file=ROOT / "params" / "2024-08.yaml", data_dir=demo_data / "processed"
    )
    ctx.structure = load_structure(ROOT / "params" / name)
    eko = uf.EconomyReport.open(ctx)
    table = eko.period_table()
    combos = drilldown.code_combinations(eko)
    assert not combos["m_ansvar"].str.startswith("3").any()  # 2022's units rewritten
    assert combos["ansvar"].str.startswith("3").any()  # ... from the codes as booked
    for row_id in [r for r in table.index if table.loc[r, "_niva"] != "varav"]:
        parts = drilldown.breakdown(eko, row_id, by="verksamhet")
        for column in ("utfall", "budget", "utfall_foregaende_ar"):
            expected = table.loc[row_id, column]
            assert parts[column].sum() == pytest.approx(expected, abs=0.01), (row_id, column)


def test_every_row_adds_up_for_any_month_range(eko):
    """The SQL totals equal the pandas aggregates the tables use, for a range across years."""
    chosen = drilldown.months("2022-11", "2023-02")  # 2022 is booked on the old codes
    lines = eko.ledger.outcome(chosen)
    lines["rad_id"] = classify(lines, eko.structure)
    table = eko.period_table()
    for row_id in [r for r in table.index if table.loc[r, "_niva"] != "varav"]:
        leaves = _leaves_under(eko.structure, row_id)
        expected = lines.loc[lines["rad_id"].isin(leaves), "belopp"].sum()
        parts = drilldown.breakdown(eko, row_id, by="ansvar", start="2022-11", end="2023-02")
        assert parts["utfall"].sum() == pytest.approx(expected, abs=0.01), row_id


@pytest.mark.parametrize(
    "by", ["verksamhet", "konto", "ansvar", "motpart", "period", ["period", "ansvar", "konto"]]
)
def test_parts_add_up_to_the_row_beside_budget_and_last_year(eko, by):
    row = eko.period_table().loc["569"]
    parts = drilldown.breakdown(eko, "569", by=by)
    assert parts["utfall"].sum() == pytest.approx(row["utfall"])
    assert parts["utfall_foregaende_ar"].sum() == pytest.approx(row["utfall_foregaende_ar"])
    if "motpart" in parts:
        assert parts["budget"].isna().all()  # the budget has no motpart
    else:
        assert parts["budget"].sum() == pytest.approx(row["budget"])
        assert (parts["avvikelse"] == parts["budget"] - parts["utfall"]).all()


def test_months_in_calendar_order_and_last_year_lines_up(eko):
    parts = drilldown.breakdown(eko, "569", by="period", start="2023-11", end="2024-02")
    assert list(parts["period"]) == ["2023-11", "2023-12", "2024-01", "2024-02"]
    previous = drilldown.breakdown(eko, "569", by="period", start="2022-11", end="2023-02")
    assert list(parts["utfall_foregaende_ar"]) == pytest.approx(list(previous["utfall"]))
    nested = drilldown.breakdown(eko, "569", by=["ansvar", "period"])
    for _, unit in nested.groupby("ansvar", sort=False):
        assert list(unit["period"]) == sorted(unit["period"])
    first = nested.drop_duplicates("ansvar")["ansvar"]
    sizes = nested.groupby("ansvar")["utfall"].sum().abs()
    assert list(first) == list(sizes.sort_values(ascending=False).index)  # largest unit first


def test_every_unit_of_569_has_its_own_name(eko):
    parts = drilldown.breakdown(eko, "569", by="ansvar")
    assert len(parts) > 1
    assert parts["ansvar_namn"].nunique() == len(parts)
    assert dict(zip(parts["ansvar"], parts["ansvar_namn"], strict=True))["41130"] == (
        "Familjehemsenheten"
    )


def test_largest_lines_in_a_month_range(eko):
    lines = drilldown.largest_lines(eko, "569", n=4, start="2024-03", end="2024-04")
    assert len(lines) == 4
    assert set(lines["period"]) <= {"2024-03", "2024-04"}
    assert lines["belopp"].abs().is_monotonic_decreasing
    assert lines["text"].str.len().gt(0).all()
    with pytest.raises(ValueError, match="ÅÅÅÅ-MM"):
        drilldown.largest_lines(eko, "569", periods=["2024-3'; DROP"])


def test_explorer_follows_the_selection_and_exports(eko, tmp_path):
    box = drilldown.explorer(eko, export_dir=tmp_path)
    assert box.row.value == "569"  # the largest deviation is preselected
    assert (box.start.value, box.end.value, box.dims) == ("2024-01", "2024-08", ["konto"])
    table, image = box.table.value, bytes(box.image.value)
    assert "4611 Köp av HVB-vård" in table and image.startswith(b"\x89PNG")
    assert box.largest.value == ""  # the lines come when the widgets are shown
    box.levels[0].value = "ansvar"
    assert "Största enskilda rader (10 st)" in box.largest.value
    box.levels[1].value = "period"
    assert box.dims == ["ansvar", "period"]
    assert "Familjehemsenheten" in box.table.value and bytes(box.image.value) != image
    image = bytes(box.image.value)
    box.start.value = "2024-06"
    assert list(box.view.parts["period"].unique()) == ["2024-06", "2024-07", "2024-08"]
    assert bytes(box.image.value) != image
    box.row.value = "559"
    assert box.view.parts["utfall"].sum() == pytest.approx(
        drilldown.breakdown(eko, "559", by="konto", start="2024-06")["utfall"].sum()
    )
    path = box.export()
    assert path.parent == tmp_path and path.name.endswith(".xlsx")
    assert str(path) in box.export_path.value
    sheet = openpyxl.load_workbook(path)["Fördelning"]
    assert sheet.cell(3, 1).value == "Ansvar"
    total = sum(c.value for c in next(sheet.iter_cols(min_row=4, min_col=4, max_col=4)))
    assert total == pytest.approx(box.view.parts["utfall"].sum())
    box.start.value = "2024-08"
    box.end.value = "2024-07"
    assert "efter" in box.message.value
