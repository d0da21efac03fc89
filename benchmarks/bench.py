"""The suite's benchmarks: wall time and peak memory per case, printed and kept in results.json.

Every case runs in a process of its own; its peak resident memory is read from `os.wait4`
(the largest of the process and the processes it waited for: notebook workers and kernels).
The figures to quote are the ratios: the first run against the floor (four import-only
notebooks through the papermill and nbconvert command lines, one after the other: the issue's
measure of the old design), ingest against a bare pyarrow read of the same file in the same
run (each `--reps` times, alternating, fresh processes; medians), a re-run against the first
run. `benchmarks/phases.py` splits each notebook's time into kernel start, imports, cells and
export. Run with `make bench` (a few minutes).

    python benchmarks/bench.py [--lines 1000000 10000000] [--reps 5] [--out benchmarks/results.json]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PERIOD = "2024-08"
HEADER = ["period", "ansvar", "verksamhet", "konto", "belopp", "motpart", "projekt", "text"]

# Code run in the child process of a case; it prints the seconds of the measured part.
BARE_READ = f"""
import sys, time
import pyarrow as pa, pyarrow.csv as pacsv
header = {HEADER!r}
start = time.perf_counter()
table = pacsv.read_csv(
    sys.argv[1],
    read_options=pacsv.ReadOptions(column_names=header, skip_rows=1, block_size=1 << 24),
    parse_options=pacsv.ParseOptions(delimiter=";", newlines_in_values=True),
    convert_options=pacsv.ConvertOptions(
        column_types={{h: pa.string() for h in header}},
        strings_can_be_null=False,
        quoted_strings_can_be_null=False,
    ),
)
print(time.perf_counter() - start, table.num_rows)
"""
# The ingest call as `uppfoljning run` and `uppfoljning ingest` make it: in a process that has
# imported the command line (and with it pandas, which pyarrow imports on first converting a
# Python value); the bare read's process imports only pyarrow.
INGEST = """
import sys, time
from pathlib import Path
import uppfoljning.run.cli
from uppfoljning.data.ingest import ingest
from uppfoljning.data.overlaps import DuplicateRules
start = time.perf_counter()
result = ingest(Path(sys.argv[1]), Path(sys.argv[2]), ["huvudbok"], force=True,
                rules=DuplicateRules())
print(time.perf_counter() - start, result.datasets["huvudbok"]["rows"])
"""
# The floor of the design the issue measured: each notebook reduced to its parameters cell and
# its imports (the package's and what every notebook loads), executed by the papermill CLI and
# exported by the nbconvert CLI, one process each, one notebook after the other.
FLOOR = """
import subprocess, sys
from pathlib import Path
import nbformat
notebooks, work, period = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
bin_dir = Path(sys.executable).parent
for name in ("ekonomi", "volymer", "hvb_placeringar", "r9_jamforelser"):
    nb = nbformat.read(notebooks / f"{name}.ipynb", as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    imports = [l for l in code[1].source.splitlines() if l.startswith(("import ", "from "))]
    imports.append("import pandas, pyarrow.parquet, matplotlib.pyplot")
    bare = nbformat.v4.new_notebook(metadata=nb.metadata)
    bare.cells = [code[0], nbformat.v4.new_code_cell("\\n".join(imports))]
    source, executed = work / f"{name}.ipynb", work / f"{name}_kord.ipynb"
    nbformat.write(bare, source)
    subprocess.run([bin_dir / "papermill", "-k", "uppfoljning", "--no-progress-bar",
                    "-p", "period", period, str(source), str(executed)], check=True,
                   capture_output=True)
    subprocess.run([bin_dir / "jupyter", "nbconvert", "--to", "html", str(executed)],
                   check=True, capture_output=True)
"""
GENERATE = """
import sys
from uppfoljning.demo.big_ledger import write_big_ledger
write_big_ledger(sys.argv[1], int(sys.argv[2]), seed=int(sys.argv[3]))
"""


def measure(args: list[str], *, env: dict | None = None, cwd: Path | None = None) -> dict:
    """Run one case in a process of its own: wall seconds, peak RSS (MB), its last line."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        start = time.perf_counter()
        proc = subprocess.Popen(args, cwd=cwd, env=env, stdout=out, stderr=err, text=True)
        _, status, usage = os.wait4(proc.pid, 0)  # the child's own usage, with its children's
        seconds = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        printed, errors = out.read(), err.read()
    if proc.returncode:
        raise SystemExit(
            f"fallet misslyckades: {' '.join(args)}\n{printed[-2000:]}\n{errors[-4000:]}"
        )
    lines = printed.strip().splitlines()
    return {
        "seconds": seconds,
        "peak_mb": usage.ru_maxrss / 1024,
        "last": lines[-1] if lines else "",
    }


def cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "uppfoljning.run.cli", *args]


def project_copy(base: Path, name: str) -> Path:
    """params/, notebooks/, the demo raw data and a snapshot of the library in a fresh
    directory (nothing processed). The run fingerprints the library's code, so the copy keeps
    an edit made elsewhere in the checkout during the benchmark from counting as a change."""
    root = base / name
    for part in ("params", "notebooks"):
        shutil.copytree(ROOT / part, root / part)
    shutil.copytree(ROOT / "data" / "raw", root / "data" / "raw")
    ignore = shutil.ignore_patterns("__pycache__", "*.egg-info")
    shutil.copytree(ROOT / "lib", root / "lib", symlinks=True, ignore=ignore)
    return root


def env_for(root: Path) -> dict:
    """The case's environment: its project and its library snapshot (kernels inherit it)."""
    return {
        **os.environ,
        "UPPFOLJNING_HOME": str(root),
        "PYTHONPATH": str(root / "lib"),
        "PYTHONUNBUFFERED": "1",
    }


def page_sizes(report: Path) -> dict[str, int]:
    return {
        p.name: p.stat().st_size for p in sorted(report.glob("*")) if p.suffix in {".html", ".pdf"}
    }


def run(lines: list[int], out: Path, reps: int = 5) -> dict:
    if not (ROOT / "data" / "raw" / "huvudbok_2024.csv").exists():
        subprocess.run(cli("demo", "--if-empty"), cwd=ROOT, check=True)
    results: dict[str, dict] = {}
    with tempfile.TemporaryDirectory(prefix="uppfoljning-bench-") as tmp:
        base = Path(tmp)
        # -- the demo report: first run, unchanged re-run, a comment changed
        root = project_copy(base, "projekt")
        env = env_for(root)
        results["rapport_forsta"] = measure(cli("run", PERIOD, "--force"), env=env, cwd=root)
        results["rapport_oforandrad"] = measure(cli("run", PERIOD), env=env, cwd=root)
        comments = root / "params" / "kommentarer" / f"{PERIOD}.md"
        text = comments.read_text(encoding="utf-8").splitlines()
        index = next(i for i, line in enumerate(text) if line.strip() and not line.startswith("#"))
        text[index] += " (ändrad)"
        comments.write_text("\n".join(text) + "\n", encoding="utf-8")
        results["rapport_kommentar"] = measure(cli("run", PERIOD), env=env, cwd=root)
        sizes = page_sizes(root / "reports" / PERIOD)
        floor = base / "golv"
        floor.mkdir()
        results["golv"] = measure(
            [sys.executable, "-c", FLOOR, str(root / "notebooks"), str(floor), PERIOD],
            env=env,
            cwd=root,
        )
        # -- where a notebook's time goes (kernel start, imports, cells, export)
        phases = measure(
            [sys.executable, str(ROOT / "benchmarks" / "phases.py"), str(root)], env=env, cwd=root
        )
        results["faser"] = {"seconds": phases["seconds"], "peak_mb": phases["peak_mb"]}
        notebook_phases = json.loads(phases["last"])
        # -- ingest of generated ledgers against a bare pyarrow read of the same file
        for count in lines:
            label = _label(count)
            raw = base / f"rad{label}" / "raw"
            raw.mkdir(parents=True)
            ledger = raw / "huvudbok_2024.csv"
            measure([sys.executable, "-c", GENERATE, str(ledger), str(count), "1"], env=env)
            cases = {
                f"pyarrow_{label}": [sys.executable, "-c", BARE_READ, str(ledger)],
                f"ingest_{label}": [sys.executable, "-c", INGEST, str(raw), str(raw.parent / "p")],
            }
            # The two one after the other, `reps` times, each in a fresh process: on a shared
            # 2-core machine one run of either varies by a third, the median of several less.
            runs: dict[str, list[dict]] = {case: [] for case in cases}
            for _ in range(reps):
                for case, args in cases.items():
                    runs[case].append(measure(args, env=env))
            for case, measured in runs.items():
                inner = [float(m["last"].split()[0]) for m in measured]
                results[case] = {
                    "seconds": statistics.median(m["seconds"] for m in measured),
                    "inner_seconds": statistics.median(inner),
                    "inner_min": min(inner),
                    "inner_max": max(inner),
                    "peak_mb": max(m["peak_mb"] for m in measured),
                    "file_mb": ledger.stat().st_size / 1e6,
                    "runs": len(measured),
                }
        # -- the economy notebook on the biggest ledger (ingest included)
        biggest = max(lines)
        big = project_copy(base, "stor")
        shutil.move(
            base / f"rad{_label(biggest)}" / "raw" / "huvudbok_2024.csv",
            big / "data" / "raw" / "huvudbok_2024.csv",
        )
        _economy_only(big)
        results[f"ekonomi_{_label(biggest)}"] = measure(
            cli("run", PERIOD, "--only", "ekonomi", "--force"), env=env_for(big), cwd=big
        )
    for case in results.values():
        case.pop("last", None)
    ratios = _ratios(results, lines)
    report = {
        "maskin": {
            "processorer": os.cpu_count(),
            "python": platform.python_version(),
            "plattform": platform.platform(),
        },
        "datum": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "fall": {k: {m: round(v, 3) for m, v in d.items()} for k, d in results.items()},
        "kvoter": {k: round(v, 3) for k, v in ratios.items()},
        "sidor_byte": sizes,
        "faser_s": notebook_phases,
    }
    out.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    _print(report)
    return report


def _economy_only(root: Path) -> None:
    """The period file without the committee document (it needs all four notebooks)."""
    path = root / "params" / f"{PERIOD}.yaml"
    kept = [
        line
        for line in path.read_text(encoding="utf-8").splitlines()
        if not line.startswith(("dokument:", "kommentarer:"))
    ]
    path.write_text("\n".join(kept) + "\n", encoding="utf-8")


def _label(count: int) -> str:
    return f"{count // 1_000_000}M" if count % 1_000_000 == 0 else str(count)


def _ratios(results: dict[str, dict], lines: list[int]) -> dict[str, float]:
    first = results["rapport_forsta"]["seconds"]
    out = {
        "forsta_mot_golv": first / results["golv"]["seconds"],
        "oforandrad_mot_forsta": results["rapport_oforandrad"]["seconds"] / first,
        "kommentar_mot_forsta": results["rapport_kommentar"]["seconds"] / first,
    }
    for count in lines:
        label = _label(count)
        ingest, bare = results[f"ingest_{label}"], results[f"pyarrow_{label}"]
        out[f"ingest_mot_pyarrow_tid_{label}"] = ingest["inner_seconds"] / bare["inner_seconds"]
        out[f"ingest_mot_pyarrow_minne_{label}"] = ingest["peak_mb"] / bare["peak_mb"]
    return out


def _print(report: dict) -> None:
    print(f"{'fall':<26}{'tid (s)':>10}{'mätt del (s)':>14}{'toppminne (MB)':>16}")
    for name, case in report["fall"].items():
        inner = case.get("inner_seconds")
        inner_text = f"{inner:>14.2f}" if inner is not None else f"{'':>14}"
        spread = (
            f"  ({case['inner_min']:.2f}–{case['inner_max']:.2f}, {case['runs']:.0f} körningar)"
            if "runs" in case
            else ""
        )
        print(f"{name:<26}{case['seconds']:>10.2f}{inner_text}{case['peak_mb']:>16.0f}{spread}")
    print()
    for name, value in report["kvoter"].items():
        print(f"{name:<36}{value:>8.2f}")
    print()
    for name, parts in report["faser_s"].items():
        print(f"{name:<22}" + "  ".join(f"{p} {v:.1f}" for p, v in parts.items()))
    print()
    for name, size in report["sidor_byte"].items():
        print(f"{name:<36}{size / 1024:>8.0f} kB")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Mät rapportkörning och inläsning.")
    parser.add_argument("--lines", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results.json")
    parser.add_argument(
        "--reps", type=int, default=5, help="körningar av varje inläsningsfall (medianen räknas)"
    )
    args = parser.parse_args(argv)
    if args.reps < 1 or min(args.lines) < 1:
        parser.error("--reps och --lines måste vara minst 1")
    run(args.lines, args.out, args.reps)
    return 0


if __name__ == "__main__":
    sys.exit(main())
