"""The event log kernels append to: an int32 array of rows (month, kind, entity, other, cause)."""

from numba import njit


@njit(cache=True)
def log_event(events, count, month, kind, entity, other, cause):
    """Append one event row; `count` is a one-element int64 array (the rows used)."""
    k = count[0]
    events[k, 0] = month
    events[k, 1] = kind
    events[k, 2] = entity
    events[k, 3] = other
    events[k, 4] = cause
    count[0] = k + 1


@njit(cache=True)
def clamp(x: float) -> float:
    """X limited to [0, 1]."""
    return min(1.0, max(0.0, x))
