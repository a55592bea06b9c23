"""Calibration targets: the targets file, the measures on hand-computed tables, the search, the calibrated baseline."""

import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import ecosim
from ecosim.parameters import Parameters
from ecosim.validation import Check
from ecosim.validation import targets as targets_module
from ecosim.validation.calibrate import calibrate, distance, score
from ecosim.validation.targets import (
    Measurement,
    Sample,
    TargetsError,
    Window,
    annual_hazard,
    check_targets,
    end_months,
    hazard_counts,
    load_targets,
    measure,
    simulate,
    survival_counts,
    target_counts,
    to_checks,
)

ROOT = Path(__file__).resolve().parents[1]
TARGETS = ROOT / "experiments" / "calibration-targets.toml"


@pytest.fixture(scope="module")
def spec():
    return load_targets(TARGETS)


# --------------------------------------------------------------------------- the file

def test_targets_file_parses_with_range_and_full_sources(spec):
    assert {t.name for t in spec.targets} == {"two_year_survival", "annual_hazard_after_funding", "step_at_funding_end",
                                              "hazard_rises_with_age", "hazard_falls_with_age"}
    for t in spec.targets:
        lo, hi = t.range
        assert lo <= hi and t.aim[0] >= lo and t.aim[1] <= hi, t.name
        assert t.sources, t.name
        for ref in t.sources:  # a full reference: authors, (year), title, journal, volume(issue), pages
            assert re.search(r"\(\d{4}\)\. .+\. .+, \d+\(\d+\), \d+-\d+", ref), ref
        assert t.what, t.name
    assert spec.scenario_path.is_file()


def test_survival_and_hazard_ranges_are_consistent(spec):
    """(1 - annual hazard)^2 over the hazard range must overlap the survival range: the file's stated joint region."""
    by = {t.name: t for t in spec.targets}
    h_lo, h_hi = by["annual_hazard_after_funding"].range
    s_lo, s_hi = by["two_year_survival"].range
    assert s_lo == pytest.approx((1 - h_hi) ** 2) and s_hi <= (1 - h_lo) ** 2


def test_search_parameters_are_model_parameters_with_their_design_value_inside(spec):
    assert spec.parameters
    for p in spec.parameters:
        assert p.name in Parameters.model_fields
        assert p.low <= p.design <= p.high
        assert p.value(0.0) == pytest.approx(p.low) and p.value(1.0) == pytest.approx(p.high)
        assert p.unit(p.value(0.3)) == pytest.approx(0.3)


def test_missing_targets_file_fails_with_a_clear_message(tmp_path, monkeypatch):
    with pytest.raises(TargetsError, match="no such file"):
        load_targets(tmp_path / "nothing.toml")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(targets_module, "__file__", str(tmp_path / "pkg" / "targets.py"))
    with pytest.raises(TargetsError, match="experiments/calibration-targets.toml"):
        load_targets()


def test_malformed_target_names_the_field(tmp_path):
    bad = tmp_path / "t.toml"
    bad.write_text('[sources]\na = "A (2000). T. J, 1(1), 1-2."\n'
                   '[targets.x]\nmeasure = "survival"\nfollow = 24\nrange = [0.8, 0.7]\nsources = ["a"]\n')
    with pytest.raises(TargetsError, match=r"targets\.x\.range: expected \[low, high\]"):
        load_targets(bad)
    bad.write_text('[targets.x]\nmeasure = "survival"\nfollow = 24\nrange = [0.6, 0.7]\nsources = ["nope"]\n')
    with pytest.raises(TargetsError, match=r"targets\.x\.sources"):
        load_targets(bad)


def test_the_file_names_three_scales_and_a_bad_scale_names_its_field(spec, tmp_path):
    assert [sc.name for sc in spec.scales] == ["generated-regions", "national-region", "national"]
    assert all(sc.path.is_file() for sc in spec.scales)
    national = spec.scales[-1]
    assert (national.cluster, national.calibration_replications) == ("region", 0)
    base = ('[sources]\na = "A (2000). T. J, 1(1), 1-2."\n'
            '[targets.x]\nmeasure = "survival"\nfollow = 24\nrange = [0.6, 0.7]\nsources = ["a"]\n')
    bad = tmp_path / "t.toml"
    bad.write_text(base + '[validation.scales.big]\nscenario = "s.toml"\nreplications = 2\ncluster = "school"\n')
    with pytest.raises(TargetsError, match=r"validation\.scales\.big\.cluster: expected one of seed, region"):
        load_targets(bad)
    bad.write_text(base + '[validation.scales.big]\nscenario = "s.toml"\nreplications = 0\n')
    with pytest.raises(TargetsError, match=r"validation\.scales\.big\.replications: expected a whole number"):
        load_targets(bad)


def test_clustering_by_region_makes_each_seed_and_region_a_replication():
    pilots = ROOT / "scenarios" / "flanders-pilots.toml"
    by_seed = simulate(pilots, 2, months=40)
    by_region = simulate(pilots, 2, months=40, cluster="region")
    assert by_seed.reps == (1, 2) and len(by_region.reps) == 2 * 5  # five regions in each of two seeds
    assert sorted({r // 100_000 for r in by_region.reps}) == [1, 2]
    pd.testing.assert_frame_equal(by_seed.partnerships[["start", "end"]], by_region.partnerships[["start", "end"]])


# --------------------------------------------------------------------------- measures on a known table

T, MONTHS = 36, 100  # reference month, months run (last month 99)
# rep 1: never ends; ends at 40; ends at 70; starts 10 ends 20; recruited at 40, never ends.
# rep 2: ends at 50; never ends.
TABLE = pd.DataFrame({"rep": [1, 1, 1, 1, 1, 2, 2],
                      "start": [0, 0, 0, 10, 40, 0, 0],
                      "end": [-1, 40, 70, 20, -1, 50, -1]})


def _sample() -> Sample:
    return Sample(TABLE, (1, 2), T, MONTHS)


def _by_name(spec):
    return {t.name: t for t in spec.targets}


def test_survival_counts_by_hand():
    survived, cohort = survival_counts(TABLE["start"].to_numpy(), TABLE["end"].to_numpy(), T, 24)
    # cohort: alive at the end of month 36 -> the three starting pairs of rep 1 that had not ended, both of rep 2
    assert cohort.tolist() == [1, 1, 1, 0, 0, 1, 1]
    # not ended by the end of month 60
    assert survived.tolist() == [1, 0, 1, 0, 0, 0, 1]


def test_calendar_hazard_counts_by_hand():
    start, end = TABLE["start"].to_numpy(), TABLE["end"].to_numpy()
    d, n = hazard_counts(start, end, Window("calendar", 1, 24, "alive_at_reference"), T, MONTHS)
    assert n.tolist() == [24, 4, 24, 0, 0, 14, 24]  # months 37..60 at risk
    assert d.tolist() == [0, 1, 0, 0, 0, 1, 0]
    d, n = hazard_counts(start, end, Window("calendar", -math.inf, 0, "all"), T, MONTHS)
    assert n.tolist() == [36, 36, 36, 10, 0, 36, 36]  # months 1..36; the pair of months 10-20 is at risk in 11..20
    assert d.tolist() == [0, 0, 0, 1, 0, 0, 0]


def test_age_hazard_counts_by_hand():
    start, end = TABLE["start"].to_numpy(), TABLE["end"].to_numpy()
    d, n = hazard_counts(start, end, Window("age", 37, 60), T, MONTHS)
    assert n.tolist() == [24, 4, 24, 0, 23, 14, 24]  # the recruit of month 40 reaches age 59 by month 99
    assert d.tolist() == [0, 1, 0, 0, 0, 1, 0]
    d, n = hazard_counts(start, end, Window("age", 61, math.inf), T, MONTHS)
    assert n.tolist() == [39, 0, 10, 0, 0, 0, 39]
    assert d.tolist() == [0, 0, 1, 0, 0, 0, 0]


def test_targets_pool_replications_by_hand(spec):
    found = measure(_sample(), spec.targets, bootstrap=2000)
    assert found["two_year_survival"].value == pytest.approx(3 / 5)
    assert found["annual_hazard_after_funding"].value == pytest.approx(1 - (1 - 2 / 90) ** 12)
    assert found["step_at_funding_end"].value == pytest.approx((2 / 90) / (1 / 190))
    assert found["hazard_rises_with_age"].value == pytest.approx((2 / 113) / (1 / 226))
    assert found["hazard_falls_with_age"].value == pytest.approx((1 / 88) / (2 / 113))
    counts = target_counts(_by_name(spec)["two_year_survival"], _sample())
    assert counts.tolist() == [[2, 3], [1, 2]]  # per replication: survived, cohort
    # bootstrap over the two replications: {1,1} 2/3, {2,2} 1/2, {1,2} 3/5
    s = found["two_year_survival"]
    assert (s.low, s.high) == (pytest.approx(1 / 2), pytest.approx(2 / 3))


def test_annual_hazard_recovers_a_known_geometric_hazard(spec):
    """Lifetimes with a constant monthly hazard of 0.02: the estimate must find 1 - 0.98^12."""
    rng = np.random.default_rng(5)
    n = 20_000
    life = rng.geometric(0.02, size=n)  # months until the ending, >= 1
    end = np.where(life <= 99, life, -1)
    table = pd.DataFrame({"rep": np.arange(n) % 50, "start": 0, "end": end})
    found = measure(Sample(table, tuple(range(50)), T, MONTHS), spec.targets, bootstrap=200)
    h = found["annual_hazard_after_funding"]
    assert h.low < annual_hazard(0.02) < h.high
    assert found["two_year_survival"].value == pytest.approx(0.98 ** 24, abs=0.02)
    assert found["hazard_falls_with_age"].value == pytest.approx(1.0, abs=0.15)


def test_checks_are_target_rows(spec):
    rows = to_checks(spec.targets, measure(_sample(), spec.targets, bootstrap=50))
    assert all(isinstance(r, Check) and r.group == "target" for r in rows)
    assert [r.name for r in rows] == [t.name for t in spec.targets]
    by = {r.name: r for r in rows}
    assert not by["two_year_survival"].passed  # 0.6 is outside [0.7225, 0.75]
    assert by["hazard_rises_with_age"].passed is (by["hazard_rises_with_age"].low >= 1.0)


def test_cohort_matches_ecosim_outcomes(spec):
    """Our cohort and two-year survival are exactly ecosim's alive_at_reference and share_not_ended_24."""
    for seed in (1, 2):
        result = ecosim.run(spec.scenario_path, seed=seed)
        p = result.tables["partnerships"]
        reference = result.outcomes["reference_month"]
        survived, cohort = survival_counts(p["start"].to_numpy(), end_months(p["end"]), reference, 24)
        assert cohort.sum() == result.outcomes["alive_at_reference"]
        assert survived.sum() / cohort.sum() == pytest.approx(result.outcomes["share_not_ended_24"])


# --------------------------------------------------------------------------- the score and the search

def test_distance_is_zero_on_aim_and_grows_outside(spec):
    s = _by_name(spec)["two_year_survival"]
    lo, hi = s.aim
    on = Measurement((lo + hi) / 2, 0, 1, (), 1)
    off = Measurement(lo - (hi - lo), 0, 1, (), 1)
    assert distance(s, on) == 0.0 and distance(s, off) == pytest.approx(1.0)
    falls = _by_name(spec)["hazard_falls_with_age"]  # require = interval: its high bound against the aim's 0.9
    assert distance(falls, Measurement(0.8, 0.7, 0.85, (), 1)) == 0.0
    assert distance(falls, Measurement(0.8, 0.7, 0.9 * math.exp(0.1), (), 1)) == pytest.approx(1.0)
    assert score(spec.targets, {t.name: Measurement(math.nan, math.nan, math.nan, (), 1) for t in spec.targets}) > 0


def test_calibrate_tiny_budget_stays_in_range_and_improves(spec):
    result = calibrate(TARGETS, samples=5, replications=3, refine_replications=3, refine_starts=1, maxfev=8,
                       bootstrap=20, holdout_replications=2)
    for p in spec.parameters:
        assert p.low <= result.values[p.name] <= p.high
    assert sum(e.stage == "lhs" for e in result.history) == 5
    assert result.score < result.first_sample_score
    assert set(result.measurements) == set(result.holdout) == {t.name for t in spec.targets}
    assert result.holdout["two_year_survival"].replications == 2
    assert all(line.split(" = ")[0] in Parameters.model_fields for line in result.toml_lines("test"))


# --------------------------------------------------------------------------- the calibrated baseline

@pytest.mark.slow
def test_baseline_with_calibrated_values_passes_every_target(spec):
    """The values of [calibrated] in the targets file (proposed for scenarios/baseline.toml) meet every target."""
    import tomllib

    values = tomllib.loads(TARGETS.read_text(encoding="utf-8"))["calibrated"]["values"]
    checks = check_targets(spec, overrides=values, workers=2)
    failed = [f"{c.name}: {c.measured:.4f} [{c.low:.4f}, {c.high:.4f}], expected {c.expected}"
              for c in checks if not c.passed]
    assert not failed, failed


def test_replications_run_through_the_batch_engine_give_the_same_sample_on_two_workers(spec):
    one = simulate(spec.scenario_path, 4, months=50)
    two = simulate(spec.scenario_path, 4, months=50, workers=2)  # a local Dask cluster
    pd.testing.assert_frame_equal(one.partnerships, two.partnerships, check_exact=True)
    assert one.reps == two.reps == (1, 2, 3, 4)
