"""Sobol' indices of the Ishigami function and Morris effects through the results-folder code path; PRIM boxes."""

import math

import numpy as np
import pandas as pd
import pytest

from ecosim.analysis import AnalysisError
from ecosim.analysis.discovery import cases, discover, parse_condition, prim_boxes, tree_rules
from ecosim.analysis.sensitivity import sensitivity
from ecosim.experiment import Sample, _unit_points
from ecosim.results import MANIFEST, write_json, write_parquet


def results_of(folder, sample: Sample, function, replications: int = 1):
    """A results folder of a sampled design whose outcome 'y' is function(point): the files the batch writes."""
    names = list(sample.ranges)  # the sampler's order; the manifest sorts the keys
    unit = _unit_points(sample, len(names))
    points = [
        {
            n: sample.ranges[n][0] + u * (sample.ranges[n][1] - sample.ranges[n][0])
            for n, u in zip(names, row, strict=True)
        }
        for row in unit
    ]
    rows = []
    for r in range(replications):
        for p, point in enumerate(points):
            rows.append(
                {
                    "run": len(rows),
                    "scenario": "synthetic",
                    "strategy": "none",
                    "point": p,
                    "replication": r,
                    "seed": r + 1,
                    "status": "ok",
                    **{f"design_{k}": v for k, v in point.items()},
                    "y": function(point),
                }
            )
    write_parquet(pd.DataFrame(rows), folder / "runs.parquet")
    design = {"sample": sample.model_dump(mode="json"), "sweep": {}, "combine": "factorial", "points": points}
    write_json({"experiment": "synthetic", "design": design, "parts": [], "complete": True}, folder / MANIFEST)
    return folder


def ishigami(p: dict) -> float:
    # x1 = c, x2 = a, x3 = b: the sampler's order differs from the sorted one the manifest keeps
    x1, x2, x3 = p["c"], p["a"], p["b"]
    return math.sin(x1) + 7 * math.sin(x2) ** 2 + 0.1 * x3**4 * math.sin(x1)


def test_sobol_indices_of_the_ishigami_function(tmp_path):
    pi = math.pi
    sample = Sample(method="saltelli", points=4096, seed=3, ranges={"c": (-pi, pi), "a": (-pi, pi), "b": (-pi, pi)})
    folder = results_of(tmp_path, sample, ishigami)
    table = sensitivity(folder, ["y"]).set_index("parameter")
    expected_s1 = {"c": 0.3139, "a": 0.4424, "b": 0.0}
    expected_st = {"c": 0.5576, "a": 0.4424, "b": 0.2437}
    for name in "abc":
        assert table.loc[name, "S1"] == pytest.approx(expected_s1[name], abs=0.04)
        assert table.loc[name, "ST"] == pytest.approx(expected_st[name], abs=0.04)
        assert table.loc[name, "S1_conf"] > 0 and not math.isnan(table.loc[name, "ST_half"])
    assert table["samples"].iloc[0] == 4096 and table["converged"].all()


def test_morris_effects_of_a_linear_function(tmp_path):
    sample = Sample(method="morris", points=20, seed=4, levels=4, ranges={"b": (0, 2), "a": (0, 1), "c": (0, 1)})
    folder = results_of(tmp_path, sample, lambda p: 3 * p["a"] + 1 * p["b"])
    table = sensitivity(folder, ["y"]).set_index("parameter")
    # effects per unit of each range: a 3 x 1, b 1 x 2, c nothing; mu* is exact for a linear function
    assert table.loc["a", "mu_star"] == pytest.approx(3) and table.loc["b", "mu_star"] == pytest.approx(2)
    assert table.loc["c", "mu_star"] == pytest.approx(0) and table.loc["a", "sigma"] == pytest.approx(0, abs=1e-9)


def test_a_results_set_without_a_sampled_design_is_one_clear_error(tmp_path):
    write_parquet(
        pd.DataFrame({"run": [0], "strategy": ["none"], "replication": [0], "point": [0], "y": [1.0]}),
        tmp_path / "runs.parquet",
    )
    write_json({"design": {"sample": None}, "parts": []}, tmp_path / MANIFEST)
    with pytest.raises(AnalysisError, match="expected the results of a sampled experiment"):
        sensitivity(tmp_path)


def planted() -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(2)
    x = pd.DataFrame(rng.uniform(size=(3000, 3)), columns=["erosion", "merge_rate", "stall_slope"])
    y = ((x["erosion"] < 0.4) & (x["stall_slope"] > 0.7)).to_numpy()
    return x, y


def test_prim_recovers_a_planted_box():
    x, y = planted()
    trajectory, box = prim_boxes(x, y, min_coverage=0.8)
    limits = box.set_index("parameter")
    assert set(limits.index) == {"erosion", "stall_slope"}  # merge_rate does not matter: not restricted
    assert limits.loc["erosion", "high"] == pytest.approx(0.4, abs=0.03)
    assert limits.loc["stall_slope", "low"] == pytest.approx(0.7, abs=0.03)
    assert box["density"].iloc[0] > 0.9 and box["coverage"].iloc[0] >= 0.8
    assert trajectory["coverage"].iloc[0] == 1 and trajectory["density"].is_monotonic_increasing is not None


def test_the_tree_finds_the_same_split_and_conditions_parse():
    x, y = planted()
    rules, accuracy = tree_rules(x, y)
    assert accuracy > 0.97 and "erosion" in rules and "stall_slope" in rules and "merge_rate" not in rules
    assert parse_condition("share_not_ended_24>=0.7") == ("share_not_ended_24", ">=", 0.7)
    with pytest.raises(AnalysisError, match="--where: expected OUTCOME>=VALUE"):
        parse_condition("share_not_ended_24 = 0.7")


def test_discovery_reads_the_design_columns_of_a_results_folder(tmp_path):
    sample = Sample(method="lhs", points=400, seed=1, ranges={"a": (0, 1), "b": (0, 1)})
    folder = results_of(tmp_path, sample, lambda p: float(p["a"] > 0.5))
    frame = pd.read_parquet(folder / "runs.parquet")
    x, y = cases(frame, "y", ">=", 1.0)
    assert list(x.columns) == ["a", "b"] and y.sum() == (x["a"] > 0.5).sum()
    found = discover(folder, "y>=1")
    assert found["box"].set_index("parameter").loc["a", "low"] == pytest.approx(0.5, abs=0.03)
