"""The event log agrees with the entity tables, also when it outgrows its first buffer."""

from pathlib import Path

import ecosim

PATTERNS = Path(__file__).parent.parent / "experiments" / "patterns.toml"
STARTING_PAIRS = sum(r.generate.partnerships * r.copies for r in ecosim.load_scenario(PATTERNS).regions)


def test_event_log_past_its_first_buffer_matches_the_partnership_table():
    result = ecosim.run(PATTERNS, months=120)
    events, pp = result.events, result.tables["partnerships"]
    assert len(events) > 1024  # past the buffer the world starts with
    counts = events["event"].value_counts()
    assert counts["ended"] == (pp["status"] == "ended").sum()
    recruits = int(result.indicators["recruits"].sum())
    assert counts["formed"] == recruits == len(pp) - STARTING_PAIRS
    ended = events[events["event"] == "ended"].set_index("partnership")
    table_ended = pp[pp["status"] == "ended"]
    assert (ended.loc[table_ended.index, "month"].to_numpy() == table_ended["end"].to_numpy()).all()
    assert (
        ended.loc[table_ended.index, "cause"].astype(str).to_numpy() == table_ended["cause"].astype(str).to_numpy()
    ).all()
    assert events["month"].between(0, 119).all()
    assert counts["cohort_graduated"] == 9  # months 12, 24, ..., 108


def test_event_buffer_tracks_the_kernels_count_month_by_month():
    model = ecosim.EcosystemModel(PATTERNS, months=60, reporters=())
    world = model.world
    while model.running:
        model.step()
        assert world.events.n == int(world.event_count[0]) <= world.events.capacity
