"""Process 8, record: the state summaries behind the per-month indicators."""

import numpy as np
from numba import njit

from ecosim.kernels.codes import ACTIVE, BB_ACTIVE, BB_AFTERCARE, COMPANY, ENDED, STALLED
from ecosim.kernels.ecosystems import LARGE_ECOSYSTEM
from ecosim.kernels.events import writes


@writes("ended_by_cause")
@njit(cache=True)
def indicators(P, O, B, L, census_result, ended_by_cause):
    """Counts and means of one month's state.

    Writes cumulative ended counts per cause into ended_by_cause (int64[6]) and returns
    (active, stalled, ended, ecosystems, largest ecosystem (organisations), share of live
    partnerships in ecosystems of >= LARGE_ECOSYSTEM (3) organisations, active and aftercare bridge-builders,
    mean board / leaders / floor support of organisations in live partnerships, mean health
    of live partnerships, learners placed, hard-to-reach among them, mean competence and
    mean breadth of placed learners, then the three support means of the schools alone and
    of the companies alone).
    """
    n = P.used[0]
    pp_status, pp_cause, pp_school, pp_company, health = P.status, P.cause, P.school, P.company, P.health
    board, leaders, floor, kind, bb_status = O.board, O.leaders, O.floor, O.kind, B.status
    placement, competence, breadth, hard = L.placement, L.competence, L.breadth, L.hard
    size, orgs = census_result.size, census_result.orgs
    active = 0
    stalled = 0
    ended = 0
    ended_by_cause[:] = 0
    health_sum = 0.0
    in_org = np.zeros(board.shape[0], np.bool_)
    for i in range(n):
        if pp_status[i] == ENDED:
            ended += 1
            ended_by_cause[pp_cause[i]] += 1
            continue
        if pp_status[i] == ACTIVE:
            active += 1
        elif pp_status[i] == STALLED:
            stalled += 1
        health_sum += health[i]
        in_org[pp_school[i]] = True
        in_org[pp_company[i]] = True
    ecosystems = 0
    largest = 0
    in_large = 0
    for r in range(n):
        if size[r] > 0:
            ecosystems += 1
            largest = max(largest, orgs[r])
            if orgs[r] >= LARGE_ECOSYSTEM:
                in_large += size[r]
    live = active + stalled
    sums = np.zeros(3)
    n_org = 0
    by_kind = np.zeros((2, 3))  # row 0 schools, row 1 companies
    n_kind = np.zeros(2, np.int64)
    for o in range(board.shape[0]):
        if in_org[o]:
            n_org += 1
            sums[0] += board[o]
            sums[1] += leaders[o]
            sums[2] += floor[o]
            k = 1 if kind[o] == COMPANY else 0
            n_kind[k] += 1
            by_kind[k, 0] += board[o]
            by_kind[k, 1] += leaders[o]
            by_kind[k, 2] += floor[o]
    bb_active = 0
    bb_aftercare = 0
    for b in range(bb_status.shape[0]):
        if bb_status[b] == BB_ACTIVE:
            bb_active += 1
        elif bb_status[b] == BB_AFTERCARE:
            bb_aftercare += 1
    placed = 0
    placed_hard = 0
    comp = 0.0
    brd = 0.0
    for i in range(placement.shape[0]):
        if placement[i] >= 0:
            placed += 1
            if hard[i]:
                placed_hard += 1
            comp += competence[i]
            brd += breadth[i]
    nan = np.nan
    return (
        active,
        stalled,
        ended,
        ecosystems,
        largest,
        in_large / live if live else nan,
        bb_active,
        bb_aftercare,
        sums[0] / n_org if n_org else nan,
        sums[1] / n_org if n_org else nan,
        sums[2] / n_org if n_org else nan,
        health_sum / live if live else nan,
        placed,
        placed_hard,
        comp / placed if placed else nan,
        brd / placed if placed else nan,
        by_kind[0, 0] / n_kind[0] if n_kind[0] else nan,
        by_kind[0, 1] / n_kind[0] if n_kind[0] else nan,
        by_kind[0, 2] / n_kind[0] if n_kind[0] else nan,
        by_kind[1, 0] / n_kind[1] if n_kind[1] else nan,
        by_kind[1, 1] / n_kind[1] if n_kind[1] else nan,
        by_kind[1, 2] / n_kind[1] if n_kind[1] else nan,
    )
