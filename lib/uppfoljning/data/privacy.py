"""Personal data in raw files: identity numbers refused or masked, identifiers pseudonymised.

A file of a `personal_data` schema (the placement register) is refused when any cell looks
like a personnummer; in other files (a ledger text) such numbers are masked before they are
stored. The register's own identifiers are replaced by a keyed hash before anything is
written, so no processed file, table or report holds them.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from uppfoljning.data.reading import MAX_ERRORS_PER_COLUMN, RawTable

# Pseudonymisation of personal_data schemas: these columns are replaced by a keyed hash
# (HMAC-SHA256) before anything is written. The key comes from the environment, else from a
# random key file kept beside the processed data (created once, never part of any report).
PSEUDONYM_ENV = "UPPFOLJNING_PSEUDONYM_KEY"
PSEUDONYM_KEY_FILE = ".pseudonym_key"
PSEUDONYM_COLUMNS: dict[str, tuple[str, ...]] = {"placeringar": ("person_id", "placering_id")}
PSEUDONYM_HEX = 32  # 128 bits of the digest: no collisions in any real register

# ÅÅMMDD-NNNN, ÅÅÅÅMMDDNNNN, with -, +, a space or an en dash (as word processors write it).
_ID_SEPARATOR = "[-+ \u2013\u2212]?"
PERSONAL_ID_RE = re.compile(
    rf"(?<!\d)(\d{{2}})?(\d{{2}})(\d{{2}})(\d{{2}}){_ID_SEPARATOR}(\d{{4}})(?!\d)"
)
_ID_CANDIDATE = rf"\d{{6}}{_ID_SEPARATOR}\d{{4}}"
ID_MASK = "[personnummer borttaget]"


def _candidates(values: pa.Array, encoded: pa.DictionaryArray | None = None) -> pa.Array | None:
    """Which values hold ten digits like a personnummer, or None when none does.

    The pattern is matched on the column's distinct values (a ledger's texts repeat), and only
    mapped back to the lines when one matches.
    """
    if encoded is None:
        encoded = pc.dictionary_encode(values)
    hits = pc.match_substring_regex(encoded.dictionary, _ID_CANDIDATE)
    if not pc.any(hits).as_py():
        return None
    return pc.is_in(encoded.indices, value_set=pc.indices_nonzero(hits).cast(pa.int32()))


def find_personal_id(values: pa.Array | pa.ChunkedArray) -> int | None:
    """Index of the first value that looks like a personnummer, or None."""
    candidates = pc.match_substring_regex(values, _ID_CANDIDATE)
    if not pc.any(candidates).as_py():
        return None
    for idx in pc.indices_nonzero(candidates).to_pylist():
        if looks_like_personal_id(values[idx].as_py()):
            return idx
    return None


@dataclass
class MaskedIds:
    """The lines of one file and column whose personal identity numbers were masked."""

    lines: list[int] = field(default_factory=list)

    def warning(self, file: str, where: str) -> str:
        """One warning for the file and column: lines, never the values."""
        lines = self.lines
        shown = ", ".join(str(line) for line in lines[:MAX_ERRORS_PER_COLUMN])
        more = f" och {len(lines) - MAX_ERRORS_PER_COLUMN} till" if len(lines) > 5 else ""
        return (
            f"{file}, rad {shown}{more}, {where}: text som ser ut som ett "
            f"personnummer ersattes med {ID_MASK!r} innan den sparades"
        )


def mask_personal_ids_in_batch(
    raw: RawTable,
    values: pa.Array,
    masked: MaskedIds,
    encoded: pa.DictionaryArray | None = None,
) -> pa.Array | pa.ChunkedArray:
    """Personal identity numbers in a free-text column (a ledger text) are masked before they
    are stored; `masked` collects their lines for the file's warning. `encoded`: the values
    dictionary-encoded, when they already are."""
    candidates = _candidates(values, encoded)
    if candidates is None:
        return values
    found: dict[int, str] = {}
    for idx in pc.indices_nonzero(candidates).to_pylist():
        text = values[idx].as_py()
        if looks_like_personal_id(text):
            found[idx] = mask_personal_ids(text)
    if not found:
        return values
    masked.lines.extend(raw.line(i) for i in sorted(found))
    python = values.to_pylist()
    for idx, text in found.items():
        python[idx] = text
    return pa.array(python, pa.string())


def mask_personal_ids(text: str) -> str:
    """`text` with every valid-looking personal identity number replaced by ID_MASK."""

    def replace(match: re.Match[str]) -> str:
        return ID_MASK if looks_like_personal_id(match.group(0)) else match.group(0)

    return PERSONAL_ID_RE.sub(replace, text)


def luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(digits):
        d = int(ch) * (2 if i % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0


def looks_like_personal_id(text: str) -> bool:
    """A Swedish personnummer/samordningsnummer (ÅÅMMDD-NNNN or ÅÅÅÅMMDDNNNN, valid check digit)."""
    for match in PERSONAL_ID_RE.finditer(text):
        _, yy, mm, dd, tail = match.groups()
        day = int(dd)
        if day > 60:  # samordningsnummer: day + 60
            day -= 60
        if 1 <= int(mm) <= 12 and 1 <= day <= 31 and luhn_ok(yy + mm + dd + tail):
            return True
    return False


def pseudonym_key(processed_dir: Path) -> bytes:
    """The HMAC key: $UPPFOLJNING_PSEUDONYM_KEY, else `.pseudonym_key` beside the data.

    The key file is created once with a random key (readable by the owner only) and reused,
    so the same person gets the same pseudonym in every ingest. Changing the key changes every
    pseudonym: run `uppfoljning ingest --force` afterwards.
    """
    env = os.environ.get(PSEUDONYM_ENV, "").strip()
    if env:
        return env.encode("utf-8")
    path = Path(processed_dir) / PSEUDONYM_KEY_FILE
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as fh:
            fh.write(secrets.token_hex(32) + "\n")
    return path.read_text(encoding="ascii").strip().encode("ascii")


@dataclass
class PendingKey:
    """The pseudonym key for an ingest that may still fail: a new key is kept in memory and
    its file written only by `save()`, after every input was found valid."""

    path: Path
    key: bytes
    new: bool
    used: bool = False

    def save(self) -> None:
        if not (self.new and self.used) or self.path.exists():
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as fh:
            fh.write(self.key.decode("ascii") + "\n")


def pending_pseudonym_key(processed_dir: Path) -> PendingKey:
    """The key `pseudonym_key` would give, without creating its file yet."""
    path = Path(processed_dir) / PSEUDONYM_KEY_FILE
    env = os.environ.get(PSEUDONYM_ENV, "").strip()
    if env:
        return PendingKey(path, env.encode("utf-8"), new=False)
    if path.exists():
        return PendingKey(path, path.read_text(encoding="ascii").strip().encode("ascii"), False)
    return PendingKey(path, secrets.token_hex(32).encode("ascii"), new=True)


def pseudonymise(table: pa.Table, columns: Iterable[str], key: bytes) -> pa.Table:
    """Replace each column's values by a keyed hash (HMAC-SHA256, hex)."""
    for column in columns:
        if column not in table.column_names:
            continue
        values = table.column(column).to_pylist()
        mapping = {
            v: hmac.new(key, v.encode("utf-8"), hashlib.sha256).hexdigest()[:PSEUDONYM_HEX]
            for v in set(values)
            if v is not None
        }
        hashed = pa.array([mapping.get(v) for v in values], pa.string())
        table = table.set_column(table.column_names.index(column), column, hashed)
    return table
