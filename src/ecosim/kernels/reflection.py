"""Process 4, reflection (quickscan / turning-point workshop) under evaluation."""

import numpy as np
from numba import njit

from ecosim.kernels.codes import ENDED
from ecosim.kernels.events import writes


@writes("P.mission", "O.leaders")
@njit(cache=True)
def reflection(t, p, P, O):
    """Hold the evaluation sessions of month t, if it is one.

    In months k_e, 2k_e, ... (k_e = p.evaluation_interval > 0): every live partnership gets
    M += r(1 - M), and the leaders of its school and company recover the share r of their
    gap to their starting value if below it (r = p.reflection_recovery).

    Returns:
        The number of sessions held (live partnerships), for the cost account.

    """
    interval = p.evaluation_interval
    if interval <= 0 or t == 0 or t % interval != 0:
        return 0
    r = p.reflection_recovery
    touched = np.zeros(O.leaders.shape[0], np.bool_)
    sessions = 0
    for i in range(P.used[0]):
        if P.status[i] == ENDED:
            continue
        sessions += 1
        P.mission[i] += r * (1.0 - P.mission[i])
        touched[P.school[i]] = True
        touched[P.company[i]] = True
    for o in range(O.leaders.shape[0]):
        if touched[o] and O.leaders[o] < O.leaders_start[o]:
            O.leaders[o] += r * (O.leaders_start[o] - O.leaders[o])
    return sessions
