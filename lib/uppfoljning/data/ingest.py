"""Raw exports → typed, validated, pseudonymised Parquet in `data/processed/`.

`ingest` reads every file of the requested datasets (`data.reading`), checks it against the
contract (`data.schemas`, `data.validation`) and the rules for doubled inputs (`data.overlaps`),
pseudonymises personal data (`data.privacy`), and only then writes. Every problem is reported
with file, line and column, all problems are collected before failing, and nothing is written
unless every input is valid, so a bad export never leaves half-updated data behind. Unchanged
inputs (SHA-256) are not read again: `processed/ingest.json` records what was read.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from uppfoljning.data.overlaps import (
    DuplicateRules,
    check_dataset,
    check_placement_episodes,
    load_rules,
)
from uppfoljning.data.privacy import (
    ID_MASK,
    PSEUDONYM_COLUMNS,
    PSEUDONYM_ENV,
    PSEUDONYM_KEY_FILE,
    looks_like_personal_id,
    pseudonym_key,
    pseudonymise,
)
from uppfoljning.data.reading import find_raw_files, sha256_of, unreadable_raw_files
from uppfoljning.data.schemas import SCHEMAS, Schema
from uppfoljning.data.validation import read_dataset_file

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
    pending: dict[str, pa.Table] = {}
    for name in names:
        schema = SCHEMAS[name]
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
        fingerprints = [{"fil": f.name, "sha256": sha256_of(f)} for f in files]
        unchanged = not force and previous.get("files") == fingerprints and stored.exists()
        if unchanged:
            result.datasets[name] = {**previous, "skipped": True}
            continue
        tables: list[tuple[Path, pa.Table]] = []
        known_forms = None
        if name == "placeringar" and files:
            known_forms = _known_care_forms(care_forms, result.warnings)
        dataset_problems: list[str] = []
        for path in files:
            if reading is not None:
                reading(path)
            table, file_problems, file_warnings = read_dataset_file(
                path, schema, care_forms=known_forms
            )
            dataset_problems.extend(file_problems)
            result.warnings.extend(file_warnings)
            if not file_problems:
                tables.append((path, table))
        if not dataset_problems:
            check_dataset(name, tables, rules, dataset_problems, result.warnings)
            if name == "placeringar":
                groups = known_forms if isinstance(known_forms, dict) else None
                check_placement_episodes(tables, groups, dataset_problems)
        problems.extend(dataset_problems)
        if problems:
            continue
        if tables:
            first = tables[0][1].schema
            combined = pa.concat_tables([t.cast(first) for _, t in tables], promote_options="none")
        else:
            combined = _empty_table(schema)
        if not files:
            result.warnings.append(f"{name}: inga filer i {raw_dir} (tom datamängd)")
        pending[name] = combined
        result.datasets[name] = {
            "files": fingerprints,
            "rows": combined.num_rows,
            "skipped": False,
        }
    if problems:
        raise IngestError(problems)

    processed_dir.mkdir(parents=True, exist_ok=True)
    for name in list(pending):
        if SCHEMAS[name].personal_data:
            pending[name] = pseudonymise(
                pending[name], PSEUDONYM_COLUMNS.get(name, ()), pseudonym_key(processed_dir)
            )
    temps: list[tuple[Path, Path]] = []
    try:
        for name, table in pending.items():
            final = processed_dir / f"{name}.parquet"
            tmp = processed_dir / f".{name}.parquet.tmp-{os.getpid()}"
            pq.write_table(table, tmp, compression="zstd")
            temps.append((tmp, final))
    except BaseException:
        for tmp, _ in temps:
            tmp.unlink(missing_ok=True)
        raise
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


def _empty_table(schema: Schema) -> pa.Table:
    types = {"amount": pa.float64(), "year": pa.int32()}
    fields = [pa.field(c.name, types.get(c.kind, pa.string())) for c in schema.columns]
    fields += [
        pa.field("_rad", pa.int32()),
        pa.field("_fil", pa.dictionary(pa.int32(), pa.string())),
    ]
    return pa.schema(fields).empty_table()


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
