"""The draws and dynamics of the baseline are those recorded in tests/data/baseline-stats.json.

A failure means the model's numbers changed: if that was intended, update the file with
`python tests/baseline_stats.py --update` and say why in the commit.
"""

import json

import pytest

from baseline_stats import FILE, measure


def test_baseline_statistics_match_the_recorded_file():
    recorded = json.loads(FILE.read_text())
    now = measure()
    assert now["seeds"] == recorded["seeds"]
    for name, mean in recorded["outcome_means"].items():
        assert now["outcome_means"][name] == pytest.approx(mean, rel=1e-12), name
    assert now["state_sha256_after_48_months"] == recorded["state_sha256_after_48_months"]
