"""Baseline statistics that guard the random draws: any change of draws must be seen and deliberate.

`measure()` runs the shipped baseline: the means of a few outcomes over seeds 1..20 (120
months each) and a SHA-256 of every state array after one 48-month run. The test
(tests/test_baseline_stats.py) compares them with tests/data/baseline-stats.json. When a
change of the draws or of the dynamics is intended, update the file and say why in the
commit:

    .venv/bin/python tests/baseline_stats.py --update
"""

import hashlib
import json
import sys
from pathlib import Path

import numpy as np

from ecosim import EcosystemModel, load_scenario, run

HERE = Path(__file__).resolve().parent
FILE = HERE / "data" / "baseline-stats.json"
SCENARIO = HERE.parent / "scenarios" / "baseline.toml"
SEEDS = range(1, 21)
OUTCOMES = ("share_not_ended_24", "share_active_60", "learner_months_after_reference", "partnerships_formed")
HASHED_MONTHS = 48


def state_hash(months: int = HASHED_MONTHS) -> str:
    """SHA-256 of every used row of every table of the baseline world after `months` months (its own seed)."""
    model = EcosystemModel(SCENARIO, months=months, reporters=())
    while model.running:
        model.step()
    digest = hashlib.sha256()
    w = model.world
    for table in (w.organisations, w.bridge_builders, w.partnerships, w.learners, w.events):
        for name in table:
            digest.update(name.encode())
            digest.update(np.ascontiguousarray(getattr(table, name)[: table.n]).tobytes())
    return digest.hexdigest()


def measure() -> dict:
    """The statistics the file holds."""
    scenario = load_scenario(SCENARIO)
    values = {name: [] for name in OUTCOMES}
    for seed in SEEDS:
        outcomes = run(scenario, seed=seed).outcomes
        for name in OUTCOMES:
            values[name].append(float(outcomes[name]))
    return {
        "seeds": [SEEDS.start, SEEDS.stop - 1],
        "outcome_means": {name: float(np.mean(v)) for name, v in values.items()},
        "state_sha256_after_48_months": state_hash(),
    }


if __name__ == "__main__":
    if sys.argv[1:] != ["--update"]:
        sys.exit("usage: python tests/baseline_stats.py --update   (rewrites tests/data/baseline-stats.json)")
    FILE.write_text(json.dumps(measure(), indent=2) + "\n")
    print(f"written: {FILE}")
