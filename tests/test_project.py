"""Project hygiene: environment.yml mirrors pyproject, notebooks are thin and stored clean."""

import ast
import re
import tomllib
from pathlib import Path

import nbformat
import pytest
import yaml
from papermill.translators import PythonTranslator

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
# conda-forge names that differ from PyPI's
CONDA_NAMES = {"duckdb": "python-duckdb"}


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~ \[]", requirement, maxsplit=1)[0].lower()


def _spec(requirement: str) -> str:
    return requirement[len(_name(requirement)) :].strip()


def test_environment_yml_mirrors_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    wanted = project["dependencies"] + project["optional-dependencies"]["dev"]
    env = yaml.safe_load((ROOT / "environment.yml").read_text(encoding="utf-8"))
    conda = {_name(d): _spec(d) for d in env["dependencies"] if isinstance(d, str)}
    conda.pop("pip", None)
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    conda |= {_name(d): _spec(d) for d in pip if not d.startswith("-e")}
    python = conda.pop("python")
    assert python == project["requires-python"]
    expected = {CONDA_NAMES.get(_name(r), _name(r)): _spec(r) for r in wanted}
    assert conda == expected


def test_the_four_notebooks_exist_and_every_period_file_names_existing_ones():
    assert [p.stem for p in NOTEBOOKS] == [
        "ekonomi",
        "hvb_placeringar",
        "r9_jamforelser",
        "volymer",
    ]
    for period_file in (ROOT / "params").glob("20*.yaml"):
        listed = yaml.safe_load(period_file.read_text(encoding="utf-8"))["rapporter"]
        assert set(listed) <= {p.stem for p in NOTEBOOKS}, period_file.name


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_is_committed_without_outputs(path):
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [], f"{path.name}: cell with outputs"
            assert cell.execution_count is None, f"{path.name}: execution count stored"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_is_thin_with_a_typed_parameters_cell(path):
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    params = code[0]
    assert "parameters" in params.metadata.get("tags", [])
    tree = ast.parse(params.source)
    annotated = {n.target.id for n in tree.body if isinstance(n, ast.AnnAssign)}
    assert {"period", "params_file", "data_dir", "output_dir"} <= annotated
    inspected = {p.name: p for p in PythonTranslator.inspect(params)}
    assert set(inspected) == {"period", "params_file", "data_dir", "output_dir"}
    assert all(p.inferred_type_name == "str" and p.help for p in inspected.values())
    for line in params.source.splitlines():
        if ":" in line and "=" in line and not line.startswith("#"):
            assert "#" in line, f"{path.name}: parameter without a comment: {line}"
    for cell in code:
        tree = ast.parse(cell.source)
        defs = [
            n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.ClassDef | ast.Lambda)
        ]
        assert not defs, f"{path.name}: define functions in lib/uppfoljning, not in notebooks"
    assert nb.metadata["kernelspec"]["name"] == "uppfoljning"
