from pathlib import Path

import pytest

from uppfoljning.data.config import ParamsError, latest_period, load_period_params, load_structure

ROOT = Path(__file__).resolve().parents[1]
PARAMS = ROOT / "params"


def test_shipped_period_params_are_valid():
    for path in sorted(PARAMS.glob("20*.yaml")):
        params = load_period_params(path, period=path.stem)
        assert params.period == path.stem
        assert load_structure(params.structure_file).rows
    assert latest_period(PARAMS) == "2024-08"


def _write(tmp_path: Path, text: str) -> Path:
    (tmp_path / "struktur.yaml").write_text(
        (PARAMS / "rapportstruktur_2024.yaml").read_text(encoding="utf-8"), encoding="utf-8"
    )
    path = tmp_path / "2024-08.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_every_problem_is_reported_at_once(tmp_path):
    path = _write(
        tmp_path,
        "period: 2024-8\nrapporttyp: delarsrapport\nkommun: {kod: '0580'}\nnamnd: SON\n"
        "rapportstruktur: saknas.yaml\nbudgetversion: reviderad\nrapporter: [ekonomi, okand]\n"
        "extra_nyckel: 1\n",
    )
    with pytest.raises(ParamsError) as info:
        load_period_params(path)
    text = "\n".join(info.value.problems)
    assert "okänd nyckel 'extra_nyckel'" in text
    assert "'2024-8' är inte en period" in text
    assert "saknas.yaml finns inte" in text
    assert "okänd rapport 'okand'" in text
    assert len(info.value.problems) == 4


def test_period_mismatch_and_missing_key(tmp_path):
    path = _write(
        tmp_path,
        "period: 2024-08\nrapporttyp: delarsrapport\nkommun: {kod: '0580'}\nnamnd: SON\n"
        "rapportstruktur: struktur.yaml\nrapporter: [ekonomi]\n",
    )
    with pytest.raises(ParamsError) as info:
        load_period_params(path, period="2024-03")
    assert any("budgetversion" in p for p in info.value.problems)
    assert any("avser 2024-03" in p for p in info.value.problems)


def test_structure_validation(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text(
        "namn: x\noklassificerat_i: summa\nrader:\n"
        "  - {id: a, rad: A, filter: {verksamhet: ['1']}}\n"
        "  - {id: b, rad: B, filter: {dimension: ['2']}}\n"
        "  - {id: summa, rad: S, summa: [a, c], total: true}\n",
        encoding="utf-8",
    )
    with pytest.raises(ParamsError) as info:
        load_structure(path)
    text = "\n".join(info.value.problems)
    assert "okänd dimension 'dimension'" in text
    assert "summa av okänd rad 'c'" in text
