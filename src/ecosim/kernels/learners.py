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
from ecosim.kernels.events import clamp, log_event
from ecosim.rng import below, key, uniform

PROGRAMME_MONTHS = 24
COHORT_INTERVAL = 12


@njit(cache=True)
def enrol(i, t, seed, p, enrolled, placement, months_placed, months_here, motivation, competence, breadth, hard):
    """Learner row i starts the programme in month t.

    Unplaced, motivation U(min, max), hard to reach with the scenario's share; draws keyed by (row, enrolment month).
    """
    enrolled[i] = t
    placement[i] = -1
    months_placed[i] = 0
    months_here[i] = 0
    competence[i] = 0.0
    breadth[i] = 0
    u = uniform(seed, S_ENROL_MOTIVATION, i, t)
    motivation[i] = p.motivation_min + (p.motivation_max - p.motivation_min) * u
    hard[i] = uniform(seed, S_ENROL_HARD, i, t) < p.hard_to_reach_share


@njit(cache=True)
def enrol_all(seed, p, enrolled, placement, months_placed, months_here, motivation, competence, breadth, hard):
    """Enrol every row in the month already in `enrolled` (used at build)."""
    for i in range(enrolled.shape[0]):
        enrol(
            i,
            enrolled[i],
            seed,
            p,
            enrolled,
            placement,
            months_placed,
            months_here,
            motivation,
            competence,
            breadth,
            hard,
        )


@njit(cache=True)
def _leave(i, placement, pp_placed, pp_company, hosted):
    j = placement[i]
    pp_placed[j] -= 1
    hosted[pp_company[j]] -= 1
    placement[i] = -1


@njit(cache=True)
def _join(i, j, placement, pp_placed, pp_company, hosted, months_here, breadth):
    placement[i] = j
    pp_placed[j] += 1
    hosted[pp_company[j]] += 1
    months_here[i] = 0
    breadth[i] += 1


@njit(cache=True)
def learners(
    t,
    seed,
    p,
    l_school,
    enrolled,
    placement,
    months_placed,
    months_here,
    motivation,
    competence,
    breadth,
    hard,
    pp_status,
    pp_company,
    pp_placed,
    health,
    places,
    hosted,
    census_result,
    events,
    count,
):
    """One month of learners.

    In this order:

    1. In months 12, 24, ... the cohort enrolled 24 months ago graduates; its rows re-enrol.
    2. Learners of ended partnerships are released.
    3. An unplaced learner tries with probability beta*motivation (x chi, or chi_o under
       outreach, if hard to reach); tries are served in a keyed random order, each placed in
       an active partnership, chosen uniformly, of any ecosystem holding its school whose
       company has a free place.
    4. A placed learner learns: competence += gamma*H*motivation, motivation += 0.1*(H -
       motivation); every `rotation_interval` months in one place it moves to another company
       of its ecosystem with a free place, if any (breadth += 1).

    Returns:
        (graduates, graduates ever placed, their summed competence, their summed breadth,
         placements made, placements of hard-to-reach learners).

    """
    root, ms, mem, bos, bo = census_result[0], census_result[8], census_result[9], census_result[12], census_result[13]
    n_learners = l_school.shape[0]
    graduates = 0
    grad_placed = 0
    grad_competence = 0.0
    grad_breadth = 0.0
    if t > 0 and t % COHORT_INTERVAL == 0:
        for i in range(n_learners):
            if enrolled[i] <= t - PROGRAMME_MONTHS:
                graduates += 1
                if breadth[i] > 0:
                    grad_placed += 1
                    grad_competence += competence[i]
                    grad_breadth += breadth[i]
                if placement[i] >= 0:
                    _leave(i, placement, pp_placed, pp_company, hosted)
                enrol(
                    i,
                    t,
                    seed,
                    p,
                    enrolled,
                    placement,
                    months_placed,
                    months_here,
                    motivation,
                    competence,
                    breadth,
                    hard,
                )
        log_event(events, count, t, EV_GRADUATED, -1, graduates, -1)
    tries = []
    factor = p.outreach_factor if p.outreach else p.hard_to_reach_factor
    for i in range(n_learners):
        j = placement[i]
        if j >= 0 and pp_status[j] == ENDED:
            _leave(i, placement, pp_placed, pp_company, hosted)
        if placement[i] < 0:
            chance = p.placement_rate * motivation[i]
            if hard[i]:
                chance *= factor
            if uniform(seed, S_PLACE, i, t) < chance:
                tries.append(i)
    order_keys = np.empty(len(tries), np.uint64)
    for k in range(len(tries)):
        order_keys[k] = key(seed, S_PLACE_ORDER, tries[k], t)
    order = np.argsort(order_keys, kind="mergesort")
    marks = np.full(root.shape[0], -1, np.int64)
    placements = 0
    hard_placements = 0
    for k in order:
        i = tries[k]
        s = l_school[i]
        n_free = 0
        for pass_ in range(2):
            pick = below(seed, S_PLACE_CHOICE, i, t, n_free) if pass_ == 1 else -1
            for q in range(bos[s], bos[s + 1]):
                r = root[bo[q]]
                if marks[r] == 2 * i + pass_:
                    continue
                marks[r] = 2 * i + pass_
                for m in range(ms[r], ms[r + 1]):
                    j = mem[m]
                    if pp_status[j] == ACTIVE and hosted[pp_company[j]] < places[pp_company[j]]:
                        if pass_ == 0:
                            n_free += 1
                        elif pick == 0:
                            _join(i, j, placement, pp_placed, pp_company, hosted, months_here, breadth)
                            placements += 1
                            if hard[i]:
                                hard_placements += 1
                            pick = -1
                        else:
                            pick -= 1
            if n_free == 0:
                break
    for i in range(n_learners):
        j = placement[i]
        if j < 0:
            continue
        h = health[j]
        competence[i] += p.competence_gain * h * motivation[i]
        motivation[i] = clamp(motivation[i] + p.motivation_adjustment * (h - motivation[i]))
        months_placed[i] += 1
        months_here[i] += 1
        if months_here[i] >= p.rotation_interval:
            months_here[i] = 0
            _rotate(
                i,
                t,
                seed,
                j,
                root,
                ms,
                mem,
                pp_status,
                pp_company,
                pp_placed,
                places,
                hosted,
                placement,
                months_here,
                breadth,
            )
    return graduates, grad_placed, grad_competence, grad_breadth, placements, hard_placements


@njit(cache=True)
def _rotate(
    i, t, seed, j, root, ms, mem, pp_status, pp_company, pp_placed, places, hosted, placement, months_here, breadth
):
    """Rotate learner i to another company of its ecosystem with a free place, if there is one.

    The new partnership is drawn uniformly among the active ones of the same ecosystem.
    """
    r = root[j]
    here = pp_company[j]
    n_free = 0
    for m in range(ms[r], ms[r + 1]):
        x = mem[m]
        c = pp_company[x]
        if c != here and pp_status[x] == ACTIVE and hosted[c] < places[c]:
            n_free += 1
    if n_free == 0:
        return
    pick = below(seed, S_ROTATE, i, t, n_free)
    for m in range(ms[r], ms[r + 1]):
        x = mem[m]
        c = pp_company[x]
        if c != here and pp_status[x] == ACTIVE and hosted[c] < places[c]:
            if pick == 0:
                _leave(i, placement, pp_placed, pp_company, hosted)
                _join(i, x, placement, pp_placed, pp_company, hosted, months_here, breadth)
                return
            pick -= 1
