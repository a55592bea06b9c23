"""Keyed random numbers (ecosim.rng): pure functions of (seed, stream, entity, step)."""

import itertools

import numpy as np
import pytest
from scipy import stats

from ecosim import rng

MASK = (1 << 64) - 1
GOLDEN, MIX1, MIX2 = 0x9E3779B97F4A7C15, 0xBF58476D1CE4E5B9, 0x94D049BB133111EB


def ref_mix64(z: int) -> int:
    """SplitMix64's finaliser on Python integers (the published constants), modulo 2**64."""
    z = (z + GOLDEN) & MASK
    z = ((z ^ (z >> 30)) * MIX1) & MASK
    z = ((z ^ (z >> 27)) * MIX2) & MASK
    return z ^ (z >> 31)


def ref_key(seed: int, stream: int, entity: int, step: int) -> int:
    """The documented fold: each key is xor-ed in (two's complement for negatives) and mixed."""
    z = ref_mix64(seed & MASK)
    for k in (stream, entity, step):
        z = ref_mix64(z ^ (k & MASK))
    return z


KEYS = [
    (0, 0, 0, 0),
    (1, 2, 3, 4),
    (20261128, 5, 12345, 36),
    (2**31 - 1, 16, 10**6, 119),
    (2**62, 1, 2**40, 1),
    (7, 13, 2147483647 * 17 + 99, 0),
]


@pytest.mark.parametrize("keys", KEYS)
def test_key_is_splitmix64_fold_of_the_four_keys(keys):
    assert rng.key(*keys) == ref_key(*keys)
    assert rng.uniform(*keys) == (ref_key(*keys) >> 11) * 2.0**-53


def test_negative_step_keys_wrap_like_twos_complement():
    # learners enrolled a year before month 0 draw with step -12 (an int16 enrolment month)
    assert rng.key(5, 11, 3, np.int16(-12)) == ref_key(5, 11, 3, -12)


def test_draw_is_a_pure_function_of_its_keys_not_of_call_order():
    keys = list(itertools.product([1, 99], [0, 4], [0, 1, 500], [0, 35, 36]))
    forward = {k: rng.uniform(*k) for k in keys}
    for k in reversed(keys):  # other order, other draws in between
        rng.uniform(k[0] + 1, k[1], k[2], k[3])
        assert rng.uniform(*k) == forward[k]


@pytest.mark.parametrize("position", range(4))
def test_each_key_changes_the_draw(position):
    base = [20261128, 3, 41, 12]
    changed = {
        rng.uniform(*base[:position], v, *base[position + 1 :]) for v in range(base[position], base[position] + 50)
    }
    assert len(changed) == 50


def test_uniform_lies_in_unit_interval_and_can_not_reach_one():
    draws = np.array([rng.uniform(9, s, e, t) for s in range(3) for e in range(200) for t in range(50)])
    assert draws.min() >= 0.0
    assert draws.max() < 1.0
    largest, smallest = np.uint64(2**64 - 1), np.uint64(2**11 - 1)  # all 53 top bits set; none set
    for to_unit in (rng.unit, rng.unit.py_func):
        assert to_unit(largest) == 1.0 - 2.0**-53 < 1.0
        assert to_unit(smallest) == 0.0
        assert to_unit(np.uint64(2**63)) == 0.5


@pytest.mark.parametrize("n", [1, 2, 3, 7, 1000, 2**31 - 1])
def test_below_is_in_range_and_is_floor_of_uniform_times_n(n):
    for entity in range(300):
        k = rng.below(3, 8, entity, 5, n)
        assert 0 <= k < n
        assert k == int(rng.uniform(3, 8, entity, 5) * n)


def test_below_hits_every_value_of_a_small_range():
    assert {rng.below(1, 2, e, 0, 6) for e in range(200)} == set(range(6))


def test_pair_id_is_symmetric_and_distinct_for_distinct_pairs():
    ids = {}
    for i, j in itertools.combinations(range(120), 2):
        assert rng.pair_id(i, j) == rng.pair_id(j, i)
        ids[rng.pair_id(i, j)] = (i, j)
    assert len(ids) == 120 * 119 // 2


@pytest.fixture(scope="module")
def many_draws() -> np.ndarray:
    """100,000 draws over a fixed key set (deterministic, so the statistics below never flake)."""
    return np.array([rng.uniform(12345, 6, e, t) for e in range(1000) for t in range(100)])


def test_draws_pass_chi_square_on_100_bins(many_draws):
    counts, _ = np.histogram(many_draws, bins=100, range=(0.0, 1.0))
    assert stats.chisquare(counts).pvalue > 0.001


def test_draws_pass_kolmogorov_smirnov_against_uniform(many_draws):
    assert stats.kstest(many_draws, "uniform").pvalue > 0.001


def test_consecutive_steps_are_independent_on_a_10_by_10_grid(many_draws):
    grid = many_draws.reshape(1000, 100)  # one row per entity, steps along the row
    a, b = (grid[:, :-1].ravel() * 10).astype(int), (grid[:, 1:].ravel() * 10).astype(int)
    counts = np.bincount(a * 10 + b, minlength=100)
    assert stats.chisquare(counts).pvalue > 0.001
    assert abs(np.corrcoef(grid[:, :-1].ravel(), grid[:, 1:].ravel())[0, 1]) < 0.01


def test_neighbouring_entities_are_uncorrelated(many_draws):
    grid = many_draws.reshape(1000, 100)
    assert abs(np.corrcoef(grid[:-1].ravel(), grid[1:].ravel())[0, 1]) < 0.01


def test_below_is_uniform_over_its_range():
    counts = np.bincount([rng.below(77, 14, e, t, 10) for e in range(2000) for t in range(10)], minlength=10)
    assert stats.chisquare(counts).pvalue > 0.001


GRID = [
    (s, st, e, t)
    for s in (0, 1, 20261128, 2**40 + 3)
    for st in (0, 7, 16)
    for e in (0, 1, 9999, 2**35)
    for t in (0, 12, 119)
]


def test_python_functions_equal_compiled_ones(monkeypatch):
    compiled = {
        "mix64": [rng.mix64(np.uint64(k[0])) for k in GRID],
        "key": [rng.key(*k) for k in GRID],
        "uniform": [rng.uniform(*k) for k in GRID],
        "below": [rng.below(*k, 97) for k in GRID],
        "pair_id": [rng.pair_id(k[2], k[3]) for k in GRID],
        "lognormal": [rng.lognormal(*k, 0.5) for k in GRID],
    }
    # from here on every helper is the uncompiled one, down to mix64 (compiled versions are already built)
    for name in ("mix64", "key", "uniform", "normal"):
        monkeypatch.setattr(rng, name, getattr(rng, name).py_func)
    with np.errstate(over="ignore"):
        python = {
            "mix64": [rng.mix64(np.uint64(k[0])) for k in GRID],
            "key": [rng.key(*k) for k in GRID],
            "uniform": [rng.uniform(*k) for k in GRID],
            "below": [rng.below.py_func(*k, 97) for k in GRID],
            "pair_id": [rng.pair_id.py_func(k[2], k[3]) for k in GRID],
            "lognormal": [rng.lognormal.py_func(*k, 0.5) for k in GRID],
        }
    for name in compiled:
        assert python[name] == compiled[name], name


def test_python_functions_equal_compiled_ones_for_int16_negative_steps():
    steps = np.array([-12, -1, -24], np.int16)  # enrolment months before month 0, as the world stores them
    with np.errstate(over="ignore"):
        for t in steps:
            assert rng.key.py_func(4, 11, 8, t) == rng.key(4, 11, 8, t)
            assert rng.uniform.py_func(4, 11, 8, t) == rng.uniform(4, 11, 8, t)


PINNED_STREAMS = {
    "S_BUILD": 0,
    "S_BB_LEAVE": 1,
    "S_CONTACT": 2,
    "S_STALL": 3,
    "S_END": 4,
    "S_MERGE": 5,
    "S_RECRUIT": 6,
    "S_RECRUIT_ORG": 7,
    "S_RECRUIT_PARTNER": 8,
    "S_CONTACTS": 9,
    "S_CONSULTATION": 10,
    "S_ENROL_MOTIVATION": 11,
    "S_ENROL_HARD": 12,
    "S_PLACE": 13,
    "S_PLACE_ORDER": 14,
    "S_PLACE_CHOICE": 15,
    "S_ROTATE": 16,
    "S_REACTIVATE": 17,
    "S_PACE": 18,
}


def test_every_random_stream_keeps_its_pinned_id_and_no_two_share_one():
    # changing a stream's id changes every draw of that stream: it must be a deliberate edit of this table too
    from ecosim.kernels import codes

    streams = {name: getattr(codes, name) for name in dir(codes) if name.startswith("S_")}
    assert streams == PINNED_STREAMS
    assert len(set(streams.values())) == len(streams)
