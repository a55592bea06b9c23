"""ecosim's benchmarks, measured side by side in one run: ``python -m benchmarks [--quick] [--json]``.

One module per measurement (vs_mesa, bandwidth, scaling, national, jit, batch, crn), each
with ``measure(quick) -> dict`` of its headline figures and a ``detail``; ``__main__`` runs
them, prints the table with the goals beside the figures or one JSON object, and says
what the machine was. Absolute times drift on a shared machine: the ratios are what to
compare between versions.
"""
