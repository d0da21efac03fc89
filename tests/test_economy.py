"""The economy tables computed from demo raw data reproduce the published August 2024 report."""

from __future__ import annotations

import pandas as pd
import pytest

import uppfoljning as uf
from uppfoljning.economy.ledger import LEVEL

from conftest import PUBLISHED_COLUMNS, ROOT, assert_reproduces_published


@pytest.fixture(scope="module")
def eko(demo_data):
    ctx = uf.open_period(
        "2024-08", params_file=ROOT / "params" / "2024-08.yaml", data_dir=demo_data / "processed"
    )
    return uf.EconomyReport.open(ctx)


def _mnkr(frame: pd.DataFrame) -> dict[str, dict[str, float]]:
    by_label = frame.set_index("rad")
    return {
        rad: {c: v / 1e6 for c, v in row.items() if c != LEVEL} for rad, row in by_label.iterrows()
    }


TABLES = {
    "driftsammandrag_period": lambda eko: eko.period_table(),
    "driftsammandrag_prognos": lambda eko: eko.forecast_table(),
    "ekonomi_oversikt": lambda eko: eko.overview_table(),
    "investeringar": lambda eko: eko.investments_table(),
}


@pytest.mark.parametrize("table_id", sorted(PUBLISHED_COLUMNS))
def test_library_tables_reproduce_the_published_report(eko, table_id):
    """The library's frames, before any export (test_report_demo checks the exported CSVs)."""
    assert_reproduces_published(table_id, _mnkr(TABLES[table_id](eko)))


def test_tables_add_up(eko):
    for table, value in ((eko.period_table(), "utfall"), (eko.forecast_table(), "prognos")):
        rows = table[table[LEVEL] == "rad"]
        total = table[table[LEVEL] == "total"][value].iloc[0]
        assert rows[value].sum() == pytest.approx(total, abs=0.01)
        varav = table[table[LEVEL] == "varav"].loc[["kostnader", "intakter"], value].sum()
        assert varav == pytest.approx(total, abs=0.01)
    assert eko.reconciliation()


def test_commentary_names_the_largest_deviations(eko):
    text = eko.commentary()
    assert text.startswith("Resultatet per 31 augusti 2024 visar ett underskott på -53,2 mnkr")
    assert "Barn och ungdomsvård (569) -33,3 mnkr" in text
    assert text.count("Resultat nämndens enheter") == 1
    assert "varav LSS Funktionsstöd -19,0 mnkr och Råd och stöd +5,4 mnkr" in text
    assert "oförändrad jämfört med prognosen i mars 2024" in text


def test_rolling_and_cumulative_series(eko):
    r12 = eko.rolling_12()
    assert r12["period"].min() == "2022-12"  # first month with twelve months behind it
    total = r12[(r12["rad_id"] == "totalt") & (r12["period"] == "2023-12")]["r12"].iloc[0]
    # 2023 is a complete year, so its rolling sum at December is last year's accounts.
    bokslut = eko.forecast_table().loc["totalt", "bokslut_foregaende_ar"]
    assert total == pytest.approx(bokslut)
    cum = eko.cumulative_vs_budget(["totalt"])
    august = cum[cum["period"] == "2024-08"].iloc[0]
    assert august["utfall_ack"] == pytest.approx(eko.period_table().loc["totalt", "utfall"])
    assert august["budget_ack"] == pytest.approx(eko.period_table().loc["totalt", "budget"])
    assert cum[cum["period"] > "2024-08"]["utfall_ack"].isna().all()


def test_monthly_deviations_add_up_to_the_period(eko):
    matrix = eko.monthly_deviation_matrix()
    assert list(matrix.columns) == [f"2024-{m:02d}" for m in range(1, 9)]
    period = eko.period_table().set_index("rad")["avvikelse"]
    for rad, months in matrix.iterrows():
        assert months.sum() == pytest.approx(period[rad], abs=1.0), rad
    fig = uf.plots.deviation_heatmap(matrix)
    assert uf.plots.figure_png(fig) == uf.plots.figure_png(uf.plots.deviation_heatmap(matrix))


def test_drilldown_parts_add_up_to_the_row(eko):
    row = eko.period_table().loc["569"]
    by_account = uf.drilldown.breakdown(eko, "569", by="konto")
    assert by_account["utfall"].sum() == pytest.approx(row["utfall"])
    assert by_account["budget"].sum() == pytest.approx(row["budget"])
    names = dict(zip(by_account["konto"], by_account["konto_namn"], strict=True))
    assert names["4611"] == "Köp av HVB-vård"  # params/kodnamn.yaml
    costs = by_account[by_account["utfall"] > 0]
    assert costs["andel"].sum() == pytest.approx(100.0)  # shares of the row's costs
    table = uf.drilldown.breakdown_table(eko, "569", by="konto", top=3)
    assert list(table["rad"])[:1] == [f"{by_account['konto'][0]} {by_account['konto_namn'][0]}"]
    assert table["rad"].iloc[-1].startswith("Övriga (")
    assert table["utfall"].sum() == pytest.approx(row["utfall"])
    own = uf.drilldown.breakdown(eko, "egen_regi", by="ansvar")
    assert set(own["ansvar"].str[:2]) <= {"47", "48"}
    lines = uf.drilldown.largest_lines(eko, "569", n=5)
    assert len(lines) == 5
    assert lines["belopp"].abs().is_monotonic_decreasing
    assert lines["verksamhet"].str.startswith("569").all()
    with pytest.raises(KeyError, match="Okänd rad"):
        uf.drilldown.breakdown(eko, "999")
