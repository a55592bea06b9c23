"""The event log kernels append to, and the helpers every kernel shares.

The log is the events table's view: `row`, int32 rows (month, kind, entity, other, cause),
and `used`, the rows written so far.
"""

import inspect
from collections.abc import Callable

from numba import njit


def writes(*outputs: str) -> Callable:
    """Declare the arrays a kernel writes; it only reads everything else it is given.

    Each output is ``"<argument>.<field>"`` for a column (or ``used``) of a table view, or
    ``"<argument>"`` for a plain array. The declaration is kept on the kernel as `writes`;
    tests/test_kernel_checks.py holds every kernel to it on sample worlds.
    """

    def declare(kernel):
        names = inspect.signature(kernel.py_func).parameters
        unknown = [o for o in outputs if o.split(".")[0] not in names]
        if unknown:
            raise TypeError(f"{kernel.__name__}: declared outputs {unknown} are not among its arguments")
        kernel.writes = outputs
        return kernel

    return declare


EVENT_LOG = ("events.row", "events.used")
"""What a kernel that logs events writes."""


@njit(cache=True, inline="always")
def log_event(events, month, kind, entity, other, cause):
    """Append one event row to the log `events` (the events view); room was reserved between steps."""
    k = events.used[0]
    events.row[k, 0] = month
    events.row[k, 1] = kind
    events.row[k, 2] = entity
    events.row[k, 3] = other
    events.row[k, 4] = cause
    events.used[0] = k + 1


@njit(cache=True)
def clamp(x: float) -> float:
    """X limited to [0, 1]."""
    return min(1.0, max(0.0, x))
