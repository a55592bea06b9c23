"""Analytic special cases (docs/ODD.md §7.9): the model against closed forms with one process on."""

import itertools
from fractions import Fraction

import numpy as np
import pytest

import ecosim
from ecosim.validation import Check, analytic, experiment_file
from ecosim.validation.report import to_markdown


@pytest.fixture(scope="module")
def checks() -> dict[str, Check]:
    return {
        "hazard": analytic.constant_hazard(),
        "erosion": analytic.support_erosion(),
        "pull": analytic.leaders_pull(),
        "departures": analytic.bridge_builder_departures(),
        "merging": analytic.merging_alone(),
    }


def _within_four_se(check: Check, exact: float) -> bool:
    return check.low <= exact <= check.high and check.low < check.measured < check.high


def test_constant_hazard_is_geometric(checks):
    c = checks["hazard"]
    assert c.group == "analytic" and c.passed, c.note
    exact = 0.9**12  # h = 0.1, share not ended at the end of month 12
    assert _within_four_se(c, exact)
    assert c.high - c.low == pytest.approx(8 * np.sqrt(exact * (1 - exact) / 4000), rel=0.05)  # 4 SE each side
    assert c.high - c.low < 0.06  # sharp: (1-h)^13 = 0.254 would lie outside


def test_support_erosion_is_exact(checks):
    c = checks["erosion"]
    assert c.passed, c.note
    assert c.measured <= 1e-12


def test_leaders_pull_reaches_its_steady_state(checks):
    c = checks["pull"]
    assert c.passed, c.note
    assert c.measured <= 1e-12
    assert c.values["transient_error"] <= 1e-12 and c.values["final_error"] == c.measured


def test_bridge_builders_leave_geometrically_after_the_funding_end(checks):
    c = checks["departures"]
    assert c.passed, c.note
    exact = 0.9**12  # q = 0.1, twelve months without funding
    assert _within_four_se(c, exact)
    assert c.values["kept_before"] == 1.0 and c.values["max_abs_z"] <= 4


def test_merging_matches_the_exact_discrete_chain(checks):
    c = checks["merging"]
    assert c.passed, c.note
    mean, _ = analytic.discrete_merging_moments(100, Fraction(1, 1000), 120)
    assert _within_four_se(c, mean[-1])
    assert c.high - c.low < 1.6  # 150 replications: 8 SE of a standard deviation ~2.2
    continuous = float(analytic.smoluchowski_count(100, 0.001, 120))
    assert continuous == pytest.approx(100 / 7)
    assert 0.0 < mean[-1] / continuous - 1 < 0.02  # the discrete chain sits ~0.9% above the continuous solution


def test_component_count_matrix_matches_enumeration():
    """P(G(n, K) has c components) against brute force over every graph on 5 vertices."""
    n, kernel = 5, Fraction(1, 7)
    edges = list(itertools.combinations(range(n), 2))
    exact = np.zeros(n + 1)
    for present in itertools.product((0, 1), repeat=len(edges)):
        label = list(range(n))
        for (x, y), on in zip(edges, present, strict=True):
            if on and label[x] != label[y]:
                old, new = max(label[x], label[y]), min(label[x], label[y])
                label = [new if v == old else v for v in label]
        k = sum(present)
        exact[len(set(label))] += float(kernel**k * (1 - kernel) ** (len(edges) - k))
    P = analytic.component_count_matrix(n, kernel)
    np.testing.assert_allclose(P[n], exact, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(P.sum(axis=1), 1.0, rtol=1e-12)


def test_exact_chain_matches_a_plain_simulation():
    """The exact discrete chain against the independent NumPy simulation (400 replications, |z| <= 4)."""
    mean, sd = analytic.discrete_merging_moments(100, Fraction(1, 1000), 120)
    counts, finals = analytic.simulate_discrete_merging(100, 0.001, 120, 400, np.random.default_rng(20261128))
    for month in (1, 30, 120):
        z = (counts[:, month - 1].mean() - mean[month - 1]) / (sd[month - 1] / np.sqrt(400))
        assert abs(z) <= 4, (month, z)
    assert all(f.sum() == 100 for f in finals)


def test_smoluchowski_sizes_add_up():
    k = np.arange(1, 5000)
    sizes = analytic.smoluchowski_sizes(100, 0.001, 120.0, k)
    assert sizes.sum() == pytest.approx(float(analytic.smoluchowski_count(100, 0.001, 120)))
    assert (k * sizes).sum() == pytest.approx(100)


def test_a_scenario_that_leaves_other_processes_on_is_refused():
    scenario = ecosim.load_scenario(experiment_file("analytic/constant-hazard.toml"))
    leaky = scenario.model_copy(update={"parameters": scenario.parameters.model_copy(update={"merge_rate": 0.03})})
    with pytest.raises(ValueError, match="merge_rate"):
        analytic.constant_hazard(leaky)


def test_markdown_report(checks):
    text = to_markdown(checks.values())
    assert text.startswith("| group | check | expected | measured | interval | result |")
    assert text.count("| analytic |") == 5
    assert "5 of 5 checks pass." in text


@pytest.mark.slow
def test_merging_with_many_replications():
    c = analytic.merging_alone(replications=1000)
    assert c.passed, c.note
    assert c.high - c.low < 0.6
