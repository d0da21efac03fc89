"""The command line: wiring, messages and exit codes."""

from __future__ import annotations

import io
import sys
from datetime import UTC, datetime
from pathlib import Path

from uppfoljning.peers import kolada, sources
from uppfoljning.run import cli, console
from uppfoljning.run.workers import NotebookLine


def test_kolada_refresh_asks_for_the_reports_requests(tmp_path, monkeypatch, capsys):
    calls = []

    def fake_refresh(cache_dir, config, years, **kwargs):
        calls.append((Path(cache_dir), list(years)))
        return kolada.RefreshResult(
            Path(cache_dir), 11, 1234, datetime(2026, 1, 2, tzinfo=UTC), True
        )

    monkeypatch.setattr(sources, "refresh_kolada", fake_refresh)
    assert cli.main(["kolada", "refresh", "--data", str(tmp_path), "--period", "2024-08"]) == 0
    assert calls == [(tmp_path / "raw" / "kolada", list(range(2015, 2024)))]
    out = capsys.readouterr().out
    assert "11 anrop, 1234 värden" in out and "demodata ersatta" in out


def test_demo_if_empty_keeps_existing_data(tmp_path, capsys):
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "huvudbok.csv").write_text("period;ansvar;verksamhet;konto;belopp\n", encoding="utf-8")
    assert cli.main(["demo", "--out", str(raw), "--if-empty"]) == 0
    assert sorted(p.name for p in raw.iterdir()) == ["huvudbok.csv"]
    assert "innehåller redan data" in capsys.readouterr().out


def test_bad_parameters_exit_1_with_every_problem(tmp_path, capsys):
    bad = tmp_path / "2024-08.yaml"
    bad.write_text("period: 2024-08\nokand: 1\n", encoding="utf-8")
    assert cli.main(["run", "2024-08", "--params", str(bad), "--data", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert "okänd nyckel 'okand'" in err and "nyckeln 'rapporttyp' saknas" in err


def test_kolada_refresh_failure_is_a_message_not_a_traceback(tmp_path, monkeypatch, capsys):
    def failing_refresh(*args, **kwargs):
        raise kolada.KoladaError("Kolada-förfrågan 'kpi/N33022' misslyckades efter 6 försök")

    monkeypatch.setattr(sources, "refresh_kolada", failing_refresh)
    assert cli.main(["kolada", "refresh", "--data", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("Fel: Kolada-förfrågan") and "Traceback" not in err


def test_init_creates_a_complete_project_and_never_overwrites_one(tmp_path, capsys, monkeypatch):
    from uppfoljning.data.config import load_period_params, load_structure

    project = tmp_path / "socialnamnden"
    assert cli.main(["init", str(project), "--name", "Provkommun"]) == 0
    for path in ("README.md", ".gitignore", "data/raw/README.md", "params/indata.yaml"):
        assert (project / path).is_file(), path
    assert (project / "data" / "processed").is_dir() and (project / "reports").is_dir()
    assert "Provkommun" in (project / "README.md").read_text(encoding="utf-8")
    assert "/data/raw/*" in (project / ".gitignore").read_text(encoding="utf-8")
    # The example parameters are valid as they are.
    params = load_period_params(project / "params" / "2024-08.yaml")
    assert load_structure(params.structure_file).rows
    assert "uppfoljning check" in capsys.readouterr().out

    (project / "params" / "2024-08.yaml").write_text("egen: true\n", encoding="utf-8")
    assert cli.main(["init", str(project)]) == 1
    assert "init skriver aldrig över" in capsys.readouterr().err
    assert (project / "params" / "2024-08.yaml").read_text(encoding="utf-8") == "egen: true\n"

    # A project without notebooks/ runs the package's notebooks.
    from uppfoljning.run.project import notebooks_dir

    assert (notebooks_dir(project) / "ekonomi.ipynb").is_file()


class _Terminal(io.StringIO):
    """Captured output that says it is a terminal, as rich checks."""

    def isatty(self) -> bool:
        return True


def _notebook_messages() -> list[str]:
    return [
        "Kör 2 notebooks för augusti 2024 med kärnan python3, 2 åt gången.",
        NotebookLine("startar ekonomi", "ekonomi", "startar"),
        NotebookLine("startar volymer", "volymer", "startar"),
        NotebookLine("klar volymer (6,9 s)", "volymer", "klar"),
        NotebookLine("FEL i ekonomi (7,8 s): ValueError: [fel]", "ekonomi", "fel"),
        "Rapporten för augusti 2024 finns i reports/2024-08",
    ]


def test_progress_is_the_plain_lines_when_stdout_is_not_a_terminal(tmp_path, capsys, monkeypatch):
    with console.notebook_progress() as progress:
        for message in _notebook_messages():
            progress(message)
    assert capsys.readouterr().out.splitlines() == [str(m) for m in _notebook_messages()]
    large, small = tmp_path / "huvudbok_2024.csv", tmp_path / "budget_2024.csv"
    large.write_bytes(b"x" * 1_500_000)
    small.write_bytes(b"x" * 10)
    monkeypatch.setattr(console, "LARGE_FILE", 1_000_000)
    with console.reading_progress() as reading:
        reading(large)
        reading(small)
    assert capsys.readouterr().out == "  läser huvudbok_2024.csv (1,5 MB)\n"


def test_progress_on_a_terminal_shows_spinners_and_keeps_every_line(tmp_path, monkeypatch):
    screen = _Terminal()
    monkeypatch.setattr(sys, "stdout", screen)
    with console.notebook_progress() as progress:
        for message in _notebook_messages():
            progress(message)
    shown = screen.getvalue()
    assert "kör ekonomi" in shown  # the spinner line of a running notebook
    position = 0
    for message in _notebook_messages():  # every line, in order, markup shown as text
        position = shown.index(str(message), position) + len(message)
    screen.truncate(0)
    (tmp_path / "huvudbok_2024.csv").write_bytes(b"x" * 2_000_000)
    with console.reading_progress() as reading:
        reading(tmp_path / "huvudbok_2024.csv")
    assert "läser huvudbok_2024.csv (2,0 MB)" in screen.getvalue()


def test_the_nearest_project_wins_over_a_checkout_around_it(tmp_path, monkeypatch):
    from uppfoljning.data.config import project_root

    checkout = tmp_path / "kalla"
    (checkout / "params").mkdir(parents=True)
    (checkout / "pyproject.toml").touch()
    package = checkout / "lib" / "uppfoljning"
    (package / "params").mkdir(parents=True)  # the package's link to params/ is no project
    (package / "__init__.py").touch()
    nested = checkout / "kommun"
    (nested / "params").mkdir(parents=True)
    monkeypatch.delenv("UPPFOLJNING_HOME", raising=False)
    assert project_root(nested / "params") == nested
    assert project_root(package) == checkout
    monkeypatch.setenv("UPPFOLJNING_HOME", str(nested))
    assert project_root(package) == nested
