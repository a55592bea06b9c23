"""Process 7, learners: cohorts, placement (with outreach to the hard to reach), learning, rotation."""

import numpy as np
from numba import njit

from ecosim.kernels.codes import (
    ACTIVE,
    ENDED,
    EV_GRADUATED,
    S_ENROL_HARD,
    S_ENROL_MOTIVATION,
    S_PLACE,
    S_PLACE_CHOICE,
    S_PLACE_ORDER,
    S_ROTATE,
)
from ecosim.kernels.events import EVENT_LOG, clamp, log_event, writes
from ecosim.rng import below, key, uniform

# The cohort calendar (docs/ODD.md §7.7, from the original design): a programme lasts two
# years and a new cohort starts every year, so two cohorts are enrolled at any time.
# build.py staggers the starting cohorts by COHORT_INTERVAL; record.py reads cohort outcomes
# from PROGRAMME_MONTHS on.
PROGRAMME_MONTHS = 24
COHORT_INTERVAL = 12

ENROLMENT = ("L.placement", "L.months_placed", "L.months_here", "L.motivation", "L.competence", "L.breadth", "L.hard")
"""What enrolling a learner writes besides its enrolment month."""


@njit(cache=True)
def enrol(i, t, seed, p, L):
    """Learner row i starts the programme in month t.

    Unplaced, motivation U(min, max), hard to reach with the scenario's share; draws keyed by (row, enrolment month).
    """
    L.enrolled[i] = t
    L.placement[i] = -1
    L.months_placed[i] = 0
    L.months_here[i] = 0
    L.competence[i] = 0.0
    L.breadth[i] = 0
    u = uniform(seed, S_ENROL_MOTIVATION, i, t)
    L.motivation[i] = p.motivation_min + (p.motivation_max - p.motivation_min) * u
    L.hard[i] = uniform(seed, S_ENROL_HARD, i, t) < p.hard_to_reach_share


@writes(*ENROLMENT)
@njit(cache=True)
def enrol_all(seed, p, L):
    """Enrol every row of the learners' view L in the month already in L.enrolled (used at build)."""
    for i in range(L.enrolled.shape[0]):
        enrol(i, np.int64(L.enrolled[i]), seed, p, L)


# The helpers below take the arrays they touch, not the table views, and are inlined: a
# call with whole views would pass (and reference-count) every column of every table.
@njit(cache=True, inline="always")
def _leave(i, placement, company, placed, hosted):
    j = placement[i]
    placed[j] -= 1
    hosted[company[j]] -= 1
    placement[i] = -1


@njit(cache=True, inline="always")
def _join(i, j, placement, months_here, breadth, company, placed, hosted):
    placement[i] = j
    placed[j] += 1
    hosted[company[j]] += 1
    months_here[i] = 0
    breadth[i] += 1


@writes("L.enrolled", *ENROLMENT, "P.placed", "O.hosted", *EVENT_LOG)
@njit(cache=True)
def learners(t, seed, p, L, P, O, census, events):
    """One month of learners.

    In this order:

    1. In months 12, 24, ... (multiples of COHORT_INTERVAL) the cohort enrolled PROGRAMME_MONTHS
       (24) months ago graduates; its rows re-enrol.
    2. Learners of ended partnerships are released.
    3. An unplaced learner tries with probability beta*motivation (x chi, or chi_o under
       outreach, if hard to reach); tries are served in a keyed random order, each placed in
       an active partnership, chosen uniformly, of any ecosystem holding its school whose
       company has a free place (a school without one is skipped: none frees up within the month).
    4. A placed learner learns: competence += gamma*H*motivation, motivation += a_m*(H -
       motivation); every `rotation_interval` months in one place it moves to another company
       of its ecosystem with a free place, if any (breadth += 1).

    Args:
        t, seed, p: month, seed, KernelParams.
        L: the learners' view, updated.
        P, O: views of the partnerships and organisations; P.placed and O.hosted updated.
        census: the Census after this month's recruitment.
        events: the event log (a cohort graduated).

    Returns:
        (graduates, graduates ever placed, their summed competence, their summed breadth,
         placements made, placements of hard-to-reach learners).

    """
    root, bos, bo, ms, mem = census.root, census.by_org_start, census.by_org, census.member_start, census.members
    placement, months_here, breadth = L.placement, L.months_here, L.breadth
    company, status, placed, hosted, places = P.company, P.status, P.placed, O.hosted, O.places
    n_learners = L.school.shape[0]
    graduates = 0
    grad_placed = 0
    grad_competence = 0.0
    grad_breadth = 0.0
    if t > 0 and t % COHORT_INTERVAL == 0:
        for i in range(n_learners):
            if L.enrolled[i] <= t - PROGRAMME_MONTHS:
                graduates += 1
                if L.breadth[i] > 0:
                    grad_placed += 1
                    grad_competence += L.competence[i]
                    grad_breadth += L.breadth[i]
                if placement[i] >= 0:
                    _leave(i, placement, company, placed, hosted)
                enrol(i, t, seed, p, L)
        log_event(events, t, EV_GRADUATED, -1, graduates, -1)
    # The learners of ended partnerships are released; the others still placed are kept, in
    # row order, for the learning pass (written without branches on whether a learner is
    # placed, which is unpredictable row by row and would cost more than the work).
    staying = np.empty(n_learners, np.int64)
    n_staying = 0
    for i in range(n_learners):
        j = placement[i]
        is_placed = j >= 0
        released = is_placed & (status[max(j, 0)] == ENDED)
        if released:
            _leave(i, placement, company, placed, hosted)
        staying[n_staying] = i
        n_staying += is_placed & ~released
    # Placement only fills places, so a school without room has none all month: its learners'
    # tries would all fail, and (the draws being keyed) are not drawn at all. A school's
    # learners are the rows O.learners of it, in organisation order (build.py).
    free = _free_places(census, P, O)
    room = _room(free, census)
    tries = []
    factor = p.outreach_factor if p.outreach else p.hard_to_reach_factor
    first = 0
    for s in range(room.shape[0]):
        last = first + O.learners[s]
        if room[s]:
            for i in range(first, last):
                if placement[i] < 0:
                    chance = p.placement_rate * L.motivation[i]
                    if L.hard[i]:
                        chance *= factor
                    if uniform(seed, S_PLACE, i, t) < chance:
                        tries.append(i)
        first = last
    order_keys = np.empty(len(tries), np.uint64)
    for k in range(len(tries)):
        order_keys[k] = key(seed, S_PLACE_ORDER, tries[k], t)
    order = np.argsort(order_keys, kind="mergesort")
    # A try picks the pick-th open partnership (active, its company not full) in the order of
    # the school's partnerships' ecosystems, then their members; free[r] counts the open
    # members of ecosystem r, so whole ecosystems are counted and skipped without a scan.
    marks = np.full(root.shape[0], -1, np.int64)
    joined = np.empty(len(tries), np.int64)
    placements = 0
    hard_placements = 0
    for k in order:
        i = tries[k]
        s = L.school[i]
        if not room[s]:
            continue
        n_free = 0
        for q in range(bos[s], bos[s + 1]):
            r = root[bo[q]]
            if marks[r] != i:
                marks[r] = i
                n_free += free[r]
        if n_free == 0:
            room[s] = False  # and so for the rest of the month
            continue
        pick = below(seed, S_PLACE_CHOICE, i, t, n_free)
        r = -1
        for q in range(bos[s], bos[s + 1]):
            r = root[bo[q]]
            if marks[r] == i:
                marks[r] = -1
                if pick < free[r]:
                    break
                pick -= free[r]
        for m in range(ms[r], ms[r + 1]):
            j = mem[m]
            c = company[j]
            if status[j] == ACTIVE and hosted[c] < places[c]:
                if pick == 0:
                    _join(i, j, placement, months_here, breadth, company, placed, hosted)
                    if hosted[c] == places[c]:  # the company is full: its partnerships close
                        for x in range(bos[c], bos[c + 1]):
                            if status[bo[x]] == ACTIVE:
                                free[root[bo[x]]] -= 1
                    break
                pick -= 1
        joined[placements] = i
        placements += 1
        if L.hard[i]:
            hard_placements += 1
    # Placed learners learn and rotate in row order: the staying and the newly placed, merged.
    joined = np.sort(joined[:placements])
    a = 0
    b = 0
    while a < n_staying or b < placements:
        if b == placements or (a < n_staying and staying[a] < joined[b]):
            i = staying[a]
            a += 1
        else:
            i = joined[b]
            b += 1
        j = placement[i]
        h = P.health[j]
        L.competence[i] += p.competence_gain * h * L.motivation[i]
        L.motivation[i] = clamp(L.motivation[i] + p.motivation_adjustment * (h - L.motivation[i]))
        L.months_placed[i] += 1
        months_here[i] += 1
        if months_here[i] >= p.rotation_interval:
            months_here[i] = 0
            r = root[j]
            _rotate(i, t, seed, j, r, ms, mem, status, places, placement, months_here, breadth, company, placed, hosted)
    return graduates, grad_placed, grad_competence, grad_breadth, placements, hard_placements


@njit(cache=True)
def _free_places(census, P, O):
    """Per ecosystem root: how many of its members are active partnerships whose company has a free place."""
    ms, mem = census.member_start, census.members
    free = np.zeros(ms.shape[0] - 1, np.int64)
    for r in range(free.shape[0]):
        for m in range(ms[r], ms[r + 1]):
            j = mem[m]
            if P.status[j] == ACTIVE and O.hosted[P.company[j]] < O.places[P.company[j]]:
                free[r] += 1
    return free


@njit(cache=True)
def _room(free, census):
    """Per organisation: whether an ecosystem holding it has an open partnership (`free` from _free_places)."""
    root, bos, bo = census.root, census.by_org_start, census.by_org
    room = np.zeros(bos.shape[0] - 1, np.bool_)
    for o in range(room.shape[0]):
        for q in range(bos[o], bos[o + 1]):
            if free[root[bo[q]]] > 0:
                room[o] = True
                break
    return room


@njit(cache=True, inline="always")
def _rotate(i, t, seed, j, r, ms, mem, status, places, placement, months_here, breadth, company, placed, hosted):
    """Rotate learner i from partnership j to another company of its ecosystem r with a free place, if there is one.

    The new partnership is drawn uniformly among the active ones of the same ecosystem.
    """
    here = company[j]
    n_free = 0
    for m in range(ms[r], ms[r + 1]):
        x = mem[m]
        c = company[x]
        if c != here and status[x] == ACTIVE and hosted[c] < places[c]:
            n_free += 1
    if n_free == 0:
        return
    pick = below(seed, S_ROTATE, i, t, n_free)
    for m in range(ms[r], ms[r + 1]):
        x = mem[m]
        c = company[x]
        if c != here and status[x] == ACTIVE and hosted[c] < places[c]:
            if pick == 0:
                _leave(i, placement, company, placed, hosted)
                _join(i, x, placement, months_here, breadth, company, placed, hosted)
                return
            pick -= 1
