"""The results tables an analyst reads: ids, names, decoded codes, one type per column, described files."""

import re
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import ecosim
from ecosim.runner import git_state, versions
from ecosim.scenario import load_scenario
from ecosim.store import read_described, read_run, save_run
from ecosim.tables import COLUMNS, ID, INDICATOR_COLUMNS, OUTCOMES, TABLES, column, outcomes_table

ROOT = Path(__file__).resolve().parents[1]
PILOTS = ROOT / "scenarios" / "flanders-pilots.toml"


@pytest.fixture(scope="module")
def pilots() -> ecosim.RunResult:
    """Five regions, past the funding end: partnerships have ended, learners graduated, bridge-builders left."""
    return ecosim.run(PILOTS, months=60)


@pytest.fixture(scope="module")
def tables(pilots) -> dict[str, pd.DataFrame]:
    return {**pilots.tables, "outcomes": outcomes_table(pilots.outcomes)}


@pytest.fixture(scope="module")
def saved(pilots, tmp_path_factory) -> Path:
    return save_run(pilots, tmp_path_factory.mktemp("pilots") / "run")


def test_every_column_is_described_and_has_one_dtype_in_every_table(tables):
    assert set(tables) == set(TABLES)
    seen: dict[str, tuple[str, str]] = {}
    for table, frame in tables.items():
        for name, dtype in frame.dtypes.items():
            c = column(name)
            assert c.unit and c.description, name
            assert str(dtype) == c.dtype, f"{table}.{name}: {dtype}, described as {c.dtype}"
            if name in seen:
                assert seen[name][1] == str(dtype), f"{name}: {seen[name]} vs {table} {dtype}"
            seen[name] = (table, str(dtype))
    assert not set(COLUMNS) & set(INDICATOR_COLUMNS)
    shared = [name for name in seen if sum(name in f.columns for f in tables.values()) > 1]
    assert {"region", "school", "company", "bridge_builder", "partnership", "month"} <= set(shared)


def test_ids_are_never_negative_and_missing_means_none(tables):
    for table, frame in tables.items():
        for name in frame.columns:
            if column(name).dtype == ID:
                assert (frame[name].dropna() >= 0).all(), f"{table}.{name} holds a negative id"
    pp, learners = tables["partnerships"], tables["learners"]
    ended = pp["status"] == "ended"
    assert ended.any() and (~ended).any()
    assert pp.loc[ended, "end"].notna().all() and pp.loc[ended, "cause"].notna().all()
    assert pp.loc[~ended, "end"].isna().all() and pp.loc[~ended, "cause"].isna().all()
    assert (pp.loc[ended, "end"] >= pp.loc[ended, "start"]).all()
    unplaced = learners["placement"].isna()
    assert unplaced.any() and (~unplaced).any()
    assert learners.loc[unplaced, ["company", "company_name"]].isna().all().all()
    assert learners.loc[~unplaced, ["company", "company_name"]].notna().all().all()


def test_names_stand_beside_the_ids_they_name(tables):
    orgs, bbs, pp, learners = (tables[k] for k in ("organisations", "bridge_builders", "partnerships", "learners"))
    name = orgs.set_index("organisation")["name"]
    assert (orgs["organisation"].to_numpy() == np.arange(len(orgs))).all()
    assert (pp["school_name"].to_numpy() == name.loc[pp["school"]].to_numpy()).all()
    assert (pp["company_name"].to_numpy() == name.loc[pp["company"]].to_numpy()).all()
    assert set(orgs.loc[pp["school"], "kind"]) == {"school"} and set(orgs.loc[pp["company"], "kind"]) == {"company"}
    served = pp["bridge_builder"].notna()
    bb_name = bbs.set_index("bridge_builder")["name"]
    assert (pp.loc[served, "bridge_builder_name"].to_numpy() == bb_name.loc[pp.loc[served, "bridge_builder"]]).all()
    assert pp.loc[~served, "bridge_builder_name"].isna().all()
    placed = learners[learners["placement"].notna()]
    placement_company = pp.set_index("partnership")["company"].loc[placed["placement"]].to_numpy()
    assert (placed["company"].to_numpy() == placement_company).all()
    assert (placed["school_name"].to_numpy() == name.loc[placed["school"]].to_numpy()).all()


def test_region_is_the_region_name_in_every_table(tables):
    regions = {r.name for r in load_scenario(PILOTS).regions}
    assert len(regions) == 5
    for table in ("events", "organisations", "bridge_builders", "partnerships"):
        found = set(tables[table]["region"].dropna())
        assert found <= regions and len(found) > 1, (table, found)
    pp, orgs = tables["partnerships"], tables["organisations"]
    assert (pp["region"].to_numpy() == orgs.set_index("organisation")["region"].loc[pp["school"]].to_numpy()).all()


def test_sectors_are_decoded_names(tables):
    sectors = set(load_scenario(PILOTS).sectors)
    orgs, pp = tables["organisations"], tables["partnerships"]
    held = orgs["sectors"].str.split(";")
    assert all(set(s) <= sectors for s in held)
    assert (held[orgs["kind"] == "company"].map(len) == 1).all()
    assert (held[orgs["kind"] == "school"].map(len) >= 1).all()
    by_org = dict(zip(orgs["organisation"], held, strict=True))
    for school, company in zip(pp["school"], pp["company"], strict=True):  # a pair shares the company's sector
        assert by_org[company][0] in by_org[school]


def test_each_event_names_the_entity_of_its_kind(tables, pilots):
    ev = tables["events"]
    of_partnership = ev["event"].isin(["formed", "merged", "stalled", "reactivated", "ended"])
    of_bridge_builder = ev["event"].isin(["entered_aftercare", "bridge_builder_left"])
    graduated = ev["event"] == "cohort_graduated"
    assert of_partnership.any() and of_bridge_builder.any() and graduated.any()
    assert ev.loc[of_partnership, ["partnership", "school_name", "company_name", "region"]].notna().all().all()
    assert ev.loc[of_partnership, ["bridge_builder", "graduated"]].isna().all().all()
    assert ev.loc[of_bridge_builder, ["bridge_builder", "bridge_builder_name", "region"]].notna().all().all()
    assert ev.loc[of_bridge_builder, "partnership"].isna().all()
    assert ev.loc[ev["event"].isin(["formed", "merged"]), "ecosystem"].notna().all()
    graduates = pilots.indicators.set_index("month")["graduates"]
    for month, count in zip(ev.loc[graduated, "month"], ev.loc[graduated, "graduated"], strict=True):
        assert count == graduates[month] > 0
    assert (
        ev.loc[ev["event"] == "ended", "cause"].notna().all()
        and ev.loc[~(ev["event"] == "ended"), "cause"].isna().all()
    )


def test_saved_tables_read_back_identical_and_carry_units_and_descriptions(tables, saved):
    back, _ = read_run(saved)
    assert back.keys() == tables.keys()
    for name, frame in tables.items():
        pd.testing.assert_frame_equal(back[name], frame, check_exact=True, obj=name)
        described = read_described(saved / f"{name}.parquet")
        assert described[""]["description"] == TABLES[name]
        for col in frame.columns:
            assert described[col] == {"unit": column(col).unit, "description": column(col).description}, col


def test_the_manifest_says_when_with_what_and_from_which_code(saved):
    manifest = read_run(saved)[1]
    made = datetime.fromisoformat(manifest["created_utc"])
    assert made.utcoffset() == UTC.utcoffset(None) and abs((datetime.now(UTC) - made).total_seconds()) < 3600
    assert manifest["versions"]["numpy"] == np.__version__ and manifest["versions"]["pandas"] == pd.__version__
    assert {"python", "numba", "pyarrow", "mesa", "pydantic", "ecosim"} <= manifest["versions"].keys()
    assert ("git_revision" in manifest) and ("git_dirty" in manifest)
    if manifest["git_revision"] is not None:  # run from a checkout: a commit and a clean/dirty flag
        assert re.fullmatch(r"[0-9a-f]{40}", manifest["git_revision"]) and isinstance(manifest["git_dirty"], bool)


def test_git_is_asked_once_per_process(pilots):
    ecosim.run(PILOTS, months=1)
    assert git_state.cache_info().misses == 1 and versions.cache_info().misses == 1


def test_the_results_document_lists_every_column_as_the_code_describes_it(tables):
    text = (ROOT / "docs" / "results.md").read_text()
    for table, frame in tables.items():
        section = text.split(f"### `{table}.parquet`", 1)[1].split("\n### ", 1)[0]
        rows = re.findall(r"^\| `([a-z_0-9]+)` \| ([^|]+) \| ([^|]+) \| (.+) \|$", section, re.MULTILINE)
        assert [r[0] for r in rows] == list(frame.columns), table
        for name, dtype, unit, description in rows:
            c = column(name)
            assert (dtype.strip(), unit.strip(), description.strip()) == (c.dtype, c.unit, c.description), name
    outcome_rows = text.split("The outcomes, one row each", 1)[1]
    listed = re.findall(r"^\| `([a-z_0-9]+)` \| ([^|]+) \| (.+) \|$", outcome_rows, re.M)
    assert [(k, unit.strip(), label.strip()) for k, unit, label in listed] == [
        (k, unit, label) for k, (label, unit) in OUTCOMES.items()
    ]


def test_support_split_by_kind_is_the_mean_over_the_organisations_of_live_partnerships(pilots, tables):
    """The last month's support of schools and of companies, recomputed from the final entity tables."""
    last = pilots.indicators.iloc[-1]
    pairs, organisations = tables["partnerships"], tables["organisations"].set_index("organisation")
    live = pairs[pairs["status"] != "ended"]
    assert len(live) > 0
    for kinds, kind in (("schools", "school"), ("companies", "company")):
        members = organisations.loc[live[kind].astype(int).unique()]
        assert (members["kind"] == kind).all()
        for layer in ("board", "leaders", "floor"):
            assert last[f"support_{layer}_{kinds}"] == pytest.approx(members[layer].mean(), rel=1e-12)
    everyone = organisations.loc[np.union1d(live["school"].astype(int), live["company"].astype(int))]
    assert last["support_floor"] == pytest.approx(everyone["floor"].mean(), rel=1e-12)
