"""Small real experiments for the tests of what reads a batch (analysis, figures, report)."""

import shutil
from pathlib import Path

from ecosim.batch import InProcessExecutor, run_batch
from ecosim.experiment import plan

ROOT = Path(__file__).resolve().parents[1]


def batch(folder: Path, text: str, out: str = "results") -> Path:
    """Run the experiment `text` in this process into folder/out (the shipped baseline beside it), every run ok."""
    (folder / "scenarios").mkdir()
    shutil.copy(ROOT / "scenarios" / "baseline.toml", folder / "scenarios" / "baseline.toml")
    (folder / "experiment.toml").write_text(text)
    summary = run_batch(plan(folder / "experiment.toml"), folder / out, InProcessExecutor())
    assert summary.failed == 0 and summary.ran == summary.planned
    return folder / out
