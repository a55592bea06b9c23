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
from ecosim.kernels.events import clamp, log_event
from ecosim.rng import uniform


@njit(cache=True)
def bridge_builders(
    t,
    seed,
    f,
    p,
    bb_payer,
    bb_status,
    bb_intensity,
    n,
    pp_status,
    pp_bridge_builder,
    pp_school,
    pp_company,
    ownership,
    health,
    floor,
    events,
    count,
):
    """One month of bridge-builders.

    Leaving: an active programme-paid bridge-builder leaves with probability q*(1 - f), a
    partner-paid one with q_p; under aftercare it enters aftercare instead of departing.
    In aftercare, i *= (1 - delta_a) and it departs once i < 0.1.
    Handover: every live partnership served by a non-departed one gets O += h*i*(1 - O).
    Departure: each partnership it served takes s = sigma*(1 - O)*i (i before the decay):
    H -= s and the floor support of its school and company is multiplied by (1 - s).

    Args:
        bb_payer, bb_status (int8[B]), bb_intensity (float64[B]): bridge-builders, updated.
        pp_*: partnership columns (n used rows); ownership, health (float64) updated.
        floor: float64[organisations], updated.

    """
    nb = bb_status.shape[0]
    shock_intensity = np.zeros(nb)
    departing = np.zeros(nb, np.bool_)
    for b in range(nb):
        if bb_status[b] == BB_ACTIVE:
            rate = p.leave_rate * (1.0 - f) if bb_payer[b] == PROGRAMME else p.partner_turnover
            if uniform(seed, S_BB_LEAVE, b, t) < rate:
                if p.aftercare:
                    bb_status[b] = BB_AFTERCARE
                    log_event(events, count, t, EV_AFTERCARE, b, -1, -1)
                else:
                    departing[b] = True
                    shock_intensity[b] = bb_intensity[b]
        elif bb_status[b] == BB_AFTERCARE:
            before = bb_intensity[b]
            bb_intensity[b] = before * (1.0 - p.aftercare_decay)
            if bb_intensity[b] < 0.1:
                departing[b] = True
                shock_intensity[b] = before
    for b in range(nb):
        if departing[b]:
            bb_status[b] = BB_DEPARTED
            log_event(events, count, t, EV_BB_LEFT, b, -1, -1)
    for i in range(n):
        b = pp_bridge_builder[i]
        if b < 0 or pp_status[i] == ENDED:
            continue
        if departing[b]:
            s = p.departure_shock * (1.0 - ownership[i]) * shock_intensity[b]
            health[i] = clamp(health[i] - s)
            floor[pp_school[i]] = clamp(floor[pp_school[i]] * (1.0 - s))
            floor[pp_company[i]] = clamp(floor[pp_company[i]] * (1.0 - s))
        elif bb_status[b] != BB_DEPARTED:
            ownership[i] = clamp(ownership[i] + p.handover_rate * bb_intensity[b] * (1.0 - ownership[i]))
