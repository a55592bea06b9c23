"""Process 6, ecosystems: the census of live ecosystems, merging, recruitment, coordination.

An ecosystem is a set of partnerships joined by merging: a union-find forest over the
partnership rows, whose roots are the lowest-numbered partnership of each set. Ended
partnerships stay in the forest but no longer count: an ecosystem is live while one of
its partnerships is.
"""

from collections import namedtuple

import numpy as np
from numba import njit

from ecosim.kernels.codes import (
    ACTIVE,
    BB_ACTIVE,
    BB_DEPARTED,
    COMPANY,
    ENDED,
    EV_FORMED,
    EV_MERGED,
    S_MERGE,
    S_RECRUIT,
    S_RECRUIT_ORG,
    S_RECRUIT_PARTNER,
    SCHOOL,
)
from ecosim.kernels.events import EVENT_LOG, log_event, writes
from ecosim.rng import below, pair_id, uniform

Census = namedtuple(
    "Census",
    (
        "root",
        "size",
        "orgs",
        "companies",
        "sectors",
        "sector_mask",
        "active_bb",
        "ownership_sum",
        "member_start",
        "members",
        "org_start",
        "org_list",
        "by_org_start",
        "by_org",
    ),
    module=__name__,
)
Census.__doc__ = """The live ecosystems (from :func:`census`); arrays indexed by root (a partnership row) unless said.

root[n]: each live partnership's root, -1 if ended; size: live partnerships; orgs, companies:
distinct organisations and companies; sectors: distinct sectors of its companies; sector_mask
(uint64): those sectors; active_bb: has a live partnership served by an active bridge-builder;
ownership_sum: sum of O over live partnerships; member_start[n + 1], members: live partnerships
grouped by root (CSR); org_start[n + 1], org_list: distinct organisations grouped by root (CSR);
by_org_start[O + 1], by_org: live partnerships of each organisation (CSR).
"""

LARGE_ECOSYSTEM = 3
"""Organisations from which an ecosystem counts as large: more than a single pair (docs/ODD.md §7.8, the
expert-card cost and the indicator share_in_ecosystems_of_3_plus)."""


@njit(cache=True)
def find(parent, i):
    """Root of i's set, halving the path on the way."""
    while parent[i] != i:
        parent[i] = parent[parent[i]]
        i = parent[i]
    return i


@njit(cache=True)
def popcount(x):
    """Number of set bits of a uint64."""
    c = 0
    while x:
        x &= x - np.uint64(1)
        c += 1
    return c


@writes("P.parent")
@njit(cache=True)
def census(P, O, B):
    """Derive every live ecosystem's members and properties from the partnership rows.

    Returns a :class:`Census`. Finding the roots halves paths in P.parent (the sets stay the same).
    """
    n = P.used[0]
    n_org = O.kind.shape[0]
    root = np.full(n, -1, np.int64)
    size = np.zeros(n, np.int64)
    for i in range(n):
        if P.status[i] != ENDED:
            r = find(P.parent, i)
            root[i] = r
            size[r] += 1
    member_start = np.zeros(n + 1, np.int64)
    for r in range(n):
        member_start[r + 1] = member_start[r] + size[r]
    members = np.empty(member_start[n], np.int64)
    fill = member_start[:-1].copy()
    by_org_count = np.zeros(n_org + 1, np.int64)
    for i in range(n):
        r = root[i]
        if r >= 0:
            members[fill[r]] = i
            fill[r] += 1
            by_org_count[P.school[i] + 1] += 1
            by_org_count[P.company[i] + 1] += 1
    by_org_start = np.cumsum(by_org_count)
    by_org = np.empty(by_org_start[n_org], np.int64)
    slot = by_org_start[:-1].copy()
    for i in range(n):
        if root[i] >= 0:
            for o in (P.school[i], P.company[i]):
                by_org[slot[o]] = i
                slot[o] += 1
    orgs = np.zeros(n, np.int64)
    companies = np.zeros(n, np.int64)
    sectors = np.zeros(n, np.int64)
    sector_mask = np.zeros(n, np.uint64)
    active_bb = np.zeros(n, np.bool_)
    ownership_sum = np.zeros(n)
    org_start = np.zeros(n + 1, np.int64)
    org_list = np.empty(2 * members.shape[0], np.int64)
    seen = np.full(n_org, -1, np.int64)
    k = 0
    for r in range(n):
        org_start[r] = k
        for m in range(member_start[r], member_start[r + 1]):
            i = members[m]
            ownership_sum[r] += P.ownership[i]
            b = P.bridge_builder[i]
            if b >= 0 and B.status[b] == BB_ACTIVE:
                active_bb[r] = True
            for o in (P.school[i], P.company[i]):
                if seen[o] != r:
                    seen[o] = r
                    org_list[k] = o
                    k += 1
                    orgs[r] += 1
                    if O.kind[o] == COMPANY:
                        companies[r] += 1
                        sector_mask[r] |= O.sectors[o]
        sectors[r] = popcount(sector_mask[r])
    org_start[n] = k
    return Census(
        root,
        size,
        orgs,
        companies,
        sectors,
        sector_mask,
        active_bb,
        ownership_sum,
        member_start,
        members,
        org_start,
        org_list[:k],
        by_org_start,
        by_org,
    )


@writes("P.parent", *EVENT_LOG)
@njit(cache=True)
def merge(t, seed, p, P, region_start_pairs, census, events):
    """Merge live ecosystems of a region pairwise at random.

    Each pair (i, j) merges with probability p_ij = m * A_ij * B_ij / n_r; A_ij = 1 sharing an
    organisation, alpha_s sharing only a sector, alpha_0 otherwise;
    B_ij = x3 under brokerage, x2 if either has an active
    bridge-builder. Every pair is drawn (keyed by the two roots and the month); A_ij is only
    found for a draw below the largest p_ij could be. The merges of the month are applied
    together, the lower root absorbing the higher.

    Args:
        t, seed, p: month, seed, KernelParams.
        P: the partnerships' view (P.used rows); parent updated.
        region_start_pairs: int64[regions], n_r (partnerships each region started with).
        census: the Census at the start of the process.
        events: the event log (merges).

    Returns:
        Merges applied.

    """
    n = P.used[0]
    size, sector_mask, active_bb = census.size, census.sector_mask, census.active_bb
    org_start, org_list = census.org_start, census.org_list
    n_regions = region_start_pairs.shape[0]
    count_by_region = np.zeros(n_regions + 1, np.int64)
    for r in range(n):
        if size[r] > 0:
            count_by_region[P.region[r] + 1] += 1
    region_start = np.cumsum(count_by_region)
    roots = np.empty(region_start[n_regions], np.int64)
    slot = region_start[:-1].copy()
    for r in range(n):
        if size[r] > 0:
            roots[slot[P.region[r]]] = r
            slot[P.region[r]] += 1
    chosen_a = []
    chosen_b = []
    org_marks = np.full(census.by_org_start.shape[0] - 1, -1, np.int64)  # per organisation: the root marking it
    for g in range(n_regions):
        if p.merge_rate == 0.0 or region_start_pairs[g] == 0:
            continue
        base = p.merge_rate / region_start_pairs[g]
        most = max(1.0, p.affinity_sector, p.affinity_none)  # the largest A_ij: most pairs are refused by it
        boost_plain = p.brokerage_merge_factor if p.brokerage else 1.0
        boost_bb = boost_plain * p.bridge_builder_merge_factor  # either ecosystem has an active bridge-builder
        for x in range(region_start[g], region_start[g + 1]):
            ri = roots[x]
            for k in range(org_start[ri], org_start[ri + 1]):
                org_marks[org_list[k]] = ri
            for y in range(x + 1, region_start[g + 1]):
                rj = roots[y]
                boost = boost_bb if active_bb[ri] or active_bb[rj] else boost_plain
                u = uniform(seed, S_MERGE, pair_id(ri, rj), t)
                if not u < base * most * boost:
                    continue  # no affinity could make it merge (products of non-negatives round monotonically)
                shared_org = False
                for k in range(org_start[rj], org_start[rj + 1]):
                    if org_marks[org_list[k]] == ri:
                        shared_org = True
                        break
                if shared_org:
                    affinity = 1.0
                elif sector_mask[ri] & sector_mask[rj]:
                    affinity = p.affinity_sector
                else:
                    affinity = p.affinity_none
                if u < base * affinity * boost:
                    chosen_a.append(ri)
                    chosen_b.append(rj)
    merges = 0
    for k in range(len(chosen_a)):
        a = find(P.parent, chosen_a[k])
        b = find(P.parent, chosen_b[k])
        if a != b:
            keep, gone = min(a, b), max(a, b)
            P.parent[gone] = keep
            merges += 1
            log_event(events, t, EV_MERGED, gone, keep, -1)
    return merges


@writes(
    "P.parent",
    "P.region",
    "P.school",
    "P.company",
    "P.status",
    "P.bridge_builder",
    "P.start",
    "P.ownership",
    "P.used",
    *EVENT_LOG,
)
@njit(cache=True)
def recruit(t, seed, p, P, O, B, region_org_start, census, events):
    """Let live ecosystems recruit organisations into new partnerships, appended at row P.used on.

    Each live ecosystem recruits with probability min(rho_max, rho * organisations): an
    organisation of its region not in it, sharing a sector with its companies, chosen
    uniformly, forms a partnership with a member of the other kind chosen uniformly (a
    company with a school training for its sector; a school with a company in one of its
    sectors); a pair with a live partnership is never formed twice. The new row joins the
    ecosystem with O = the ecosystem's mean ownership and the bridge-builder of the member's
    lowest-numbered partnership in it, if not departed. Fields the caller completes
    (mission, value, contacts, consultation, health) are left for it.

    Args:
        t, seed, p: month, seed, KernelParams.
        P: the partnerships' view, with room for a recruit per live ecosystem; P.used advances.
        O, B: views of the organisations and bridge-builders, read.
        region_org_start: int64[regions + 1], region g's organisations are rows [g] to [g + 1].
        census: the Census after the merges.
        events: the event log (partnerships formed).

    Returns:
        Partnerships recruited (the rows from the old P.used on).

    """
    n = P.used[0]
    size, orgs, sector_mask, own = census.size, census.orgs, census.sector_mask, census.ownership_sum
    ms, mem, org_start, org_list = census.member_start, census.members, census.org_start, census.org_list
    n_org = O.kind.shape[0]
    in_eco = np.full(n_org, -1, np.int64)
    new_n = n
    for r in range(n):
        if size[r] == 0:
            continue
        chance = min(p.max_recruitment, p.recruitment_rate * orgs[r])
        if not uniform(seed, S_RECRUIT, r, t) < chance:
            continue
        for k in range(org_start[r], org_start[r + 1]):
            in_eco[org_list[k]] = r
        g = P.region[r]
        candidates = 0
        for o in range(region_org_start[g], region_org_start[g + 1]):  # a region's organisations are contiguous
            if in_eco[o] != r and O.sectors[o] & sector_mask[r]:
                candidates += 1
        if candidates == 0:
            continue
        pick = below(seed, S_RECRUIT_ORG, r, t, candidates)
        newcomer = -1
        for o in range(region_org_start[g], region_org_start[g + 1]):
            if in_eco[o] != r and O.sectors[o] & sector_mask[r]:
                if pick == 0:
                    newcomer = o
                    break
                pick -= 1
        partners = np.empty(org_start[r + 1] - org_start[r], np.int64)
        n_partners = 0
        for k in range(org_start[r], org_start[r + 1]):
            m = org_list[k]
            if O.kind[m] == O.kind[newcomer] or not (O.sectors[m] & O.sectors[newcomer]):
                continue
            if _has_live_pair(newcomer, m, census, P, n, new_n):
                continue
            partners[n_partners] = m
            n_partners += 1
        if n_partners == 0:
            continue
        member = partners[below(seed, S_RECRUIT_PARTNER, r, t, n_partners)]
        school, company = (newcomer, member) if O.kind[newcomer] == SCHOOL else (member, newcomer)
        i = new_n
        new_n += 1
        P.parent[i] = r
        P.region[i] = g
        P.school[i] = school
        P.company[i] = company
        P.status[i] = ACTIVE
        P.start[i] = t
        P.ownership[i] = own[r] / size[r]
        P.bridge_builder[i] = -1
        for m_ in range(ms[r], ms[r + 1]):
            j = mem[m_]
            if P.school[j] == member or P.company[j] == member:
                b = P.bridge_builder[j]
                if b >= 0 and B.status[b] != BB_DEPARTED:
                    P.bridge_builder[i] = b
                break
        log_event(events, t, EV_FORMED, i, r, -1)
    P.used[0] = new_n
    return new_n - n


@njit(cache=True)
def _has_live_pair(a, b, census, P, n, new_n):
    """Whether organisations a and b already share a live partnership (census rows or this month's)."""
    for k in range(census.by_org_start[a], census.by_org_start[a + 1]):
        i = census.by_org[k]
        if P.school[i] == b or P.company[i] == b:
            return True
    for i in range(n, new_n):
        if P.status[i] != ENDED and (
            (P.school[i] == a and P.company[i] == b) or (P.school[i] == b and P.company[i] == a)
        ):
            return True
    return False


@writes("P.penalty")
@njit(cache=True)
def coordination(p, P, census):
    """Set the coordination penalty of every live partnership from its ecosystem.

    Penalty = min(pi_max, pi * max(0, organisations - capacity)), capacity = kappa (+kappa_n under network
    support, +kappa_b under brokerage). Felt from next month's health update.

    Returns:
        Live ecosystems of at least LARGE_ECOSYSTEM organisations (for the expert-card cost).

    """
    size, orgs, ms, mem = census.size, census.orgs, census.member_start, census.members
    capacity = p.capacity
    if p.network_support:
        capacity += p.network_capacity
    if p.brokerage:
        capacity += p.brokerage_capacity
    large = 0
    for r in range(P.used[0]):
        if size[r] == 0:
            continue
        if orgs[r] >= LARGE_ECOSYSTEM:
            large += 1
        pen = min(p.max_coordination_penalty, p.coordination_penalty * max(0.0, orgs[r] - capacity))
        for m in range(ms[r], ms[r + 1]):
            P.penalty[mem[m]] = pen
    return large
