"""Re-runs: a notebook runs again only when something it reads changed (run.fingerprint)."""

from __future__ import annotations

import errno

import pytest

from .files import edit_lines

PERIOD = "2024-08"


@pytest.fixture
def two_notebooks(project):
    """The project with a period of two notebooks, built once in full."""
    path = project.params / f"{PERIOD}.yaml"
    lines = [
        "rapporter: [ekonomi, volymer]" if line.startswith("rapporter:") else line
        for line in path.read_text(encoding="utf-8").splitlines()
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    comments = project.params / "kommentarer" / f"{PERIOD}.md"  # without the HVB chapter
    text = comments.read_text(encoding="utf-8")
    comments.write_text(text[: text.index("## HVB-placeringar")], encoding="utf-8")
    first = project.cli("run", PERIOD)
    assert first.code == 0, first.text
    assert "startar ekonomi" in first.text and "startar volymer" in first.text
    return project


def _ran(outcome) -> set[str]:
    return {n for n in ("ekonomi", "volymer") if f"startar {n}" in outcome.text}


def test_nothing_changed_runs_nothing_and_changes_nothing(two_notebooks):
    before = two_notebooks.digest()
    again = two_notebooks.cli("run", PERIOD)
    assert again.code == 0, again.text
    assert _ran(again) == set()
    assert "Inget har ändrats sedan förra körningen" in again.text
    assert two_notebooks.digest() == before


def test_each_kind_of_input_reruns_what_reads_it(two_notebooks):
    p = two_notebooks
    comments = p.params / "kommentarer" / f"{PERIOD}.md"
    comments.write_text(comments.read_text(encoding="utf-8") + "\nEn mening till.\n", "utf-8")
    page = p.reports / PERIOD / "ekonomi.html"
    assert "En mening till." not in page.read_text(encoding="utf-8")
    tables = {f.name: f.read_bytes() for f in (p.reports / PERIOD / "tables").glob("*.csv")}
    outcome = p.cli("run", PERIOD)
    # Only the comments changed: nothing is computed again, the page gets the new text.
    assert outcome.code == 0 and _ran(outcome) == set(), outcome.text
    assert "sidorna skrivs om utan ny beräkning: ekonomi" in outcome.text
    assert "tas över: volymer" in outcome.text
    assert "En mening till." in page.read_text(encoding="utf-8")
    assert tables == {f.name: f.read_bytes() for f in (p.reports / PERIOD / "tables").glob("*.csv")}
    again = p.cli("run", PERIOD)
    assert again.code == 0 and "Inget har ändrats sedan förra körningen" in again.text

    notebook = p.root / "notebooks" / "volymer.ipynb"
    notebook.write_text(notebook.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    outcome = p.cli("run", PERIOD)
    assert outcome.code == 0 and _ran(outcome) == {"volymer"}, outcome.text

    (p.params / "kodnamn.yaml").write_text(
        (p.params / "kodnamn.yaml").read_text(encoding="utf-8") + "\n", encoding="utf-8"
    )
    outcome = p.cli("run", PERIOD)
    assert _ran(outcome) == {"ekonomi", "volymer"}, outcome.text  # a params file: both

    edit_lines(p.raw / "huvudbok_2024.csv", {3: lambda cells: [*cells[:7], "Ändrad text"]})
    outcome = p.cli("run", PERIOD)
    assert outcome.code == 0 and _ran(outcome) == {"ekonomi", "volymer"}, outcome.text  # data

    outcome = p.cli("run", PERIOD, "--force")
    assert _ran(outcome) == {"ekonomi", "volymer"}


def test_a_failed_run_leaves_no_stale_fingerprint(two_notebooks):
    from uppfoljning.run import runner

    p = two_notebooks
    comments = p.params / "kommentarer" / f"{PERIOD}.md"
    comments.write_text(comments.read_text(encoding="utf-8") + "\nÄndrad.\n", "utf-8")

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(runner, "write_workbook", full)
        failed = p.cli("run", PERIOD)
    assert failed.code == 1 and "disken är full" in failed.text
    retried = p.cli("run", PERIOD)
    assert retried.code == 0, retried.text
    assert "sidorna skrivs om utan ny beräkning: ekonomi" in retried.text
