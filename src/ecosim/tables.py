"""The results tables an analyst reads: ids with names beside them, codes decoded, every column described.

Each column name has one dtype, one unit and one description in every table it appears in
(:data:`COLUMNS`). Ids are row numbers starting at 0, stored as nullable ``Int32``: a missing
id (no bridge-builder, not placed, not ended) is a missing value, never a -1. Text is ``str``;
a school's sectors are its sector names joined by ``;``. The unit and description of every
column travel with the Parquet files (:func:`column_metadata`).
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from ecosim.build import World
from ecosim.kernels.codes import (
    CAUSES,
    EV_AFTERCARE,
    EV_BB_LEFT,
    EV_ENDED,
    EV_FORMED,
    EV_GRADUATED,
    EV_MERGED,
    EV_REACTIVATED,
    EV_STALLED,
    EVENTS,
)


@dataclass(frozen=True)
class Column:
    """What a results column holds: its dtype, its unit and a one-line description."""

    dtype: str
    unit: str
    description: str


ID, TEXT, MONTH, SHARE, COUNT = "Int32", "str", "month", "share (0-1)", "count"


def _id(what: str) -> Column:
    return Column(ID, "id", f"{what} (row number from 0; missing when there is none)")


COLUMNS: dict[str, Column] = {
    # ids and names
    "organisation": _id("the organisation (schools and companies share one numbering)"),
    "school": _id("the school (an organisation id)"),
    "company": _id("the company (an organisation id); for a learner, the company of its placement"),
    "bridge_builder": _id("the bridge-builder"),
    "partnership": _id("the partnership"),
    "learner": _id("the learner"),
    "placement": _id("the partnership the learner is placed in"),
    "ecosystem": _id("the ecosystem: the partnership id at the root of its set of merged partnerships"),
    "name": Column(TEXT, "name", "name of the entity, unique in the run ('region/school-01')"),
    "school_name": Column(TEXT, "name", "name of the school"),
    "company_name": Column(TEXT, "name", "name of the company"),
    "bridge_builder_name": Column(TEXT, "name", "name of the bridge-builder; missing when there is none"),
    "region": Column(TEXT, "name", "name of the region"),
    # organisations
    "kind": Column(TEXT, "category", "'school' or 'company'"),
    "sectors": Column(TEXT, "names", "sectors a school trains for, or the one sector of a company, joined by ';'"),
    "board": Column("float64", SHARE, "support of the board"),
    "leaders": Column("float64", SHARE, "support of the leaders (school) or managers (company)"),
    "floor": Column("float64", SHARE, "support on the floor (teachers; workplace supervisors)"),
    "commitment": Column("float64", SHARE, "the leaders' commitment c, fixed for the run"),
    "leaders_start": Column("float64", SHARE, "leaders' support at the start; reflection restores it"),
    "demand": Column("bool", "yes/no", "the company explicitly asks for the collaboration (false for schools)"),
    "places": Column("int32", "learners", "learners a company can host at once (0 for schools)"),
    "hosted": Column("int32", "learners", "learners a company hosts at the end of the run (0 for schools)"),
    "learners": Column("int32", "learners", "programme learners of a school, both cohorts (0 for companies)"),
    # bridge-builders
    "payer": Column(TEXT, "category", "who pays the bridge-builder: 'programme' or 'partner'"),
    "intensity": Column("float64", SHARE, "working intensity: 1 while active, decays in aftercare"),
    "status": Column(
        TEXT,
        "category",
        "at the end of the run: partnership 'active'/'stalled'/'ended'; bridge-builder 'active'/'aftercare'/'departed'",
    ),
    # partnerships
    "ownership": Column("float64", SHARE, "O, the team's ownership of the work"),
    "mission": Column("float64", SHARE, "M, the shared mission"),
    "value": Column("float64", SHARE, "V, the value created"),
    "health": Column("float64", SHARE, "H, the partnership's health"),
    "contacts": Column("int8", COUNT, "contact persons (1 to 3)"),
    "consultation": Column("bool", "yes/no", "the partnership has consultation structures"),
    "start": Column("int32", MONTH, "month the partnership formed (0 for starting partnerships)"),
    "end": Column(ID, MONTH, "month the partnership ended; missing while it lives"),
    "cause": Column(TEXT, "category", "cause of ending (" + ", ".join(CAUSES) + "); missing while it lives"),
    "placed": Column("int32", "learners", "learners placed in the partnership at the end of the run"),
    "penalty": Column("float64", SHARE, "coordination penalty on its health target"),
    "contact_loss": Column("float64", SHARE, "contact shocks still felt (sum of the decayed shocks)"),
    "pace": Column("float64", "factor", "g, its handover pace: ownership grows h*g*i*(1 - O) a month (mean 1)"),
    "start_target": Column("float64", SHARE, "its health target at formation"),
    # learners
    "enrolled": Column("int32", MONTH, "month of enrolment (-12 or 0 for the learners at the start)"),
    "months_placed": Column("int16", "months", "months placed since enrolment"),
    "months_here": Column("int16", "months", "months in the current placement (since joining or the last rotation)"),
    "motivation": Column("float64", SHARE, "motivation"),
    "competence": Column(
        "float64",
        "competence units",
        "competence gained since enrolment: each month placed adds "
        "competence_gain x health x motivation (docs/ODD.md §7.7); not bounded by 1",
    ),
    "breadth": Column("int16", "placements", "placements joined since enrolment"),
    "hard_to_reach": Column("bool", "yes/no", "the learner belongs to a group that is harder to reach"),
    # events
    "month": Column("int64", MONTH, "month of the row (0 is the first simulated month)"),
    "event": Column(TEXT, "category", "what happened: " + ", ".join(EVENTS)),
    "graduated": Column(ID, "learners", "learners graduating (cohort_graduated events only)"),
    # outcomes
    "outcome": Column(TEXT, "name", "the outcome's key (as in manifest.json and `ecosim run --json`)"),
    "measured": Column("float64", "see unit", "the outcome's value in this run"),
    "unit": Column(TEXT, "name", "the unit of the measured value"),
    "description": Column(TEXT, "text", "what the outcome is"),
}

INDICATOR_COLUMNS: dict[str, Column] = {
    "funding": Column("float64", SHARE, "funding level f: 1 while funded, 0 after the funding end"),
    "partnerships_active": Column("int64", "partnerships", "partnerships active at the end of the month"),
    "partnerships_stalled": Column("int64", "partnerships", "partnerships stalled at the end of the month"),
    "partnerships_ended": Column("int64", "partnerships", "partnerships ended so far"),
    "ecosystems": Column("int64", "ecosystems", "live ecosystems (sets of merged partnerships, single pairs included)"),
    "largest_ecosystem": Column("int64", "organisations", "organisations in the largest live ecosystem"),
    "share_in_ecosystems_of_3_plus": Column(
        "float64", SHARE, "share of live partnerships in ecosystems of 3 or more organisations"
    ),
    "bridge_builders_active": Column("int64", "bridge-builders", "bridge-builders active"),
    "bridge_builders_aftercare": Column("int64", "bridge-builders", "bridge-builders in aftercare"),
    "support_board": Column("float64", SHARE, "mean board support over organisations with a live partnership"),
    "support_leaders": Column("float64", SHARE, "mean leaders' support over organisations with a live partnership"),
    "support_floor": Column("float64", SHARE, "mean floor support over organisations with a live partnership"),
    "mean_health": Column("float64", SHARE, "mean health of live partnerships"),
    "learners_placed": Column("int64", "learners", "learners placed at the end of the month"),
    "hard_to_reach_placed": Column("int64", "learners", "hard-to-reach learners placed at the end of the month"),
    "mean_competence_placed": Column("float64", "competence units", "mean competence of placed learners"),
    "mean_breadth_placed": Column("float64", "placements", "mean breadth of placed learners"),
    **{
        f"support_{layer}_{kinds}": Column(
            "float64", SHARE, f"mean {label} support over the {kinds} with a live partnership"
        )
        for kinds in ("schools", "companies")
        for layer, label in (("board", "board"), ("leaders", "leaders'"), ("floor", "floor"))
    },
    **{f"ended_{c}": Column("int64", "partnerships", f"partnerships ended so far with cause '{c}'") for c in CAUSES},
    "hard_to_reach_share_placed": Column("float64", SHARE, "hard-to-reach share of the learners placed"),
    "merges": Column("int64", COUNT, "merges of two ecosystems this month"),
    "recruits": Column("int64", "partnerships", "partnerships recruited into ecosystems this month"),
    "placements": Column("int64", "learners", "learners placed this month (new placements)"),
    "graduates": Column("int64", "learners", "learners graduating this month"),
    "graduates_placed": Column("int64", "learners", "graduates of this month who were ever placed"),
    "graduate_competence": Column("float64", "competence units", "mean competence of this month's placed graduates"),
    "graduate_breadth": Column("float64", "placements", "mean breadth of this month's placed graduates"),
    "spending": Column("float64", "EUR", "programme spending of the month"),
}

# The outcomes of a run (docs/ODD.md §7.8): key -> (what it is, unit).
OUTCOMES: dict[str, tuple[str, str]] = {
    "reference_month": ("reference month: the outcomes follow the partnerships alive at its end", "month"),
    "alive_at_reference": ("partnerships alive (active or stalled) at the reference month", "partnerships"),
    "share_not_ended_24": ("of those, share not ended 24 months later", "share 0-1"),
    "share_active_24": ("of those, share active 24 months later", "share 0-1"),
    "share_not_ended_60": ("of those, share not ended 60 months later", "share 0-1"),
    "share_active_60": ("of those, share active 60 months later", "share 0-1"),
    "learner_months_after_reference": ("learner-months placed after the reference month", "learner-months"),
    "hard_to_reach_share_of_placed_months": ("hard-to-reach share of placed learner-months", "share 0-1"),
    "cohort_share_placed": ("share of a graduating cohort ever placed (mean over cohorts)", "share 0-1"),
    "graduate_competence": ("competence gained by placed graduates", "model units, +gamma*H*motivation a month"),
    "graduate_breadth": ("breadth of placed graduates", "workplaces joined"),
    "ecosystems": ("live ecosystems at the end", "ecosystems"),
    "share_in_ecosystems_of_3_plus": ("share of live partnerships in ecosystems of >= 3 organisations", "share 0-1"),
    "largest_ecosystem": ("largest ecosystem at the end", "organisations"),
    "programme_spending": ("programme spending over the run", "EUR"),
    "learner_months_per_1000_eur": ("learner-months placed per 1,000 EUR of programme spending", "learner-months"),
    "partnerships_formed": ("partnerships in all (starting pairs and recruits)", "partnerships"),
    "months": ("months simulated", "months"),
}

TABLES: dict[str, str] = {
    "indicators": "one row per simulated month: the state at the end of the month and what happened in it",
    "events": "one row per event, in the order they happened",
    "organisations": "schools and companies at the end of the run",
    "bridge_builders": "bridge-builders at the end of the run",
    "partnerships": "every partnership that ever existed, as it was at the end of the run (or when it ended)",
    "learners": "the learners enrolled at the end of the run",
    "outcomes": "the outcomes of the run (docs/ODD.md §7.8), one row each: NaN where the run is too short to tell",
}

_PARTNERSHIP_EVENTS = (EV_FORMED, EV_MERGED, EV_STALLED, EV_REACTIVATED, EV_ENDED)


def outcomes_table(outcomes: dict[str, Any]) -> pd.DataFrame:
    """The outcomes as a table: one row per outcome with its value, unit and description."""
    frame = pd.DataFrame(
        {
            "outcome": list(OUTCOMES),
            "measured": [float(outcomes[key]) for key in OUTCOMES],
            "unit": [unit for _, unit in OUTCOMES.values()],
            "description": [label for label, _ in OUTCOMES.values()],
        }
    )
    return conform(frame)


def column(name: str) -> Column:
    """The description of a results column, whichever table holds it."""
    return COLUMNS.get(name) or INDICATOR_COLUMNS[name]


def conform(frame: pd.DataFrame) -> pd.DataFrame:
    """`frame` with every column cast to its one dtype (KeyError for a column not described)."""
    return frame.astype({name: column(name).dtype for name in frame.columns})


def column_metadata(tables: dict[str, pd.DataFrame]) -> dict[str, dict[str, dict[str, str]]]:
    """Per table and column: its unit and description, for the Parquet schema."""
    out: dict[str, dict[str, dict[str, str]]] = {}
    for table, frame in tables.items():
        out[table] = {"": {"description": TABLES[table]}}
        for name in frame.columns:
            c = column(name)
            out[table][name] = {"unit": c.unit, "description": c.description}
    return out


def ids(values: np.ndarray) -> pd.arrays.IntegerArray:
    """Row numbers as nullable Int32, the kernels' -1 becoming missing."""
    values = np.asarray(values)
    return pd.arrays.IntegerArray(values.astype(np.int32), values < 0)


def names_of(names: Sequence[str], rows: np.ndarray) -> pd.Series:
    """The names of rows (missing where the row is -1), built in Arrow: a million rows take milliseconds."""
    rows = np.asarray(rows)
    lookup = pa.array([*names, None], pa.string())  # the kernels' row -1 picks the trailing None
    taken = lookup.take(pa.array(np.where(rows < 0, len(names), rows)))
    return pd.Series(taken.to_pandas(types_mapper={pa.string(): pd.StringDtype("pyarrow", na_value=np.nan)}.get))


def sector_names(masks: np.ndarray, sectors: tuple[str, ...] | list[str]) -> pd.Series:
    """Sector bit masks decoded to sector names joined by ';' (bit k is the k-th sector)."""
    decoded = {int(m): ";".join(s for k, s in enumerate(sectors) if int(m) >> k & 1) for m in np.unique(masks)}
    return pd.Series([decoded[int(m)] for m in masks], dtype=TEXT)


def event_table(world: World) -> pd.DataFrame:
    """The event log with the entity of each event as an id of its kind, its names and its region."""
    rows = world.events.row[: world.event_count[0]]
    month, kind, entity, other, cause = (rows[:, k] for k in range(5))
    P, B = world.partnerships, world.bridge_builders
    of_partnership = np.isin(kind, _PARTNERSHIP_EVENTS)
    of_bridge_builder = np.isin(kind, (EV_AFTERCARE, EV_BB_LEFT))
    partnership = np.where(of_partnership, entity, -1)
    bridge_builder = np.where(of_bridge_builder, entity, -1)
    region = np.full(len(rows), -1)
    region[of_partnership] = P.region[entity[of_partnership]]
    region[of_bridge_builder] = B.region[entity[of_bridge_builder]]
    school = np.where(of_partnership, P.school[np.maximum(partnership, 0)], -1)
    company = np.where(of_partnership, P.company[np.maximum(partnership, 0)], -1)
    frame = pd.DataFrame(
        {
            "month": month,
            "event": names_of(EVENTS, kind),
            "partnership": ids(partnership),
            "school_name": names_of(world.org_names, school),
            "company_name": names_of(world.org_names, company),
            "bridge_builder": ids(bridge_builder),
            "bridge_builder_name": names_of(world.bb_names, bridge_builder),
            "ecosystem": ids(np.where(np.isin(kind, (EV_FORMED, EV_MERGED)), other, -1)),
            "region": names_of(world.region_names, region),
            "graduated": ids(np.where(kind == EV_GRADUATED, other, -1)),
            "cause": names_of(CAUSES, cause),
        }
    )
    return conform(frame)


ENTITY_TABLES = ("organisations", "bridge_builders", "partnerships", "learners")


def entity_tables(world: World, names: Sequence[str] = ENTITY_TABLES) -> dict[str, pd.DataFrame]:
    """Final tables of organisations, bridge-builders, partnerships (with their ecosystem) and learners.

    Only the tables in `names` are built (a national learner table has a million rows).
    """
    build = {
        "organisations": _organisations,
        "bridge_builders": _bridge_builders,
        "partnerships": _partnerships,
        "learners": _learners,
    }
    return {name: conform(build[name](world)) for name in names}


def _organisations(world: World) -> pd.DataFrame:
    O, n = world.organisations, world.organisations.n
    return pd.DataFrame(
        {
            "organisation": ids(np.arange(n)),
            "name": world.org_names,
            "kind": names_of(("school", "company"), O.kind[:n]),
            "region": names_of(world.region_names, O.region[:n]),
            "sectors": sector_names(O.sectors[:n], world.scenario.sectors),
            **{
                k: getattr(O, k)[:n]
                for k in ("board", "leaders", "floor", "commitment", "leaders_start", "demand", "places", "hosted")
            },
            "learners": O.learners[:n],
        }
    )


def _bridge_builders(world: World) -> pd.DataFrame:
    B, n = world.bridge_builders, world.bridge_builders.n
    return pd.DataFrame(
        {
            "bridge_builder": ids(np.arange(n)),
            "name": world.bb_names,
            "region": names_of(world.region_names, B.region[:n]),
            "payer": names_of(("programme", "partner"), B.payer[:n]),
            "status": names_of(("active", "aftercare", "departed"), B.status[:n]),
            "intensity": B.intensity[:n],
        }
    )


def _partnerships(world: World) -> pd.DataFrame:
    from ecosim.kernels.ecosystems import find  # compiled union-find, called per row

    P, n = world.partnerships, world.partnerships.n
    parent = P.parent[:n].copy()
    school, company, bridge_builder = P.school[:n], P.company[:n], P.bridge_builder[:n]
    return pd.DataFrame(
        {
            "partnership": ids(np.arange(n)),
            "school": ids(school),
            "school_name": names_of(world.org_names, school),
            "company": ids(company),
            "company_name": names_of(world.org_names, company),
            "region": names_of(world.region_names, P.region[:n]),
            "bridge_builder": ids(bridge_builder),
            "bridge_builder_name": names_of(world.bb_names, bridge_builder),
            "ecosystem": ids(np.array([find(parent, i) for i in range(n)], dtype=np.int64)),
            **{k: getattr(P, k)[:n] for k in ("ownership", "mission", "value", "health", "contacts")},
            "consultation": P.consultation[:n],
            "start": P.start[:n],
            "status": names_of(("active", "stalled", "ended"), P.status[:n]),
            "end": ids(P.end[:n]),
            "cause": names_of(CAUSES, P.cause[:n]),
            **{k: getattr(P, k)[:n] for k in ("placed", "penalty", "contact_loss")},
            "pace": P.pace[:n],
            "start_target": P.start_target[:n],
        }
    )


def _learners(world: World) -> pd.DataFrame:
    L, P, n = world.learners, world.partnerships, world.learners.n
    placement = L.placement[:n]
    placed_company = np.where(placement >= 0, P.company[np.maximum(placement, 0)], -1)
    return pd.DataFrame(
        {
            "learner": ids(np.arange(n)),
            "school": ids(L.school[:n]),
            "school_name": names_of(world.org_names, L.school[:n]),
            "placement": ids(placement),
            "company": ids(placed_company),
            "company_name": names_of(world.org_names, placed_company),
            **{
                k: getattr(L, k)[:n]
                for k in ("enrolled", "months_placed", "months_here", "motivation", "competence", "breadth")
            },
            "hard_to_reach": L.hard[:n],
        }
    )
