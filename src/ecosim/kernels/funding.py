"""Process 1, funding: the programme's funding level f(t)."""

from numba import njit

from ecosim.kernels.events import writes


@writes()
@njit(cache=True)
def funding_level(t: int, funding_end: int, taper: int) -> float:
    """f(t) = 1 for t < T; 1 - (t - T + 1)/(n + 1) for T <= t < T + n; 0 after.

    Args:
        t: month.
        funding_end: T, the first month of reduced funding.
        taper: n, months over which funding falls linearly.

    """
    if t < funding_end:
        return 1.0
    if t < funding_end + taper:
        return 1.0 - (t - funding_end + 1) / (taper + 1)
    return 0.0
