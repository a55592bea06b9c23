"""Item 8: what common random numbers buy: the unpaired/paired variance ratio of each strategy's effect.

Every baseline strategy and none, over the same seeds (replication r has seed 1 + r, as in
an experiment file), in this process. Per strategy and outcome,
:func:`ecosim.analysis.paired.variance_ratio` of (none, strategy); `crn_variance_ratio` is
the median over the strategies for the main outcome. An infinite ratio (the strategy leaves
the outcome unchanged on every seed: the paired differences are all equal) counts in the
median as the largest.
"""

import math
from statistics import median

import numpy as np

from benchmarks.common import BASELINE
from ecosim import load_scenario
from ecosim.analysis.paired import variance_ratio
from ecosim.batch import run_specs
from ecosim.spec import RunSpec

OUTCOME = "share_not_ended_24"
OUTCOMES = (OUTCOME, "share_active_24", "learner_months_after_reference", "cohort_share_placed")
REPLICATIONS = 10
QUICK_REPLICATIONS = 4
MONTHS = 120
QUICK_MONTHS = 61  # the shortest run that reaches 24 months after the funding end (month 36)


def measure(quick: bool) -> dict:
    """Per strategy and outcome the variance ratio; `crn_variance_ratio`, the median over strategies of OUTCOME's."""
    scenario = load_scenario(BASELINE)
    replications = QUICK_REPLICATIONS if quick else REPLICATIONS
    months = QUICK_MONTHS if quick else MONTHS
    strategies = [None, *scenario.strategies]
    seeds = range(1, 1 + replications)
    specs = [RunSpec.of(scenario, s, seed, months=months, record=()) for s in strategies for seed in seeds]
    results = run_specs(specs)
    found = {
        name: np.array(
            [
                [r.outcomes[name] for r in results[k * replications : (k + 1) * replications]]
                for k in range(len(strategies))
            ],
            float,
        )
        for name in OUTCOMES
    }
    ratios = {
        name: {s: variance_ratio(values[0], values[k]) for k, s in enumerate(strategies) if s is not None}
        for name, values in found.items()
    }
    return {
        "crn_variance_ratio": median(ratios[OUTCOME].values()),
        "detail": {
            "outcome": OUTCOME,
            "replications": replications,
            "months": months,
            "ratios": ratios,
            "infinite": {name: [s for s, v in r.items() if math.isinf(v)] for name, r in ratios.items()},
        },
    }
