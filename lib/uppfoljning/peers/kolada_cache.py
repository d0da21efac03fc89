"""The on-disk cache of Kolada's own JSON responses: one body and one sidecar per request page.

Why its own module: report runs read only from this cache (they must run offline and give the
same tables for the same inputs), so it is the part of the Kolada client every run touches; the
network side (:mod:`uppfoljning.peers.kolada`) writes into it only on a refresh.

Layout (``data/raw/kolada/`` by default), one pair of files per request (per page)::

    <readable request>-<hash>.json       the response body, byte for byte as received
    <readable request>-<hash>.meta.json  {"request": ..., "url": ..., "fetched_at": ISO 8601}
    DEMO                                 only in a demo cache; its first line is the report's note

Messages meant for the controllers who run the reports are Swedish.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
from datetime import datetime
from pathlib import Path

import pandas as pd

DEFAULT_CACHE_DIR = Path("data/raw/kolada")
DEMO_MARKER = "DEMO"
META_SUFFIX = ".meta.json"


def _compact_list(match: re.Match[str]) -> str:
    items = match.group(0).split(",")
    return f"{items[0]}..{items[-1]}_n{len(items)}" if len(items) > 3 else match.group(0)


def cache_file_name(key: str) -> str:
    """Readable, filesystem-safe file name for a request key (a short hash keeps it unique).

    Long id lists are shortened to first..last_nCOUNT so the year stays visible, e.g.
    ``data_kpi_N01951..N35025_n14_municipality_0181..G96092_n10_year_2023_per_page=5000-<hash>``.
    """
    readable = re.sub(r"[^/?&,]+(,[^/?&,]+)+", _compact_list, key)
    readable = re.sub(r"[^A-Za-z0-9,.=-]+", "_", readable).strip("_")[:120]
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:10]
    return f"{readable}-{digest}.json"


def _meta_path(body_path: Path) -> Path:
    return body_path.with_name(body_path.name[: -len(".json")] + META_SUFFIX)


def _atomic_write(path: Path, data: bytes) -> None:
    # Write then rename, so a reader (a parallel notebook) never sees half a file.
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_cache_entry(
    cache_dir: Path | str, key: str, url: str, body: bytes, fetched_at: datetime
) -> Path:
    """Store one response body as received, with a sidecar saying what and when."""
    cache_dir = Path(cache_dir)
    cache_dir.mkdir(parents=True, exist_ok=True)
    body_path = cache_dir / cache_file_name(key)
    meta = {"request": key, "url": url, "fetched_at": fetched_at.isoformat(timespec="seconds")}
    _atomic_write(body_path, body)
    _atomic_write(
        _meta_path(body_path),
        (json.dumps(meta, ensure_ascii=False, indent=1) + "\n").encode("utf-8"),
    )
    return body_path


def read_cache_entry(cache_dir: Path | str, key: str) -> bytes | None:
    """The cached body for ``key``, or None if that request was never cached."""
    body_path = Path(cache_dir) / cache_file_name(key)
    if not body_path.is_file():
        return None
    return body_path.read_bytes()


def cache_entries(cache_dir: Path | str) -> pd.DataFrame:
    """Every cached request with its file and fetch time (for the manifest and for debugging)."""
    rows = []
    cache_dir = Path(cache_dir)
    if cache_dir.is_dir():
        for meta_path in sorted(cache_dir.glob(f"*{META_SUFFIX}")):
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
            rows.append(
                {
                    "request": meta["request"],
                    "file": meta_path.name[: -len(META_SUFFIX)] + ".json",
                    "fetched_at": datetime.fromisoformat(meta["fetched_at"]),
                }
            )
    return pd.DataFrame(rows, columns=["request", "file", "fetched_at"])


def cache_fetched_at(cache_dir: Path | str) -> datetime | None:
    """When the oldest cached response was fetched: the age the report must admit to."""
    entries = cache_entries(cache_dir)
    if entries.empty:
        return None
    return min(entries["fetched_at"])


def is_demo_cache(cache_dir: Path | str) -> bool:
    """True if the cache was written by the demo (peers' values are invented)."""
    return (Path(cache_dir) / DEMO_MARKER).is_file()


def cache_note(cache_dir: Path | str) -> str:
    """Swedish sentence on the cache's age (and demo status) for the report."""
    fetched = cache_fetched_at(cache_dir)
    if fetched is None:
        return "Kolada-data saknas i cachen."
    note = f"Kolada-data hämtad {fetched.date().isoformat()}."
    if is_demo_cache(cache_dir):
        # The marker's first line is the sentence the report shows (written by the demo).
        lines = (Path(cache_dir) / DEMO_MARKER).read_text(encoding="utf-8").splitlines()
        first = next((line.strip() for line in lines if line.strip()), "")
        note += " " + (first or "Observera: demodata, jämförelsekommunernas värden är påhittade.")
    return note


def cache_files(cache_dir: Path) -> list[Path]:
    """The cached response bodies and sidecars (everything a demo cache is replaced by)."""
    return [p for p in cache_dir.glob("*.json") if p.is_file()]
