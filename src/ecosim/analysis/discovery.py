"""Scenario discovery: which parameter ranges give a wanted outcome (PRIM boxes, a shallow decision tree).

The question is of the form "where in the design does share_not_ended_24 reach at least
0.7?". Each design point is a case: its parameter values and whether the mean of its
replications meets the condition. PRIM (the Patient Rule Induction Method) peels the
parameter box step by step towards the cases that meet it; each step trades coverage (the
share of all such cases inside the box) for density (the share of cases in the box that
meet it). The implementation is the EMA Workbench's (``ema_workbench.analysis.prim``),
maintained for exactly this use in exploratory modelling. A shallow scikit-learn decision
tree beside it gives the same question as readable rules.
"""

import math
import operator
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ecosim.analysis import AnalysisError, inputs

COMPARISONS = {">=": operator.ge, "<=": operator.le, ">": operator.gt, "<": operator.lt}


def parse_condition(text: str) -> tuple[str, str, float]:
    """'share_not_ended_24>=0.7' -> (outcome, operator, threshold)."""
    for symbol in (">=", "<=", ">", "<"):
        if symbol in text:
            name, _, value = text.partition(symbol)
            try:
                return name.strip(), symbol, float(value)
            except ValueError:
                break
    raise AnalysisError(f"--where: expected OUTCOME>=VALUE (or <=, >, <), found {text!r}")


def cases(frame: pd.DataFrame, outcome: str, symbol: str, threshold: float) -> tuple[pd.DataFrame, np.ndarray]:
    """Per design point: the parameter values (design_* columns) and whether its replications' mean meets it."""
    design = [c for c in frame if c.startswith("design_")]
    if not design:
        raise AnalysisError("runs table: expected design_<parameter> columns (a sampled or swept design), found none")
    if outcome not in frame:
        raise AnalysisError(f"--where: expected an outcome of the runs table, found {outcome!r}")
    points = frame.groupby("point").agg({**{c: "first" for c in design}, outcome: "mean"}).dropna()
    x = points[design].rename(columns=lambda c: c.removeprefix("design_")).astype(float)
    x = x.loc[:, x.nunique() > 1]
    y = COMPARISONS[symbol](points[outcome].to_numpy(float), threshold)
    return x.reset_index(drop=True), y


def prim_boxes(
    x: pd.DataFrame, y: np.ndarray, peel_alpha: float = 0.05, mass_min: float = 0.05, min_coverage: float = 0.5
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The PRIM peeling trajectory and the limits of the chosen box.

    Trajectory columns: box, coverage, density, mass, restricted (parameters restricted).
    The chosen box is the densest one whose coverage is still at least `min_coverage`; its
    limits table has parameter, low, high and the quasi-p value of each restriction.
    """
    if y.sum() == 0 or y.all():
        kind = "no" if y.sum() == 0 else "every"
        raise AnalysisError(f"--where: expected some design points that meet the condition and some not, found {kind}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from ema_workbench.analysis import prim

        finder = prim.Prim(x, np.asarray(y, bool), peel_alpha=peel_alpha, mass_min=mass_min)
        box = finder.find_box()
    trajectory = box.peeling_trajectory[["coverage", "density", "mass", "res_dim"]].copy()
    trajectory.insert(0, "box", np.arange(len(trajectory)))
    trajectory = trajectory.rename(columns={"res_dim": "restricted"})
    eligible = trajectory[trajectory["coverage"] >= min_coverage]
    chosen = int(eligible.sort_values(["density", "coverage"], ascending=False).iloc[0]["box"])
    limits = box.box_lims[chosen]
    full = box.box_lims[0]
    rows = []
    for name in x.columns:
        low, high = float(limits[name].iloc[0]), float(limits[name].iloc[1])
        if low == float(full[name].iloc[0]) and high == float(full[name].iloc[1]):
            continue
        rows.append({"parameter": name, "low": low, "high": high})
    table = pd.DataFrame(rows, columns=["parameter", "low", "high"])
    table["box"] = chosen
    table["coverage"] = float(trajectory.loc[chosen, "coverage"])
    table["density"] = float(trajectory.loc[chosen, "density"])
    return trajectory.reset_index(drop=True), table


def tree_rules(x: pd.DataFrame, y: np.ndarray, depth: int = 2, seed: int = 0) -> tuple[str, float]:
    """A shallow decision tree of the condition: its rules as text and its accuracy on the cases."""
    from sklearn.tree import DecisionTreeClassifier, export_text

    leaf = max(1, int(math.ceil(0.05 * len(y))))
    tree = DecisionTreeClassifier(max_depth=depth, min_samples_leaf=leaf, random_state=seed)
    tree.fit(x.to_numpy(), np.asarray(y, bool))
    text = export_text(tree, feature_names=list(x.columns), class_names=["no", "yes"], decimals=4)
    return text, float(tree.score(x.to_numpy(), np.asarray(y, bool)))


def discover(
    results: str | Path | pd.DataFrame, where: str, min_coverage: float = 0.5, depth: int = 2
) -> dict[str, Any]:
    """Scenario discovery on a results folder: 'cases', 'trajectory', 'box', 'rules' and 'accuracy'."""
    outcome, symbol, threshold = parse_condition(where)
    frame = inputs.runs(results)
    x, y = cases(frame, outcome, symbol, threshold)
    trajectory, box = prim_boxes(x, y, min_coverage=min_coverage)
    rules, accuracy = tree_rules(x, y, depth)
    return {
        "cases": (len(y), int(np.sum(y))),
        "trajectory": trajectory,
        "box": box,
        "rules": rules,
        "accuracy": accuracy,
    }
