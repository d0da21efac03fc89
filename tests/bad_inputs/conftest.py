"""A complete project (params, notebooks, demo data, a published report) to spoil, per case.

The good project is built once per session; every case works on its own copy, changes one
thing as a controller might by mistake, runs the CLI in-process (so an uncaught exception
fails the test with its traceback) and compares processed/ and reports/ byte for byte.
"""

from __future__ import annotations

import hashlib
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from uppfoljning.demo.suite import write_demo_suite
from uppfoljning.run import cli

from .files import economy_only

ROOT = Path(__file__).resolve().parents[2]
PERIOD = "2024-08"


def tree_digest(*dirs: Path) -> dict[str, str]:
    """SHA-256 of every file under `dirs`, by path: equal digests mean untouched."""
    out: dict[str, str] = {}
    for base in dirs:
        for path in sorted(base.rglob("*")) if base.exists() else []:
            if path.is_file():
                out[str(path)] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


@dataclass
class Outcome:
    code: int
    stdout: str
    stderr: str

    @property
    def text(self) -> str:
        return self.stdout + self.stderr


class Project:
    """One copy of the good project; paths and a CLI runner bound to it."""

    def __init__(self, root: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
        self.root = root
        self.monkeypatch = monkeypatch
        self._monkeypatch = monkeypatch
        self._capsys = capsys

    @property
    def raw(self) -> Path:
        return self.root / "data" / "raw"

    @property
    def processed(self) -> Path:
        return self.root / "data" / "processed"

    @property
    def params(self) -> Path:
        return self.root / "params"

    @property
    def reports(self) -> Path:
        return self.root / "reports"

    def digest(self) -> dict[str, str]:
        return tree_digest(self.processed, self.reports)

    def cli(self, *args: str) -> Outcome:
        self._monkeypatch.setenv("UPPFOLJNING_HOME", str(self.root))
        self._monkeypatch.setenv("UPPFOLJNING_DEBUG", "1")  # an internal error fails the test
        self._monkeypatch.chdir(self.root)
        self._capsys.readouterr()
        try:
            code = cli.main(list(args))
        except SystemExit as exc:  # argparse: wrong usage
            code = exc.code if isinstance(exc.code, int) else 2
        captured = self._capsys.readouterr()
        return Outcome(code, captured.out, captured.err)


@pytest.fixture(scope="session")
def good_project(tmp_path_factory) -> Path:
    """params/, notebooks/, demo data ingested and a published 2024-08 economy report."""
    root = tmp_path_factory.mktemp("good_project")
    shutil.copytree(ROOT / "params", root / "params")
    shutil.copytree(ROOT / "notebooks", root / "notebooks")
    economy_only(root / "params", PERIOD)
    write_demo_suite(root / "data" / "raw")
    mp = pytest.MonkeyPatch()
    try:
        mp.setenv("UPPFOLJNING_HOME", str(root))
        mp.chdir(root)
        code = cli.main(["run", PERIOD, "--only", "ekonomi"])
    finally:
        mp.undo()
    assert code == 0, "the good project must build"
    return root


@pytest.fixture
def project(good_project, tmp_path, monkeypatch, capsys) -> Project:
    root = tmp_path / "projekt"
    shutil.copytree(good_project, root, symlinks=True)
    return Project(root, monkeypatch, capsys)
