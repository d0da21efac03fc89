"""Command line: `uppfoljning init | demo | ingest | check | run | ny-period | kolada refresh`.

Messages are Swedish (controllers read them); exit codes: 0 ok, 1 failed run or bad input,
2 wrong usage.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import hashlib
import json
import os
import re
import sys
import time
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from uppfoljning.data.config import (
    ParamsError,
    PeriodParams,
    latest_period,
    load_period_params,
    project_root,
)
from uppfoljning.data.ingest import SCHEMAS, IngestError, ingest
from uppfoljning.data.overlaps import load_rules
from uppfoljning.peers.kolada import KoladaError
from uppfoljning.present.changes import comparison_digest
from uppfoljning.present.formatting import format_number
from uppfoljning.run.console import notebook_progress, reading_progress
from uppfoljning.run.fingerprint import fingerprints
from uppfoljning.run.preflight import PreflightError, check_period
from uppfoljning.run.project import ProjectExists, init_project, notebooks_dir

if TYPE_CHECKING:
    from uppfoljning.run.workers import WorkerPool


def _paths(args: argparse.Namespace) -> tuple[Path, Path, Path]:
    root = project_root()
    data = Path(args.data).resolve() if getattr(args, "data", None) else root / "data"
    return root, data / "raw", data / "processed"


def _require_raw(args: argparse.Namespace, raw: Path) -> None:
    """A mistyped --data would otherwise create an empty processed/ and report on nothing."""
    if getattr(args, "data", None) and not raw.is_dir():
        raise FileNotFoundError(
            f"--data {args.data}: katalogen har ingen raw/ (ange datakatalogen som innehåller "
            "raw/ och processed/, t.ex. data)"
        )


def cmd_demo(args: argparse.Namespace) -> int:
    from uppfoljning.demo.suite import write_demo_suite

    out = Path(args.out) if args.out else _paths(args)[1]
    if (
        args.if_empty
        and out.is_dir()
        and any(p for p in out.iterdir() if p.name != "README.md" and not p.name.startswith("."))
    ):
        print(f"{out} innehåller redan data; inga demodata skrevs.")
        return 0
    started = time.perf_counter()
    files = write_demo_suite(out)
    print(f"Skrev {len(files)} demofiler till {out} ({time.perf_counter() - started:.1f} s).")
    return 0


def _ingest(raw: Path, processed: Path, params_dir: Path, force: bool = False, stage: bool = False):
    rules = load_rules(params_dir)
    with warnings.catch_warnings(record=True) as caught, reading_progress() as reading:
        warnings.simplefilter("always")
        result = ingest(raw, processed, force=force, rules=rules, stage=stage, reading=reading)
    empty = [n for n, d in result.datasets.items() if not d["files"]]
    for w in result.warnings + [str(c.message) for c in caught]:
        if not w.endswith("(tom datamängd)"):
            print(f"  varning: {w}")
    for name, info in result.datasets.items():
        if info["files"]:
            state = "oförändrad" if info.get("skipped") else f"{info['rows']} rader inlästa"
            if info.get("kept"):
                continue  # the warning above already says it is kept
            print(f"  {name}: {state}")
    if empty:
        print(f"  saknas i {raw.name}/ (tomma): {', '.join(empty)}")
    return result


def cmd_ingest(args: argparse.Namespace) -> int:
    root, raw, processed = _paths(args)
    _require_raw(args, raw)
    print(f"Läser in {raw} → {processed}")
    _ingest(raw, processed, root / "params", force=args.force)
    return 0


def _writable(out: Path) -> None:
    """Fail before any work when the report directory cannot be written (read-only, full)."""
    out.mkdir(parents=True, exist_ok=True)
    probe = out / f".skrivtest-{os.getpid()}"
    try:
        probe.write_bytes(b"x" * 65536)
    finally:
        probe.unlink(missing_ok=True)


def cmd_run(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    root, raw, processed = _paths(args)
    params_file = (
        Path(args.params).resolve() if args.params else root / "params" / f"{args.period}.yaml"
    )
    params = load_period_params(params_file, period=args.period)
    _require_raw(args, raw)
    notebooks = list(args.only or params.notebooks)
    source = notebooks_dir(root)
    unknown = [n for n in notebooks if not (source / f"{n}.ipynb").is_file()]
    if unknown:
        raise ParamsError(params_file, [f"notebook saknas: {source / n}.ipynb" for n in unknown])
    shown = params_file.relative_to(root) if params_file.is_relative_to(root) else params_file
    print(f"Parametrar: {shown} ✓")
    out = Path(args.out).resolve() if args.out else root / "reports"
    _writable(out)
    with _warm_pool(args, out / args.period, notebooks, source) as pool:
        return _run_checked(args, params, params_file, notebooks, source, out, pool, started)


def _warm_pool(
    args: argparse.Namespace, report: Path, notebooks: list[str], source: Path
) -> contextlib.AbstractContextManager[WorkerPool | None]:
    """The workers, started now when notebooks will surely run (forced, `--only`, no report
    yet), so their imports and kernels start while the inputs are checked; else None and the
    run starts its own pool once it knows what to run."""
    if not (args.force or args.only or not (report / "manifest.json").is_file()):
        return contextlib.nullcontext(None)
    from uppfoljning.run.workers import WorkerPool, default_kernel

    size = min(args.jobs or os.cpu_count() or 1, len(notebooks))
    if size < 1:
        return contextlib.nullcontext(None)
    return WorkerPool(size, kernel_name=default_kernel(), cwd=str(source.resolve()))


def _run_checked(
    args: argparse.Namespace,
    params: PeriodParams,
    params_file: Path,
    notebooks: list[str],
    source: Path,
    out: Path,
    pool: WorkerPool | None,
    started: float,
) -> int:
    """`run` after the arguments: ingest, check, decide what to run, run, summarise."""
    from uppfoljning.run.runner import NotebookFailed, ReportError, run_report

    root, raw, processed = _paths(args)
    print(f"Läser in {raw}")
    # New data are checked before they replace the old: a refused run leaves processed/ as it was.
    result = _ingest(raw, processed, params_file.parent, stage=True)
    try:
        check = check_period(params, processed, notebooks, locate=result.path, notebooks_dir=source)
    except BaseException:
        result.discard()
        raise
    if not check.ok:
        result.discard()
        raise PreflightError(check)
    result.commit()
    # The start page compares with the previous report: when that changed, rebuild this one.
    basis = comparison_digest(out, args.period, params.previous_forecast)
    prints, computations = (
        {
            n: hashlib.sha256(f"{p}{basis}".encode()).hexdigest()
            for n, p in fingerprints(params, notebooks, source, processed, comments=c).items()
        }
        for c in (True, False)
    )
    rerun, reused, rerender = _changed_notebooks(
        out / args.period, notebooks, prints, computations, args
    )
    if rerender:
        print(
            f"Bara kommentarerna har ändrats, sidorna skrivs om utan ny beräkning: "
            f"{', '.join(rerender)}"
        )
    if not rerun and not rerender:
        print(
            f"\nInget har ändrats sedan förra körningen ({', '.join(reused)} oförändrade); "
            f"rapporten {out / args.period} gäller. Kör med --force för att bygga om den."
        )
        return 0
    if reused:
        print(f"Oförändrade sedan förra körningen, tas över: {', '.join(reused)}")
    extra = {
        "parametrar": params.as_manifest(),
        "parameterfil": str(params_file),
        "indata": result.inputs,
        "demodata": result.demo,
    }
    try:
        with notebook_progress() as progress:
            summary = run_report(
                args.period,
                notebooks=rerun,
                rerender=rerender,
                notebooks_dir=source,
                params_file=params_file,
                data_dir=processed,
                out_dir=out,
                manifest_extra=extra,
                jobs=args.jobs,
                progress=progress,
                # --only refreshes some notebooks and keeps the rest; so do unchanged notebooks
                keep_others=bool(args.only or reused or rerender),
                fingerprints=prints,
                computations=computations,
                pool=pool,
            )
    except NotebookFailed as exc:
        if exc.previous_report is not None:
            previous = exc.previous_report
            print(f"\nKörningen misslyckades; den tidigare rapporten i {previous} är orörd.")
        else:
            print("\nKörningen misslyckades; ingen rapport publicerades.")
        print(str(exc), file=sys.stderr)
        return 1
    except ReportError as exc:
        print(f"Fel: {exc}", file=sys.stderr)
        return 1
    if "ekonomi" in rerun:  # stray ledger lines belong on the console, not only in the page
        from uppfoljning.economy import unclassified_summary

        for line in unclassified_summary(params_file, processed):
            print(line)
    seconds = time.perf_counter() - started
    kept = f" ({', '.join(summary.kept)} från föregående körning)" if summary.kept else ""
    print(f"\nKlart på {format_number(seconds, 1)} s{kept}: {summary.report_dir}")
    return 0


def _changed_notebooks(
    report: Path,
    notebooks: list[str],
    prints: dict[str, str],
    computations: dict[str, str],
    args: argparse.Namespace,
) -> tuple[list[str], list[str], list[str]]:
    """(notebooks to run, notebooks reused unchanged, notebooks whose comments alone changed).

    A notebook is reused only when the published report holds exactly the period's notebooks
    and its manifest records the same fingerprint for it; when only its computation's
    fingerprint matches, its page is rewritten with the new comments. `--force` and `--only`
    run what they name.
    """
    if args.force or args.only:
        return notebooks, [], []
    try:
        manifest = json.loads((report / "manifest.json").read_text(encoding="utf-8"))
        entries = {e["name"]: e for e in manifest["notebooks"]}
    except (OSError, ValueError, KeyError, TypeError):
        return notebooks, [], []
    if set(entries) != set(notebooks):
        return notebooks, [], []
    present = [n for n in notebooks if (report / f"{n}.html").is_file()]
    reused = [n for n in present if entries[n].get("fingerprint") == prints[n]]
    rerender = [
        n
        for n in present
        if n not in reused
        and entries[n].get("berakning") == computations[n]
        and (report / "executed" / f"{n}.ipynb").is_file()
    ]
    rerun = [n for n in notebooks if n not in reused and n not in rerender]
    return rerun, reused, rerender


def cmd_init(args: argparse.Namespace) -> int:
    target = Path(args.dir).resolve()
    written = init_project(target, name=args.name or "")
    print(f"Skapade projektet {target} ({len(written)} filer):")
    print("  params/        exempel på parametrar: utgå från dem")
    print("  data/raw/      lägg kommunens exporter här")
    print("  README.md      hur en period körs")
    print(
        f"Nästa steg: lägg kommunens exporter i {target / 'data' / 'raw'}, skriv periodens "
        f"parametrar i params/, sedan: cd {target} && uppfoljning check"
    )
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    """Validate a params set against the data, as `run` does first, and say what each row of
    the report structure takes; nothing is written."""
    root, raw, processed = _paths(args)
    period = args.period or latest_period(root / "params")
    params_file = Path(args.params).resolve() if args.params else root / "params" / f"{period}.yaml"
    params = load_period_params(params_file, period=period)
    _require_raw(args, raw)
    print(f"Parametrar: {params_file} ✓")
    print(f"Läser in {raw} (kontroll, inget sparas)")
    result = _ingest(raw, processed, params_file.parent, stage=True)
    try:
        check = check_period(
            params, processed, locate=result.path, notebooks_dir=notebooks_dir(root)
        )
    finally:
        result.discard()
    print(check.text())
    if check.details:
        print(f"\nRapportstrukturen {params.structure_file.name} mot huvudboken {params.year}:")
        for line in check.details:
            print(f"  {line}")
    return 0 if check.ok else 1


def cmd_new_period(args: argparse.Namespace) -> int:
    """Write the next period's params file and comments file from the previous period's."""
    from uppfoljning.run.new_period import TYPE_LABELS, NewPeriodError, create_period

    root, _, processed = _paths(args)
    try:
        made = create_period(
            root / "params", args.period, notebooks_dir=notebooks_dir(root), processed=processed
        )
    except NewPeriodError as exc:
        print(f"Fel: {exc}", file=sys.stderr)
        return 1
    forecast = made.previous_forecast or "ingen (första rapporten med prognos för året)"
    print(
        f"Skrev {made.params_file.relative_to(root)}: {TYPE_LABELS[made.report_type]}, "
        f"”{made.title}”, utgår från {made.based_on.name}; föregående prognos {forecast}."
    )
    print(
        f"Skrev {made.comments_file.relative_to(root)} med rubrikerna "
        f"{', '.join(made.headings) or '(inga)'}."
    )
    print(
        "Nästa steg: skriv kommentarerna under rubrikerna, lägg periodens exporter i "
        f"data/raw/ och kör: uppfoljning check {made.period}"
    )
    return 0


def cmd_kolada_refresh(args: argparse.Namespace) -> int:
    from uppfoljning.peers import catalogue, sources

    _, raw, _ = _paths(args)
    config = catalogue.load_config()
    period = args.period or latest_period(project_root() / "params")
    years = catalogue.report_years(config, period)
    cache = raw / "kolada"
    print(
        f"Hämtar {len(config.kpis)} nyckeltal för {years[0]}–{years[-1]} från Kolada till {cache}"
    )
    result = sources.refresh_kolada(cache, config, years)
    print(
        f"Klart: {result.requests} anrop, {result.rows} värden, hämtat "
        f"{result.fetched_at:%Y-%m-%d %H:%M} UTC"
        + (" (demodata ersatta)" if result.replaced_demo else "")
    )
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="uppfoljning", description="Uppföljningsrapporter för social- och omsorgsnämnden."
    )
    sub = parser.add_subparsers(dest="command", required=True)

    demo = sub.add_parser("demo", help="skriv deterministiska demodata (råfiler)")
    demo.add_argument("--out", help="katalog för råfilerna (standard: data/raw)")
    demo.add_argument("--data", help="datakatalog med raw/ och processed/ (standard: data/)")
    demo.add_argument("--if-empty", action="store_true", help="bara om katalogen saknar data")
    demo.set_defaults(func=cmd_demo)

    ing = sub.add_parser("ingest", help="validera råfiler och skriv Parquet till data/processed")
    ing.add_argument("--data", help="datakatalog med raw/ och processed/ (standard: data/)")
    ing.add_argument("--force", action="store_true", help="läs om även oförändrade filer")
    ing.set_defaults(func=cmd_ingest)

    new = sub.add_parser(
        "ny-period",
        help="skapa params/ÅÅÅÅ-MM.yaml och en tom kommentarsfil från föregående period",
        description=(
            "Skapar periodfilen params/ÅÅÅÅ-MM.yaml från den senaste tidigare periodfilen: "
            "rapporttyp efter månaden (december årsbokslut, delårsmånaderna i "
            "params/rapportkalender.yaml delårsrapport, annars månadsuppföljning), rubrik, "
            "föregående prognos och enhet; övriga nycklar och kommentarer behålls. Skapar också "
            "params/kommentarer/ÅÅÅÅ-MM.md med rubrikerna som rapporten visar. Skriver aldrig "
            "över en befintlig fil."
        ),
    )
    new.add_argument("period", type=_period, help="den nya perioden ÅÅÅÅ-MM, t.ex. 2024-10")
    new.add_argument("--data", help="datakatalog med processed/ (standard: data/)")
    new.set_defaults(func=cmd_new_period)

    kol = sub.add_parser("kolada", help="Kolada-data för R9-jämförelserna")
    kol_sub = kol.add_subparsers(dest="kolada_command", required=True)
    refresh = kol_sub.add_parser("refresh", help="hämta nyckeltalen från Koladas API (nätverk)")
    refresh.add_argument("--data", help="datakatalog med raw/ (standard: data/)")
    refresh.add_argument("--period", help="rapportperiod som avgör åren (standard: senaste)")
    refresh.set_defaults(func=cmd_kolada_refresh)

    init = sub.add_parser(
        "init",
        help="skapa ett nytt projekt (params/, data/, README) för kommunens egna parametrar",
        description=(
            "Skapar en projektkatalog: exempel på alla parameterfiler, tomma data/raw/ och "
            "data/processed/, reports/, en README för ekonomerna och en .gitignore som håller "
            "data utanför versionshanteringen. Katalogen är sedan ett komplett projekt: kör "
            "uppfoljning check och run i den."
        ),
    )
    init.add_argument("dir", help="katalog att skapa (får finnas, men inte ha params/)")
    init.add_argument("--name", help="kommunens eller nämndens namn i README")
    init.set_defaults(func=cmd_init)

    check = sub.add_parser(
        "check",
        help="kontrollera parametrar och data för en period utan att köra något",
        description=(
            "Gör samma kontroll som run gör först: parameterfilerna, att varje månad januari–"
            "perioden har huvudboksrader, budgetversionen, prognoser, tomma datamängder, och "
            "vilka huvudboksrader varje rad i rapportstrukturen tar (överlappande eller "
            "skuggande prefix, koder som inte matchar något, ej klassificerade belopp per kod)."
        ),
    )
    check.add_argument("period", nargs="?", help="rapportperiod ÅÅÅÅ-MM (standard: senaste)")
    check.add_argument("--params", help="parameterfil (standard: params/PERIOD.yaml)")
    check.add_argument("--data", help="datakatalog med raw/ och processed/ (standard: data/)")
    check.set_defaults(func=cmd_check)

    run = sub.add_parser(
        "run",
        help="bygg rapporten för en period",
        description=(
            "Bygger rapporten för PERIOD i projektet: katalogen med params/ och data/ "
            "($UPPFOLJNING_HOME om den är satt, annars den aktuella katalogen eller närmaste "
            "överordnade med params/). Notebooks tas från projektets notebooks/ om den finns, "
            "annars de som följer med paketet uppfoljning. Notebooks vars indata inte har "
            "ändrats sedan förra körningen körs inte om (--force kör alla)."
        ),
    )
    run.add_argument("period", help="rapportperiod ÅÅÅÅ-MM, t.ex. 2024-08")
    run.add_argument("--params", help="parameterfil (standard: params/PERIOD.yaml)")
    run.add_argument("--data", help="datakatalog med raw/ och processed/ (standard: data/)")
    run.add_argument("--out", help="rapportkatalog (standard: reports/)")
    run.add_argument("--only", nargs="+", metavar="NAME", help="kör bara dessa notebooks")
    run.add_argument(
        "--force",
        action="store_true",
        help="kör alla notebooks, även de vars indata inte har ändrats sedan förra körningen",
    )
    run.add_argument("--jobs", type=_positive, help="antal parallella processer (minst 1)")
    run.set_defaults(func=cmd_run)
    return parser


def _period(text: str) -> str:
    if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", text):
        raise argparse.ArgumentTypeError(
            f"ska vara en period ÅÅÅÅ-MM, t.ex. 2024-10 (inte {text!r})"
        )
    return text


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"ska vara ett heltal, minst 1 (inte {text!r})")
    return value


def _os_message(exc: OSError) -> str:
    """A Swedish sentence for what the file system refused."""
    where = f" ({exc.filename})" if exc.filename else ""
    reasons = {
        errno.ENOSPC: "disken är full",
        errno.EDQUOT: "diskkvoten är slut",
        errno.EACCES: "behörighet saknas",
        errno.EPERM: "åtgärden är inte tillåten",
        errno.EROFS: "filsystemet är skrivskyddat",
        errno.ENOENT: "filen eller katalogen finns inte",
        errno.ENOTDIR: "en del av sökvägen är inte en katalog",
        errno.EISDIR: "är en katalog, inte en fil",
    }
    reason = reasons.get(exc.errno or -1, exc.strerror or str(exc))
    return f"Fel: {reason}{where}. Inget publicerades; tidigare data och rapporter är orörda."


@contextlib.contextmanager
def _interrupt_on_sigterm() -> Iterator[None]:
    """SIGTERM (a stopped CI job, `kill`) cleans up like Ctrl-C: workers stopped, nothing
    published."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(*_: object) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    with _interrupt_on_sigterm():
        return _dispatch(args)


def _dispatch(args: argparse.Namespace) -> int:
    try:
        return args.func(args)
    except (
        ParamsError,
        IngestError,
        PreflightError,
        ProjectExists,
        KoladaError,
        FileNotFoundError,
        LookupError,
    ) as exc:
        print(f"Fel: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(_os_message(exc), file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("Avbrutet; inget publicerades.", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 - a controller gets a sentence, not a traceback
        if os.environ.get("UPPFOLJNING_DEBUG"):
            raise
        print(
            f"Oväntat fel ({type(exc).__name__}): {exc}\nInget publicerades. Kör med "
            "UPPFOLJNING_DEBUG=1 för hela felutskriften och rapportera felet.",
            file=sys.stderr,
        )
        return 1


if __name__ == "__main__":
    sys.exit(main())


__all__ = ["main", "SCHEMAS"]
