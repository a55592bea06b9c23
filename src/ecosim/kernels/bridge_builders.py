"""Process 2, bridge-builders: leaving (or aftercare), handover of ownership, departure shock."""

import numpy as np
from numba import njit

from ecosim.kernels.codes import (
    BB_ACTIVE,
    BB_AFTERCARE,
    BB_DEPARTED,
    ENDED,
    EV_AFTERCARE,
    EV_BB_LEFT,
    PROGRAMME,
    S_BB_LEAVE,
)
from ecosim.kernels.events import EVENT_LOG, clamp, log_event, writes
from ecosim.rng import uniform


@writes("B.status", "B.intensity", "P.ownership", "P.health", "O.floor", *EVENT_LOG)
@njit(cache=True)
def bridge_builders(t, seed, f, p, B, P, O, events):
    """One month of bridge-builders.

    Leaving: an active programme-paid bridge-builder leaves with probability q*(1 - f), a
    partner-paid one with q_p; under aftercare it enters aftercare instead of departing.
    In aftercare, i *= (1 - delta_a) and it departs once i < i_min (aftercare_exit_intensity).
    Handover: every live partnership served by a non-departed one gets O += h*g*i*(1 - O), g its pace.
    Departure: each partnership it served takes s = sigma*(1 - O)*i (i before the decay):
    H -= s and the floor support of its school and company is multiplied by (1 - s).

    Args:
        t, seed, f, p: month, seed, funding level f(t), KernelParams.
        B, P, O: views of the bridge-builders, partnerships (P.used rows) and organisations.
        events: the event log (bridge-builders entering aftercare or leaving).

    """
    nb = B.status.shape[0]
    shock_intensity = np.zeros(nb)
    departing = np.zeros(nb, np.bool_)
    for b in range(nb):
        if B.status[b] == BB_ACTIVE:
            rate = p.leave_rate * (1.0 - f) if B.payer[b] == PROGRAMME else p.partner_turnover
            if uniform(seed, S_BB_LEAVE, b, t) < rate:
                if p.aftercare:
                    B.status[b] = BB_AFTERCARE
                    log_event(events, t, EV_AFTERCARE, b, -1, -1)
                else:
                    departing[b] = True
                    shock_intensity[b] = B.intensity[b]
        elif B.status[b] == BB_AFTERCARE:
            before = B.intensity[b]
            B.intensity[b] = before * (1.0 - p.aftercare_decay)
            if B.intensity[b] < p.aftercare_exit_intensity:
                departing[b] = True
                shock_intensity[b] = before
    for b in range(nb):
        if departing[b]:
            B.status[b] = BB_DEPARTED
            log_event(events, t, EV_BB_LEFT, b, -1, -1)
    for i in range(P.used[0]):
        b = P.bridge_builder[i]
        if b < 0 or P.status[i] == ENDED:
            continue
        if departing[b]:
            s = p.departure_shock * (1.0 - P.ownership[i]) * shock_intensity[b]
            P.health[i] = clamp(P.health[i] - s)
            O.floor[P.school[i]] = clamp(O.floor[P.school[i]] * (1.0 - s))
            O.floor[P.company[i]] = clamp(O.floor[P.company[i]] * (1.0 - s))
        elif B.status[b] != BB_DEPARTED:
            gain = p.handover_rate * P.pace[i] * B.intensity[b]
            P.ownership[i] = clamp(P.ownership[i] + gain * (1.0 - P.ownership[i]))
