"""Raw exports → typed, validated, pseudonymised Parquet in `data/processed/`.

`ingest` reads every file of the requested datasets (`data.reading`), checks it against the
contract (`data.schemas`, `data.validation`) and the rules for doubled inputs (`data.overlaps`),
pseudonymises personal data (`data.privacy`), and writes Parquet. Every problem is reported
with file, line and column, all problems are collected before failing, and nothing in
processed/ changes unless every input is valid, so a bad export never leaves half-updated data
behind. Unchanged inputs (SHA-256) are not read again: `processed/ingest.json` records what was
read.

A file is streamed: each record batch is validated, converted and written to the dataset's
temporary Parquet file (by a writer thread) as it is read, and only the columns the doubled-
input checks need are kept, so memory stays at a few batches whatever the size of the ledger.
The temporary files are put in place by renames only once everything is valid.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from uppfoljning.data.overlaps import (
    DuplicateRules,
    check_dataset,
    check_placement_episodes,
    keys_of,
    load_rules,
)
from uppfoljning.data.privacy import (
    ID_MASK,
    PSEUDONYM_COLUMNS,
    PSEUDONYM_ENV,
    PSEUDONYM_KEY_FILE,
    PendingKey,
    looks_like_personal_id,
    pending_pseudonym_key,
    pseudonymise,
)
from uppfoljning.data.reading import find_raw_files, sha256_of, unreadable_raw_files
from uppfoljning.data.schemas import SCHEMAS, Schema
from uppfoljning.data.validation import FileRead, Restart, read_dataset_file, typed_schema

__all__ = [
    # ingest itself
    "DEMO_MARKER",
    "IngestError",
    "IngestResult",
    "ingest",
    "is_demo",
    # the contract and its parts, importable from here as before the split
    "ID_MASK",
    "PSEUDONYM_ENV",
    "PSEUDONYM_KEY_FILE",
    "SCHEMAS",
    "find_raw_files",
    "looks_like_personal_id",
    "read_dataset_file",
]

DEMO_MARKER = "DEMODATA.txt"
STATE_FILE = "ingest.json"
MAX_ERRORS = 50


class IngestError(ValueError):
    """Invalid input; `problems` holds every message (file, line, column)."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        shown = problems[:MAX_ERRORS]
        more = len(problems) - len(shown)
        text = "\n".join(f"  - {p}" for p in shown)
        if more:
            text += f"\n  … och {more} fel till"
        super().__init__(f"Inläsningen avbröts, inget skrevs ({len(problems)} fel):\n{text}")


@dataclass
class IngestResult:
    processed_dir: Path
    datasets: dict[str, dict] = field(default_factory=dict)  # name -> {files, rows, skipped}
    warnings: list[str] = field(default_factory=list)
    demo: bool = False
    staged: list[tuple[Path, Path]] = field(default_factory=list)  # (written, final) parquet
    _state: dict = field(default_factory=dict, repr=False)

    def path(self, dataset: str) -> Path:
        """Where `dataset` is now: the staged new file, else the processed one."""
        for tmp, final in self.staged:
            if final.stem == dataset:
                return tmp
        return self.processed_dir / f"{dataset}.parquet"

    def commit(self) -> None:
        """Put the staged files in place (renames only) and record what was read."""
        for tmp, final in self.staged:
            os.replace(tmp, final)
        self.staged = []
        if self._state:
            state_tmp = self.processed_dir / f".{STATE_FILE}.tmp"
            text = json.dumps(self._state, indent=2, ensure_ascii=False)
            state_tmp.write_text(text, encoding="utf-8")
            os.replace(state_tmp, self.processed_dir / STATE_FILE)
            self._state = {}

    def discard(self) -> None:
        """Drop the staged files: processed/ stays exactly as it was."""
        for tmp, _ in self.staged:
            tmp.unlink(missing_ok=True)
        self.staged = []
        self._state = {}

    @property
    def inputs(self) -> list[dict]:
        """Input files with SHA-256, for manifest.json."""
        return [f for d in self.datasets.values() for f in d["files"]]


# --------------------------------------------------------------------------- ingest


def _load_state(processed_dir: Path) -> dict:
    try:
        return json.loads((processed_dir / STATE_FILE).read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError):
        return {}


def ingest(
    raw_dir: Path,
    processed_dir: Path,
    datasets: Iterable[str] | None = None,
    *,
    force: bool = False,
    care_forms: Iterable[str] | Mapping[str, str] | None = None,
    rules: DuplicateRules | None = None,
    stage: bool = False,
    reading: Callable[[Path], None] | None = None,
) -> IngestResult:
    """Validate every raw file of the given datasets, then write Parquet for the changed ones.

    Raises IngestError listing every problem; in that case nothing in `processed_dir` changes.
    `care_forms` are the placement register's known care-form codes (a mapping code → care-form
    group also enables the overlap check per group); None reads them from the project's
    params/vardformer.yaml (when it cannot be found, the codes are not checked). `rules` says
    how doubled inputs are treated (None: params/indata.yaml of the project, else defaults).
    A dataset without files in `raw_dir` keeps what `processed_dir` already holds: an empty
    or half-copied raw/ never replaces good data. Personal data (the placement register) are
    pseudonymised before they are written. With `stage` the new files are written beside the
    old ones and put in place only by `result.commit()` (`result.discard()` drops them), so a
    run can check the new data before anything in processed/ changes. `reading` is called with
    each file just before it is read and validated (the CLI shows it while large files load).
    """
    raw_dir, processed_dir = Path(raw_dir), Path(processed_dir)
    names = list(datasets) if datasets is not None else list(SCHEMAS)
    state = _load_state(processed_dir)
    result = IngestResult(processed_dir, demo=(raw_dir / DEMO_MARKER).exists())
    if rules is None:
        rules = _project_rules()
    problems: list[str] = []
    temps: list[tuple[Path, Path]] = []
    created = False  # processed_dir made by this ingest (removed again if it fails)
    key = pending_pseudonym_key(processed_dir)
    for name in names:
        files = find_raw_files(raw_dir, name)
        directories = [f for f in files if f.is_dir()]
        for path in directories:
            problems.append(f"{path.name}: är en katalog, inte en fil; byt namn på katalogen")
        for path in unreadable_raw_files(raw_dir, name):
            problems.append(
                f"{path.name}: filformatet {path.suffix} kan inte läsas; spara filen som .xlsx "
                "(Excel-arbetsbok) eller .csv"
            )
        files = [f for f in files if not f.is_dir()]
        if directories:
            continue
        previous = state.get("datasets", {}).get(name, {})
        stored = processed_dir / f"{name}.parquet"
        if not files and stored.exists():
            # Nothing to read: keep what was ingested before rather than emptying it.
            result.datasets[name] = {
                **previous,
                "files": previous.get("files", []),
                "skipped": True,
                "kept": True,
            }
            if previous.get("files"):
                result.warnings.append(
                    f"{name}: inga filer i {raw_dir}; den tidigare inlästa datamängden "
                    f"({', '.join(f['fil'] for f in previous['files'])}) behålls"
                )
            continue
        gone = sorted({f["fil"] for f in previous.get("files", [])} - {f.name for f in files})
        if gone and stored.exists() and not force:
            problems.append(
                f"{name}: {', '.join(gone)} lästes in förra gången men saknas nu i {raw_dir}; "
                "den tidigare inlästa datamängden behålls. Lägg tillbaka filen, eller kör "
                "`uppfoljning ingest --force` om den verkligen ska bort"
            )
            continue
        # Hash first only when the files could be those read last time; otherwise the hash
        # is taken while the file is read.
        names_before = [f["fil"] for f in previous.get("files", [])]
        checked = not force and stored.exists() and names_before == [f.name for f in files]
        fingerprints = [{"fil": f.name, "sha256": sha256_of(f)} for f in files] if checked else []
        if checked and previous.get("files") == fingerprints:
            result.datasets[name] = {**previous, "skipped": True}
            continue
        if not created and not processed_dir.exists():
            processed_dir.mkdir(parents=True)
            created = True
        known_forms = None
        if name == "placeringar" and files:
            known_forms = _known_care_forms(care_forms, result.warnings)
        if not files:
            result.warnings.append(f"{name}: inga filer i {raw_dir} (tom datamängd)")
        hashed = fingerprints if checked else None
        forced: dict[Path, Restart] = {}
        while True:  # again only when a file must be read from its start (rare)
            try:
                outcome = _read_dataset(
                    name, files, known_forms, rules, hashed, forced, processed_dir, key, reading
                )
                break
            except Restart as restart:
                before = forced.get(restart.path)
                forced[restart.path] = Restart(
                    restart.path,
                    whole=restart.whole or bool(before and before.whole),
                    comma=restart.comma or bool(before and before.comma),
                )
        result.warnings.extend(outcome.warnings)
        problems.extend(outcome.problems)
        if outcome.written is not None:
            temps.append((outcome.written, processed_dir / f"{name}.parquet"))
        result.datasets[name] = {
            "files": outcome.fingerprints,
            "rows": outcome.rows,
            "skipped": False,
        }
    if problems:
        for tmp, _ in temps:
            tmp.unlink(missing_ok=True)
        if created:
            _remove_if_empty(processed_dir)
        raise IngestError(problems)

    processed_dir.mkdir(parents=True, exist_ok=True)
    key.save()
    result.staged = temps
    if any(d.get("kept") for d in result.datasets.values()) and state.get("demo"):
        result.demo = True  # data kept from a demo ingest are still demo data
    result._state = {
        "demo": result.demo,
        "datasets": {
            **state.get("datasets", {}),
            **{
                n: {k: v for k, v in d.items() if k not in ("skipped", "kept")}
                for n, d in result.datasets.items()
            },
        },
    }
    if not stage:
        result.commit()
    return result


WRITE_QUEUE = 2  # batches waiting for the writer thread: memory stays at a few batches


def _parquet_options(schema: pa.Schema) -> dict:
    """Uncompressed (the text is small as dictionary indices, amounts and line numbers
    compress little: compression cost an eighth of the writing for a fifth of the size); a
    dictionary only for text (codes, periods and texts repeat, amounts and line
    numbers seldom do: their dictionaries would cost time and be dropped again), line
    numbers delta-encoded; min/max statistics for the periods and the numbers only (those
    of codes and texts cost a tenth of the writing and prune nothing). The Arrow schema is
    not stored: the text is written from dictionary arrays (`_storage_table`) but read back
    as the plain text it is."""
    text = [f.name for f in schema if pa.types.is_string(f.type) or pa.types.is_dictionary(f.type)]
    stats = [f.name for f in schema if f.name == "period" or f.name not in text]
    lines = [f.name for f in schema if f.name == "_rad"]
    return {
        "compression": "none",
        "use_dictionary": text,
        "write_statistics": stats,
        "column_encoding": dict.fromkeys(lines, "DELTA_BINARY_PACKED"),
        "store_schema": False,
    }


def _storage_schema(schema: pa.Schema) -> pa.Schema:
    """The schema as written: every text column a dictionary."""
    text = pa.dictionary(pa.int32(), pa.string())
    return pa.schema(pa.field(f.name, text) if pa.types.is_string(f.type) else f for f in schema)


def _storage_table(
    table: pa.Table, encoded: Mapping[str, pa.DictionaryArray], schema: pa.Schema
) -> pa.Table:
    """A batch with its text as dictionary arrays: the encodings the checks already made
    where there are some, else encoded here. The Parquet writer writes an Arrow dictionary
    as it is, where it would otherwise hash every value again to build its own."""
    columns = []
    for field_ in schema:
        values = table.column(field_.name)
        if pa.types.is_dictionary(field_.type) and not pa.types.is_dictionary(values.type):
            given = encoded.get(field_.name)
            if given is not None and len(given) == len(values):
                values = given
            else:
                values = pc.dictionary_encode(values)
        columns.append(values)
    return pa.Table.from_arrays(columns, schema=schema)


class _BatchWriter:
    """A dataset's batches to its temporary Parquet file, on a thread of its own, so that
    encoding and writing one batch overlaps reading and checking the next."""

    def __init__(self, path: Path, schema: pa.Schema) -> None:
        self.path, self.schema = path, _storage_schema(schema)
        self._queue: queue.Queue[tuple | None] = queue.Queue(maxsize=WRITE_QUEUE)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            options = _parquet_options(self.schema)
            with pq.ParquetWriter(self.path, self.schema, **options) as writer:
                while (item := self._queue.get()) is not None:
                    writer.write_table(_storage_table(*item, self.schema))
        except BaseException as exc:  # noqa: BLE001 - raised again by close()
            self._error = exc
            while self._queue.get() is not None:  # let the reader go on to its end
                pass

    def put(self, table: pa.Table, encoded: Mapping[str, pa.DictionaryArray] | None = None) -> None:
        """Queue a batch; `encoded`: dictionary encodings of some of its text columns (the
        same values)."""
        self._queue.put((table, encoded or {}))

    def close(self) -> None:
        """Wait for every batch to be written; a write error (disk full) is raised here."""
        self._queue.put(None)
        self._thread.join()
        if self._error is not None:
            self.path.unlink(missing_ok=True)
            raise self._error

    def discard(self) -> None:
        with contextlib.suppress(OSError):
            self.close()
        self.path.unlink(missing_ok=True)


@dataclass
class _DatasetRead:
    fingerprints: list[dict]
    rows: int
    problems: list[str]
    warnings: list[str]
    written: Path | None  # the temporary Parquet file; None when the dataset has problems


def _read_dataset(
    name: str,
    files: list[Path],
    known_forms: set[str] | dict[str, str] | None,
    rules: DuplicateRules,
    hashed: list[dict] | None,
    forced: Mapping[Path, Restart],
    processed_dir: Path,
    key: PendingKey,
    reading: Callable[[Path], None] | None,
) -> _DatasetRead:
    """Stream every file of one dataset into its temporary Parquet file, keeping only the
    columns the doubled-input checks need. Raises Restart when a file must be read again."""
    schema = SCHEMAS[name]
    tmp = processed_dir / f".{name}.parquet.tmp-{os.getpid()}"
    writer = _BatchWriter(tmp, typed_schema(schema))
    problems: list[str] = []
    warnings: list[str] = []
    fingerprints: list[dict] = []
    checked: list[tuple[Path, pa.Table]] = []
    rows = 0
    try:
        for index, path in enumerate(files):
            if reading is not None:
                reading(path)
            again = forced.get(path)
            read = FileRead(
                path,
                schema,
                known_forms,
                whole=bool(again and again.whole),
                decimal_comma=bool(again and again.comma),
                digest=hashed is None,
            )
            parts = []
            for batch in read.batches():
                kept = keys_of(name, batch, read.encoded)
                if kept is not None:
                    parts.append(kept)
                encoded = read.encoded
                if schema.personal_data:
                    key.used = True
                    hidden = PSEUDONYM_COLUMNS.get(name, ())
                    batch = pseudonymise(batch, hidden, key.key)
                    encoded = {c: v for c, v in encoded.items() if c not in hidden}
                if not problems:
                    writer.put(batch, encoded)
            sha = hashed[index]["sha256"] if hashed else read.sha256 or sha256_of(path)
            fingerprints.append({"fil": path.name, "sha256": sha})
            warnings.extend(read.warnings)
            problems.extend(read.problems)
            rows += read.rows
            if not read.problems and parts:
                checked.append((path, pa.concat_tables(parts)))
        if schema.personal_data:
            key.used = True
        if not files:
            writer.put(_empty_table(schema))
        if not problems:  # while the writer writes the last batches
            check_dataset(name, checked, rules, problems, warnings)
            if name == "placeringar":
                groups = known_forms if isinstance(known_forms, dict) else None
                check_placement_episodes(checked, groups, problems)
        writer.close()
    except BaseException:
        writer.discard()
        raise
    if problems:
        tmp.unlink(missing_ok=True)
    return _DatasetRead(fingerprints, rows, problems, warnings, None if problems else tmp)


def _remove_if_empty(directory: Path) -> None:
    with contextlib.suppress(OSError):
        directory.rmdir()


def _empty_table(schema: Schema) -> pa.Table:
    return typed_schema(schema).empty_table()


def is_demo(processed_dir: Path) -> bool:
    """Whether the processed data came from `uppfoljning demo` (reports must say so)."""
    return bool(_load_state(Path(processed_dir)).get("demo"))


def _known_care_forms(
    care_forms: Iterable[str] | Mapping[str, str] | None, warnings: list[str]
) -> set[str] | dict[str, str] | None:
    """The care-form codes to accept (lower case), as code → group when the groups are known;
    None when the catalogue is not found."""
    if isinstance(care_forms, Mapping):
        return {str(c).strip().lower(): str(g) for c, g in care_forms.items()}
    if care_forms is not None:
        return {str(c).strip().lower() for c in care_forms}
    from uppfoljning.data.care_forms import load_care_forms
    from uppfoljning.data.config import ParamsError

    try:
        return {code: form.group for code, form in load_care_forms().forms.items()}
    except (FileNotFoundError, ParamsError) as exc:
        warnings.append(f"placeringar: vårdformerna kontrollerades inte ({exc})")
        return None


def _project_rules() -> DuplicateRules:
    """params/indata.yaml of the project, or the default rules outside a project."""
    from uppfoljning.data.config import project_root

    try:
        return load_rules(project_root() / "params")
    except FileNotFoundError:
        return DuplicateRules()
