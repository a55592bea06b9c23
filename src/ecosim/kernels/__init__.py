"""Numba kernels, one module per process of the monthly schedule (docs/ODD.md §3).

Every kernel is a pure function of arrays and scalars that updates arrays in place: no
I/O, no clock, no global state, randomness only through :mod:`ecosim.rng`. A table comes
in as its view (``P.health[i]``; ``world.Table.view``), and each kernel declares the arrays
it writes (``kernel.writes``, from :func:`ecosim.kernels.events.writes`). An :class:`Engine`
hands out either the compiled kernels or the same functions uncompiled.

This package imports its kernel modules, not their functions, so that
``ecosim.kernels.partnerships`` is always the module (several kernels share their module's
name); the kernels are reached through :data:`KERNELS` or an :class:`Engine`.
"""

from ecosim.compile_cache import use_keyed_cache_dir

use_keyed_cache_dir()  # before any kernel module is decorated: a numba cache keyed by what is compiled

import functools  # noqa: E402
import sys  # noqa: E402
import types  # noqa: E402
from collections.abc import Callable  # noqa: E402

import numpy as np  # noqa: E402
from numba.core.dispatcher import Dispatcher  # noqa: E402

from ecosim import interrupt, rng  # noqa: E402
from ecosim.kernels import (  # noqa: E402
    bridge_builders,
    ecosystems,
    funding,
    indicators,
    learners,
    partnerships,
    reflection,
    support,
)

KERNELS = (
    funding.funding_level,
    bridge_builders.bridge_builders,
    support.support,
    reflection.reflection,
    partnerships.partnerships,
    ecosystems.census,
    ecosystems.merge,
    ecosystems.recruit,
    ecosystems.coordination,
    partnerships.init_partnerships,
    learners.learners,
    learners.enrol_all,
    indicators.indicators,
)
"""Every kernel an Engine hands out, by its function name (``engine.partnerships``)."""

ENGINES = ("numba", "python")


_TWIN_GLOBALS: dict[str, dict] = {}
"""Per kernel module, its globals with every numba dispatcher replaced by its plain-Python twin."""


def uncompiled(dispatcher: Dispatcher) -> types.FunctionType:
    """The plain-Python twin of a numba kernel, down to every helper it calls (RNG, union-find, clamp, ...).

    The twin runs the kernel's own code object with module globals in which every numba
    dispatcher is replaced by its twin, so a debugger, a profiler or coverage reaches every
    line. One globals table per kernel module is shared by all twins from that module
    (:data:`_TWIN_GLOBALS`, filled once per process).
    """
    module = sys.modules[dispatcher.py_func.__module__]
    table = _TWIN_GLOBALS.get(module.__name__)
    if table is None:
        table = _TWIN_GLOBALS[module.__name__] = dict(module.__dict__)
        for name, value in module.__dict__.items():
            if isinstance(value, Dispatcher):
                table[name] = uncompiled(value)
    twin = table.get(dispatcher.py_func.__name__)
    if isinstance(twin, types.FunctionType):
        return twin
    py = dispatcher.py_func
    return types.FunctionType(py.__code__, table, py.__name__, py.__defaults__, py.__closure__)


def wrapping_around(twin: types.FunctionType) -> Callable:
    """`twin` called with uint64 overflow silent: the keyed hash wraps around by design."""

    @functools.wraps(twin)
    def kernel(*args):
        with np.errstate(over="ignore"):
            return twin(*args)

    return kernel


class Engine:
    """The kernels, compiled (`numba`) or the same Python functions uncompiled (`python`).

    The Python engine runs every kernel and every helper it calls as plain Python
    (:func:`uncompiled`), each kernel under NumPy's error state for uint64 hashing that wraps
    around, as it does in numba (:func:`wrapping_around`).
    """

    def __init__(self, name: str = "numba"):
        """Pick the kernels of engine `name` ('numba' or 'python')."""
        if name not in ENGINES:
            raise ValueError(f"engine: expected one of {', '.join(ENGINES)}, found {name!r}")
        self.name = name
        for kernel in KERNELS:
            setattr(self, kernel.__name__, kernel if name == "numba" else wrapping_around(uncompiled(kernel)))

    def call(self, kernel: str, args: tuple, entries: dict) -> object:
        """Kernel `kernel` on `args`, where `entries` keeps the compiled entry points of one world's calls.

        On every call numba's dispatcher finds the compiled version by the types of all the
        arguments, which for views and parameters of many fields is most of a small world's
        month. A world's argument types are fixed when it is built (columns keep their dtypes
        when a table grows), so after the first call of a kernel with the same argument classes
        its entry point is called directly, 2-5x cheaper per call. The first call compiles (or
        loads) the kernel for those types, interruptible (:func:`ecosim.interrupt.compiling`).
        """
        if self.name != "numba":
            return getattr(self, kernel)(*args)
        found = (kernel, *map(type, args))
        entry = entries.get(found)
        if entry is None:
            dispatcher = getattr(self, kernel)
            with interrupt.compiling():  # loaded from the cache, or compiled: a Ctrl-C stops it at once
                rng.one_version_each()
                entry = entries[found] = dispatcher.compile(tuple(dispatcher.typeof_pyval(a) for a in args))
        return entry(*args)

    def __reduce__(self) -> tuple:
        """Pickle by name: an engine is rebuilt from its name in the process that unpickles it."""
        return Engine, (self.name,)
