"""Keyed random numbers: every draw is a pure function of (seed, stream, entity, step).

A draw never depends on how many other draws were made or in which order, so results are
identical across engines and worker counts, and two runs that differ only in a strategy
see the same numbers wherever their states agree (common random numbers).

The hash is SplitMix64's finaliser applied to a combination of the four keys; its output
passes BigCrush when used as a counter-based generator. All arithmetic is on uint64 with
wrap-around, which numba does natively and NumPy does under ``np.errstate(over="ignore")``
(the Python engine's kernels run under it).
"""

from ecosim.compile_cache import use_keyed_cache_dir

use_keyed_cache_dir()  # before the decorations below: a numba cache keyed by what is compiled

import functools  # noqa: E402
import math  # noqa: E402

import numpy as np  # noqa: E402
from numba import njit  # noqa: E402

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)
_TO_UNIT = 1.0 / 9007199254740992.0  # 2**-53


@njit(cache=True)
def mix64(z: np.uint64) -> np.uint64:
    """SplitMix64 finaliser: a bijective avalanche of one 64-bit word."""
    z = z + _GOLDEN
    z = (z ^ (z >> np.uint64(30))) * _MIX1
    z = (z ^ (z >> np.uint64(27))) * _MIX2
    return z ^ (z >> np.uint64(31))


@njit(cache=True)
def key(seed: int, stream: int, entity: int, step: int) -> np.uint64:
    """Hash of the four keys; each is folded in through a full mix so nearby keys differ.

    Keys are taken as int64 and reinterpreted as uint64, so negative keys wrap the same way
    compiled and uncompiled.
    """
    z = mix64(np.uint64(np.int64(seed)))
    z = mix64(z ^ np.uint64(np.int64(stream)))
    z = mix64(z ^ np.uint64(np.int64(entity)))
    return mix64(z ^ np.uint64(np.int64(step)))


@njit(cache=True)
def unit(z: np.uint64) -> float:
    """The top 53 bits of a hash as a float in [0, 1): exact, and never 1 (the largest is 1 - 2**-53)."""
    return float(z >> np.uint64(11)) * _TO_UNIT


@njit(cache=True)
def uniform(seed: int, stream: int, entity: int, step: int) -> float:
    """A uniform number in [0, 1) keyed by (seed, stream, entity, step); 53 random bits."""
    return unit(key(seed, stream, entity, step))


@njit(cache=True)
def below(seed: int, stream: int, entity: int, step: int, n: int) -> int:
    """A uniform integer in [0, n) keyed like :func:`uniform` (n > 0)."""
    return int(uniform(seed, stream, entity, step) * n)


@njit(cache=True)
def normal(seed: int, stream: int, entity: int, step: int) -> float:
    """A standard normal number: Box-Muller on the keyed uniforms of steps 2*step and 2*step + 1."""
    radius = math.sqrt(-2.0 * math.log(1.0 - uniform(seed, stream, entity, 2 * step)))
    return radius * math.cos(2.0 * math.pi * uniform(seed, stream, entity, 2 * step + 1))


@njit(cache=True)
def lognormal(seed: int, stream: int, entity: int, step: int, cv: float) -> float:
    """A lognormal number with mean 1 and coefficient of variation `cv` (exactly 1 when cv = 0)."""
    if cv <= 0.0:
        return 1.0
    sigma2 = math.log(1.0 + cv * cv)
    return math.exp(math.sqrt(sigma2) * normal(seed, stream, entity, step) - 0.5 * sigma2)


@njit(cache=True)
def pair_id(i: int, j: int) -> int:
    """One entity key for an unordered pair, so draw(i, j) == draw(j, i)."""
    lo = min(i, j)
    hi = max(i, j)
    return lo * 2147483647 + hi


DRAW_SIGNATURES = (
    (key, "uint64(int64, int64, int64, int64)"),
    (uniform, "float64(int64, int64, int64, int64)"),
    (below, "int64(int64, int64, int64, int64, int64)"),
)
"""The one compiled version of each keyed draw: int64 keys (and bound)."""


@functools.cache
def one_version_each() -> None:
    """Compile the keyed draws once, for int64 keys, and no other version (once per process).

    Left alone, numba compiles a version of a draw per literal stream constant and integer
    width it is called with (some twenty of each), a third of a cold start; fixed, every call
    converts its keys to int64, which gives the same numbers. Done when the first kernel is
    compiled (:meth:`ecosim.kernels.Engine.call`), not at import: commands that run no kernel
    do not load them.
    """
    for draw, signature in DRAW_SIGNATURES:
        draw.compile(signature)
        draw.disable_compile()
