"""Process 3, support (draagvlak) of every organisation in three layers."""

import numpy as np
from numba import njit

from ecosim.kernels.codes import ACTIVE, BB_DEPARTED, COMPANY, ENDED, SCHOOL
from ecosim.kernels.events import clamp


@njit(cache=True)
def support(
    p,
    kind,
    board,
    leaders,
    floor,
    commitment,
    demand,
    n,
    pp_status,
    pp_school,
    pp_company,
    pp_bridge_builder,
    bb_status,
    bb_intensity,
):
    """One month of support, all terms from the values at the start of the process.

    dB = -eps(B - phi) + a(c - B)
    dL = -eps(L - phi) + a(c - L) + d(B - L) + g_d(1 - L)   [school with an active partnership with a demanding company]
    dF = -eps(F - phi) + a(c - F)[leadership engagement] + d(L - F)
         + g_d(1 - F)   [demanding company with an active partnership]
         + g_b*i*(1 - F) [organisation of a live partnership served by a non-departed bridge-builder; i the largest]
    Each boost applies once per organisation, however many partnerships qualify.

    Args:
        kind (int8[O]), demand (bool[O]), commitment (float64[O]); board, leaders, floor
        (float64[O]) updated in place. pp_* partnership columns (n used rows).

    """
    n_org = kind.shape[0]
    demanded = np.zeros(n_org, np.bool_)
    energy = np.zeros(n_org)
    for i in range(n):
        if pp_status[i] == ENDED:
            continue
        s = pp_school[i]
        c = pp_company[i]
        if pp_status[i] == ACTIVE and demand[c]:
            demanded[s] = True
            demanded[c] = True
        b = pp_bridge_builder[i]
        if b >= 0 and bb_status[b] != BB_DEPARTED:
            energy[s] = max(energy[s], bb_intensity[b])
            energy[c] = max(energy[c], bb_intensity[b])
    eps, phi, a, d = p.erosion, p.erosion_floor, p.leaders_pull, p.diffusion
    for o in range(n_org):
        B, L, F, c = board[o], leaders[o], floor[o], commitment[o]
        dB = -eps * (B - phi) + a * (c - B)
        dL = -eps * (L - phi) + a * (c - L) + d * (B - L)
        dF = -eps * (F - phi) + d * (L - F)
        if p.leadership_engagement:
            dF += a * (c - F)
        if demanded[o] and kind[o] == SCHOOL:
            dL += p.demand_signal * (1.0 - L)
        if demanded[o] and kind[o] == COMPANY:
            dF += p.demand_signal * (1.0 - F)
        dF += p.bridge_builder_energy * energy[o] * (1.0 - F)
        board[o] = clamp(B + dB)
        leaders[o] = clamp(L + dL)
        floor[o] = clamp(F + dF)
