"""Process 5, partnership health and ending: mission, value, health, contact persons, status."""

import math

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
    S_PACE,
    S_REACTIVATE,
    S_STALL,
    STALLED,
)
from ecosim.kernels.events import EVENT_LOG, clamp, log_event, writes
from ecosim.rng import lognormal, uniform

N_TERMS = 5  # support, carrier, mission, value, coordination


@njit(cache=True)
def health_target(i, p, P, O, B, terms):
    """The health target H* of partnership i.

    H* = w_s*min(six support layers) + w_c*carrier + w_m*M + w_v*V + w_k*[consultation] - penalty,
    carrier = O + (1 - O)*i (i = 0 once the bridge-builder departed), clamped to [0, 1].

    Writes the weighted terms (support, carrier, mission, value, -penalty) into `terms`
    (float64[5]) for the cause of ending, and returns H*.
    """
    s = P.school[i]
    c = P.company[i]
    weakest = min(min(O.board[s], O.leaders[s]), min(O.floor[s], O.board[c]), min(O.leaders[c], O.floor[c]))
    b = P.bridge_builder[i]
    intensity = B.intensity[b] if b >= 0 and B.status[b] != BB_DEPARTED else 0.0
    terms[0] = p.weight_support * weakest
    terms[1] = p.weight_carrier * (P.ownership[i] + (1.0 - P.ownership[i]) * intensity)
    terms[2] = p.weight_mission * P.mission[i]
    terms[3] = p.weight_value * P.value[i]
    terms[4] = -P.penalty[i]
    consult = p.weight_consultation if P.consultation[i] else 0.0
    return clamp(terms[0] + terms[1] + terms[2] + terms[3] + consult + terms[4])


@njit(cache=True)
def above(h, midpoint, width):
    """How far H lies above `midpoint`, smoothly: the logistic 1/(1 + exp(-(h - midpoint)/width)).

    A width of 0 is the hard step [h > midpoint]. The exponent is bounded so no width overflows.
    """
    if width <= 0.0:
        return 1.0 if h > midpoint else 0.0
    z = min(max((h - midpoint) / width, -500.0), 500.0)
    return 1.0 / (1.0 + math.exp(-z))


@njit(cache=True)
def backing(census_orgs, p):
    """1 - beta_e*e, e = 1 - 2/organisations: how much an ecosystem cushions stalling and a lost contact.

    An isolated pair (two organisations) gets no backing (1); in a wide ecosystem the work
    rests on more people and places (e -> 1).
    """
    return 1.0 - p.ecosystem_backing * (1.0 - 2.0 / census_orgs)


@writes(
    "P.status", "P.end", "P.cause", "P.ownership", "P.mission", "P.value", "P.health", "P.contact_loss",
    "P.recent_terms", *EVENT_LOG,
)
@njit(cache=True)
def partnerships(t, seed, p, P, O, B, census, events):
    """One month of every live partnership.

    In this order, with b = 1 - beta_e*(1 - 2/organisations of its ecosystem):

    active: O += kappa*O*(1 - O): a running partnership's team embeds the work it owns;
    M += mu*(O - M): the shared mission settles at what the owning team carries;
    V += r_v * (fill + variety)/2 * (1 - V) - p_iso*V*[isolated], fill = placed/places of its
      company, variety = ((1 - 1/companies) + (1 - 1/sectors))/2 over its ecosystem,
      isolated = its ecosystem is a single pair;
    H += lambda*(H* - H); with one contact person, the contact leaves with probability
      1/tau_c and H -= b*contact_shock (contact_loss keeps each shock times (1 - lambda)^months);
    status, with s = above(H, H_r, w): stalled -> active with probability rho_r*s, else ended
      with probability zeta*(1 - s); active -> stalled with probability b*(eta0 + eta1*(1 - H)^2).
    The cause of an ending is the weighted H* term that fell most below its recent level
    (recent_terms, an average over about W months), or 'contact' if the contact shocks
    still felt exceed that loss.

    Args:
        t, seed, p: month, seed, KernelParams.
        P, O, B: views of the partnerships (P.used rows), organisations and bridge-builders.
        census: the Census of ecosystems taken at the end of the previous month's process 6.
        events: the event log (stalled, reactivated, ended).

    """
    terms = np.empty(N_TERMS)
    leave = 1.0 / p.contact_tenure
    follow = 1.0 / p.cause_window
    for i in range(P.used[0]):
        if P.status[i] == ENDED:
            continue
        r = census.root[i]
        b = backing(census.orgs[r], p)
        if P.status[i] == ACTIVE:
            P.ownership[i] = clamp(P.ownership[i] + p.consolidation_rate * P.ownership[i] * (1.0 - P.ownership[i]))
        P.mission[i] = clamp(P.mission[i] + p.mission_drift * (P.ownership[i] - P.mission[i]))
        company_places = O.places[P.company[i]]
        fill = P.placed[i] / company_places if company_places > 0 else 0.0
        variety = 0.5 * ((1.0 - 1.0 / census.companies[r]) + (1.0 - 1.0 / census.sectors[r]))
        isolated = 1.0 if census.orgs[r] == 2 else 0.0
        V = P.value[i]
        P.value[i] = clamp(V + p.value_gain * 0.5 * (fill + variety) * (1.0 - V) - p.isolation_loss * V * isolated)
        target = health_target(i, p, P, O, B, terms)
        P.health[i] += p.health_adjustment * (target - P.health[i])
        P.contact_loss[i] *= 1.0 - p.health_adjustment
        if P.contacts[i] == 1 and uniform(seed, S_CONTACT, i, t) < leave:
            P.health[i] -= b * p.contact_shock
            P.contact_loss[i] += b * p.contact_shock
        P.health[i] = clamp(P.health[i])
        if P.status[i] == STALLED:
            s = above(P.health[i], p.reactivation_health, p.health_slope)
            if uniform(seed, S_REACTIVATE, i, t) < p.reactivation_rate * s:
                P.status[i] = ACTIVE
                log_event(events, t, EV_REACTIVATED, i, -1, -1)
            elif uniform(seed, S_END, i, t) < p.stalled_end * (1.0 - s):
                P.status[i] = ENDED
                P.end[i] = t
                P.cause[i] = cause_of_ending(P.recent_terms[i], terms, P.contact_loss[i])
                log_event(events, t, EV_ENDED, i, -1, P.cause[i])
                continue
        else:
            gap = 1.0 - P.health[i]
            if uniform(seed, S_STALL, i, t) < b * (p.stall_base + p.stall_slope * gap * gap):
                P.status[i] = STALLED
                log_event(events, t, EV_STALLED, i, -1, -1)
        for k in range(N_TERMS):
            P.recent_terms[i, k] += follow * (terms[k] - P.recent_terms[i, k])


@njit(cache=True)
def cause_of_ending(recent, now, contact_loss):
    """Index of the H* term that lost most against its recent level.

    CAUSE_CONTACT if the contact shocks still felt exceed every loss; ties go to the earlier H* term.
    """
    best = 0
    best_loss = recent[0] - now[0]
    for k in range(1, N_TERMS):
        loss = recent[k] - now[k]
        if loss > best_loss:
            best = k
            best_loss = loss
    if contact_loss > best_loss:
        return CAUSE_CONTACT
    return best


@writes("P.contacts", "P.consultation", "P.pace", "P.mission", "P.value", "P.health", "P.start_target",
        "P.recent_terms", "P.contact_loss")
@njit(cache=True)
def init_partnerships(lo, seed, p, P, O, B):
    """Complete partnership rows lo..P.used-1 (new at the start or recruited this month).

    M = M0, V = V0, contact persons 1/2/3 by the scenario's shares (at least min_contacts),
    consultation structures with the scenario's share, handover pace g lognormal with mean 1
    and coefficient of variation c_g, H = H*; H* is kept as the start target and its terms
    start the recent terms for the cause of ending. Draws are keyed by the row.
    """
    for i in range(lo, P.used[0]):
        u = uniform(seed, S_CONTACTS, i, 0)
        k = 1 if u < p.contacts_one_share else (2 if u < p.contacts_one_share + p.contacts_two_share else 3)
        P.contacts[i] = max(k, p.min_contacts)
        P.consultation[i] = uniform(seed, S_CONSULTATION, i, 0) < p.consultation_share
        P.pace[i] = lognormal(seed, S_PACE, i, 0, p.handover_spread)
        P.mission[i] = p.initial_mission
        P.value[i] = p.initial_value
        P.contact_loss[i] = 0.0
        P.health[i] = health_target(i, p, P, O, B, P.recent_terms[i])
        P.start_target[i] = P.health[i]
