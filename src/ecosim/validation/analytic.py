"""Analytic special cases (docs/ODD.md §7.9): one process on, every other off, against a closed form.

Each case is a scenario file in ``experiments/analytic/`` that switches processes off through
ordinary parameters (no test hooks); each function here runs it and returns a :class:`Check`
of group "analytic". Indicator rows are recorded at the end of their month, so "after month
t" means t + 1 monthly updates. Statistical cases use fixed seeds and accept a deviation of
at most 4 standard errors of the exact sampling distribution (a false alarm below 1e-4 per
comparison if the code changes its random streams); deterministic cases use a relative
tolerance of 1e-12.

Merging alone, and how the discrete monthly process maps onto the kernel K: in month t the
model draws one keyed uniform for every unordered pair of live ecosystems of a region and
merges the pair if it falls below p_ij = m·A_ij·B_ij/n_r. With all affinities 1, no
brokerage and no bridge-builders, p_ij = m/N0 =: K for every pair (n_r = N0, the pairs the
region started with); all pairs are drawn from the state at the start of the month and the
merges are applied together, chains joined. One month therefore takes n ecosystems to the
connected components of an Erdős–Rényi graph G(n, K): a Markov chain on the number of
ecosystems whose transition probabilities follow from the probability that G(k, K) is
connected (Gilbert 1959), computed here in exact integer arithmetic. Its mean E[N(t)] is
exact, so the model's replication mean is compared with it by a z-test. The continuous-time
constant-kernel Smoluchowski equation with the same K per pair per month, dN/dt = -K·N²/2,
gives N(t) = N0/(1 + K·N0·t/2) and n_k(t) = N0·(t/τ)^(k-1)/(1 + t/τ)^(k+1), τ = 2/(K·N0);
the discrete chain departs from it through simultaneous merges, the finite number of pairs
(N(N-1)/2, not N²/2) and fluctuations, so that gap is reported, not tested.
:func:`simulate_discrete_merging` is a plain NumPy simulation of the same chain, independent
of the kernels, that the tests use to confirm the exact chain.
"""

from fractions import Fraction
from functools import lru_cache
from math import comb
from pathlib import Path

import numpy as np

from ecosim.model import EcosystemModel
from ecosim.scenario import Scenario
from ecosim.validation import Check, experiment_scenario

Z_MAX = 4.0  # accepted deviation in standard errors
RTOL = 1e-12  # relative tolerance of the deterministic cases
LAYERS = ("board", "leaders", "floor")


def _require(scenario: Scenario, **switched_off: float) -> None:
    """Refuse a scenario that does not switch off what the closed form assumes off."""
    p = scenario.parameters
    wrong = {k: getattr(p, k) for k, v in switched_off.items() if getattr(p, k) != v}
    if wrong:
        raise ValueError(f"{scenario.name}: the closed form needs {switched_off}, found {wrong}")


def _model(scenario: Scenario, seed: int | None = None, months: int | None = None) -> EcosystemModel:
    return EcosystemModel(scenario, months=months, rng=seed, reporters=())


def _binomial_curve(observed: np.ndarray, expected: np.ndarray, n: int) -> np.ndarray:
    """z-scores of observed shares against exact binomial shares of n independent trials."""
    sd = np.sqrt(expected * (1.0 - expected) / n)
    return (observed - expected) / sd


def constant_hazard(scenario: Scenario | str | Path | None = None, reference: int = 12) -> Check:
    """Geometric survival under a constant hazard: share not ended S(t) = (1 - h)^t.

    h = stall_base; a stalled partnership ends the next month for certain and never
    reactivates, so at the end of month t the share not ended is (1 - h)^t and the share
    active (1 - h)^(t + 1). Both curves must lie within 4 binomial standard errors in every
    month; S(`reference`) is reported.
    """
    sc = experiment_scenario(scenario, "analytic/constant-hazard.toml")
    _require(sc, stall_slope=0.0, stalled_end=1.0, reactivation_health=1.0, health_slope=0.0, merge_rate=0.0,
             recruitment_rate=0.0)
    h = sc.parameters.stall_base
    model = _model(sc)
    n0 = model.world.partnerships.n
    ended, active = [], []
    while model.running:
        model.step()
        ended.append(model.latest["partnerships_ended"])
        active.append(model.latest["partnerships_active"])
    t = np.arange(1, len(ended))
    observed = 1.0 - np.asarray(ended[1:], float) / n0
    expected = (1.0 - h) ** t
    z = _binomial_curve(observed, expected, n0)
    z_active = _binomial_curve(np.asarray(active, float) / n0, (1.0 - h) ** np.arange(1, len(active) + 1), n0)
    k = reference - 1
    sd = np.sqrt(expected[k] * (1 - expected[k]) / n0)
    return Check("analytic", "constant hazard: geometric survival",
                 f"S({reference}) = (1-{h:g})^{reference} = {expected[k]:.4f}",
                 float(observed[k]), float(observed[k] - Z_MAX * sd), float(observed[k] + Z_MAX * sd),
                 bool(np.all(np.abs(z) <= Z_MAX) and np.all(np.abs(z_active) <= Z_MAX)) and ended[0] == 0,
                 f"N0={n0}; share not ended, months 1..{t[-1]}: max |z| = {np.abs(z).max():.2f}; share active "
                 f"(1-h)^(t+1), months 0..{t[-1]}: max |z| = {np.abs(z_active).max():.2f} (pass <= {Z_MAX:g}); "
                 f"interval = measured +- {Z_MAX:g} binomial SE")


def support_erosion(scenario: Scenario | str | Path | None = None) -> Check:
    """Erosion alone: x(t) = phi + (x0 - phi)(1 - eps)^t for every layer of every organisation, exactly."""
    sc = experiment_scenario(scenario, "analytic/support-erosion.toml")
    _require(sc, leaders_pull=0.0, diffusion=0.0, demand_signal=0.0, bridge_builder_energy=0.0, evaluation_interval=0,
             leadership_engagement=False)
    p = sc.parameters
    model = _model(sc)
    O = model.world.organisations
    x0 = np.stack([getattr(O, layer)[: O.n].copy() for layer in LAYERS])
    worst = 0.0
    for k in range(1, model.months + 1):
        model.step()
        x = np.stack([getattr(O, layer)[: O.n] for layer in LAYERS])
        exact = p.erosion_floor + (x0 - p.erosion_floor) * (1.0 - p.erosion) ** k
        worst = max(worst, float(np.max(np.abs(x - exact) / np.abs(exact))))
    return Check("analytic", "support erosion alone", f"x(t) = phi + (x0 - phi)(1-eps)^t, rel. error <= {RTOL:g}",
                 worst, worst, worst, worst <= RTOL,
                 f"{O.n} organisations x 3 layers x {model.months} months; measured = max relative error")


def leaders_pull(scenario: Scenario | str | Path | None = None) -> Check:
    """Leaders' pull and erosion alone: each layer tends to (a c + eps phi)/(a + eps), c its organisation's commitment.

    The transient x* + (x0 - x*)(1 - a - eps)^t is checked every month too.
    """
    sc = experiment_scenario(scenario, "analytic/leaders-pull.toml")
    _require(sc, diffusion=0.0, demand_signal=0.0, bridge_builder_energy=0.0, evaluation_interval=0,
             leadership_engagement=True)
    p = sc.parameters
    a, eps, phi = p.leaders_pull, p.erosion, p.erosion_floor
    model = _model(sc)
    O = model.world.organisations
    steady = (a * O.commitment[: O.n] + eps * phi) / (a + eps)
    x0 = np.stack([getattr(O, layer)[: O.n].copy() for layer in LAYERS])
    transient = 0.0
    for k in range(1, model.months + 1):
        model.step()
        x = np.stack([getattr(O, layer)[: O.n] for layer in LAYERS])
        exact = steady + (x0 - steady) * (1.0 - a - eps) ** k
        transient = max(transient, float(np.max(np.abs(x - exact) / exact)))
    x = np.stack([getattr(O, layer)[: O.n] for layer in LAYERS])
    final = float(np.max(np.abs(x - steady) / steady))
    return Check("analytic", "leaders' pull and erosion: steady state",
                 f"x -> (a c + eps phi)/(a + eps), rel. error <= {RTOL:g}",
                 final, final, final, final <= RTOL and transient <= RTOL,
                 f"{O.n} organisations x 3 layers after {model.months} months; measured = max relative error; "
                 f"transient x* + (x0 - x*)(1-a-eps)^t: max relative error {transient:.1e}",
                 values={"final_error": final, "transient_error": transient})


def bridge_builder_departures(scenario: Scenario | str | Path | None = None, reference: int = 12) -> Check:
    """Departures after the funding end: active share (1 - q)^(t - T + 1) at the end of month t >= T, 1 before.

    Months before T must keep every bridge-builder; months T..horizon-1 must lie within 4
    binomial standard errors. `reference` counts the months of departures reported.
    """
    sc = experiment_scenario(scenario, "analytic/bridge-builder-departures.toml")
    _require(sc, funding_taper=0, partner_paid_share=0.0, aftercare=False)
    q, end = sc.parameters.leave_rate, sc.parameters.funding_end
    model = _model(sc)
    b0 = model.world.bridge_builders.n
    active = []
    while model.running:
        model.step()
        active.append(model.latest["bridge_builders_active"])
    active_share = np.asarray(active, float) / b0
    t = np.arange(end, len(active))
    expected = (1.0 - q) ** (t - end + 1)
    observed = active_share[end:]
    z = _binomial_curve(observed, expected, b0)
    k = reference - 1
    sd = np.sqrt(expected[k] * (1 - expected[k]) / b0)
    kept_before = bool(np.all(active_share[:end] == 1.0))
    return Check("analytic", "bridge-builder departures after the funding end",
                 f"active share (1-{q:g})^(t-T) = {expected[k]:.4f} after {reference} months without funding",
                 float(observed[k]), float(observed[k] - Z_MAX * sd), float(observed[k] + Z_MAX * sd),
                 kept_before and bool(np.all(np.abs(z) <= Z_MAX)),
                 f"B0={b0}, T={end}; all kept before T: {kept_before}; "
                 f"months T..{t[-1]}: max |z| = {np.abs(z).max():.2f} "
                 f"(pass <= {Z_MAX:g}); interval = measured +- {Z_MAX:g} binomial SE",
                 values={"kept_before": float(kept_before), "max_abs_z": float(np.abs(z).max())})


# --- merging alone -----------------------------------------------------------------------


def smoluchowski_count(n0: int, kernel: float, t: np.ndarray | float) -> np.ndarray:
    """Continuous constant-kernel solution N(t) = N0/(1 + K N0 t/2)."""
    return n0 / (1.0 + kernel * n0 * np.asarray(t, float) / 2.0)


def smoluchowski_sizes(n0: int, kernel: float, t: float, k: np.ndarray) -> np.ndarray:
    """Continuous n_k(t) = N0 (t/tau)^(k-1) / (1 + t/tau)^(k+1), tau = 2/(K N0): clusters of k pairs."""
    x = t * kernel * n0 / 2.0
    k = np.asarray(k, float)
    return n0 / (1.0 + x) ** 2 * (x / (1.0 + x)) ** (k - 1)  # the same, without overflow at large k


@lru_cache(maxsize=8)
def component_count_matrix(n_max: int, kernel: Fraction) -> np.ndarray:
    """P[n, c]: probability that G(n, K) (every pair an edge with probability K) has c components.

    Connectivity probabilities C(k) come from the recurrence C(n) = 1 - sum_k binom(n-1, k-1)
    C(k) (1-K)^(k(n-k)), evaluated exactly on integers (C(n) b^binom(n,2) for K = a/b), since
    in floating point its cancellation would swamp the tiny C(k) of sparse graphs. Then,
    conditioning on the size k of vertex 1's component, P[n, c] = sum_k binom(n-1, k-1) C(k)
    (1-K)^(k(n-k)) P[n-k, c-1], a sum of positive terms.
    """
    a, b = kernel.numerator, kernel.denominator
    qn = b - a
    scaled = [0, 1]  # C(k) * b^binom(k, 2), integers
    for n in range(2, n_max + 1):
        total = b ** comb(n, 2)
        for k in range(1, n):
            total -= comb(n - 1, k - 1) * scaled[k] * qn ** (k * (n - k)) * b ** comb(n - k, 2)
        scaled.append(total)
    connected = np.array([0.0] + [scaled[k] / b ** comb(k, 2) for k in range(1, n_max + 1)])
    q = 1.0 - float(kernel)
    P = np.zeros((n_max + 1, n_max + 1))
    P[0, 0] = 1.0
    for n in range(1, n_max + 1):
        for k in range(1, n + 1):
            first = comb(n - 1, k - 1) * connected[k] * q ** (k * (n - k))
            P[n, 1:] += first * P[n - k, :-1]
    return P


def discrete_merging_moments(n0: int, kernel: Fraction, months: int) -> tuple[np.ndarray, np.ndarray]:
    """Exact mean and standard deviation of the number of ecosystems after 1..months months."""
    P = component_count_matrix(n0, kernel)
    state = np.zeros(n0 + 1)
    state[n0] = 1.0
    counts = np.arange(n0 + 1, dtype=float)
    mean, sd = np.empty(months), np.empty(months)
    for t in range(months):
        state = state @ P
        mean[t] = state @ counts
        sd[t] = np.sqrt(max(0.0, state @ counts**2 - mean[t] ** 2))
    return mean, sd


def simulate_discrete_merging(n0: int, kernel: float, months: int, replications: int,
                              rng: np.random.Generator) -> tuple[np.ndarray, list[np.ndarray]]:
    """Plain simulation of the monthly process: every pair of clusters merges with probability K, all at once.

    Each month the number of merging pairs is Binomial(n(n-1)/2, K) and the pairs are drawn
    without replacement (the same law as one Bernoulli(K) per pair); the clusters become
    the connected components of those edges, so chains join. Returns the number of clusters
    after each month (replications x months) and each replication's final cluster sizes
    (in starting pairs).
    """
    counts = np.empty((replications, months), np.int64)
    finals = []
    for r in range(replications):
        sizes = np.ones(n0, np.int64)
        for t in range(months):
            n = sizes.size
            pairs = n * (n - 1) // 2
            edges = rng.binomial(pairs, kernel)
            if edges:
                i, j = np.triu_indices(n, 1)
                chosen = rng.choice(pairs, edges, replace=False)
                label = list(range(n))  # each cluster's component, joined edge by edge
                for x, y in zip(i[chosen].tolist(), j[chosen].tolist(), strict=True):
                    lo, hi = sorted((label[x], label[y]))
                    if lo != hi:
                        label = [lo if v == hi else v for v in label]
                _, component = np.unique(label, return_inverse=True)
                sizes = np.bincount(component, weights=sizes).astype(np.int64)
            counts[r, t] = sizes.size
        finals.append(sizes)
    return counts, finals


def merging_alone(scenario: Scenario | str | Path | None = None, replications: int = 150,
                  months_checked: tuple[int, ...] = (30, 60, 90, 120)) -> Check:
    """Mean number of ecosystems over replications against the exact discrete chain (z-test, |z| <= 4).

    Replication r uses seed scenario.seed + r. The z-scores use the chain's exact standard
    deviation; the reported interval is the model mean +- 4 standard errors at the horizon.
    """
    sc = experiment_scenario(scenario, "analytic/merging.toml")
    _require(sc, affinity_sector=1.0, affinity_none=1.0, brokerage=False, stall_base=0.0, stall_slope=0.0,
             recruitment_rate=0.0)
    m, horizon = sc.parameters.merge_rate, sc.horizon
    counts = np.empty((replications, horizon))
    size_counts = np.zeros(8)
    for r in range(replications):
        model = _model(sc, seed=sc.seed + r)
        n0 = model.world.partnerships.n
        if model.world.bridge_builders.n or len(model.world.region_names) != 1:
            raise ValueError(f"{sc.name}: merging alone needs one region and no bridge-builders")
        for t in range(horizon):
            model.step()
            counts[r, t] = model.latest["ecosystems"]
        sizes = model.world.census[1]
        size_counts += np.bincount(sizes[sizes > 0], minlength=9)[1:9]
    kernel = Fraction(m).limit_denominator(10**6) / n0
    exact, sd = discrete_merging_moments(n0, kernel, horizon)
    idx = np.array(months_checked) - 1
    mean = counts.mean(axis=0)
    se = sd / np.sqrt(replications)
    z = (mean[idx] - exact[idx]) / se[idx]
    last = horizon - 1
    continuous = float(smoluchowski_count(n0, float(kernel), horizon))
    gap = exact[last] / continuous - 1.0
    k = np.arange(1, 5)
    sizes_model = size_counts[:4] / replications
    sizes_continuous = smoluchowski_sizes(n0, float(kernel), horizon, k)
    shown = ", ".join(f"n_{j}: {a:.2f} vs {b:.2f}" for j, a, b in zip(k, sizes_model, sizes_continuous, strict=True))
    return Check("analytic", "merging alone: constant-kernel coagulation",
                 f"E[N({horizon})] = {exact[last]:.3f} (exact discrete chain, K = {float(kernel):g}, N0 = {n0})",
                 float(mean[last]), float(mean[last] - Z_MAX * se[last]), float(mean[last] + Z_MAX * se[last]),
                 bool(np.all(np.abs(z) <= Z_MAX)),
                 f"{replications} replications; z at months {months_checked}: {', '.join(f'{v:.2f}' for v in z)} "
                 f"(pass |z| <= {Z_MAX:g}); continuous Smoluchowski N({horizon}) = {continuous:.3f}, discrete chain "
                 f"departs by {100 * gap:+.2f}%; sizes at {horizon} months, model vs continuous: {shown}")


def all_checks() -> list[Check]:
    """Every analytic case with its shipped scenario."""
    return [constant_hazard(), support_erosion(), leaders_pull(), bridge_builder_departures(), merging_alone()]
