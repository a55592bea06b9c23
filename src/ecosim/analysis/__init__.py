"""Analysis of an experiment's results: paired comparisons, survival, sensitivity, scenario discovery, bundles.

One responsibility per module, each reading the results store (:mod:`ecosim.results`):

- :mod:`~ecosim.analysis.paired`: paired Student-t and BCa bootstrap intervals, the paired
  test, Holm's correction and the variance reduction of common random numbers;
- :mod:`~ecosim.analysis.hazards`: survival shares and occurrence/exposure hazards from
  start and end months, and the cluster bootstrap over replications (the estimators of the
  calibration targets);
- :mod:`~ecosim.analysis.compare`: every strategy against a baseline strategy, per outcome,
  with a ranking and cost-effectiveness (``ecosim compare``, ``ecosim.compare``);
- :mod:`~ecosim.analysis.survival`: lifetimes, Kaplan-Meier, log-rank and a Cox model with
  cluster-robust errors (``ecosim survival``);
- :mod:`~ecosim.analysis.sensitivity`: Sobol' and Morris indices from a sampled design
  (``ecosim sensitivity``);
- :mod:`~ecosim.analysis.discovery`: PRIM boxes and a shallow decision tree (scenario discovery);
- :mod:`~ecosim.analysis.search`: the best bundle of strategies under a budget (``ecosim search``).

The estimators and their assumptions are described in docs/analysis.md.
"""


class AnalysisError(ValueError):
    """Results that cannot be analysed as asked, explained in one line (file, field, expected, found)."""
