"""The params models: shipped files validate, messages name the YAML path, README is generated."""

from __future__ import annotations

from pathlib import Path

import pytest

from uppfoljning.data.config import (
    ParamsError,
    load_code_map,
    load_code_names,
    load_period_params,
    load_structure,
    read_yaml,
)
from uppfoljning.data.overlaps import load_rules
from uppfoljning.data.params import PARAMS_FILES, reference, validate
from uppfoljning.data.params.reference import END, START

ROOT = Path(__file__).resolve().parents[1]
PARAMS = ROOT / "params"
SHIPPED = {
    "params/<period>.yaml": sorted(PARAMS.glob("20*.yaml")),
    "params/rapportstruktur_<år>.yaml": sorted(PARAMS.glob("rapportstruktur_*.yaml")),
    "params/bedomningar/<period>.yaml": sorted((PARAMS / "bedomningar").glob("*.yaml")),
}


def test_readme_holds_exactly_the_generated_reference():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    assert text.count(START) == 1 and text.count(END) == 1
    between = text.split(START, 1)[1].split(END, 1)[0]
    assert between == "\n" + reference(), (
        "README.md's parameter reference is stale: run "
        "`.venv/bin/python -m uppfoljning.data.params README.md`"
    )


@pytest.mark.parametrize("model", PARAMS_FILES, ids=lambda m: m.file)
def test_every_shipped_params_file_fits_its_model(model):
    paths = SHIPPED.get(model.file) or [ROOT / model.file]
    assert paths and all(p.is_file() for p in paths), model.file
    for path in paths:
        validated, problems = validate(model, read_yaml(path))
        assert problems == [] and validated is not None, path


@pytest.mark.parametrize("model", PARAMS_FILES, ids=lambda m: m.file)
def test_every_key_is_described_in_swedish(model):
    lines = [line for line in reference().splitlines() if line.startswith("| `")]
    assert lines and all(not line.endswith("|  |") for line in lines)
    assert model.__doc__ and model.file in reference()


def _structure(tmp_path: Path, rows: str, head: str = "oklassificerat_i: summa\n") -> Path:
    path = tmp_path / "s.yaml"
    path.write_text(f"namn: x\n{head}rader:\n{rows}", encoding="utf-8")
    return path


def _problems(load, path: Path) -> list[str]:
    with pytest.raises(ParamsError) as info:
        load(path)
    return info.value.problems


def test_structure_messages_name_the_yaml_path_and_come_all_at_once(tmp_path):
    path = _structure(
        tmp_path,
        "  - {id: a, rad: A, filter: {verksamhet: ['1']}}\n"
        "  - {id: b, rad: B, filter: {verksamhet: ['2']}, forrang: hög, egen_regi: ja}\n"
        "  - {id: c, rad: C, filter: {konto: ['3']}, farg: röd}\n"
        "  - {id: '569', rad: D, filter: {verksamhet: ['51X', '5']}}\n"
        "  - {rad: E, filter: {verksamhet: ['6']}}\n"
        "  - {id: summa, rad: S, summa: [a, b, c, '569'], total: true,\n"
        "     varav: [{id: v, rad: V}]}\n",
    )
    problems = _problems(load_structure, path)
    assert problems == [
        "rader[1] (b).forrang: ska vara ett heltal, fick 'hög'",
        "rader[1] (b).egen_regi: ska vara true eller false, fick 'ja'",
        "rader[2] (c): okänd nyckel 'farg' (tillåtna: id, rad, filter, utom, summa, forrang, "
        "egen_regi, total, varav)",
        "rader[3] (569).filter.verksamhet: koder ska vara siffror (citera dem), fick ['51X']",
        "rader[4]: nyckeln 'id' saknas",
        "rader[5] (summa).varav[0] (v): en varav-rad behöver filter",
    ]


def test_structure_relations_still_run_beside_shape_errors(tmp_path):
    path = _structure(
        tmp_path,
        "  - {id: a, rad: A, filter: {dimension: ['1']}}\n"
        "  - {id: s, rad: S, summa: [a, c, t]}\n"
        "  - {id: t, rad: T, summa: [s], total: true, filter: {konto: ['4']}}\n",
        head="oklassificerat_i: a\n",
    )
    problems = _problems(load_structure, path)
    assert problems == [
        "rader[0] (a).filter: okänd dimension 'dimension' (tillåtna: verksamhet, ansvar, konto)",
        "rader[2] (t): ange antingen filter eller summa",
        "s: summa av okänd rad 'c'",
        "s: summerar 't' som står längre ned",
        "oklassificerat_i: 'a' ska vara id för en summarad",
    ]


def test_a_structure_keeps_the_file_order_of_filter_dimensions(tmp_path):
    path = _structure(
        tmp_path,
        "  - {id: a, rad: A, filter: {konto: '4', verksamhet: ['569', 570]}}\n"
        "  - {id: summa, rad: S, summa: [a], total: true}\n",
    )
    row = load_structure(path).row("a")
    assert list(row.filter.include) == ["konto", "verksamhet"]
    assert row.filter.include == {"konto": ("4",), "verksamhet": ("569", "570")}


def _period(tmp_path: Path, text: str) -> Path:
    (tmp_path / "struktur.yaml").write_text("rader: []\n", encoding="utf-8")
    path = tmp_path / "2024-08.yaml"
    base = (
        "period: 2024-08\nrapporttyp: delarsrapport\nkommun: {kod: '0580'}\nnamnd: SON\n"
        "rapportstruktur: struktur.yaml\nbudgetversion: reviderad\n"
    )
    path.write_text(base + text, encoding="utf-8")
    return path


def test_period_file_types_relations_and_unknown_keys(tmp_path):
    path = _period(
        tmp_path,
        "rapporter: [ekonomi, ekonomi]\nforegaende_prognos: 2024-09\nenhet: kr\n"
        "kommentarer: saknas.md\nbudgetversjon: x\n",
    )
    problems = _problems(load_period_params, path)
    assert "enhet: 'kr' ska vara en av mnkr, tkr" in problems
    assert any(p.startswith("okänd nyckel 'budgetversjon' (tillåtna: period, ") for p in problems)
    assert "foregaende_prognos: 2024-09 ska ligga före perioden 2024-08" in problems
    assert "rapporter: 'ekonomi' anges 2 gånger" in problems
    assert any(p.startswith("kommentarer: filen ") and "saknas.md" in p for p in problems)
    assert len(problems) == 5


def test_period_file_missing_and_mistyped_values(tmp_path):
    path = tmp_path / "2024-08.yaml"
    path.write_text("period: 2024-08\nkommun: 580\nrapporter: ekonomi\n", encoding="utf-8")
    problems = _problems(load_period_params, path)
    assert "nyckeln 'rapporttyp' saknas" in problems
    assert "kommun: ska ha kod (fyra siffror) och namn" in problems
    assert "rapporter: ska vara en lista med minst en rapport" in problems
    path.write_text("- period: 2024-08\n", encoding="utf-8")
    assert _problems(load_period_params, path) == ["filen ska innehålla nyckel: värde-par"]


def test_code_files(tmp_path):
    path = tmp_path / "kod.yaml"
    path.write_text("galler_till_och_med: tjugo\nansvar: 31\n", encoding="utf-8")
    assert _problems(load_code_map, path) == [
        "galler_till_och_med: 'tjugo' ska vara ett årtal",
        "ansvar: ska vara gammalt prefix: nytt prefix",
    ]
    path.write_text('ansvar: {"31": "41"}\ngaller_till_och_med: 2022\n', encoding="utf-8")
    code_map = load_code_map(path)
    assert code_map.prefixes == {"ansvar": {"31": "41"}} and code_map.valid_through == 2022
    path.write_text("konto: {'5110': Löner, 3x: Fel}\nkonton: {}\n", encoding="utf-8")
    assert _problems(load_code_names, path) == [
        "konto: koder ska vara siffror (citera dem): ['3x']",
        "okänd nyckel 'konton' (tillåtna: verksamhet, ansvar, konto)",
    ]
    path.write_text("konto: {'5110': Löner}\n", encoding="utf-8")
    assert load_code_names(path).label("konto", "51101") == "51101 Löner"


def test_duplicate_rules(tmp_path):
    path = tmp_path / "indata.yaml"
    path.write_text(
        "dubbletter:\n  mellan_filer: tillat\n  per_datamangd:\n    budget: {inom_fil: vagra}\n",
        encoding="utf-8",
    )
    rules = load_rules(tmp_path)
    assert rules.for_dataset("budget") == ("tillat", "vagra")
    assert rules.for_dataset("huvudbok") == ("tillat", "varna")
    path.write_text(
        "dubbletter:\n  per_datamangd:\n    volymer: {}\n    prognos: {inom: x}\nextra: 1\n",
        encoding="utf-8",
    )
    assert _problems(load_rules, tmp_path) == [
        "dubbletter.per_datamangd.volymer: gäller bara huvudbok, budget, prognos, investeringar "
        "(andra datamängder får aldrig ha dubbletter)",
        "dubbletter.per_datamangd.prognos: okänd nyckel 'inom' (tillåtna: mellan_filer, inom_fil)",
        "okänd nyckel 'extra' (tillåtna: dubbletter)",
    ]
