"""Results are generated, not typed: every number of docs/results/**/README.md and docs/results/benchmarks.md is
written by a generator from the folder's committed raw files (ebrl.results.generated), and tests/test_results.py
recomputes them all. `python -m ebrl.results docs/results/FOLDER` rewrites a folder's generated parts."""

from ebrl.results import (  # noqa: F401  (they register the generators)
    entropy,
    finetune,
    groups,
    mujoco,
    s2ac,
    single_runs,
    sweeps,
    tables,
    vi,
)
from ebrl.results.generated import GENERATORS, problems, readmes, render

__all__ = ["GENERATORS", "problems", "readmes", "render"]
