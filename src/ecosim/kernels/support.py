"""Process 3, support (draagvlak) of every organisation in three layers."""

import numpy as np
from numba import njit

from ecosim.kernels.codes import ACTIVE, BB_DEPARTED, COMPANY, ENDED, SCHOOL
from ecosim.kernels.events import clamp, writes


@writes("O.board", "O.leaders", "O.floor")
@njit(cache=True)
def support(p, O, P, B):
    """One month of support, all terms from the values at the start of the process.

    dB = -eps(B - phi) + a(c - B)
    dL = -eps(L - phi) + a(c - L) + d(B - L) + g_d(1 - L)   [school with an active partnership with a demanding company]
    dF = -eps(F - phi) + a(c - F)[leadership engagement] + d(L - F)
         + g_d(1 - F)   [demanding company with an active partnership]
         + g_b*i*(1 - F) [organisation of a live partnership served by a non-departed bridge-builder; i the largest]
    Each boost applies once per organisation, however many partnerships qualify.

    Args:
        p: KernelParams.
        O: the organisations' view; board, leaders, floor updated in place.
        P, B: views of the partnerships (P.used rows) and bridge-builders, read.

    """
    n_org = O.kind.shape[0]
    demanded = np.zeros(n_org, np.bool_)
    energy = np.zeros(n_org)
    for i in range(P.used[0]):
        if P.status[i] == ENDED:
            continue
        s = P.school[i]
        c = P.company[i]
        if P.status[i] == ACTIVE and O.demand[c]:
            demanded[s] = True
            demanded[c] = True
        b = P.bridge_builder[i]
        if b >= 0 and B.status[b] != BB_DEPARTED:
            energy[s] = max(energy[s], B.intensity[b])
            energy[c] = max(energy[c], B.intensity[b])
    eps, phi, a, d = p.erosion, p.erosion_floor, p.leaders_pull, p.diffusion
    for o in range(n_org):
        board, leaders, floor, c = O.board[o], O.leaders[o], O.floor[o], O.commitment[o]
        dB = -eps * (board - phi) + a * (c - board)
        dL = -eps * (leaders - phi) + a * (c - leaders) + d * (board - leaders)
        dF = -eps * (floor - phi) + d * (leaders - floor)
        if p.leadership_engagement:
            dF += a * (c - floor)
        if demanded[o] and O.kind[o] == SCHOOL:
            dL += p.demand_signal * (1.0 - leaders)
        if demanded[o] and O.kind[o] == COMPANY:
            dF += p.demand_signal * (1.0 - floor)
        dF += p.bridge_builder_energy * energy[o] * (1.0 - floor)
        O.board[o] = clamp(board + dB)
        O.leaders[o] = clamp(leaders + dL)
        O.floor[o] = clamp(floor + dF)
