"""Kolada client: chunking, paging, retries, parsing, cache and offline mode (no network)."""

from __future__ import annotations

import json
import math
import urllib.error
import urllib.parse
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path

import pytest

from uppfoljning.peers import kolada, kolada_cache

FIXTURES = Path(__file__).parent / "fixtures" / "kolada"
BASE = kolada.BASE_URL
DATA_PATH = "data/kpi/N33022/municipality/0181,0380,0580,G96092/year/2023"
FETCHED = datetime(2024, 9, 1, 7, 30, tzinfo=UTC)


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


class FakeTransport:
    """Serves scripted responses per request key and records every URL asked for."""

    def __init__(self, routes: Mapping[str, list] | None = None, default: object = None) -> None:
        self.routes = {key: list(responses) for key, responses in (routes or {}).items()}
        self.default = default
        self.calls: list[str] = []

    def __call__(self, url: str) -> tuple[int, Mapping[str, str], bytes]:
        self.calls.append(url)
        key = kolada.request_key(url)
        if key in self.routes and self.routes[key]:
            response = self.routes[key].pop(0)
        elif self.default is not None:
            response = self.default
        else:
            raise AssertionError(f"unexpected request {key}")
        if isinstance(response, Exception):
            raise response
        return response


def ok(body: bytes) -> tuple[int, dict[str, str], bytes]:
    return 200, {"Content-Type": "application/json"}, body


def key(path: str, **query: str) -> str:
    query = {"per_page": "5000", **query}
    return kolada.request_key(f"{BASE}{path}?" + "&".join(f"{k}={v}" for k, v in query.items()))


def paged_transport() -> FakeTransport:
    return FakeTransport(
        {
            key(DATA_PATH): [ok(fixture("data_N33022_page1.json"))],
            key(DATA_PATH, page="2"): [ok(fixture("data_N33022_page2.json"))],
        }
    )


def client(
    tmp_path: Path, transport=None, mode: kolada.Mode = "cache", **kwargs
) -> kolada.KoladaClient:
    sleeps = kwargs.pop("sleeps", [])
    return kolada.KoladaClient(
        tmp_path / "kolada",
        mode=mode,
        transport=transport or FakeTransport(),
        sleep=sleeps.append,
        clock=lambda: FETCHED,
        **kwargs,
    )


# --------------------------------------------------------------------------- chunking


def test_chunked_at_25() -> None:
    assert [len(c) for c in kolada.chunked(range(60))] == [25, 25, 10]
    assert kolada.chunked([]) == []
    with pytest.raises(ValueError):
        kolada.chunked(range(3), 26)


def test_data_ids_are_chunked_at_25_per_path_segment(tmp_path: Path) -> None:
    empty = ok(b'{"values": [], "count": 0, "next_url": null, "previous_url": null}')
    transport = FakeTransport(default=empty)
    kpis = [f"N{i:05d}" for i in range(30)]
    munis = [f"{i:04d}" for i in range(1, 28)]
    frame = client(tmp_path, transport).data(kpis, munis, [2022, 2023])
    assert frame.empty and list(frame.columns) == kolada.DATA_COLUMNS
    # 2 KPI chunks x 2 municipality chunks x 2 years (one year per request)
    assert len(transport.calls) == 8
    for url in transport.calls:
        segments = urllib.parse.urlsplit(url).path.split("/")
        kpi_ids = segments[segments.index("kpi") + 1].split(",")
        muni_ids = segments[segments.index("municipality") + 1].split(",")
        assert len(kpi_ids) <= 25 and len(muni_ids) <= 25
        assert "per_page=5000" in url
    first = urllib.parse.urlsplit(transport.calls[0]).path
    assert first.startswith("/v3/data/kpi/" + ",".join(kpis[:25]) + "/municipality/")


def test_kpi_metadata_chunked(tmp_path: Path) -> None:
    ids = [f"N{i:05d}" for i in range(26)]
    assert [p.count(",") + 1 for p in kolada.kpi_paths(ids)] == [25, 1]


# --------------------------------------------------------------------------- paging and parsing


def test_paging_follows_next_url(tmp_path: Path) -> None:
    transport = paged_transport()
    frame = client(tmp_path, transport).data(["N33022"], ["0580", "0181", "G96092", "0380"], [2023])
    assert len(transport.calls) == 2
    assert "page=2" in transport.calls[1]
    assert set(frame["municipality"]) == {"0181", "0380", "0580", "G96092"}
    group = frame[frame["municipality"] == "G96092"].iloc[0]
    assert group["value"] == 10400.0 and group["count"] == 9


def test_isdeleted_dropped_and_null_value_kept_with_status(tmp_path: Path) -> None:
    frame = client(tmp_path, paged_transport()).data(
        ["N33022"], ["0181", "0380", "0580", "G96092"], [2023]
    )
    assert not ((frame["municipality"] == "0380") & (frame["gender"] == "K")).any()
    missing = frame[frame["municipality"] == "0181"].iloc[0]
    assert math.isnan(missing["value"]) and missing["status"] == "Missing"
    assert frame["year"].dtype == "int64" and frame["value"].dtype == "float64"
    with pytest.raises(kolada.MissingValueError, match="status: Missing"):
        kolada.require_value(frame, "N33022", "0181", 2023)
    with pytest.raises(kolada.MissingValueError, match="inget värde"):
        kolada.require_value(frame, "N33022", "0484", 2023)
    assert kolada.require_value(frame, "N33022", "0580", 2023) == 9500.0


def test_request_key_is_canonical() -> None:
    a = kolada.request_key(
        f"{BASE}data/kpi/N1/municipality/0580%2C0581/year/2023?per_page=5000&page=2"
    )
    b = kolada.request_key(
        "http://api.kolada.se/v3/data/kpi/N1/municipality/0580,0581/year/2023?page=2&per_page=5000"
    )
    assert a == b == "data/kpi/N1/municipality/0580,0581/year/2023?page=2&per_page=5000"


# --------------------------------------------------------------------------- retries


def test_retry_on_429_honours_retry_after_then_backs_off_on_5xx_and_network_errors(
    tmp_path: Path,
) -> None:
    sleeps: list[float] = []
    transport = FakeTransport(
        {
            key("kpi/N33022"): [
                (429, {"retry-after": "7"}, b"slow down"),
                (503, {}, b"unavailable"),
                urllib.error.URLError("connection reset"),
                ok(fixture("kpi_N33022.json")),
            ]
        }
    )
    meta = client(tmp_path, transport, sleeps=sleeps, backoff_seconds=1.0).kpi_metadata(["N33022"])
    assert sleeps == [7.0, 2.0, 4.0]  # Retry-After, then 1 s x 2^attempt
    assert len(transport.calls) == 4
    assert meta.loc[0, "title"].startswith("Kostnad familje- och HVB")


def test_retry_after_as_http_date(tmp_path: Path) -> None:
    sleeps: list[float] = []
    transport = FakeTransport(
        {
            key("kpi/N33022"): [
                (429, {"Retry-After": "Sun, 01 Sep 2024 07:30:30 GMT"}, b""),
                ok(fixture("kpi_N33022.json")),
            ]
        }
    )
    client(tmp_path, transport, sleeps=sleeps).kpi_metadata(["N33022"])
    assert sleeps == [30.0]


def test_gives_up_after_max_retries_with_swedish_message(tmp_path: Path) -> None:
    sleeps: list[float] = []
    transport = FakeTransport(default=(500, {}, b"error"))
    c = client(tmp_path, transport, sleeps=sleeps, max_retries=2, backoff_seconds=0.5)
    with pytest.raises(kolada.KoladaError, match="misslyckades efter 3 försök: HTTP 500"):
        c.kpi_metadata(["N33022"])
    assert sleeps == [0.5, 1.0]
    assert not list((tmp_path / "kolada").glob("*.json"))  # nothing cached on failure


def test_client_errors_are_not_retried(tmp_path: Path) -> None:
    sleeps: list[float] = []
    transport = FakeTransport(default=(400, {}, b"bad request"))
    with pytest.raises(kolada.KoladaError, match="HTTP 400"):
        client(tmp_path, transport, sleeps=sleeps).kpi_metadata(["N33022"])
    assert sleeps == [] and len(transport.calls) == 1


# --------------------------------------------------------------------------- cache and offline


def test_cache_round_trip_and_offline_mode(tmp_path: Path) -> None:
    online = client(tmp_path, paged_transport())
    fetched = online.data(["N33022"], ["0181", "0380", "0580", "G96092"], [2023])
    cache_dir = tmp_path / "kolada"
    body = kolada_cache.read_cache_entry(cache_dir, key(DATA_PATH))
    assert body == fixture("data_N33022_page1.json")  # stored byte for byte as received
    entries = kolada_cache.cache_entries(cache_dir)
    assert sorted(entries["request"]) == sorted([key(DATA_PATH), key(DATA_PATH, page="2")])
    meta_file = cache_dir / entries["file"].iloc[0].replace(".json", kolada_cache.META_SUFFIX)
    meta = json.loads(meta_file.read_text(encoding="utf-8"))
    assert meta["fetched_at"] == "2024-09-01T07:30:00+00:00" and meta["url"].startswith(BASE)

    refusing = FakeTransport(default=urllib.error.URLError("no network in tests"))
    offline = client(tmp_path, refusing, mode="offline")
    again = offline.data(["N33022"], ["G96092", "0580", "0380", "0181"], [2023])
    assert refusing.calls == []
    assert again.equals(fetched)

    with pytest.raises(kolada.KoladaCacheMissError) as err:
        offline.data(["N33022"], ["0580"], [2022])
    message = str(err.value)
    assert "saknas i cachen" in message
    assert "data/kpi/N33022/municipality/0580/year/2022?per_page=5000" in message
    assert "uppfoljning kolada refresh" in message


def test_default_mode_is_offline(tmp_path: Path) -> None:
    transport = FakeTransport(default=ok(fixture("kpi_N33022.json")))
    c = kolada.KoladaClient(tmp_path, transport=transport)
    with pytest.raises(kolada.KoladaCacheMissError):
        c.kpi_metadata(["N33022"])
    assert transport.calls == []


def test_unknown_kpi_gives_clear_message(tmp_path: Path) -> None:
    transport = FakeTransport({key("kpi/N99999"): [ok(fixture("kpi_unknown.json"))]})
    with pytest.raises(kolada.UnknownKpiError, match="Okänt nyckeltal i Kolada: N99999"):
        client(tmp_path, transport).kpi_metadata(["N99999"])


def test_municipality_group_members(tmp_path: Path) -> None:
    transport = FakeTransport(
        {key("municipality_groups/G96092"): [ok(fixture("municipality_groups_G96092.json"))]}
    )
    group = client(tmp_path, transport).municipality_group("G96092")
    assert group.title == "Resultatnätverket R9"
    assert group.member_codes == (
        "0181",
        "0380",
        "0484",
        "0580",
        "0581",
        "0680",
        "1880",
        "1980",
        "2180",
    )
    assert dict(group.members)["1880"] == "Örebro"


def test_cache_date_is_the_oldest_fetch(tmp_path: Path) -> None:
    cache_dir = tmp_path / "kolada"
    assert kolada_cache.cache_fetched_at(cache_dir) is None
    assert kolada_cache.cache_note(cache_dir) == "Kolada-data saknas i cachen."
    kolada_cache.write_cache_entry(cache_dir, "kpi/N1", f"{BASE}kpi/N1", b"{}", FETCHED)
    older = datetime(2024, 3, 5, 12, 0, tzinfo=UTC)
    kolada_cache.write_cache_entry(cache_dir, "kpi/N2", f"{BASE}kpi/N2", b"{}", older)
    assert kolada_cache.cache_fetched_at(cache_dir) == older
    assert kolada_cache.cache_note(cache_dir) == "Kolada-data hämtad 2024-03-05."
    (cache_dir / kolada_cache.DEMO_MARKER).write_text("", encoding="utf-8")
    assert kolada_cache.is_demo_cache(cache_dir)
    assert "demodata" in kolada_cache.cache_note(cache_dir)
    (cache_dir / kolada_cache.DEMO_MARKER).write_text("\nDemo: påhittat.\nmer text\n", "utf-8")
    assert kolada_cache.cache_note(cache_dir) == "Kolada-data hämtad 2024-03-05. Demo: påhittat."


def test_cache_file_names_are_readable_and_safe() -> None:
    long_key = "data/kpi/" + ",".join(f"N{i:05d}" for i in range(25)) + "/year/2023?per_page=5000"
    name = kolada_cache.cache_file_name(long_key)
    assert name.startswith("data_kpi_N00000..N00024_n25_year_2023_per_page=5000-")
    assert len(name) < 150 and "/" not in name and "?" not in name
    assert kolada_cache.cache_file_name(long_key) != kolada_cache.cache_file_name(
        long_key.replace("3?", "2?")
    )


# --------------------------------------------------------------------------- refresh


def refresh_transport() -> FakeTransport:
    return FakeTransport(
        {
            key("kpi/N33022"): [ok(fixture("kpi_N33022.json"))],
            key("municipality_groups/G96092"): [ok(fixture("municipality_groups_G96092.json"))],
            key(DATA_PATH): [ok(fixture("data_N33022_page1.json"))],
            key(DATA_PATH, page="2"): [ok(fixture("data_N33022_page2.json"))],
        }
    )


def test_refresh_fills_cache_and_replaces_demo(tmp_path: Path) -> None:
    cache_dir = tmp_path / "kolada"
    kolada_cache.write_cache_entry(cache_dir, "kpi/N00001", f"{BASE}kpi/N00001", b"{}", FETCHED)
    (cache_dir / kolada_cache.DEMO_MARKER).write_text("demo", encoding="utf-8")
    result = kolada.refresh(
        cache_dir,
        ["N33022"],
        ["0181", "0380", "0580", "G96092"],
        [2023],
        groups=["G96092"],
        transport=refresh_transport(),
        sleep=lambda s: None,
        clock=lambda: FETCHED,
    )
    assert result.replaced_demo and result.requests == 4 and result.rows == 4
    assert result.fetched_at == FETCHED
    assert not kolada_cache.is_demo_cache(cache_dir)
    assert "kpi/N00001" not in set(kolada_cache.cache_entries(cache_dir)["request"])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kolada"]  # staging removed
    offline = kolada.KoladaClient(cache_dir)
    assert len(offline.data(["N33022"], ["0181", "0380", "0580", "G96092"], [2023])) == 4
    assert offline.municipality_group("G96092").id == "G96092"


def test_failed_refresh_leaves_cache_untouched(tmp_path: Path) -> None:
    cache_dir = tmp_path / "kolada"
    kolada_cache.write_cache_entry(cache_dir, "kpi/N00001", f"{BASE}kpi/N00001", b"{}", FETCHED)
    before = sorted(p.name for p in cache_dir.iterdir())
    transport = refresh_transport()
    transport.routes[key(DATA_PATH, page="2")] = [(404, {}, b"")]
    with pytest.raises(kolada.KoladaError):
        kolada.refresh(
            cache_dir,
            ["N33022"],
            ["0181", "0380", "0580", "G96092"],
            [2023],
            transport=transport,
            sleep=lambda s: None,
        )
    assert sorted(p.name for p in cache_dir.iterdir()) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kolada"]


def test_refresh_stops_on_unknown_kpi(tmp_path: Path) -> None:
    transport = FakeTransport({key("kpi/N99999"): [ok(fixture("kpi_unknown.json"))]})
    with pytest.raises(kolada.UnknownKpiError):
        kolada.refresh(tmp_path / "kolada", ["N99999"], ["0580"], [2023], transport=transport)
    assert not (tmp_path / "kolada").exists()
