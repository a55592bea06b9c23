"""Global sensitivity from a sampled experiment: Sobol' indices (Saltelli design) and Morris screening (SALib).

The design is the one the batch ran (``[sample] method = "saltelli"`` or ``"morris"``), read
back from the results: the design points of the manifest, in plan order, and the runs
table's outcomes. The model is stochastic, so the response of a design point is the mean of
its replications (seeds); the noise left in that mean inflates the total-order indices
(it is variance no parameter explains), more so with few replications.

Convergence check: the same indices from the first half of the base samples (Sobol') or of
the trajectories (Morris), a valid design of its own, against all of them.
"""

import math
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ecosim.analysis import AnalysisError, inputs

METHODS = ("saltelli", "morris")
TOLERANCE = 0.05  # Sobol': largest change of an index from half to all the samples that counts as converged
MORRIS_TOLERANCE = 0.1  # Morris: the same for mu*, relative to the largest mu*


def variables(design: dict[str, Any]) -> list[str]:
    """The sampled parameters, in the column order of the sampler (ranges, then grid names if sampled jointly).

    The manifest stores the ranges with sorted keys, so the sampler's order is read back from
    the points: in a Saltelli block (A, AB_1 .. AB_D, B) row 1 + j differs from A in variable j
    only; a Morris trajectory changes one variable a step (any order fits its analysis).
    """
    sample = design["sample"]
    names = list(sample["ranges"])
    if design.get("combine") == "joint":
        names += list(design.get("sweep") or {})
    if sample["method"] != "saltelli":
        return names
    points = design["points"]
    d = len(names)
    votes: dict[int, dict[str, int]] = {j: {} for j in range(d)}
    for start in range(0, min(len(points), 64 * (d + 2)), d + 2):
        a = points[start]
        for j in range(d):
            changed = [n for n in names if points[start + 1 + j][n] != a[n]]
            if len(changed) == 1:
                votes[j][changed[0]] = votes[j].get(changed[0], 0) + 1
    order = [max(v, key=v.get) if v else None for v in votes.values()]
    if None in order or len(set(order)) != d:
        raise AnalysisError("design: expected a Saltelli design (blocks of D + 2 points), found points that are not")
    return order


def responses(frame: pd.DataFrame, outcome: str, count: int) -> np.ndarray:
    """Per design point 0..count-1: the mean of the outcome over its finished replications (NaN if none)."""
    means = frame.groupby("point")[outcome].mean()
    return means.reindex(range(count)).to_numpy(float)


def _problem(names: list[str], bounds: list[list[float]]) -> dict[str, Any]:
    return {"num_vars": len(names), "names": names, "bounds": bounds}


def sobol_indices(
    y: np.ndarray, names: list[str], level: float = 0.95, resamples: int = 200, seed: int = 20261202
) -> pd.DataFrame:
    """First-order and total Sobol' indices with their intervals, from the responses of a Saltelli design.

    `y` holds N (D + 2) responses in the sampler's order (no second-order terms), D = len(names).
    """
    from SALib.analyze import sobol

    d = len(names)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = sobol.analyze(
            _problem(names, [[0.0, 1.0]] * d),
            np.asarray(y, float),
            calc_second_order=False,
            num_resamples=resamples,
            conf_level=level,
            seed=seed,
        )
    return pd.DataFrame(
        {
            "parameter": names,
            "S1": result["S1"],
            "S1_conf": result["S1_conf"],
            "ST": result["ST"],
            "ST_conf": result["ST_conf"],
        }
    )


def morris_indices(
    x: np.ndarray,
    y: np.ndarray,
    names: list[str],
    levels: int,
    level: float = 0.95,
    resamples: int = 1000,
    seed: int = 20261202,
) -> pd.DataFrame:
    """Morris mu* (with its interval), mu and sigma from trajectories `x` (unit cube) and responses `y`."""
    from SALib.analyze import morris

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = morris.analyze(
            _problem(names, [[0.0, 1.0]] * len(names)),
            np.asarray(x, float),
            np.asarray(y, float),
            num_resamples=resamples,
            conf_level=level,
            num_levels=levels,
            seed=seed,
        )
    return pd.DataFrame(
        {
            "parameter": names,
            "mu_star": np.asarray(result["mu_star"], float),
            "mu_star_conf": np.asarray(result["mu_star_conf"], float),
            "mu": np.asarray(result["mu"], float),
            "sigma": np.asarray(result["sigma"], float),
        }
    )


def _groups(design: dict[str, Any]) -> list[tuple[str, range]]:
    """(label, design points) per grid point of a factorial design (one group without a grid)."""
    points = design["points"]
    sweep = design.get("sweep") or {}
    if not sweep or design.get("combine") == "joint":
        return [("", range(len(points)))]
    grid = int(np.prod([len(v) for v in sweep.values()]))
    size = len(points) // grid
    out = []
    for g in range(grid):
        first = points[g * size]
        label = ", ".join(f"{k}={first[k]}" for k in sweep)
        out.append((label, range(g * size, (g + 1) * size)))
    return out


def analyse(
    frame: pd.DataFrame, design: dict[str, Any], outcomes: list[str], level: float = 0.95, seed: int = 20261202
) -> pd.DataFrame:
    """The indices of every outcome (and grid point) of a sampled design, with the half-sample check.

    Columns: group (the grid point, '' without one), outcome, parameter, the indices and
    their intervals, the same from half the samples (``*_half``), change (largest change of
    the outcome's indices from half to all) and converged. An outcome that is constant or
    missing at some point is left out.
    """
    sample = design.get("sample") or {}
    method = sample.get("method")
    if method not in METHODS:
        raise AnalysisError(
            f"design.sample.method: expected a Saltelli or Morris design ({', '.join(METHODS)}), found {method!r}"
        )
    names = variables(design)
    d = len(names)
    block = d + 2 if method == "saltelli" else d + 1
    bounds = {**sample["ranges"]}
    tables = []
    for label, points in _groups(design):
        count = len(points)
        if count % block or count // block < 2:
            raise AnalysisError(f"design: expected blocks of {block} points, found {count} points")
        base = count // block
        local = frame[frame["point"].isin(points)]
        local = local.assign(point=local["point"] - points.start)
        for outcome in outcomes:
            y = responses(local, outcome, count)
            if np.isnan(y).any() or np.ptp(y) == 0:
                continue
            half = (base // 2) * block
            if method == "saltelli":
                full = sobol_indices(y, names, level, seed=seed)
                part = sobol_indices(y[:half], names, level, seed=seed)
                full["S1_half"], full["ST_half"] = part["S1"].to_numpy(), part["ST"].to_numpy()
                change = float(np.nanmax(np.abs(np.r_[full["S1"] - part["S1"], full["ST"] - part["ST"]])))
                tolerance = TOLERANCE
            else:
                x = np.array([[_unit(design["points"][p][n], n, bounds, design) for n in names] for p in points])
                levels = int(sample.get("levels", 4))
                full = morris_indices(x, y, names, levels, level, seed=seed)
                part = morris_indices(x[:half], y[:half], names, levels, level, seed=seed)
                full["mu_star_half"] = part["mu_star"].to_numpy()
                top = float(full["mu_star"].max())
                change = float(np.max(np.abs(full["mu_star"] - part["mu_star"])) / top) if top > 0 else 0.0
                tolerance = MORRIS_TOLERANCE
            full.insert(0, "outcome", outcome)
            full.insert(0, "group", label)
            full["change"] = change
            full["converged"] = change <= tolerance
            full["samples"] = base
            tables.append(full)
    if not tables:
        raise AnalysisError("outcomes: expected an outcome that varies over the design, found none")
    return pd.concat(tables, ignore_index=True)


def _unit(value: Any, name: str, bounds: dict[str, list[float]], design: dict[str, Any]) -> float:
    """A design value as its position in [0, 1] of its range (a jointly sampled grid value: its index)."""
    if name in bounds:
        low, high = bounds[name]
        return (float(value) - low) / (high - low)
    values = list(design["sweep"][name])
    return (values.index(value) + 0.5) / len(values)


def sensitivity(
    results: str | Path, outcomes: list[str] | None = None, level: float = 0.95, seed: int = 20261202
) -> pd.DataFrame:
    """Sobol' or Morris indices of a results folder's sampled design (see :func:`analyse`)."""
    from ecosim.analysis.compare import default_outcomes

    found = inputs.manifest(results)
    design = found.get("design") or {}
    if not design.get("sample"):
        raise AnalysisError(
            f"{results}: expected the results of a sampled experiment ([sample] with method saltelli or morris), "
            "found no sample in its design"
        )
    frame = inputs.runs(results)
    if frame["strategy"].nunique() > 1 or frame["scenario"].nunique() > 1:
        many = ", ".join(sorted(frame["strategy"].unique()))
        raise AnalysisError(f"{results}: expected one scenario and one strategy, found strategies {many}")
    known = default_outcomes(frame)
    chosen = outcomes or [k for k in known if k not in ("alive_at_reference",)]
    for name in chosen:
        if name not in frame:
            raise AnalysisError(f"{results}: --outcome: expected one of {', '.join(known)}, found {name!r}")
    if math.isnan(level) or not 0 < level < 1:
        raise AnalysisError(f"--level: expected a value between 0 and 1, found {level}")
    return analyse(frame, design, chosen, level, seed)
