"""Tests for uppfoljning.run.runner: layout, HTML pages, determinism, atomic replacement,
parallelism, re-running some notebooks (``keep_others``).

The fixture notebooks in fixtures/notebooks/ are tiny: they write one table and one or two
headlines, display a DataFrame (alfa also a small chart) and raise on purpose when a file
``fel_<name>`` exists in data_dir. Kernel "python3" is the test interpreter's own ipykernel.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import pytest
from nbconvert import HTMLExporter
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output
from openpyxl import load_workbook

from uppfoljning.present.html import export_html
from uppfoljning.run.runner import (
    NotebookFailed,
    ReportLocked,
    ReportOutputError,
    RunSummary,
    period_label,
    run_report,
)

FIXTURES = Path(__file__).parent / "fixtures" / "notebooks"
PERIOD = "2024-08"
NAMES = ["alfa", "beta"]
EXTRA = {"inputs": [{"file": "huvudbok_2024-08.csv", "sha256": "0" * 64}]}
# Outputs that must not change between runs with the same data (the manifest and the executed
# notebooks carry run times and paths by design).
DETERMINISTIC = re.compile(r"(index|alfa|beta)\.html|tables/.*|headlines/.*|.*\.xlsx")


@dataclass
class Run:
    root: Path
    data_dir: Path
    out_dir: Path
    summary: RunSummary
    messages: list[str]


def _run(
    root: Path,
    out_dir: Path,
    data_dir: Path,
    messages: list[str] | None = None,
    *,
    notebooks: list[str] = NAMES,
    keep_others: bool = False,
    notebooks_dir: Path = FIXTURES,
) -> RunSummary:
    return run_report(
        PERIOD,
        notebooks=notebooks,
        notebooks_dir=notebooks_dir,
        params_file=root / "params.yaml",
        data_dir=data_dir,
        out_dir=out_dir,
        manifest_extra=EXTRA,
        jobs=2,
        kernel_name="python3",
        progress=(messages.append if messages is not None else lambda _: None),
        keep_others=keep_others,
    )


def _project(first: Run, tmp_path: Path) -> Path:
    """A fresh project dir (params.yaml, empty data/) next to which a test writes reports/."""
    shutil.copy(first.root / "params.yaml", tmp_path / "params.yaml")
    (tmp_path / "data").mkdir()
    return tmp_path / "data"


def _manifest(report: Path) -> dict:
    return json.loads((report / "manifest.json").read_text(encoding="utf-8"))


def _snapshot(directory: Path) -> dict[str, bytes]:
    return {
        p.relative_to(directory).as_posix(): p.read_bytes()
        for p in sorted(directory.rglob("*"))
        if p.is_file()
    }


def _deterministic(directory: Path) -> dict[str, bytes]:
    return {k: v for k, v in _snapshot(directory).items() if DETERMINISTIC.fullmatch(k)}


@pytest.fixture(scope="module")
def first(tmp_path_factory: pytest.TempPathFactory) -> Run:
    root = tmp_path_factory.mktemp("projekt")
    (root / "params.yaml").write_text("period: 2024-08\n", encoding="utf-8")
    data_dir = root / "data"
    data_dir.mkdir()
    messages: list[str] = []
    summary = _run(root, root / "reports", data_dir, messages)
    return Run(root, data_dir, root / "reports", summary, messages)


class _Refs(HTMLParser):
    """Collects tags and every URL-like attribute of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.refs: list[tuple[str, str, str]] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        for name, value in attrs:
            if name in {"src", "href", "data", "srcset", "poster"} and value is not None:
                self.refs.append((tag, name, value))
            if name == "id" and value:
                self.ids.add(value)


def _assert_failed_layout(out_dir: Path, failed_dir: Path) -> None:
    """After beta failed: its notebook, log and summary kept aside; the report dir untouched."""
    assert sorted(p.name for p in failed_dir.iterdir()) == [
        "beta.ipynb",
        "beta.logg.txt",
        "fel.txt",
    ]
    assert sorted(p.name for p in out_dir.iterdir()) == [PERIOD, f"{PERIOD}-misslyckad"]


def test_period_label() -> None:
    assert period_label("2024-08") == "augusti 2024"
    assert period_label("2025-01") == "januari 2025"
    with pytest.raises(ValueError):
        period_label("2024-13")


def test_bad_arguments_fail_before_anything_is_written(tmp_path: Path) -> None:
    def attempt(**changes: object) -> None:
        kwargs: dict = {
            "notebooks": NAMES,
            "notebooks_dir": FIXTURES,
            "params_file": FIXTURES / "alfa.ipynb",  # any existing file
            "data_dir": tmp_path,
            "out_dir": tmp_path / "reports",
            "manifest_extra": {},
            "kernel_name": "python3",
        }
        kwargs.update(changes)
        run_report(str(kwargs.pop("period", PERIOD)), **kwargs)

    with pytest.raises(ValueError, match="ÅÅÅÅ-MM"):
        attempt(period="../2024-08")
    with pytest.raises(FileNotFoundError, match="saknas.ipynb"):
        attempt(notebooks=["alfa", "saknas"])
    with pytest.raises(ValueError, match="index"):
        attempt(notebooks=["index"])
    with pytest.raises(ValueError, match="manifest_extra"):
        attempt(manifest_extra={"versions": {}})
    with pytest.raises(FileNotFoundError, match="Parameterfilen"):
        attempt(params_file=tmp_path / "saknas.yaml")
    assert not (tmp_path / "reports").exists()


def test_report_layout_summary_and_manifest(first: Run) -> None:
    report = first.out_dir / PERIOD
    assert sorted(p.name for p in first.out_dir.iterdir()) == [PERIOD]  # no lock file left
    assert set(_snapshot(report)) == {
        "index.html",
        "alfa.html",
        "beta.html",
        f"uppfoljning_{PERIOD}.xlsx",
        "manifest.json",
        "executed/alfa.ipynb",
        "executed/beta.ipynb",
        "tables/alfa_ekonomi.csv",
        "tables/beta_volymer.csv",
        "excel/alfa_ekonomi.csv",
        "excel/beta_volymer.csv",
        "headlines/netto.json",
        "headlines/avvikelse.json",
        "headlines/brukare.json",
    }
    summary = first.summary
    assert summary.report_dir == report
    assert summary.table_ids == ("alfa_ekonomi", "beta_volymer")
    assert summary.html_files == {n: report / f"{n}.html" for n in NAMES}
    assert summary.titles == {"alfa": "Alfa – ekonomi", "beta": "Beta – volymer"}
    assert set(summary.durations) == set(NAMES)
    assert all(d > 0 for d in summary.durations.values())
    assert summary.xlsx.is_file() and summary.index_html.is_file()
    assert summary.kept == ()

    manifest = json.loads((report / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["period"] == PERIOD
    assert manifest["inputs"] == EXTRA["inputs"]
    assert manifest["notebook_parameters"] == {
        "period": PERIOD,
        "params_file": "../../params.yaml",
        "data_dir": "../../data",
        "output_dir": ".",
    }
    assert {"python", "pandas", "papermill", "nbconvert", "nbformat"} <= set(manifest["versions"])
    assert [n["name"] for n in manifest["notebooks"]] == NAMES
    assert manifest["jobs"] == 2
    written = {n["name"]: (n["tables"], n["headlines"]) for n in manifest["notebooks"]}
    assert written == {
        "alfa": (["alfa_ekonomi"], ["avvikelse", "netto"]),
        "beta": (["beta_volymer"], ["brukare"]),
    }
    assert not any(n["from_previous_run"] for n in manifest["notebooks"])
    assert manifest["tables"] == ["tables/alfa_ekonomi.csv", "tables/beta_volymer.csv"]
    assert manifest["html"] == ["index.html", "alfa.html", "beta.html"]
    times = manifest["tider"]  # the run times, all in one field
    assert times["started"] <= times["finished"]
    assert set(times["notebooks"]) == set(NAMES)
    assert not any("started" in n or "duration_seconds" in n for n in manifest["notebooks"])

    # The executed notebooks got the parameters, as absolute paths.
    executed = nbformat.read(report / "executed" / "beta.ipynb", as_version=4)
    injected = executed.cells[1]
    assert "injected-parameters" in injected.metadata["tags"]
    assert f'data_dir = "{first.data_dir}"' in injected.source

    text = "\n".join(first.messages)
    for name in NAMES:
        assert f"startar {name}" in text
        assert re.search(rf"klar {name} \(\d+,\d s\)", text)


def test_notebooks_run_in_parallel(first: Run) -> None:
    """With jobs=2 both notebooks are started before either is collected (no clock involved)."""
    assert _manifest(first.out_dir / PERIOD)["jobs"] == 2
    started = [i for i, m in enumerate(first.messages) if m.startswith("startar ")]
    finished = [i for i, m in enumerate(first.messages) if m.startswith(("klar ", "FEL i "))]
    assert len(started) == len(finished) == 2
    assert max(started) < min(finished), first.messages


@pytest.mark.parametrize("name", NAMES)
def test_html_pages_are_clean_self_contained_and_small(first: Run, name: str) -> None:
    page_path = first.out_dir / PERIOD / f"{name}.html"
    page = page_path.read_text(encoding="utf-8")
    assert '<html lang="sv">' in page
    assert "<title>" + first.summary.titles[name] + "</title>" in page

    # No code, no prompts, no papermill traces.
    for code in ("to_csv", "raise RuntimeError", "import json", "output_dir", "injected"):
        assert code not in page
    assert not re.search(r"In(&nbsp;|\s)\[|Out\[|jp-InputPrompt|jp-OutputPrompt", page)
    assert "papermill" not in page and "stderr" not in page

    # Self-contained: nothing is fetched from elsewhere; only plain links in text point out.
    refs = _Refs()
    refs.feed(page)
    assert "script" not in refs.tags and "link" not in refs.tags
    external = [r for r in refs.refs if re.match(r"(https?:)?//", r[2])]
    assert external == [("a", "href", "https://www.kolada.se/")]
    assert "@import" not in page and not re.search(r"url\(\s*['\"]?(https?:)?//", page)
    assert "<table" in page
    if name == "alfa":
        # A chart without a title or alt text of its own: "Diagram", not nbconvert's English.
        assert re.search(r'<img alt="Diagram"[^>]* src="data:image/png;base64,', page)

    # Table of contents at the top, in Swedish, pointing at the h1-h3 anchors.
    nav = re.search(r'<nav class="innehall".*?</nav>', page, re.S)
    assert nav and "Innehåll" in nav.group(0)
    assert nav.start() < page.index("<h1")
    hrefs = re.findall(r'href="#([^"]+)"', nav.group(0))
    headings = ["Tabell och nyckeltal", first.summary.titles[name]]
    assert all(h in nav.group(0) for h in headings)
    assert len(hrefs) == (3 if name == "alfa" else 2)
    assert all(h in refs.ids for h in hrefs)

    # Much smaller than nbconvert's default (lab template) export of the same notebook.
    executed = first.out_dir / PERIOD / "executed" / f"{name}.ipynb"
    default_html, _ = HTMLExporter().from_filename(str(executed))
    assert "https://" in default_html  # the default does reference CDNs (require.js, MathJax)
    assert page_path.stat().st_size < len(default_html.encode("utf-8")) / 4


def test_index_page(first: Run) -> None:
    page = first.summary.index_html.read_text(encoding="utf-8")
    assert '<html lang="sv">' in page and "<title>Uppföljning augusti 2024</title>" in page
    assert '<a href="alfa.html">Alfa – ekonomi</a>' in page
    assert '<a href="beta.html">Beta – volymer</a>' in page
    assert f'href="uppfoljning_{PERIOD}.xlsx"' in page
    assert 'href="tables/alfa_ekonomi.csv"' in page and 'href="tables/beta_volymer.csv"' in page
    # Headlines grouped by section, ordered by "order" within it.
    order = [page.index(s) for s in ("Ekonomi", "Nettokostnad", "Avvikelse mot budget", "Volymer")]
    assert order == sorted(order)
    assert "1 800,2 mnkr" in page and "−71,3 mnkr" in page and "1 234" in page
    refs = _Refs()
    refs.feed(page)
    assert "script" not in refs.tags and "link" not in refs.tags
    assert not [r for r in refs.refs if re.match(r"(https?:)?//", r[2])]


def test_workbook(first: Run) -> None:
    workbook = load_workbook(first.summary.xlsx)
    assert workbook.sheetnames == ["Innehåll", "alfa_ekonomi", "beta_volymer"]
    sheet = workbook["alfa_ekonomi"]
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    assert rows == [
        ["rad", "utfall", "antal"],
        ["Intäkter", -912.4, 1],
        ["Kostnader", 2712.6, 2],
        ["Netto", 1800.2, 3],
    ]
    assert all(c.font.b for c in sheet[1])
    assert workbook.properties.creator == "uppfoljning"


def test_export_ignores_run_specific_metadata(first: Run, tmp_path: Path) -> None:
    """Same notebook content, different cell ids and papermill timings: same bytes."""
    executed = first.out_dir / PERIOD / "executed" / "alfa.ipynb"
    nb = nbformat.read(executed, as_version=4)
    nb.metadata.papermill["start_time"] = "1999-01-01T00:00:00"
    for cell in nb.cells:
        cell.id = os.urandom(4).hex()
        cell.metadata.setdefault("papermill", {})["duration"] = 123.4
    other = tmp_path / "alfa.ipynb"
    nbformat.write(nb, other)
    export_html(other, tmp_path / "a.html", report_title="Uppföljning augusti 2024")
    export_html(executed, tmp_path / "b.html", report_title="Uppföljning augusti 2024")
    published = (first.out_dir / PERIOD / "alfa.html").read_bytes()
    assert (tmp_path / "a.html").read_bytes() == (tmp_path / "b.html").read_bytes() == published


def test_export_normalises_styler_ids_and_rejects_external_resources(tmp_path: Path) -> None:
    styled = '<style>#T_1a2b3_row0_col0 {color: red}</style><table id="T_1a2b3"></table>'
    cells = [
        new_markdown_cell("# Rubrik\n\n## Del\n\n## Del"),
        new_code_cell(
            "x",
            outputs=[
                new_output("display_data", data={"text/html": styled, "text/plain": "x"}),
                new_output("stream", name="stderr", text="UserWarning: brus\n"),
            ],
        ),
    ]
    nbformat.write(new_notebook(cells=cells), tmp_path / "stil.ipynb")
    assert export_html(tmp_path / "stil.ipynb", tmp_path / "stil.html") == "Rubrik"
    page = (tmp_path / "stil.html").read_text(encoding="utf-8")
    assert "1a2b3" not in page and 'id="T_tabell1"' in page and "#T_tabell1_row0_col0" in page
    assert "UserWarning" not in page
    assert 'href="#Del"' in page and 'href="#Del-2"' in page and 'id="Del-2"' in page

    cells = [new_markdown_cell('# Extern\n\n<img src="https://example.org/logga.png">')]
    nbformat.write(new_notebook(cells=cells), tmp_path / "extern.ipynb")
    with pytest.raises(ValueError, match="extern resurs"):
        export_html(tmp_path / "extern.ipynb", tmp_path / "extern.html")
    assert not (tmp_path / "extern.html").exists()


def test_second_run_is_byte_identical(first: Run, tmp_path: Path) -> None:
    shutil.copy(first.root / "params.yaml", tmp_path / "params.yaml")
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    summary = _run(tmp_path, tmp_path / "reports", data_dir)
    again = _deterministic(summary.report_dir)
    assert again == _deterministic(first.out_dir / PERIOD)
    assert len(again) == 9


def test_identical_runs_differ_only_in_the_run_times(first: Run) -> None:
    """Executed notebooks and the manifest too: a diff of two reports shows only `tider`."""
    report = first.out_dir / PERIOD
    before = _snapshot(report)
    _run(first.root, first.out_dir, first.data_dir)
    after = _snapshot(report)
    assert set(after) == set(before)
    changed = sorted(name for name in after if after[name] != before[name])
    assert changed == ["manifest.json"]
    old, new = json.loads(before["manifest.json"]), json.loads(after["manifest.json"])
    assert old["tider"] != new["tider"]
    assert {k: v for k, v in old.items() if k != "tider"} == {
        k: v for k, v in new.items() if k != "tider"
    }
    executed = nbformat.reads(after["executed/alfa.ipynb"].decode(), as_version=4)
    assert "start_time" not in executed.metadata["papermill"]
    assert all("execution" not in cell.metadata for cell in executed.cells)


def _command_line(process) -> str:
    import psutil

    try:
        return " ".join(process.cmdline())
    except psutil.Error:  # exited (or a zombie) while we looked
        return ""


@pytest.mark.skipif(os.name != "posix", reason="process groups and SIGKILL")
def test_killed_run_leaves_no_worker_or_kernel_behind(tmp_path: Path) -> None:
    import signal
    import subprocess
    import sys
    import time

    import psutil

    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    nb = new_notebook(
        cells=[new_code_cell("import time\nwhile True:\n    time.sleep(0.1)")],
        metadata={
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
            "language_info": {"name": "python"},
        },
    )
    nbformat.write(nb, notebooks / "vantar.ipynb")
    (tmp_path / "params.yaml").touch()
    (tmp_path / "data").mkdir()
    script = (
        "from pathlib import Path\nfrom uppfoljning.run.runner import run_report\n"
        f"root = Path({str(tmp_path)!r})\n"
        "run_report('2024-08', notebooks=['vantar'], notebooks_dir=root / 'notebooks', "
        "params_file=root / 'params.yaml', data_dir=root / 'data', out_dir=root / 'reports', "
        "manifest_extra={}, kernel_name='python3')\n"
    )
    runner = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        kernels: list[psutil.Process] = []
        while not kernels and runner.poll() is None and time.monotonic() < deadline:
            family = psutil.Process(runner.pid).children(recursive=True)
            kernels = [p for p in family if "ipykernel" in _command_line(p)]
            time.sleep(0.1)  # polling for the kernel to appear, bounded by the deadline
        assert kernels, "the notebook's kernel never started"
        family = psutil.Process(runner.pid).children(recursive=True)
        runner.send_signal(signal.SIGKILL)
        runner.wait()
        gone, alive = psutil.wait_procs(family, timeout=30)
        assert not alive, [_command_line(p) for p in alive]
    finally:
        if runner.poll() is None:
            runner.kill()
    assert not (tmp_path / "reports" / "2024-08").exists()


def test_failed_run_leaves_previous_report_untouched(first: Run, tmp_path: Path) -> None:
    shutil.copy(first.root / "params.yaml", tmp_path / "params.yaml")
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    out_dir = tmp_path / "reports"
    shutil.copytree(first.out_dir / PERIOD, out_dir / PERIOD)
    before = _snapshot(out_dir / PERIOD)
    failed_dir = out_dir / f"{PERIOD}-misslyckad"

    # One notebook fails: the other still runs to completion, nothing is published.
    (data_dir / "fel_beta").touch()
    messages: list[str] = []
    with pytest.raises(NotebookFailed) as caught:
        _run(tmp_path, out_dir, data_dir, messages)
    error = caught.value
    assert error.notebook == "beta" and len(error.failures) == 1
    assert error.previous_report == out_dir / PERIOD
    assert "Den tidigare rapporten för perioden" in str(error) and "är orörd" in str(error)
    assert (error.ename, error.evalue) == ("RuntimeError", "Avsiktligt fel i beta")
    assert error.cell_index == 3 and error.execution_count == 3
    assert error.cell_first_line == "from pathlib import Path"
    assert error.kept_notebook == failed_dir / "beta.ipynb"
    assert (
        "beta" in str(error)
        and "cell 3 (räknat från 0), In [3]" in str(error)
        and "RuntimeError" in str(error)
    )
    assert "klar alfa" in "\n".join(messages)
    assert _snapshot(out_dir / PERIOD) == before
    kept = nbformat.read(failed_dir / "beta.ipynb", as_version=4)
    assert any(o.get("ename") == "RuntimeError" for c in kept.cells for o in c.get("outputs", []))
    _assert_failed_layout(out_dir, failed_dir)

    # Both fail: both are reported at once and replace the earlier failure.
    (data_dir / "fel_alfa").touch()
    with pytest.raises(NotebookFailed) as caught:
        _run(tmp_path, out_dir, data_dir)
    assert [f.notebook for f in caught.value.failures] == NAMES
    assert {p.name for p in failed_dir.glob("*.ipynb")} == {"alfa.ipynb", "beta.ipynb"}
    assert "Avsiktligt fel i alfa" in (failed_dir / "fel.txt").read_text(encoding="utf-8")
    assert _snapshot(out_dir / PERIOD) == before

    # A later successful run replaces the report and removes the failed notebooks.
    for marker in data_dir.iterdir():
        marker.unlink()
    summary = _run(tmp_path, out_dir, data_dir)
    assert not failed_dir.exists()
    assert _deterministic(summary.report_dir) == _deterministic(first.out_dir / PERIOD)
    assert _snapshot(out_dir / PERIOD) != before  # new manifest and executed notebooks
    assert sorted(p.name for p in out_dir.iterdir()) == [PERIOD]


def test_only_rerun_keeps_the_other_notebooks(first: Run, tmp_path: Path) -> None:
    data_dir = _project(first, tmp_path)
    out_dir = tmp_path / "reports"
    report = out_dir / PERIOD
    shutil.copytree(first.out_dir / PERIOD, report)
    # What beta wrote last time but no longer writes goes; nothing of alfa's is touched.
    (report / "tables" / "beta_gammal.csv").write_text("rad,x\nA,1\n", encoding="utf-8")
    (report / "headlines" / "gammal.json").write_text("{}", encoding="utf-8")
    manifest = _manifest(report)
    manifest["notebooks"][1]["tables"].append("beta_gammal")
    manifest["notebooks"][1]["headlines"].append("gammal")
    (report / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    alfa_before = {
        k: v for k, v in _snapshot(report).items() if "alfa" in k or k.startswith("headlines/")
    }

    messages: list[str] = []
    summary = _run(tmp_path, out_dir, data_dir, messages, notebooks=["beta"], keep_others=True)
    assert "startar beta" in messages and "startar alfa" not in messages
    assert "Behåller alfa från den tidigare rapporten." in messages
    # Pages, tables, headlines, workbook and start page: byte-identical to a full run.
    assert _deterministic(report) == _deterministic(first.out_dir / PERIOD)
    assert len(_deterministic(report)) == 9
    after = _snapshot(report)
    assert {k: after[k] for k in alfa_before if k in after} == {
        k: v for k, v in alfa_before.items() if k != "headlines/gammal.json"
    }
    assert "headlines/gammal.json" not in after and "tables/beta_gammal.csv" not in after
    assert set(after) == set(_snapshot(first.out_dir / PERIOD))

    assert summary.kept == ("alfa",)
    assert set(summary.durations) == {"beta"}
    assert summary.titles == first.summary.titles
    assert summary.html_files == {n: report / f"{n}.html" for n in NAMES}
    assert summary.table_ids == first.summary.table_ids
    assert summary.headline_keys == first.summary.headline_keys
    new = _manifest(report)
    alfa, beta = new["notebooks"]
    assert alfa == {**manifest["notebooks"][0], "from_previous_run": True}
    assert beta["name"] == "beta" and beta["from_previous_run"] is False
    assert (beta["tables"], beta["headlines"]) == (["beta_volymer"], ["brukare"])
    full = _manifest(first.out_dir / PERIOD)
    for key in ("tables", "html", "headlines", "xlsx", "notebook_parameters"):
        assert new[key] == full[key], key
    assert new["jobs"] == 1

    # A failing --only run leaves the whole report as it was.
    (data_dir / "fel_beta").touch()
    before = _snapshot(report)
    with pytest.raises(NotebookFailed) as caught:
        _run(tmp_path, out_dir, data_dir, notebooks=["beta"], keep_others=True)
    assert caught.value.previous_report == report
    assert _snapshot(report) == before
    failed_dir = out_dir / f"{PERIOD}-misslyckad"
    _assert_failed_layout(out_dir, failed_dir)


def test_only_rerun_after_older_manifest_overwrites_same_names(first: Run, tmp_path: Path) -> None:
    """Without per-notebook tables/headlines in the manifest only the page and notebook go."""
    data_dir = _project(first, tmp_path)
    out_dir = tmp_path / "reports"
    report = out_dir / PERIOD
    shutil.copytree(first.out_dir / PERIOD, report)
    manifest = _manifest(report)
    for entry in manifest["notebooks"]:
        del entry["tables"], entry["headlines"], entry["from_previous_run"]
    (report / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    (report / "tables" / "beta_volymer.csv").write_text("rad,x\nGammal,1\n", encoding="utf-8")
    (report / "tables" / "beta_gammal.csv").write_text("rad,x\nA,1\n", encoding="utf-8")
    (report / "beta.html").write_text("gammal", encoding="utf-8")

    summary = _run(tmp_path, out_dir, data_dir, notebooks=["beta"], keep_others=True)
    assert summary.kept == ("alfa",)
    assert summary.table_ids == ("alfa_ekonomi", "beta_gammal", "beta_volymer")
    expected = _deterministic(first.out_dir / PERIOD)
    got = _deterministic(report)
    assert got.pop("tables/beta_gammal.csv") == b"rad,x\nA,1\n"
    for name in ("index.html", f"uppfoljning_{PERIOD}.xlsx"):  # they list beta_gammal too
        got.pop(name), expected.pop(name)
    assert got == expected
    alfa, beta = _manifest(report)["notebooks"]
    assert alfa["from_previous_run"] is True and "tables" not in alfa
    assert beta["tables"] == ["beta_volymer"] and beta["from_previous_run"] is False


def test_only_runs_without_previous_report(first: Run, tmp_path: Path) -> None:
    data_dir = _project(first, tmp_path)
    out_dir = tmp_path / "reports"
    (data_dir / "fel_alfa").touch()
    with pytest.raises(NotebookFailed) as caught:
        _run(tmp_path, out_dir, data_dir, notebooks=["alfa"], keep_others=True)
    error = caught.value
    assert error.previous_report is None
    assert "ingen rapport sedan tidigare" in str(error) and "orörd" not in str(error)
    assert "ingen rapport sedan tidigare" in (error.failed_dir / "fel.txt").read_text("utf-8")
    assert not (out_dir / PERIOD).exists()

    # Notebook by notebook, the report grows to what a full run gives.
    (data_dir / "fel_alfa").unlink()
    summary = _run(tmp_path, out_dir, data_dir, notebooks=["alfa"], keep_others=True)
    assert summary.kept == () and summary.table_ids == ("alfa_ekonomi",)
    assert '<a href="beta.html">' not in summary.index_html.read_text(encoding="utf-8")
    summary = _run(tmp_path, out_dir, data_dir, notebooks=["beta"], keep_others=True)
    assert summary.kept == ("alfa",)
    assert _deterministic(out_dir / PERIOD) == _deterministic(first.out_dir / PERIOD)
    assert not (out_dir / f"{PERIOD}-misslyckad").exists()


def test_table_written_by_two_notebooks_is_refused(first: Run, tmp_path: Path) -> None:
    data_dir = _project(first, tmp_path)
    notebooks_dir = tmp_path / "notebooks"
    notebooks_dir.mkdir()
    for name in ("alfa", "gamma"):  # gamma is a copy of alfa: same table and headlines
        shutil.copy(FIXTURES / "alfa.ipynb", notebooks_dir / f"{name}.ipynb")
    out_dir = tmp_path / "reports"
    with pytest.raises(ReportOutputError, match="alfa_ekonomi skrivs av både alfa och gamma"):
        _run(tmp_path, out_dir, data_dir, notebooks=["alfa", "gamma"], notebooks_dir=notebooks_dir)
    assert sorted(p.name for p in out_dir.iterdir()) == []

    # Also against a notebook kept from the previous report.
    shutil.copytree(first.out_dir / PERIOD, out_dir / PERIOD)
    before = _snapshot(out_dir / PERIOD)
    with pytest.raises(ReportOutputError, match="skrivs av både alfa och gamma"):
        _run(
            tmp_path,
            out_dir,
            data_dir,
            notebooks=["gamma"],
            keep_others=True,
            notebooks_dir=notebooks_dir,
        )
    assert _snapshot(out_dir / PERIOD) == before


@pytest.mark.skipif(os.name != "posix", reason="the period lock uses fcntl")
def test_concurrent_run_of_same_period_is_refused(tmp_path: Path) -> None:
    import fcntl

    (tmp_path / "params.yaml").touch()
    out_dir = tmp_path / "reports"
    out_dir.mkdir()
    with open(out_dir / f".{PERIOD}.lock", "a+b") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        with pytest.raises(ReportLocked):
            _run(tmp_path, out_dir, tmp_path)
    assert sorted(p.name for p in out_dir.iterdir()) == [f".{PERIOD}.lock"]


# A stand-in worker speaking the pool's protocol: one job per line on stdin, the result next to
# the job's log. Its first result fails with argv[2]; argv[3] = "dies" exits mid-job instead.
FAKE_WORKER = """
import json, os, sys
from pathlib import Path
count = Path(sys.argv[1])
for line in sys.stdin:
    job = json.loads(line)["job"]
    n = int(count.read_text()) + 1 if count.exists() else 1
    count.write_text(str(n))
    if n == 1 and sys.argv[3] == "dies":
        os._exit(3)
    failure = {"stage": "körning", "ename": "RuntimeError", "evalue": sys.argv[2]}
    result = {"name": job["name"], "ok": n > 1, "failure": {} if n > 1 else failure}
    Path(job["log_path"]).with_suffix(".resultat.json").write_text(json.dumps(result))
"""


def _fake_pool(monkeypatch, tmp_path: Path, evalue: str, mode: str = "") -> Path:
    import sys

    from uppfoljning.run import workers

    count = tmp_path / "jobb.txt"
    monkeypatch.setattr(
        workers.WorkerPool,
        "_command",
        lambda self, own_log: [sys.executable, "-c", FAKE_WORKER, str(count), evalue, mode],
    )
    return count


def _job(tmp_path: Path, name: str):
    from uppfoljning.run import workers

    log = str(tmp_path / f"{name}.txt")
    return workers.Job(name, "", "", "", log, {}, "python3", str(tmp_path), "")


@pytest.mark.parametrize(
    ("evalue", "starts"),
    [("Kernel died before replying to kernel_info", 2), ("NameError: x", 1)],
    ids=["karnan-startade-inte", "fel-i-notebooken"],
)
def test_a_kernel_that_did_not_start_is_started_once_more(tmp_path, monkeypatch, evalue, starts):
    """jupyter_client can lose a port race when two kernels start at once; nothing ran then."""
    from uppfoljning.run import workers

    count = _fake_pool(monkeypatch, tmp_path, evalue)
    messages: list[str] = []
    results = workers.execute_all([_job(tmp_path, "alfa")], 1, messages.append)
    assert int(count.read_text()) == starts
    assert results["alfa"].ok is (starts == 2)


def test_a_worker_that_dies_fails_its_notebook_and_the_next_runs(tmp_path, monkeypatch):
    """A dead worker costs only its own notebook: a new worker takes the next one."""
    from uppfoljning.run import workers

    count = _fake_pool(monkeypatch, tmp_path, "", mode="dies")
    jobs = [_job(tmp_path, "alfa"), _job(tmp_path, "beta")]
    results = workers.execute_all(jobs, 1, lambda _: None)
    assert results["alfa"].ok is False
    assert results["alfa"].failure["ename"] == "Processfel"
    assert "kod 3" in results["alfa"].failure["evalue"]
    assert results["beta"].ok is True
    assert int(count.read_text()) == 2


def test_a_warm_kernel_leaves_no_trace_in_the_notebook(tmp_path):
    """The pool's kernels have imported pandas before the notebook starts, silently: the
    notebook's first cell is execution 1 and its namespace holds nothing of the warm-up."""
    from uppfoljning.run import workers

    source = tmp_path / "spar.ipynb"
    cell = (
        "import sys\n"
        "print(sorted(n for n in dir() if 'uppfoljning' in n or n in ('pandas', 'matplotlib')))\n"
        "print('pandas' in sys.modules)"
    )
    nbformat.write(
        new_notebook(
            cells=[new_code_cell(cell)],
            metadata={"kernelspec": {"name": "python3", "display_name": "Python 3"}},
        ),
        source,
    )
    job = workers.Job(
        "spar",
        str(source),
        str(tmp_path / "ut.ipynb"),
        str(tmp_path / "ut.html"),
        str(tmp_path / "spar.txt"),
        {},
        "python3",
        str(tmp_path),
        "",
    )
    results = workers.execute_all([job], 1, lambda _: None)
    assert results["spar"].ok, results["spar"].failure
    executed = nbformat.read(tmp_path / "ut.ipynb", as_version=4).cells[0]
    assert executed.execution_count == 1
    assert executed.outputs[0]["text"] == "[]\nTrue\n"


def test_a_worker_loads_no_plotting_and_no_iri_parser():
    """A worker's imports stay lean: matplotlib only in kernels, and jsonschema's second-long
    rfc3987_syntax import (through papermill and nbformat) left out."""
    import subprocess
    import sys

    code = (
        "import sys\nimport uppfoljning.run.workers, papermill, nbformat, jsonschema\n"
        "print('matplotlib' in sys.modules, sys.modules.get('rfc3987_syntax', 'saknas'))"
    )
    printed = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.split()
    assert printed == ["False", "None"]


def test_the_checks_before_a_run_load_no_plotting_and_no_document_builder(demo_data):
    """An unchanged re-run is only these checks: they read every params file with its loader
    but import neither matplotlib nor the document's builder (half a second of a re-run)."""
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[1]
    code = (
        "import sys\nfrom pathlib import Path\n"
        "from uppfoljning.data.config import load_period_params\n"
        "from uppfoljning.run.preflight import check_period\n"
        f"root = Path({str(root)!r})\n"
        "params = load_period_params(root / 'params' / '2024-08.yaml')\n"
        f"result = check_period(params, Path({str(demo_data / 'processed')!r}),"
        " notebooks_dir=root / 'notebooks')\n"
        "print(result.errors == [], 'matplotlib' in sys.modules,"
        " 'uppfoljning.document.build' in sys.modules)"
    )
    printed = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=root
    ).stdout.split()
    assert printed == ["True", "False", "False"]
