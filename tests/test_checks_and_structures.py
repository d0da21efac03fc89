"""Table checks, code mapping and the 2020-style report structure."""

from __future__ import annotations

import pandas as pd
import pytest

import uppfoljning as uf
from uppfoljning.data.config import CodeMap, ParamsError, load_code_map, load_structure
from uppfoljning.economy import checks
from uppfoljning.economy.ledger import LEVEL, apply_code_map

from conftest import ROOT

STRUCTURE_2024 = load_structure(ROOT / "params" / "rapportstruktur_2024.yaml")


def test_broken_tables_raise_instead_of_printing():
    frame = pd.DataFrame(
        {
            "rad": ["A", "B", "Summa"],
            "utfall": [100.0, 200.0, 400.0],
            "budget": [100.0, 200.0, 300.0],
            "avvikelse": [0.0, 0.0, -100.0],
            LEVEL: ["rad", "rad", "total"],
        }
    )
    with pytest.raises(checks.TableCheckError, match="summaraden"):
        checks.check_column_total("t", frame, ["utfall"])
    assert "summaraden" in checks.check_column_total("t", frame, ["budget"])
    frame.loc[0, "avvikelse"] = 50.0
    with pytest.raises(checks.TableCheckError, match="avvikelse = budget − utfall.*A"):
        checks.check_deviation("t", frame, "budget", "utfall")


def test_code_map_rewrites_prefixes_longest_first():
    code_map = CodeMap(None, {"ansvar": {"31": "41", "3": "9"}, "verksamhet": {"921": "922"}})
    frame = pd.DataFrame(
        {
            "ansvar": ["31100", "32000", "41100"],
            "verksamhet": ["92110", "56910", "92210"],
            "konto": ["5110"] * 3,
            "belopp": [1.0, 2.0, 3.0],
        }
    )
    out = apply_code_map(frame, code_map).set_index(["ansvar", "verksamhet"])["belopp"]
    # 31100/92110 becomes 41100/92210 and is added to the line already booked there.
    assert out.to_dict() == {("41100", "92210"): 4.0, ("92000", "56910"): 2.0}


def test_code_map_validation(tmp_path):
    path = tmp_path / "map.yaml"
    path.write_text("ansvar: {'3x': '4'}\nkonton: {}\n", encoding="utf-8")
    with pytest.raises(ParamsError) as info:
        load_code_map(path)
    assert len(info.value.problems) == 2


@pytest.fixture(scope="module")
def both_structures(demo_data):
    reports = {}
    for name in ("rapportstruktur_2024.yaml", "rapportstruktur_2020.yaml"):
        ctx = uf.open_period(
            "2024-08",
            params_file=ROOT / "params" / "2024-08.yaml",
            data_dir=demo_data / "processed",
        )
        ctx.structure = load_structure(ROOT / "params" / name)
        reports[name] = uf.EconomyReport.open(ctx)
    return reports


def test_2020_structure_reconciles_with_2024(both_structures):
    new = both_structures["rapportstruktur_2024.yaml"].period_table()
    old = both_structures["rapportstruktur_2020.yaml"].period_table()
    assert "ej_klassificerat" not in old.index
    for col in ("utfall", "budget", "utfall_foregaende_ar"):
        assert old.loc["totalt", col] == pytest.approx(new.loc["totalt", col])
        assert old.loc["ifo", col] == pytest.approx(
            new.loc[["559", "569", "571", "575", "585"], col].sum()
        )
    hvb = old.loc["ifo_hvb_barn", "utfall"]
    assert 0 < hvb < old.loc["ifo", "utfall"]
    assert old.loc["ifo_hvb_barn", LEVEL] == "varav"


def test_a_report_builds_with_the_2020_structure(demo_data, tmp_path):
    """The whole economy report, not just its tables, with the 2020 rows in tkr."""
    import re
    import shutil

    from uppfoljning.run.cli import main

    params = tmp_path / "params"
    shutil.copytree(ROOT / "params", params)
    period_file = params / "2024-08.yaml"
    text = period_file.read_text(encoding="utf-8")
    text = re.sub(
        r"^rapportstruktur:.*$", "rapportstruktur: rapportstruktur_2020.yaml", text, flags=re.M
    )
    text = re.sub(r"^rapporter:.*$", "rapporter: [ekonomi]\nenhet: tkr", text, flags=re.M)
    text = re.sub(r"^atgardsplan:.*\n", "", text, flags=re.M)  # its areas name 2024 rows
    # The 2024-08 comments include the HVB chapter, which an economy-only run would not show.
    text = re.sub(r"^kommentarer:.*\n", "", text, flags=re.M)
    text = re.sub(r"^dokument:.*\n", "", text, flags=re.M)  # its chapters need all four
    period_file.write_text(text, encoding="utf-8")
    shutil.copytree(demo_data / "raw", tmp_path / "data" / "raw")
    out = tmp_path / "reports"
    args = ["run", "2024-08", "--params", str(period_file), "--data", str(tmp_path / "data")]
    assert main([*args, "--out", str(out)]) == 0
    table = pd.read_csv(out / "2024-08" / "tables" / "driftsammandrag_period.csv").set_index("rad")
    assert "varav HVB barn och unga" in table.index
    assert "Ej klassificerat" not in table.index
    total = table.loc["Summa nettokostnader inklusive egen regi", "utfall"]
    assert total / 1e6 == pytest.approx(1244.3, abs=0.05)
    html = (out / "2024-08" / "ekonomi.html").read_text(encoding="utf-8")
    assert "Individ- och familjeomsorg" in html and "Verksamhet, tkr" in html


def test_drilldown_explorer_builds_and_refreshes(both_structures, tmp_path):
    eko = both_structures["rapportstruktur_2024.yaml"]
    box = uf.drilldown.explorer(eko, export_dir=tmp_path)
    assert box.row.value == "569"  # the largest deviation is preselected
    box.levels[0].value = "ansvar"
    box.levels[1].value = "period"
    box.lines.value = 3
    # each change redraws the breakdown and the largest lines
    assert list(box.view.parts.columns[:2]) == ["ansvar", "period"]
    assert len(box.view.lines) == 3
    old = uf.drilldown.explorer(both_structures["rapportstruktur_2020.yaml"], export_dir=tmp_path)
    assert old.view.parts["utfall"].sum() == pytest.approx(
        old.eko.period_table().loc[old.row.value, "utfall"]
    )
