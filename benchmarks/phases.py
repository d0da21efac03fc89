"""Where a notebook's time goes, as a worker spends it: interpreter and imports, kernel start,
the notebook's first code cell (`import uppfoljning`, `open_period`), the other cells, and the
HTML export.

Run inside a project whose data are ingested (bench.py runs it after the first report):

    python benchmarks/phases.py PROJECT [NOTEBOOK ...]

Prints one JSON line: {notebook: {phase: seconds}} plus the worker's own start-up.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

START = time.perf_counter()

# What a worker imports, in its order (the package first: it keeps jsonschema's slow optional
# import out of papermill's).
import uppfoljning.run.workers  # noqa: E402, F401, I001 - the imports are what is measured

import nbformat  # noqa: E402
import papermill  # noqa: E402

from uppfoljning.present.html import export_html  # noqa: E402

IMPORTS = time.perf_counter() - START
PERIOD = "2024-08"
NOTEBOOKS = ("ekonomi", "volymer", "hvb_placeringar", "r9_jamforelser")


def _seconds(start: str, end: str) -> float:
    return (datetime.fromisoformat(end) - datetime.fromisoformat(start)).total_seconds()


def phases(project: Path, name: str, work: Path) -> dict[str, float]:
    """Run one notebook as a worker does and split its time by papermill's cell stamps."""
    output = work / name
    for sub in ("tables", "headlines", "figures", "views"):
        (output / sub).mkdir(parents=True, exist_ok=True)
    executed = work / f"{name}.ipynb"
    start = time.perf_counter()
    papermill.execute_notebook(
        str(project / "notebooks" / f"{name}.ipynb"),
        str(executed),
        parameters={
            "period": PERIOD,
            "params_file": str(project / "params" / f"{PERIOD}.yaml"),
            "data_dir": str(project / "data" / "processed"),
            "output_dir": str(output),
        },
        kernel_name="uppfoljning",
        cwd=str(project / "notebooks"),
        progress_bar=False,
        log_output=False,
    )
    executing = time.perf_counter() - start
    nb = nbformat.read(executed, as_version=4)
    stamps = [
        c.metadata["papermill"]
        for c in nb.cells
        if c.cell_type == "code" and c.metadata.get("papermill", {}).get("start_time")
    ]
    begun = nb.metadata["papermill"]["start_time"]
    kernel = _seconds(begun, stamps[0]["start_time"])
    # The first code cells up to and including the one that opens the period: imports.
    opening = next(
        (
            i
            for i, c in enumerate(c for c in nb.cells if c.cell_type == "code")
            if "open_period" in c.source
        ),
        0,
    )
    first = sum(s.get("duration") or 0.0 for s in stamps[: opening + 1])
    cells = sum(s.get("duration") or 0.0 for s in stamps)
    start = time.perf_counter()
    export_html(executed, work / f"{name}.html", source_dir=project / "notebooks")
    export = time.perf_counter() - start
    return {
        "karnstart": kernel,
        "import_och_open_period": first,
        "ovriga_celler": cells - first,
        "papermill_ovrigt": executing - kernel - cells,
        "export_html": export,
        "totalt": executing + export,
    }


def main(argv: list[str]) -> int:
    project = Path(argv[0])
    names = argv[1:] or list(NOTEBOOKS)
    with tempfile.TemporaryDirectory(prefix="uppfoljning-faser-") as tmp:
        out = {n: phases(project, n, Path(tmp)) for n in names}
    out["arbetsprocess_import"] = {"totalt": IMPORTS}
    print(json.dumps({k: {p: round(s, 3) for p, s in v.items()} for k, v in out.items()}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
