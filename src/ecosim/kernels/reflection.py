"""Process 4, reflection (quickscan / turning-point workshop) under evaluation."""

import numpy as np
from numba import njit

from ecosim.kernels.codes import ENDED


@njit(cache=True)
def reflection(t, interval, n, pp_status, pp_school, pp_company, mission, leaders, leaders_start):
    """Hold the evaluation sessions of month t, if it is one.

    In months k_e, 2k_e, ...: every live partnership gets M += (1 - M)/2, and the leaders of
    its school and company recover half their gap to their starting value if below it.

    Returns:
        The number of sessions held (live partnerships), for the cost account.

    """
    if interval <= 0 or t == 0 or t % interval != 0:
        return 0
    touched = np.zeros(leaders.shape[0], np.bool_)
    sessions = 0
    for i in range(n):
        if pp_status[i] == ENDED:
            continue
        sessions += 1
        mission[i] += 0.5 * (1.0 - mission[i])
        touched[pp_school[i]] = True
        touched[pp_company[i]] = True
    for o in range(leaders.shape[0]):
        if touched[o] and leaders[o] < leaders_start[o]:
            leaders[o] += 0.5 * (leaders_start[o] - leaders[o])
    return sessions
