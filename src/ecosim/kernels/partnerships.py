"""Process 5, partnership health and ending: mission, value, health, contact persons, status."""

import numpy as np
from numba import njit

from ecosim.kernels.codes import (
    ACTIVE,
    BB_DEPARTED,
    CAUSE_CONTACT,
    ENDED,
    EV_ENDED,
    EV_REACTIVATED,
    EV_STALLED,
    S_CONSULTATION,
    S_CONTACT,
    S_CONTACTS,
    S_END,
    S_STALL,
    STALLED,
)
from ecosim.kernels.events import clamp, log_event
from ecosim.rng import uniform

N_TERMS = 5  # support, carrier, mission, value, coordination


@njit(cache=True)
def health_target(
    i,
    p,
    pp_school,
    pp_company,
    pp_bridge_builder,
    ownership,
    mission,
    value,
    consultation,
    penalty,
    board,
    leaders,
    floor,
    bb_status,
    bb_intensity,
    terms,
):
    """The health target H* of partnership i.

    H* = w_s*min(six support layers) + w_c*carrier + w_m*M + w_v*V + w_k*[consultation] - penalty,
    carrier = O + (1 - O)*i (i = 0 once the bridge-builder departed), clamped to [0, 1].

    Writes the weighted terms (support, carrier, mission, value, -penalty) into `terms`
    (float64[5]) for the cause of ending, and returns H*.
    """
    s = pp_school[i]
    c = pp_company[i]
    weakest = min(min(board[s], leaders[s]), min(floor[s], board[c]), min(leaders[c], floor[c]))
    b = pp_bridge_builder[i]
    intensity = bb_intensity[b] if b >= 0 and bb_status[b] != BB_DEPARTED else 0.0
    terms[0] = p.weight_support * weakest
    terms[1] = p.weight_carrier * (ownership[i] + (1.0 - ownership[i]) * intensity)
    terms[2] = p.weight_mission * mission[i]
    terms[3] = p.weight_value * value[i]
    terms[4] = -penalty[i]
    consult = p.weight_consultation if consultation[i] else 0.0
    return clamp(terms[0] + terms[1] + terms[2] + terms[3] + consult + terms[4])


@njit(cache=True)
def partnerships(
    t,
    seed,
    p,
    n,
    pp_status,
    pp_school,
    pp_company,
    pp_bridge_builder,
    pp_end,
    pp_cause,
    pp_placed,
    contacts,
    consultation,
    ownership,
    mission,
    value,
    health,
    penalty,
    start_terms,
    contact_loss,
    places,
    board,
    leaders,
    floor,
    bb_status,
    bb_intensity,
    census_result,
    events,
    count,
):
    """One month of every live partnership.

    In this order:

    M *= (1 - mu);
    V += r_v * (fill + variety)/2 * (1 - V) - p_iso*[isolated], fill = placed/places of its
      company, variety = ((1 - 1/companies) + (1 - 1/sectors))/2 over its ecosystem,
      isolated = its ecosystem is a single pair;
    H += lambda*(H* - H); with one contact person, the contact leaves with probability
      1/tau_c and H -= 0.3 (contact_loss keeps 0.3*(1 - lambda)^months of each shock);
    status: stalled -> active if H > 0.5, else ended with probability zeta;
      active -> stalled with probability eta0 + eta1*(1 - H)^2.
    The cause of an ending is the weighted H* term that fell most since the start
    (start_terms), or 'contact' if the remaining contact shocks exceed them all.
    """
    root, orgs, companies, sectors = census_result[0], census_result[2], census_result[3], census_result[4]
    terms = np.empty(N_TERMS)
    leave = 1.0 / p.contact_tenure
    for i in range(n):
        if pp_status[i] == ENDED:
            continue
        r = root[i]
        mission[i] = clamp(mission[i] * (1.0 - p.mission_drift))
        company_places = places[pp_company[i]]
        fill = pp_placed[i] / company_places if company_places > 0 else 0.0
        variety = 0.5 * ((1.0 - 1.0 / companies[r]) + (1.0 - 1.0 / sectors[r]))
        isolated = 1.0 if orgs[r] == 2 else 0.0
        value[i] = clamp(
            value[i] + p.value_gain * 0.5 * (fill + variety) * (1.0 - value[i]) - p.isolation_loss * isolated
        )
        target = health_target(
            i,
            p,
            pp_school,
            pp_company,
            pp_bridge_builder,
            ownership,
            mission,
            value,
            consultation,
            penalty,
            board,
            leaders,
            floor,
            bb_status,
            bb_intensity,
            terms,
        )
        health[i] += p.health_adjustment * (target - health[i])
        contact_loss[i] *= 1.0 - p.health_adjustment
        if contacts[i] == 1 and uniform(seed, S_CONTACT, i, t) < leave:
            health[i] -= p.contact_shock
            contact_loss[i] += p.contact_shock
        health[i] = clamp(health[i])
        if pp_status[i] == STALLED:
            if health[i] > p.reactivation_health:
                pp_status[i] = ACTIVE
                log_event(events, count, t, EV_REACTIVATED, i, -1, -1)
            elif uniform(seed, S_END, i, t) < p.stalled_end:
                pp_status[i] = ENDED
                pp_end[i] = t
                pp_cause[i] = cause_of_ending(start_terms[i], terms, contact_loss[i])
                log_event(events, count, t, EV_ENDED, i, -1, pp_cause[i])
        else:
            gap = 1.0 - health[i]
            if uniform(seed, S_STALL, i, t) < p.stall_base + p.stall_slope * gap * gap:
                pp_status[i] = STALLED
                log_event(events, count, t, EV_STALLED, i, -1, -1)


@njit(cache=True)
def cause_of_ending(start, now, contact_loss):
    """Index of the H* term that lost most since the start.

    CAUSE_CONTACT if the contact shocks still felt exceed every loss; ties go to the earlier H* term.
    """
    best = 0
    best_loss = start[0] - now[0]
    for k in range(1, N_TERMS):
        loss = start[k] - now[k]
        if loss > best_loss:
            best = k
            best_loss = loss
    if contact_loss > best_loss:
        return CAUSE_CONTACT
    return best


@njit(cache=True)
def init_partnerships(
    lo,
    hi,
    seed,
    p,
    pp_school,
    pp_company,
    pp_bridge_builder,
    contacts,
    consultation,
    ownership,
    mission,
    value,
    health,
    penalty,
    start_terms,
    contact_loss,
    board,
    leaders,
    floor,
    bb_status,
    bb_intensity,
):
    """Complete partnership rows lo..hi-1 (new at the start or recruited this month).

    M = M0, V = V0, contact persons 1/2/3 by the scenario's shares (at least min_contacts),
    consultation structures with the scenario's share, H = H*; the H* terms are kept as
    the start terms for the cause of ending. Draws are keyed by the row.
    """
    for i in range(lo, hi):
        u = uniform(seed, S_CONTACTS, i, 0)
        k = 1 if u < p.contacts_one_share else (2 if u < p.contacts_one_share + p.contacts_two_share else 3)
        contacts[i] = max(k, p.min_contacts)
        consultation[i] = uniform(seed, S_CONSULTATION, i, 0) < p.consultation_share
        mission[i] = p.initial_mission
        value[i] = p.initial_value
        contact_loss[i] = 0.0
        health[i] = health_target(
            i,
            p,
            pp_school,
            pp_company,
            pp_bridge_builder,
            ownership,
            mission,
            value,
            consultation,
            penalty,
            board,
            leaders,
            floor,
            bb_status,
            bb_intensity,
            start_terms[i],
        )
