"""Process 1, funding: f(t) = 1 before T, 1 - (t - T + 1)/(n + 1) over the taper, 0 after (docs/ODD.md §7.1)."""

import pytest


def test_without_taper_funding_is_one_before_the_end_and_zero_from_it(engine):
    assert [engine.funding_level(t, 36, 0) for t in (0, 1, 35)] == [1.0, 1.0, 1.0]
    assert [engine.funding_level(t, 36, 0) for t in (36, 37, 119)] == [0.0, 0.0, 0.0]


def test_twelve_month_taper_falls_by_a_thirteenth_a_month(engine):
    # T = 36, n = 12: f(36) = 1 - 1/13, f(37) = 1 - 2/13, ..., f(47) = 1 - 12/13, f(48) = 0
    assert engine.funding_level(35, 36, 12) == 1.0
    for k in range(12):
        assert engine.funding_level(36 + k, 36, 12) == pytest.approx(1.0 - (k + 1) / 13, abs=1e-15)
    assert engine.funding_level(47, 36, 12) == pytest.approx(1 / 13, abs=1e-15)
    assert engine.funding_level(48, 36, 12) == 0.0


def test_three_month_taper_gives_quarters(engine):
    assert [engine.funding_level(t, 10, 3) for t in (9, 10, 11, 12, 13)] == [1.0, 0.75, 0.5, 0.25, 0.0]


def test_funding_end_zero_means_no_funded_month(engine):
    assert engine.funding_level(0, 0, 0) == 0.0


def test_taper_is_monotone_and_stays_in_unit_interval(engine):
    levels = [engine.funding_level(t, 24, 7) for t in range(60)]
    assert all(0.0 <= f <= 1.0 for f in levels)
    assert all(a >= b for a, b in zip(levels[:-1], levels[1:], strict=True))
