"""A Ctrl-C waits for the month being stepped: the compiled kernels must not be interrupted half-way.

Python's default SIGINT handler raises KeyboardInterrupt at the next Python instruction, and
that can be one run while numba turns a kernel's arrays into Python objects; a namedtuple of
arrays (the ecosystem census) is then built from a missing element and the process dies of a
segmentation fault instead of stopping cleanly. Inside :func:`whole` a Ctrl-C is only noted,
and handed to whatever handler was there before when the block ends, so callers (the batch,
the CLI, a notebook) see an ordinary KeyboardInterrupt between months. Compiling a kernel
(:func:`compiling`; up to a minute with an empty cache) stays interruptible at once.
"""

import contextlib
import signal
import threading
from collections.abc import Iterator

_compiling = [0]  # how many compilations are under way in this process (the main thread's)


@contextlib.contextmanager
def compiling() -> Iterator[None]:
    """Mark a compilation: a Ctrl-C inside :func:`whole` then interrupts it at once, as it would anywhere."""
    _compiling[0] += 1
    try:
        yield
    finally:
        _compiling[0] -= 1


@contextlib.contextmanager
def whole() -> Iterator[None]:
    """Hold back SIGINT until the block is done, then pass it on (in the main thread only: others get none)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[int] = []

    def note(signum: int, frame: object) -> None:
        if _compiling[0]:
            raise KeyboardInterrupt
        caught.append(signum)

    previous = signal.signal(signal.SIGINT, note)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
        if caught:
            _deliver(previous)


def _deliver(handler: object) -> None:
    """Handle a held-back SIGINT as `handler` would have: call it now, end the process, or ignore it."""
    if callable(handler):
        handler(signal.SIGINT, None)  # the default handler raises KeyboardInterrupt here
    elif handler == signal.SIG_DFL:
        signal.raise_signal(signal.SIGINT)
