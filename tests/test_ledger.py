"""Classification into report rows, sums, varav rows and budget periodisation."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from uppfoljning.data.config import UNCLASSIFIED_ID, load_structure
from uppfoljning.data.ingest import ingest
from uppfoljning.economy.ledger import LEVEL, ClassificationWarning, Ledger, classify, summarise

ROOT = Path(__file__).resolve().parents[1]
STRUCTURE = load_structure(ROOT / "params" / "rapportstruktur_2024.yaml")


def lines(*rows):
    return pd.DataFrame(rows, columns=["verksamhet", "ansvar", "konto", "belopp"])


def test_own_units_take_precedence_over_activity_codes():
    frame = lines(("51310", "43100", "4619", 10.0), ("51310", "47100", "5110", 5.0))
    assert classify(frame, STRUCTURE).tolist() == ["513", "egen_regi"]


def test_sums_varav_and_reconciliation():
    frame = lines(
        ("56910", "41100", "4611", 100.0),
        ("56910", "41100", "3510", -30.0),
        ("51310", "47100", "5110", 50.0),
        ("51310", "48100", "3410", -20.0),
    )
    f = summarise({"utfall": frame}, STRUCTURE).frame
    assert f.loc["569", "utfall"] == 70.0
    assert f.loc["summa_netto", "utfall"] == 70.0
    assert f.loc["egen_regi", "utfall"] == 30.0
    assert f.loc["egen_regi_lss", "utfall"] == 50.0
    assert f.loc["totalt", "utfall"] == 100.0 == frame["belopp"].sum()
    assert f.loc["kostnader", "utfall"] == 150.0
    assert f.loc["intakter", "utfall"] == -50.0
    assert f.loc["totalt", LEVEL] == "total"
    assert UNCLASSIFIED_ID not in f.index  # only shown when something is unclassified


def test_unclassified_lines_are_visible_and_in_the_total():
    frame = lines(("56910", "41100", "4611", 100.0), ("99910", "41100", "4611", 7.0))
    with pytest.warns(ClassificationWarning, match="Ej klassificerat"):
        summary = summarise({"utfall": frame}, STRUCTURE)
    f = summary.frame
    assert f.loc[UNCLASSIFIED_ID, "utfall"] == 7.0
    order = list(f.index)
    assert order.index(UNCLASSIFIED_ID) == order.index("summa_netto") - 1
    assert f.loc["summa_netto", "utfall"] == 107.0
    assert f.loc["totalt", "utfall"] == 107.0
    assert summary.unclassified["verksamhet"].tolist() == ["99910"]


def test_varav_is_unknown_when_lines_lack_accounts():
    forecast = lines(("569", "", "", 100.0))
    f = summarise({"prognos": forecast}, STRUCTURE).frame
    assert f.loc["totalt", "prognos"] == 100.0
    assert np.isnan(f.loc["kostnader", "prognos"])


def test_budget_periodisation_and_forecast_in_force(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "budget.csv").write_text(
        "ar;version;verksamhet;belopp;period\n"
        "2024;reviderad;56910;1200;\n"  # annual: pro rata
        "2024;reviderad;51310;100;2024-01\n"
        "2024;reviderad;51310;300;2024-09\n"
        "2024;original;56910;999;\n",
        encoding="utf-8",
    )
    (raw / "prognos.csv").write_text(
        "prognosmanad;verksamhet;belopp\n2024-03;569;10\n2024-08;569;20\n", encoding="utf-8"
    )
    (raw / "huvudbok.csv").write_text(
        "period;ansvar;verksamhet;konto;belopp\n2024-01;41100;56910;4611;5\n", encoding="utf-8"
    )
    ingest(raw, tmp_path / "p", ["budget", "prognos", "huvudbok"])
    ledger = Ledger(tmp_path / "p")
    b = ledger.budget_lines(2024, "reviderad", through_month=8).set_index("verksamhet")["belopp"]
    assert b["56910"] == pytest.approx(800.0)
    assert b["51310"] == 100.0
    assert ledger.forecast_for("2024-07") == "2024-03"
    assert ledger.forecast_for("2024-08") == "2024-08"
    assert ledger.forecast_for("2024-02") is None
    with pytest.raises(LookupError, match="finns: original, reviderad"):
        ledger.budget_lines(2024, "saknas")
