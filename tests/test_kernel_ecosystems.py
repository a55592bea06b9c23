"""Process 6, ecosystems: census, union-find merging, recruitment, coordination (docs/ODD.md §7.6)."""

import numpy as np
import pytest

from ecosim.kernels.codes import (
    BB_AFTERCARE,
    BB_DEPARTED,
    ENDED,
    EV_FORMED,
    EV_MERGED,
    S_MERGE,
    S_RECRUIT,
    S_RECRUIT_ORG,
    S_RECRUIT_PARTNER,
)
from ecosim.kernels.ecosystems import find
from ecosim.rng import below, pair_id, uniform
from tiny import company, make_tiny, school

SEED = 3

# ---------------------------------------------------------------------------------------------- census


def census_world():
    """Ecosystem 0: pairs 0 (school 0, company 2 in A) and 1 (school 0, company 3 in B); ended pair 4 (school 0,
    company 6) also hangs under root 0. Ecosystem 2: pairs 2 and 3 of school 1 with companies 4 and 5, both in C."""
    return make_tiny(
        orgs=[school("AB"), school("C"), company("A"), company("B"), company("C"), company("C"), company("A")],
        partnerships=[
            {"school": 0, "company": 2, "bridge_builder": 0, "ownership": 0.2},
            {"school": 0, "company": 3, "parent": 0, "ownership": 0.4},
            {"school": 1, "company": 4, "bridge_builder": 1, "ownership": 0.3},
            {"school": 1, "company": 5, "parent": 2, "ownership": 0.5},
            {"school": 0, "company": 6, "parent": 0, "status": ENDED, "ownership": 0.9},
        ],
        bridge_builders=[{}, {"status": BB_AFTERCARE}],
    )


def test_census_counts_distinct_organisations_companies_and_sectors_of_live_partnerships(engine):
    c = census_world().census(engine)
    assert type(c).__name__ == "Census"
    assert c.root.tolist() == [0, 0, 2, 2, -1]
    assert c.size.tolist() == [2, 0, 2, 0, 0]
    orgs, companies, sectors, mask = c.orgs, c.companies, c.sectors, c.sector_mask
    assert (orgs[0], companies[0], sectors[0], int(mask[0])) == (3, 2, 2, 0b011)  # company 6's pair has ended
    assert (orgs[2], companies[2], sectors[2], int(mask[2])) == (3, 2, 1, 0b100)  # two companies, one sector
    assert (bool(c.active_bb[0]), bool(c.active_bb[2])) == (True, False)  # aftercare is not active
    assert (c.ownership_sum[0], c.ownership_sum[2]) == pytest.approx((0.6, 0.8), abs=1e-15)


def test_census_groups_members_organisations_and_partnerships_per_organisation(engine):
    c = census_world().census(engine)
    member_start, members, org_start, org_list = c.member_start, c.members, c.org_start, c.org_list
    by_org_start, by_org = c.by_org_start, c.by_org
    assert members[member_start[0] : member_start[1]].tolist() == [0, 1]
    assert members[member_start[2] : member_start[3]].tolist() == [2, 3]
    assert sorted(org_list[org_start[0] : org_start[1]].tolist()) == [0, 2, 3]
    assert sorted(org_list[org_start[2] : org_start[3]].tolist()) == [1, 4, 5]
    live_of = {o: sorted(by_org[by_org_start[o] : by_org_start[o + 1]].tolist()) for o in range(7)}
    assert live_of == {0: [0, 1], 1: [2, 3], 2: [0], 3: [1], 4: [2], 5: [3], 6: []}


@pytest.mark.parametrize("fn", [find, find.py_func])
def test_find_follows_a_chain_to_its_root_and_halves_the_path(fn):
    parent = np.array([0, 0, 1, 2, 3, 5], np.int64)
    assert fn(parent, 4) == 0
    assert fn(parent, 5) == 5
    assert [fn(parent, i) for i in range(5)] == [0] * 5
    assert parent[4] in (0, 1, 2)  # shortened on the way


# ---------------------------------------------------------------------------------------------- merging


def merge(engine, w, p, t=0, region_start_pairs=None):
    n_r = np.array([w.P.n] if region_start_pairs is None else region_start_pairs, np.int64)
    return engine.merge(t, SEED, p, w.P.view(), n_r, w.census(engine), w.events)


def roots(w):
    parent = w.P.parent.copy()
    return [int(find(parent, i)) for i in range(w.P.n)]


def test_certain_merges_join_every_ecosystem_of_a_region_into_the_lowest_root(engine, kp):
    w = make_tiny(
        orgs=[school(), company(), school(), company(), school(), company()],
        partnerships=[{"school": 0, "company": 1}, {"school": 2, "company": 3}, {"school": 4, "company": 5}],
    )
    merges = merge(engine, w, kp(merge_rate=3.0, affinity_sector=1.0), t=9)  # p = 3 * 1 / 3 = 1 for every pair
    assert merges == 2  # the third pair drawn is already joined
    assert roots(w) == [0, 0, 0]
    assert w.logged() == [(9, EV_MERGED, 1, 0, -1), (9, EV_MERGED, 2, 0, -1)]


def chain_world():
    """0 = (school 0, company 1 in A), 1 = (school 0, company 2 in B), 2 = (school 3, company 2):
    0-1 share school 0, 1-2 share company 2, 0 and 2 share neither an organisation nor a sector."""
    return make_tiny(
        orgs=[school("AB"), company("A"), company("B"), school("B")],
        partnerships=[{"school": 0, "company": 1}, {"school": 0, "company": 2}, {"school": 3, "company": 2}],
    )


def test_chain_of_merges_joins_all_three(engine, kp):
    w = chain_world()
    merge(engine, w, kp(merge_rate=3.0, affinity_sector=0.0, affinity_none=0.0))  # only org-sharing pairs: p = 1
    assert roots(w) == [0, 0, 0]


def test_lower_root_absorbs_the_higher(engine, kp):
    w = make_tiny(
        orgs=[school("A"), company("A"), school("B"), company("B"), company("B")],
        partnerships=[{"school": 0, "company": 1}, {"school": 2, "company": 3}, {"school": 2, "company": 4}],
    )
    assert merge(engine, w, kp(merge_rate=3.0, affinity_sector=0.0, affinity_none=0.0), t=4) == 1
    assert roots(w) == [0, 1, 1]
    assert w.logged() == [(4, EV_MERGED, 2, 1, -1)]


def test_ecosystems_of_different_regions_never_merge(engine, kp):
    w = make_tiny(
        orgs=[school(), company(), school(region=1), company(region=1)],
        partnerships=[{"school": 0, "company": 1}, {"school": 2, "company": 3, "region": 1}],
    )
    assert merge(engine, w, kp(merge_rate=1.0, affinity_none=1.0, affinity_sector=1.0), region_start_pairs=[1, 1]) == 0
    assert roots(w) == [0, 1]


def test_merge_rate_zero_merges_nothing(engine, kp):
    w = chain_world()
    assert merge(engine, w, kp(merge_rate=0.0)) == 0
    assert roots(w) == [0, 1, 2]


def probability_world(active_bb_on_last=False):
    """Four singletons of one region (n_r = 4): 0-1 share school 0; 0-2 share sector A only; the rest share nothing.
    Pair 3 is served by bridge-builder 0 (active or departed)."""
    return make_tiny(
        orgs=[school("AB"), company("A"), company("B"), school("A"), company("A"), school("C"), company("C")],
        partnerships=[
            {"school": 0, "company": 1},
            {"school": 0, "company": 2},
            {"school": 3, "company": 4},
            {"school": 5, "company": 6, "bridge_builder": 0},
        ],
        bridge_builders=[{"status": 0 if active_bb_on_last else BB_DEPARTED}],
    )


@pytest.mark.parametrize(("brokerage", "active_bb"), [(False, False), (True, False), (False, True), (True, True)])
def test_each_pair_merges_with_m_times_affinity_times_multipliers_over_n_r(engine, kp, brokerage, active_bb):
    p = kp(
        merge_rate=0.8,
        affinity_sector=0.5,
        affinity_none=0.1,
        brokerage=brokerage,
        brokerage_merge_factor=3.0,
        bridge_builder_merge_factor=2.0,
    )
    affinity = {(0, 1): 1.0, (0, 2): 0.5, (0, 3): 0.1, (1, 2): 0.1, (1, 3): 0.1, (2, 3): 0.1}
    merged_by_pair = dict.fromkeys(affinity, 0)
    for t in range(300):
        w = probability_world(active_bb)
        merge(engine, w, p, t=t)
        components = list(range(4))  # expected partition: union of the pairs whose draw falls under p_ij
        for (i, j), a in affinity.items():
            boost = 3.0 if brokerage else 1.0
            if active_bb and j == 3:
                boost *= 2.0
            if uniform(SEED, S_MERGE, pair_id(i, j), t) < 0.8 / 4 * a * boost:
                merged_by_pair[i, j] += 1
                lo, hi = sorted((components[i], components[j]))
                components = [lo if c == hi else c for c in components]
        assert roots(w) == components, t
    assert all(k > 0 for k in merged_by_pair.values())  # every affinity class was exercised
    assert merged_by_pair[0, 1] < 300


# ---------------------------------------------------------------------------------------------- recruitment


def recruit(engine, w, p, t=0, region_org_start=None):
    """Run recruitment (one region of all organisations unless given); returns the partnership rows after it."""
    starts = np.array([0, w.O.n] if region_org_start is None else region_org_start, np.int64)
    before = w.P.n
    recruited = engine.recruit(t, SEED, p, w.P.view(), w.O.view(), w.B.view(), starts, w.census(engine), w.events)
    assert w.P.n == before + recruited  # the kernel advances the used rows itself
    return w.P.n


CERTAIN = {"recruitment_rate": 1.0, "max_recruitment": 1.0}


def test_recruit_forms_a_pair_that_joins_the_ecosystem_with_its_mean_ownership_and_bridge_builder(engine, kp):
    w = make_tiny(
        orgs=[school("A"), company("A"), company("A")],
        partnerships=[{"school": 0, "company": 1, "bridge_builder": 0, "ownership": 0.3}],
        bridge_builders=[{}],
    )
    assert recruit(engine, w, kp(CERTAIN), t=14) == 2
    P = w.P
    assert (P.school[1], P.company[1], P.parent[1], P.region[1], P.status[1], P.start[1]) == (0, 2, 0, 0, 0, 14)
    assert (P.ownership[1], P.bridge_builder[1]) == (0.3, 0)
    assert w.logged() == [(14, EV_FORMED, 1, 0, -1)]


def test_recruit_never_forms_a_pair_that_already_has_a_live_partnership(engine, kp):
    # pairs (0, 1) and (0, 2) are separate ecosystems: each could only recruit the other's company to school 0
    w = make_tiny(
        orgs=[school("A"), company("A"), company("A")],
        partnerships=[{"school": 0, "company": 1}, {"school": 0, "company": 2}],
    )
    for t in range(5):
        assert recruit(engine, w, kp(CERTAIN), t=t) == 2
    assert w.logged() == []


def test_recruit_may_form_again_a_pair_whose_partnership_ended(engine, kp):
    w = make_tiny(
        orgs=[school("A"), company("A"), company("A")],
        partnerships=[{"school": 0, "company": 1}, {"school": 0, "company": 2, "status": ENDED}],
    )
    assert recruit(engine, w, kp(CERTAIN)) == 3
    assert (w.P.school[2], w.P.company[2], w.P.parent[2]) == (0, 2, 0)


def test_two_ecosystems_drawing_the_same_new_pair_in_one_month_form_it_once(engine, kp):
    # ecosystems (school 0, company 2) and (school 1, company 2); school 3 is the other candidate of both.
    # Candidates in organisation order: ecosystem 0 sees [school 1, school 3], ecosystem 1 sees [school 0, school 3].
    t = next(
        t for t in range(1000) if below(SEED, S_RECRUIT_ORG, 0, t, 2) == 1 and below(SEED, S_RECRUIT_ORG, 1, t, 2) == 1
    )
    w = make_tiny(
        orgs=[school("A"), school("A"), company("A"), school("A")],
        partnerships=[{"school": 0, "company": 2}, {"school": 1, "company": 2}],
    )
    assert recruit(engine, w, kp(CERTAIN), t=t) == 3
    assert (w.P.school[2], w.P.company[2], w.P.parent[2]) == (3, 2, 0)


def test_newcomer_is_drawn_uniformly_from_same_sector_organisations_of_the_region_not_yet_in(engine, kp):
    # candidates: companies 2-5 (sector A); company 6 is in B, school 7 in C, company 8 in another region
    orgs = (
        [school("A"), company("A")]
        + [company("A") for _ in range(4)]
        + [company("B"), school("C"), company("A", region=1)]
    )
    seen = set()
    for t in range(40):
        w = make_tiny(orgs=orgs, partnerships=[{"school": 0, "company": 1}])
        assert recruit(engine, w, kp(CERTAIN), t=t, region_org_start=[0, 8, 9]) == 2
        assert w.P.company[1] == [2, 3, 4, 5][below(SEED, S_RECRUIT_ORG, 0, t, 4)]
        seen.add(int(w.P.company[1]))
    assert seen == {2, 3, 4, 5}


def test_recruitment_chance_is_rho_times_organisations_capped_at_rho_max(engine, kp):
    recruited = []
    for t in range(300):
        w = make_tiny(orgs=[school("A"), company("A"), company("A")], partnerships=[{"school": 0, "company": 1}])
        recruited.append(recruit(engine, w, kp(recruitment_rate=0.1, max_recruitment=0.15), t=t) == 2)
    assert recruited == [uniform(SEED, S_RECRUIT, 0, t) < min(0.15, 0.1 * 2) for t in range(300)]
    assert 0 < sum(recruited) < 300


@pytest.mark.parametrize("first_bb_status", [0, BB_DEPARTED])
def test_recruit_takes_the_bridge_builder_of_the_members_lowest_numbered_partnership(engine, kp, first_bb_status):
    # ecosystem: pairs 0 (school 0, company 1, bridge-builder 0) and 1 (school 2, company 1, bridge-builder 1);
    # newcomer company 3 pairs with school 0 or school 2, drawn uniformly
    members = set()
    for t in range(30):
        w = make_tiny(
            orgs=[school("A"), company("A"), school("A"), company("A")],
            partnerships=[
                {"school": 0, "company": 1, "bridge_builder": 0, "ownership": 0.2},
                {"school": 2, "company": 1, "bridge_builder": 1, "ownership": 0.6, "parent": 0},
            ],
            bridge_builders=[{"status": first_bb_status}, {}],
        )
        assert recruit(engine, w, kp(CERTAIN), t=t) == 3
        member = [0, 2][below(SEED, S_RECRUIT_PARTNER, 0, t, 2)]
        assert (w.P.school[2], w.P.company[2]) == (member, 3)
        expected_bb = 1 if member == 2 else (-1 if first_bb_status == BB_DEPARTED else 0)
        assert w.P.bridge_builder[2] == expected_bb
        assert w.P.ownership[2] == pytest.approx(0.4, abs=1e-15)
        members.add(member)
    assert members == {0, 2}


def test_nothing_is_recruited_without_a_same_sector_candidate(engine, kp):
    w = make_tiny(
        orgs=[school("A"), company("A"), company("B"), school("C")], partnerships=[{"school": 0, "company": 1}]
    )
    assert recruit(engine, w, kp(CERTAIN)) == 1


# ---------------------------------------------------------------------------------------------- coordination


def star(k, extra_pair=True):
    """Ecosystem 0: school 0 with companies 1..k (k + 1 organisations); then a lone pair and an ended pair."""
    orgs = [school("A")] + [company("A") for _ in range(k)] + [school("A"), company("A")]
    pairs = [{"school": 0, "company": c, "parent": 0} for c in range(1, k + 1)]
    pairs += [{"school": k + 1, "company": k + 2}, {"school": 0, "company": k + 2, "status": ENDED, "penalty": 0.77}]
    return make_tiny(orgs=orgs, partnerships=pairs)


@pytest.mark.parametrize(
    ("k", "network", "brokerage", "capacity"),
    [
        (9, False, False, 6),
        (9, True, False, 14),
        (9, False, True, 10),
        (12, False, True, 10),
        (19, False, False, 6),
        (19, True, False, 14),
        (19, True, True, 18),
    ],
)
def test_coordination_penalty_is_pi_times_excess_organisations_capped(engine, kp, k, network, brokerage, capacity):
    w = star(k)
    P = w.P
    large = engine.coordination(
        kp(
            network_support=network,
            brokerage=brokerage,
            capacity=6.0,
            network_capacity=8.0,
            brokerage_capacity=4.0,
            coordination_penalty=0.03,
            max_coordination_penalty=0.3,
        ),
        P.view(),
        w.census(engine),
    )
    expected = min(0.3, 0.03 * max(0, (k + 1) - capacity))
    assert P.penalty[:k] == pytest.approx([expected] * k, abs=1e-15)
    assert (P.penalty[k], P.penalty[k + 1]) == (0.0, 0.77)  # a 2-organisation pair pays nothing; ended rows untouched
    assert large == 1  # ecosystems of at least three organisations


def test_coordination_values_by_hand(engine, kp):
    w = star(9)
    engine.coordination(kp(), w.P.view(), w.census(engine))
    assert w.P.penalty[0] == pytest.approx(0.03 * (10 - 6), abs=1e-15)  # 0.12
    w = star(19)
    engine.coordination(kp(), w.P.view(), w.census(engine))
    assert w.P.penalty[0] == 0.3  # 0.03 * 14 = 0.42 capped at pi_max
