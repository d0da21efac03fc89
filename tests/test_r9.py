"""R9 analyses, peer-group configuration and the demo Kolada cache (no network)."""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import math
from pathlib import Path

import pandas as pd
import pytest
import yaml

from uppfoljning.data.params import domains
from uppfoljning.demo import kolada as kolada_demo
from uppfoljning.demo import published_text
from uppfoljning.peers import catalogue, checks, kolada, kolada_cache, r9, sources

CONFIG_PATH = Path(__file__).resolve().parents[1] / "params" / catalogue.CONFIG_FILE
FIXTURES = Path(__file__).parent / "fixtures" / "kolada"
MEMBERS = ["0181", "0380", "0484", "0580", "0581", "0680", "1880", "1980", "2180"]
COST = dict(
    zip(MEMBERS, [10000, 12000, 9000, 9500, 11000, 10500, 12500, 11300, 10194], strict=True)
)
PLACED = dict(zip(MEMBERS, [10.0, 11.0, 9.0, 8.5, 10.5, 9.5, 12.0, 11.0, 10.4], strict=True))
POPULATION = dict(
    zip(
        MEMBERS,
        [101_900, 244_900, 107_400, 166_700, 145_000, 144_900, 158_300, 157_900, 103_500],
        strict=True,
    )
)


@pytest.fixture(scope="module")
def config() -> catalogue.R9Config:
    return catalogue.load_config(CONFIG_PATH)


def record(
    kpi: str, code: str, year: int, value: float | None, gender: str = "T", status: str = ""
) -> dict:
    return {
        "kpi": kpi,
        "municipality": code,
        "year": year,
        "gender": gender,
        "value": math.nan if value is None else value,
        "count": 1,
        "status": status,
    }


@pytest.fixture()
def data() -> pd.DataFrame:
    rows = []
    for code in MEMBERS:
        rows.append(record("N33022", code, 2023, COST[code]))
        rows.append(record("N33818", code, 2023, PLACED[code]))
        rows.append(record("N33818", code, 2023, PLACED[code] * 0.9, gender="K"))
        rows.append(record("N33818", code, 2023, PLACED[code] * 1.1, gender="M"))
        rows.append(record("N01951", code, 2023, POPULATION[code]))
        rows.append(record("N33900", code, 2023, 24.6 if code == "0580" else 25.0))
        rows.append(record("N33009", code, 2023, 1060))
        value = None if code == "0181" else (800 if code == "0580" else 1100)
        rows.append(record("N35001", code, 2023, value, status="Missing" if value is None else ""))
    rows.append(record("N33022", "G96092", 2023, sum(COST.values()) / 9))
    return kolada.tidy_frame(rows)


# --------------------------------------------------------------------------- configuration


def test_config_defaults(config: catalogue.R9Config) -> None:
    assert config.municipality == catalogue.Municipality("0580", "Linköping")
    assert config.group.kolada_id == "G96092" and config.group.name == "Resultatnätverket R9"
    assert [m.code for m in config.group.members] == MEMBERS
    assert config.group.mean_includes_own is True
    assert [k.id for k in config.kpis if k.goal] == ["N35001", "N33022", "N33009"]
    assert config.goal_text("N33022") == "Samma eller lägre än R9-snitt"
    assert config.kpi("N33022").population == "0-20" and config.kpi("N33009").population == "totalt"
    assert config.decomposition == catalogue.Decomposition("N33022", "N33818")
    request = sources.kolada_request(config, [2023, 2022, 2023])
    assert request["years"] == [2022, 2023] and request["groups"] == ["G96092"]
    assert request["municipalities"][-1] == "G96092"
    assert {"N01951", "N33900"} <= set(request["kpis"])


def test_config_lists_every_unknown_key() -> None:
    raw = yaml.safe_load(CONFIG_PATH.read_text(encoding="utf-8"))
    raw["extra"] = 1
    raw["grupper"]["r9"]["medlemar"] = []
    raw["nyckeltal"][1]["enhett"] = "kr"
    with pytest.raises(catalogue.ConfigError) as err:
        catalogue.parse_config(raw, source="test.yaml")
    first = err.value.problems[0]
    assert first.startswith("okända nycklar")
    for path in ("extra", "grupper.r9.medlemar", "nyckeltal[1].enhett"):
        assert path in first
    assert "test.yaml" in str(err.value)


def test_config_collects_other_problems() -> None:
    raw = yaml.safe_load(CONFIG_PATH.read_text(encoding="utf-8"))
    raw["kommun"]["kod"] = 580
    raw["jamforelsegrupp"] = "r12"
    raw["nyckeltal"][0]["mal"] = "lagst"
    raw["nyckeltal"][1]["befolkning"] = "0-17"
    raw["nyckeltal"].append(dict(raw["nyckeltal"][2]))
    with pytest.raises(catalogue.ConfigError) as err:
        catalogue.parse_config(raw)
    text = "\n".join(err.value.problems)
    for fragment in (
        "kommun.kod",
        "'r12'",
        "nyckeltal[0].mal",
        "nyckeltal[1].befolkning",
        "dubbletter N33009",
    ):
        assert fragment in text


def test_the_catalogues_texts_and_roles_cover_the_models_allowed_values() -> None:
    assert set(catalogue.GOAL_CONDITIONS) == set(domains.GOAL_CONDITIONS)
    assert set(domains.ROLES) <= set(catalogue.ROLES)


def test_report_years(config: catalogue.R9Config) -> None:
    assert catalogue.report_years(config, "2024-08") == list(range(2015, 2024))
    with pytest.raises(ValueError):
        catalogue.report_years(config, "2024-13")


# --------------------------------------------------------------------------- analyses


def test_peer_mean_is_unweighted_with_group_value_beside(config, data) -> None:
    means = r9.peer_means(data, config).set_index(["kpi", "year"])
    row = means.loc[("N33022", 2023)]
    assert row["mean"] == sum(COST.values()) / 9
    weighted = sum(COST[c] * POPULATION[c] for c in MEMBERS) / sum(POPULATION.values())
    assert not math.isclose(row["mean"], weighted)
    assert row["n"] == 9 and row["n_expected"] == 9
    assert row["group_value"] == row["mean"] and row["group_diff"] == 0
    missing = means.loc[("N35001", 2023)]  # one member lacks a value: mean over the other eight
    assert missing["n"] == 8 and missing["mean"] == (800 + 7 * 1100) / 8


def test_mean_can_exclude_the_own_municipality(config, data) -> None:
    group = dataclasses.replace(config.group, mean_includes_own=False)
    excluding = dataclasses.replace(config, group=group)
    row = r9.peer_means(data, excluding).set_index(["kpi", "year"]).loc[("N33022", 2023)]
    assert row["mean"] == (sum(COST.values()) - COST["0580"]) / 8 and row["n_expected"] == 8
    assert row["group_diff"] != 0  # Kolada's group mean includes every member


def test_gap_in_kronor_percent_and_mnkr(config, data) -> None:
    g = r9.gaps(data, config).set_index(["kpi", "year"]).loc[("N33022", 2023)]
    mean = sum(COST.values()) / 9
    assert g["own"] == 9500 and g["gap"] == 9500 - mean
    assert g["gap_pct"] == pytest.approx((9500 - mean) / mean * 100)
    assert g["population_base"] == "0-20"
    assert g["population"] == pytest.approx(166_700 * 24.6 / 100)
    assert g["gap_mnkr"] == pytest.approx((9500 - mean) * 166_700 * 0.246 / 1e6)
    total = r9.gaps(data, config).set_index(["kpi", "year"]).loc[("N33009", 2023)]
    assert total["population"] == 166_700 and total["gap"] == 0 and total["gap_mnkr"] == 0
    per_child = r9.gaps(data, config).set_index(["kpi", "year"]).loc[("N33818", 2023)]
    assert math.isnan(per_child["gap_mnkr"])  # not per inhabitant: no mnkr


def test_rank_one_is_lowest_and_ties_share(config, data) -> None:
    ranks = r9.ranks(data, config)
    cost = ranks[(ranks["kpi"] == "N33022") & (ranks["year"] == 2023)].set_index("municipality")
    assert cost.loc["0484", "rank"] == 1 and cost.loc["1880", "rank"] == 9
    assert cost.loc["0580", "rank"] == 2 and cost.loc["0580", "is_own"]
    tied = ranks[(ranks["kpi"] == "N33009")]
    assert set(tied["rank"]) == {1} and set(tied["n"]) == {9}
    abuse = ranks[ranks["kpi"] == "N35001"].set_index("municipality")
    assert "0181" not in abuse.index and set(abuse["n"]) == {8}


def test_goal_status(config, data) -> None:
    status = r9.goal_status(data, config).set_index(["kpi", "year"])
    assert status.loc[("N33022", 2023), "status"] == r9.GOAL_MET == "Uppfyllt"
    assert status.loc[("N33009", 2023), "status"] == "Uppfyllt"  # equal counts as met
    assert status.loc[("N33022", 2023), "target"] == "Samma eller lägre än R9-snitt"
    dearer = data.copy()
    dearer.loc[(dearer["kpi"] == "N33009") & (dearer["municipality"] == "0580"), "value"] = 1061
    assert (
        r9.goal_status(dearer, config).set_index(["kpi", "year"]).loc[("N33009", 2023), "status"]
        == r9.GOAL_NOT_MET
        == "Ej uppfyllt"
    )
    lacking = data[~((data["kpi"] == "N35001") & (data["municipality"] == "0580"))]
    assert (
        r9.goal_status(lacking, config).set_index(["kpi", "year"]).loc[("N35001", 2023), "status"]
        == r9.GOAL_NO_DATA
    )


def test_placement_decomposition_adds_up_exactly(config, data) -> None:
    d = r9.placement_decomposition(data, config).iloc[0]
    c, c_bar = 9500.0, sum(COST.values()) / 9
    p, p_bar = 8.5, sum(PLACED.values()) / 9
    assert d["gap"] == c - c_bar
    assert d["volume_effect"] + d["price_effect"] == d["gap"]  # exactly, not approximately
    assert d["gap_mnkr"] == pytest.approx(d["volume_effect_mnkr"] + d["price_effect_mnkr"])
    # identity on both sides: cost = placed × cost per placed child / 1000
    assert d["cost_per_placed"] * p / 1000 == pytest.approx(c)
    assert d["peer_cost_per_placed"] * p_bar / 1000 == pytest.approx(c_bar)
    # the residual form equals the log-mean (LMDI) term
    log_mean = (c - c_bar) / (math.log(c) - math.log(c_bar))
    assert d["volume_effect"] == pytest.approx(log_mean * math.log(p / p_bar))
    assert d["price_effect"] == pytest.approx(
        log_mean * math.log(d["cost_per_placed"] / d["peer_cost_per_placed"]), abs=1e-9
    )
    assert d["volume_effect"] < 0 < d["price_effect"]  # fewer placements, dearer per child


def test_gender_split(config, data) -> None:
    split = r9.gender_split(data, config)
    assert set(split["kpi"]) == {"N33818"}
    own = split[split["municipality"] == "0580"].set_index("gender")["value"]
    assert own["K"] == pytest.approx(8.5 * 0.9) and own["M"] == pytest.approx(8.5 * 1.1)
    mean = split[split["municipality"] == "R9"].set_index("gender")["value"]
    assert mean["T"] == pytest.approx(sum(PLACED.values()) / 9)


def test_r9_jamforelse_table(config, data) -> None:
    table = r9.r9_jamforelse(data, config)
    assert list(table.columns) == r9.TABLE_COLUMNS == ["rad", "kpi", "ar", "kommun", "varde"]
    cost = table[table["kpi"] == "N33022"]
    assert list(cost["kommun"]) == [*MEMBERS, "R9", "G96092"]
    assert set(cost["rad"]) == {"Kostnad familjehem och HVB barn och unga kr/inv 0-20 år"}
    assert cost.set_index("kommun").loc["R9", "varde"] == sum(COST.values()) / 9
    assert r9.SOURCES == {"raw": "Källa: Kolada", "derived": "Egen bearbetning av data från Kolada"}


def test_notes(config, data) -> None:
    notes = checks.missing_notes(data, config, [2023])
    abuse = next(n for n in notes if "(N35001)" in n)
    assert "Södertälje (0181; uppgift saknas)" in abuse  # Kolada's status, in Swedish
    group = kolada.MunicipalityGroup(
        "G96092", "Resultatnätverket R9", tuple((c, "") for c in MEMBERS[1:])
    )
    assert checks.membership_differences(config, group) == [
        "params/jamforelsegrupper.yaml räknar 0181 till gruppen, men inte Kolada (G96092)."
    ]
    meta = pd.DataFrame(
        {
            "id": ["N33022", "N33009"],
            "title": ["Kostnad familje- och HVB barn och unga, kr/inv 0-20 år", "Något helt annat"],
        }
    )
    assert checks.title_mismatches(config, meta) == [
        "N33009: Koladas titel är nu ”Något helt annat”, params/jamforelsegrupper.yaml anger "
        "”Kostnad öppna insatser barn och unga, kr/inv”; kontrollera att nyckeltalet fortfarande "
        "mäter samma sak."
    ]
    unrecorded = dataclasses.replace(
        config,
        kpis=tuple(dataclasses.replace(k, kolada_title=None) for k in config.kpis),
    )
    assert checks.title_mismatches(unrecorded, meta) == [
        "N33022: rapporten kallar nyckeltalet ”Kostnad familjehem och HVB barn och unga kr/inv "
        "0-20 år”, Kolada ”Kostnad familje- och HVB barn och unga, kr/inv 0-20 år” (ingen "
        "kolada_titel i params/jamforelsegrupper.yaml).",
        "N33009: rapporten kallar nyckeltalet ”Kostnad öppna insatser barn och unga kr/inv”, "
        "Kolada ”Något helt annat” (ingen kolada_titel i params/jamforelsegrupper.yaml).",
    ]


# --------------------------------------------------------------------------- Kolada's titles


def recorded_metadata(name: str = "kpi_r9.json") -> pd.DataFrame:
    """Kolada's KPI metadata as recorded (see tests/fixtures/kolada/README.md)."""
    body = json.loads((FIXTURES / name).read_text(encoding="utf-8"))
    return pd.DataFrame(body["values"])


V3_KPI_FIELDS = {
    "id",
    "title",
    "description",
    "is_divided_by_gender",
    "municipality_type",
    "auspice",
    "operating_area",
    "perspective",
    "prel_publication_date",
    "publication_date",
    "publ_period",
    "has_ou_data",
}


def test_catalogue_ids_match_koladas_recorded_titles(config) -> None:
    body = json.loads((FIXTURES / "kpi_r9.json").read_text(encoding="utf-8"))
    assert body["count"] == len(body["values"])
    assert all(set(row) == V3_KPI_FIELDS for row in body["values"])
    meta = recorded_metadata()
    assert set(meta["id"]) == set(sources.kolada_request(config, [2023])["kpis"])  # every KPI used
    titles = dict(zip(meta["id"], meta["title"], strict=True))
    for k in config.kpis:
        assert k.kolada_title == titles[k.id], k.id
    assert checks.title_mismatches(config, meta) == []
    assert checks.role_conflicts(config, meta) == []
    # The ids of issue 10: N33816 HVB, N33817 family homes, N33818 both (the total).
    assert config.kpi("N33818").role == "placerade_hvb_eller_familjehem"
    assert config.kpi("N33816").role == "placerade_hvb" and config.kpi("N33816").part_of == "N33818"
    assert config.kpi("N33817").role == "placerade_familjehem"
    assert "öppna insatser" in titles["N33021"] and "öppna insatser" in config.label("N33021")
    assert titles == kolada_demo.KOLADA_TITLES  # the demo answers with Kolada's titles


def test_roles_are_checked_against_the_titles() -> None:
    total = catalogue.ROLES["placerade_hvb_eller_familjehem"]
    hvb = catalogue.ROLES["placerade_hvb"]
    only_hvb = "Barn och unga 0-20 år som har varit placerade på HVB någon gång under året"
    both = "Barn och unga 0-20 år som har varit placerade på HVB eller familjehem under året"
    assert total.conflict(both) is None and hvb.conflict(only_hvb) is None
    assert total.conflict(only_hvb) == "titeln nämner inte familjehem"
    assert hvb.conflict(both) == "titeln nämner familjehem, vilket rollen utesluter"
    cost = catalogue.ROLES["kostnad_familjehem_och_hvb"]
    assert cost.conflict("Kostnad familje- och HVB barn och unga, kr/inv 0-20 år") is None
    assert cost.conflict("Kostnad öppna insatser barn och unga, kr/inv") == (
        "titeln nämner inte familjehem eller HVB eller 0–20 år"
    )


def test_decomposition_refused_when_koladas_titles_contradict_the_roles(config, data) -> None:
    swapped = recorded_metadata("kpi_r9_swapped.json")
    with pytest.raises(r9.DecompositionRefusedError) as err:
        r9.placement_decomposition(data, config, swapped)
    conflicts = {c.kpi: c for c in err.value.conflicts}
    assert set(conflicts) == {"N33818"}  # N33816 is no input of the decomposition
    text = conflicts["N33818"].text
    assert text.startswith("N33818: Koladas titel är ”Barn och unga 0-20 år som har varit ")
    assert "placerade på HVB någon gång under året" in text
    assert "använder nyckeltalet som placerade barn och unga 0–20 år i HVB eller familjehem" in text
    assert "titeln nämner inte familjehem" in text
    assert {c.kpi for c in checks.role_conflicts(config, swapped)} == {"N33816", "N33818"}
    # With Kolada's real titles the same data are decomposed.
    assert len(r9.placement_decomposition(data, config, recorded_metadata())) == 1


def test_the_old_swapped_catalogue_is_refused(config, data) -> None:
    """The catalogue before issue 10 used N33816 (HVB only) as the total: refused."""
    raw = yaml.safe_load(CONFIG_PATH.read_text(encoding="utf-8"))
    ids = {"N33816": "N33818", "N33818": "N33816"}
    for item in raw["nyckeltal"]:
        item["id"] = ids.get(item["id"], item["id"])
        if item.get("del_av") in ids:
            item["del_av"] = ids[item["del_av"]]
        item.pop("kolada_titel", None)
    raw["nedbrytning"]["placerade"] = "N33816"
    old = catalogue.parse_config(raw)
    assert old.decomposition == catalogue.Decomposition("N33022", "N33816")
    swapped_data = data.assign(kpi=data["kpi"].replace({"N33818": "N33816"}))
    with pytest.raises(r9.DecompositionRefusedError) as err:
        r9.placement_decomposition(swapped_data, old, recorded_metadata())
    assert [c.kpi for c in err.value.conflicts] == ["N33816"]


def test_decomposition_inputs_need_their_roles() -> None:
    raw = yaml.safe_load(CONFIG_PATH.read_text(encoding="utf-8"))
    raw["nedbrytning"]["placerade"] = "N33816"
    raw["nyckeltal"][0]["roll"] = "okand"
    with pytest.raises(catalogue.ConfigError) as err:
        catalogue.parse_config(raw)
    text = "\n".join(err.value.problems)
    assert "nyckeltal[0].roll: ska vara en av" in text
    assert (
        "nedbrytning.placerade: N33816 ska ha roll placerade_hvb_eller_familjehem "
        "(placerade barn och unga 0–20 år i HVB eller familjehem (alla placerade)), har "
        "placerade_hvb."
    ) in text


# --------------------------------------------------------------------------- demo cache


def published() -> list[dict[str, str]]:
    text = published_text("r9.csv")
    return list(csv.DictReader(io.StringIO(text)))


def test_demo_cache_reproduces_the_published_r9_figures(tmp_path: Path, config) -> None:
    cache_dir = kolada_demo.write_demo_kolada_cache(tmp_path / "kolada", config)
    years = catalogue.report_years(config, "2024-08")
    bundle = sources.load_kolada(config, years, cache_dir)  # offline: every request is in the cache
    assert bundle.demo and "demodata" in bundle.note
    assert bundle.fetched_at == kolada_demo.DEMO_FETCHED_AT
    assert checks.membership_differences(config, bundle.group) == []
    assert checks.title_mismatches(config, bundle.kpi_metadata) == []

    table = r9.r9_jamforelse(bundle.data, config)
    values = table.set_index(["kpi", "ar", "kommun"])["varde"]
    rows = published()
    assert len(rows) == 6
    for row in rows:
        key = (row["kpi"], int(row["ar"]))
        assert values[(*key, "0580")] == float(row["linkoping_kr_per_inv"])
        assert values[(*key, "R9")] == float(row["r9_snitt_kr_per_inv"])
        assert values[(*key, "G96092")] == float(row["r9_snitt_kr_per_inv"])
        peers = [values[(*key, c)] for c in MEMBERS if c != "0580"]
        assert len(set(peers)) == 8  # the other eight are distinct demo values
    suite = table[table["kommun"] == "R9"].set_index(["kpi", "ar"])["varde"]
    group = table[table["kommun"] == "G96092"].set_index(["kpi", "ar"])["varde"]
    assert list(group.index) == list(suite.index)
    assert group.to_numpy() == pytest.approx(suite.to_numpy(), rel=1e-12)
    assert set(table["ar"]) == set(range(2015, 2024))
    status = r9.goal_status(bundle.data, config).set_index(["kpi", "year"])["status"]
    assert status[("N33009", 2023)] == "Ej uppfyllt" and status[("N33022", 2023)] == "Uppfyllt"


def test_demo_refuses_to_overwrite_real_data(tmp_path: Path, config) -> None:
    cache_dir = tmp_path / "kolada"
    kolada_cache.write_cache_entry(cache_dir, "kpi/N33022", "x", b"{}", kolada_demo.DEMO_FETCHED_AT)
    with pytest.raises(FileExistsError):
        kolada_demo.write_demo_kolada_cache(cache_dir, config)
    kolada_demo.write_demo_kolada_cache(cache_dir, config, force=True)
    assert kolada_cache.is_demo_cache(cache_dir)


def test_demo_group_value_is_koladas_own_with_members_missing(tmp_path: Path, config) -> None:
    """G96092 is written from the demo's targets, not by averaging the members' values, and
    counts only the members Kolada has a value for, as Kolada's `count` does."""
    cache_dir = kolada_demo.write_demo_kolada_cache(tmp_path / "kolada", config)
    years = catalogue.report_years(config, "2024-08")
    bundle = sources.load_kolada(config, years, cache_dir)
    data = bundle.data.set_index(["kpi", "municipality", "year", "gender"])
    means = r9.peer_means(bundle.data, config).set_index(["kpi", "year"])
    assert kolada_demo.MISSING
    for kpi, code, year in kolada_demo.MISSING:
        row = data.loc[(kpi, code, year, "T")]
        assert math.isnan(row["value"]) and row["status"] == "Missing"
        group = data.loc[(kpi, "G96092", year, "T")]
        assert group["count"] == 8
        mean = means.loc[(kpi, year)]
        assert mean["n"] == 8 == mean["group_count"]
        assert mean["group_value"] == pytest.approx(mean["mean"], abs=1e-9)
        # Dividing by all nine members, as if the missing one were zero, would not agree.
        values = data.xs((kpi, year, "T"), level=("kpi", "year", "gender"))["value"]
        wrong = values.reindex(MEMBERS).fillna(0).sum() / 9
        assert abs(wrong - group["value"]) > 0.05 * group["value"]
    # Kolada's value is the demo's target: N35025 2023 is its level, 3 950 kr per care day, over
    # the eight members that have a value.
    assert data.loc[("N35025", "G96092", 2023, "T"), "value"] == 3950.0
    complete = means[means["n"] == 9]
    assert set(complete["group_count"]) == {9}
    assert (complete["group_diff"].abs() < 1e-6).all()
