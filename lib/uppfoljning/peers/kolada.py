"""Kolada API v3 client with an on-disk cache of Kolada's own JSON responses.

Why a cache: reports must run offline and give the same tables for the same inputs, so every raw
response is stored exactly as Kolada sent it, keyed by request (the files and their layout are
:mod:`uppfoljning.peers.kolada_cache`), and report runs read only from that cache (mode
``"offline"``). Only :func:`refresh` (``uppfoljning kolada refresh``) uses the network.

Messages meant for the controllers who run the reports are Swedish.
"""

from __future__ import annotations

import email.utils
import json
import math
import os
import re
import shutil
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import pandas as pd

from uppfoljning.peers.kolada_cache import (
    DEFAULT_CACHE_DIR,
    DEMO_MARKER,
    cache_fetched_at,
    cache_files,
    is_demo_cache,
    read_cache_entry,
    write_cache_entry,
)

BASE_URL = "https://api.kolada.se/v3/"
MAX_IDS_PER_SEGMENT = 25
PER_PAGE = 5000
DATA_COLUMNS = ["kpi", "municipality", "year", "gender", "value", "count", "status"]
USER_AGENT = "uppfoljning (Kolada-klient; https://api.kolada.se/v3/)"

Transport = Callable[[str], tuple[int, Mapping[str, str], bytes]]
"""GET a URL and return (HTTP status, headers, body); raise URLError on network failure."""

Mode = Literal["offline", "cache", "refresh"]
"""offline: cache only; cache: cache first, network for what is missing; refresh: network always."""


class KoladaError(RuntimeError):
    """A Kolada request or response the report cannot use; the message is Swedish."""


class KoladaCacheMissError(KoladaError):
    """Offline mode and the request is not in the cache."""


class UnknownKpiError(KoladaError):
    """Kolada has no KPI with the requested id (empty metadata response)."""


class MissingValueError(KoladaError):
    """Kolada has no (or a null) value where the report needs one."""


@dataclass(frozen=True)
class MunicipalityGroup:
    """A Kolada municipality group and its members as (code, name) pairs."""

    id: str
    title: str
    members: tuple[tuple[str, str], ...]

    @property
    def member_codes(self) -> tuple[str, ...]:
        return tuple(code for code, _ in self.members)


@dataclass(frozen=True)
class RefreshResult:
    """What :func:`refresh` fetched, for the CLI to report."""

    cache_dir: Path
    requests: int
    rows: int
    fetched_at: datetime
    replaced_demo: bool


# --------------------------------------------------------------------------- requests and keys


def chunked(ids: Iterable[Any], size: int = MAX_IDS_PER_SEGMENT) -> list[list[Any]]:
    """Split ids into lists of at most ``size`` (Kolada accepts at most 25 ids per path segment)."""
    if not 1 <= size <= MAX_IDS_PER_SEGMENT:
        raise ValueError(f"chunk size must be 1..{MAX_IDS_PER_SEGMENT}, got {size}")
    items = list(ids)
    return [items[i : i + size] for i in range(0, len(items), size)]


def _sorted_unique(ids: Iterable[Any]) -> list[str]:
    # Sorted so that the same set of ids always gives the same request, hence the same cache file.
    return sorted({str(i).strip() for i in ids if str(i).strip()})


def kpi_paths(ids: Iterable[str]) -> list[str]:
    """Paths of the KPI metadata requests for ``ids`` (sorted, chunked)."""
    return [f"kpi/{','.join(chunk)}" for chunk in chunked(_sorted_unique(ids))]


def group_path(group_id: str) -> str:
    """Path of the municipality group request (members) for ``group_id``."""
    return f"municipality_groups/{group_id}"


def data_paths(
    kpis: Iterable[str],
    municipalities: Iterable[str],
    years: Iterable[int],
    years_per_request: int = 1,
) -> list[str]:
    """Paths of the data requests for every kpi x municipality x year chunk.

    One year per request by default, so a cached year serves any later report whose year range
    includes it (a 2025 refresh still serves a report for 2024-08 offline).
    """
    year_list = sorted({int(y) for y in years})
    paths = []
    for kpi_chunk in chunked(_sorted_unique(kpis)):
        for muni_chunk in chunked(_sorted_unique(municipalities)):
            for year_chunk in chunked(year_list, years_per_request):
                paths.append(
                    f"data/kpi/{','.join(kpi_chunk)}"
                    f"/municipality/{','.join(muni_chunk)}"
                    f"/year/{','.join(str(y) for y in year_chunk)}"
                )
    return paths


def request_url(path: str, base_url: str = BASE_URL, per_page: int = PER_PAGE) -> str:
    """Full URL of the first page of ``path``."""
    query = urllib.parse.urlencode({"per_page": per_page})
    return f"{base_url}{urllib.parse.quote(path, safe='/,')}?{query}"


def request_key(url: str, base_url: str = BASE_URL) -> str:
    """Canonical key of a request: path below the API root plus sorted query.

    Used to name cache files, so the first page we build and a ``next_url`` Kolada returns map to
    files the same way whatever their host, quoting or parameter order.
    """
    parts = urllib.parse.urlsplit(url)
    path = urllib.parse.unquote(parts.path)
    base_path = urllib.parse.urlsplit(base_url).path
    if path.startswith(base_path):
        path = path[len(base_path) :]
    path = path.strip("/")
    query = sorted(urllib.parse.parse_qsl(parts.query, keep_blank_values=True))
    encoded = urllib.parse.urlencode(query, safe=",")
    return f"{path}?{encoded}" if encoded else path


# --------------------------------------------------------------------------- transport and retry


def urllib_transport(url: str, timeout: float = 60.0) -> tuple[int, Mapping[str, str], bytes]:
    """Default transport: GET with urllib; HTTP errors are returned, network errors raised."""
    request = urllib.request.Request(
        url, headers={"Accept": "application/json", "User-Agent": USER_AGENT}
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, dict(response.headers.items()), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers.items()) if exc.headers else {}, exc.read()


def _header(headers: Mapping[str, str], name: str) -> str | None:
    for key, value in headers.items():
        if key.lower() == name.lower():
            return value
    return None


def retry_after_seconds(headers: Mapping[str, str], now: datetime) -> float | None:
    """Seconds asked for by a Retry-After header (delta seconds or HTTP date), if any."""
    raw = _header(headers, "Retry-After")
    if raw is None or not raw.strip():
        return None
    raw = raw.strip()
    if re.fullmatch(r"\d+(\.\d+)?", raw):
        return float(raw)
    try:
        when = email.utils.parsedate_to_datetime(raw)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


def _utc_now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


# --------------------------------------------------------------------------- parsing


def _parse_page(body: bytes, key: str) -> dict[str, Any]:
    try:
        page = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise KoladaError(
            f"Kolada-svaret för förfrågan '{key}' är inte giltig JSON: {exc}"
        ) from exc
    if not isinstance(page, dict) or not isinstance(page.get("values"), list):
        raise KoladaError(
            f"Oväntat format på Kolada-svaret för förfrågan '{key}' (fältet 'values' saknas)."
        )
    return page


def parse_data_values(values: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Flatten Kolada data rows to tidy records; drop ``isdeleted`` rows, keep nulls and status."""
    records = []
    for row in values:
        if row.get("isdeleted"):
            continue
        for point in row.get("values") or []:
            if point.get("isdeleted"):
                continue
            value = point.get("value")
            count = point.get("count")
            records.append(
                {
                    "kpi": str(row["kpi"]),
                    "municipality": str(row["municipality"]),
                    "year": int(row["period"]),
                    "gender": str(point.get("gender") or "T"),
                    "value": float(value) if value is not None else math.nan,
                    "count": int(count) if count is not None else None,
                    "status": str(point.get("status") or ""),
                }
            )
    return records


def tidy_frame(records: Iterable[Mapping[str, Any]]) -> pd.DataFrame:
    """Typed, sorted tidy frame with :data:`DATA_COLUMNS`."""
    frame = pd.DataFrame(list(records), columns=DATA_COLUMNS)
    frame = frame.astype(
        {
            "kpi": "str",
            "municipality": "str",
            "year": "int64",
            "gender": "str",
            "value": "float64",
            "count": "Int64",
            "status": "str",
        }
    )
    frame = frame.drop_duplicates(["kpi", "municipality", "year", "gender"], keep="last")
    return frame.sort_values(["kpi", "municipality", "year", "gender"]).reset_index(drop=True)


def require_value(
    data: pd.DataFrame, kpi: str, municipality: str, year: int, gender: str = "T"
) -> float:
    """The single value asked for, or a Swedish error saying it is missing and why."""
    hit = data[
        (data["kpi"] == kpi)
        & (data["municipality"] == municipality)
        & (data["year"] == int(year))
        & (data["gender"] == gender)
    ]
    where = f"nyckeltal {kpi}, kommun {municipality}, år {year}, kön {gender}"
    if hit.empty:
        raise MissingValueError(f"Kolada har inget värde för {where}.")
    value = float(hit["value"].iloc[0])
    if math.isnan(value):
        status = hit["status"].iloc[0] or "ingen status angiven"
        raise MissingValueError(f"Kolada saknar värde för {where} (status: {status}).")
    return value


# --------------------------------------------------------------------------- client


class KoladaClient:
    """Kolada v3 client: chunks ids, follows ``next_url``, retries, and caches every page.

    ``mode`` is ``"offline"`` by default because report runs must never need the network.
    ``transport``, ``sleep`` and ``clock`` are injectable so tests use recorded responses, record
    the backoff instead of sleeping, and get fixed fetch times.
    """

    def __init__(
        self,
        cache_dir: Path | str = DEFAULT_CACHE_DIR,
        *,
        mode: Mode = "offline",
        transport: Transport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], datetime] = _utc_now,
        max_retries: int = 5,
        backoff_seconds: float = 1.0,
        max_backoff_seconds: float = 60.0,
        max_retry_after_seconds: float = 600.0,
        base_url: str = BASE_URL,
        per_page: int = PER_PAGE,
        years_per_request: int = 1,
    ) -> None:
        if mode not in ("offline", "cache", "refresh"):
            raise ValueError(f"unknown mode {mode!r}")
        self.cache_dir = Path(cache_dir)
        self.mode: Mode = mode
        self._transport = transport or urllib_transport
        self._sleep = sleep
        self._clock = clock
        self.max_retries = max_retries
        self.backoff_seconds = backoff_seconds
        self.max_backoff_seconds = max_backoff_seconds
        self.max_retry_after_seconds = max_retry_after_seconds
        self.base_url = base_url if base_url.endswith("/") else base_url + "/"
        self.per_page = per_page
        self.years_per_request = years_per_request
        self.network_requests = 0

    # ----------------------------------------------------------------- low level

    def _fetch(self, url: str, key: str) -> bytes:
        attempt = 0
        while True:
            retry_after: float | None = None
            try:
                status, headers, body = self._transport(url)
            except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
                problem = f"nätverksfel ({exc})"
            else:
                if 200 <= status < 300:
                    self.network_requests += 1
                    return body
                if status != 429 and status < 500:
                    raise KoladaError(f"Kolada svarade HTTP {status} på förfrågan '{key}' ({url}).")
                problem = f"HTTP {status}"
                if status == 429:
                    retry_after = retry_after_seconds(headers, self._clock())
            if attempt >= self.max_retries:
                raise KoladaError(
                    f"Kolada-förfrågan '{key}' misslyckades efter {attempt + 1} försök: {problem}."
                )
            if retry_after is not None:
                delay = min(retry_after, self.max_retry_after_seconds)
            else:
                delay = min(self.backoff_seconds * 2**attempt, self.max_backoff_seconds)
            self._sleep(delay)
            attempt += 1

    def _load(self, url: str) -> dict[str, Any]:
        key = request_key(url, self.base_url)
        if self.mode != "refresh":
            cached = read_cache_entry(self.cache_dir, key)
            if cached is not None:
                return _parse_page(cached, key)
            if self.mode == "offline":
                raise KoladaCacheMissError(
                    f"Kolada-data saknas i cachen {self.cache_dir} för förfrågan '{key}'. "
                    "Hämta den med 'uppfoljning kolada refresh' (kräver nätverk), "
                    "eller skapa demodata."
                )
        body = self._fetch(url, key)
        page = _parse_page(body, key)
        write_cache_entry(self.cache_dir, key, url, body, self._clock())
        return page

    def pages(self, path: str) -> Iterator[dict[str, Any]]:
        """Every page of a request, following ``next_url`` until it is null."""
        url: str | None = request_url(path, self.base_url, self.per_page)
        seen: set[str] = set()
        while url:
            key = request_key(url, self.base_url)
            if key in seen:
                raise KoladaError(f"Kolada-sidorna för '{path}' pekar i en slinga ('{key}').")
            seen.add(key)
            page = self._load(url)
            yield page
            url = page.get("next_url") or None

    def values(self, path: str) -> list[dict[str, Any]]:
        """The ``values`` of every page of a request, concatenated."""
        out: list[dict[str, Any]] = []
        for page in self.pages(path):
            out.extend(page["values"])
        return out

    # ----------------------------------------------------------------- endpoints

    def kpi_metadata(self, ids: Iterable[str]) -> pd.DataFrame:
        """Metadata (id, title, is_divided_by_gender, ...) per KPI; unknown ids are an error."""
        wanted = _sorted_unique(ids)
        rows: list[dict[str, Any]] = []
        for path in kpi_paths(wanted):
            rows.extend(self.values(path))
        found = {str(row.get("id")) for row in rows}
        unknown = [kpi for kpi in wanted if kpi not in found]
        if unknown:
            raise UnknownKpiError(
                "Okänt nyckeltal i Kolada: "
                + ", ".join(unknown)
                + ". Kolada returnerade ingen metadata; kontrollera id:t i "
                "params/jamforelsegrupper.yaml."
            )
        frame = pd.DataFrame(rows)
        for column, default in (("title", ""), ("is_divided_by_gender", False)):
            if column not in frame:
                frame[column] = default
        frame["is_divided_by_gender"] = frame["is_divided_by_gender"].fillna(False).astype(bool)
        frame["id"] = frame["id"].astype(str)
        first = ["id", "title", "is_divided_by_gender"]
        frame = frame[first + [c for c in frame.columns if c not in first]]
        return frame.sort_values("id").reset_index(drop=True)

    def municipality_group(self, group_id: str) -> MunicipalityGroup:
        """A municipality group with its members; an unknown group id is an error."""
        rows = [r for r in self.values(group_path(group_id)) if str(r.get("id")) == group_id]
        if not rows:
            raise KoladaError(f"Kolada känner inte till kommungruppen {group_id}.")
        members = []
        for member in rows[0].get("members") or []:
            if isinstance(member, Mapping):
                code = member.get("member_id", member.get("id"))
                name = member.get("member_title", member.get("title", ""))
            else:
                code, name = member, ""
            members.append((str(code), str(name)))
        return MunicipalityGroup(
            id=group_id, title=str(rows[0].get("title", "")), members=tuple(members)
        )

    def municipalities(self) -> pd.DataFrame:
        """All municipalities and regions (id, title, type)."""
        return pd.DataFrame(self.values("municipality"))

    def data(
        self, kpis: Iterable[str], municipalities: Iterable[str], years: Iterable[int]
    ) -> pd.DataFrame:
        """Tidy values (:data:`DATA_COLUMNS`) for every kpi x municipality x year.

        Group ids (e.g. G96092) may be given as municipalities: Kolada then returns the group's
        unweighted mean, with ``count`` = members that had data.
        """
        records: list[dict[str, Any]] = []
        for path in data_paths(kpis, municipalities, years, self.years_per_request):
            records.extend(parse_data_values(self.values(path)))
        return tidy_frame(records)


def refresh(
    cache_dir: Path | str,
    kpis: Sequence[str],
    municipalities: Sequence[str],
    years: Sequence[int],
    *,
    groups: Sequence[str] = (),
    transport: Transport | None = None,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], datetime] = _utc_now,
    years_per_request: int = 1,
) -> RefreshResult:
    """Fetch KPI metadata, group members and data from Kolada into ``cache_dir``.

    Used by ``uppfoljning kolada refresh``; the only function here that needs the network.
    Pass the same kpis, municipalities (group ids such as G96092 included) and years that the
    report reads, e.g. from ``uppfoljning.peers.sources.kolada_request(config, years)``, so that the
    report then finds every request in the cache offline. Everything is fetched into a staging
    directory first and moved into place only when all requests succeeded, so a failed refresh
    leaves the existing cache untouched. A demo cache (``DEMO`` marker) is replaced whole so that
    real and demo values never mix; a real cache is updated request by request (other cached
    years stay).
    Raises :class:`UnknownKpiError` if Kolada does not know a KPI id.
    """
    cache_dir = Path(cache_dir)
    cache_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{cache_dir.name}-refresh-", dir=cache_dir.parent))
    try:
        client = KoladaClient(
            staging,
            mode="refresh",
            transport=transport,
            sleep=sleep,
            clock=clock,
            years_per_request=years_per_request,
        )
        client.kpi_metadata(kpis)
        for group_id in groups:
            client.municipality_group(group_id)
        rows = len(client.data(kpis, municipalities, years))
        fetched_at = cache_fetched_at(staging) or clock()
        cache_dir.mkdir(parents=True, exist_ok=True)
        replaced_demo = is_demo_cache(cache_dir)
        if replaced_demo:
            for old in cache_files(cache_dir):
                old.unlink()
            (cache_dir / DEMO_MARKER).unlink()
        for new in sorted(staging.iterdir()):
            os.replace(new, cache_dir / new.name)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return RefreshResult(
        cache_dir=cache_dir,
        requests=client.network_requests,
        rows=rows,
        fetched_at=fetched_at,
        replaced_demo=replaced_demo,
    )
