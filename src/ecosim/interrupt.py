"""A Ctrl-C waits for the month being stepped: the compiled kernels must not be interrupted half-way.

Python's default SIGINT handler raises KeyboardInterrupt at the next Python instruction, and
that can be one run while numba turns a kernel's arrays into Python objects; a namedtuple of
arrays (the ecosystem census) is then built from a missing element and the process dies of a
segmentation fault instead of stopping cleanly. Inside :func:`whole` a Ctrl-C is only noted;
when the block ends it is delivered again to whatever handler was there before, so callers
(the batch, the CLI, a notebook) see an ordinary KeyboardInterrupt between months.
"""

import contextlib
import signal
import threading
from collections.abc import Iterator


@contextlib.contextmanager
def whole() -> Iterator[None]:
    """Hold back SIGINT until the block is done, then re-raise it (in the main thread only: others get none)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[int] = []
    previous = signal.signal(signal.SIGINT, lambda signum, frame: caught.append(signum))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
        if caught:
            signal.raise_signal(signal.SIGINT)
