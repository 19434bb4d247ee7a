"""learning curves: ebrl plot runs/x [runs/g ...] [--out curves.png] (a group: mean ± std over seeds); a sweep's
    folder also gets its table of final returns per setting and a figure of return against each swept field"""

import dataclasses
from pathlib import Path
from typing import Annotated

import tyro

from ebrl.commands.parsing import parse, print_written
from ebrl.config import require, require_episodes, require_non_negative


@dataclasses.dataclass(frozen=True)
class PlotOptions:
    run_dirs: Annotated[tuple[str, ...], tyro.conf.Positional]
    """One or more runs, seed groups or sweeps; runs of the same algorithm, environment and agent settings are
    averaged (mean ± std over seeds). A sweep's folder alone also gets sweep.md and sweep.csv (per setting, the
    final return: mean ± std and IQM with a 95 % interval over seeds) and sweep_<field>.png (that IQM against each
    swept field)."""
    out: str | None = None
    """Learning-curve file (a sweep's other files beside it); default RUN_DIR/figures/learning_curve.png for a
    single run, group or sweep."""
    episodes: int = 100
    """MultiGoal runs: evaluation episodes behind the trajectory plot and the goal histogram."""
    mode: str | None = None
    """MultiGoal runs: action mode of those episodes and of the actions on the Q-landscapes; default the agent's
    training mode (SAC: sample)."""
    seed: int = 0
    """MultiGoal runs: seed of those episodes."""


def run(args: list[str]) -> int:
    from ebrl.plots import is_multigoal, multigoal_pictures, plot_learning_curves
    from ebrl.runs import expand_runs, load_run, read_spec
    from ebrl.runs.layout import sweep_groups
    from ebrl.studies.sweep_report import TABLE_FILE, write_sweep_report

    options = parse(PlotOptions, args, "ebrl plot")
    require(len(options.run_dirs) > 0, "ebrl plot needs the runs or seed groups to draw, e.g. ebrl plot runs/x")
    require_non_negative("seed", options.seed)
    given = [Path(p) for p in options.run_dirs]
    run_dirs = expand_runs(given)
    specs = [read_spec(run_dir) for run_dir in run_dirs]
    require(options.out is not None or len(given) == 1, "several runs need --out FILE for their common figure")
    require_episodes("episodes", options.episodes)
    out = Path(options.out) if options.out else given[0] / "figures" / "learning_curve.png"
    plot_learning_curves(run_dirs, out)
    written = [out]
    if len(run_dirs) == 1 and is_multigoal(specs[0].train.env, specs[0].train.env_kwargs):
        run = load_run(run_dirs[0])
        mode = run.agent.check_mode(options.mode or run.agent.train_mode, run.spec.algo)
        written += multigoal_pictures(run, run_dirs[0] / "figures", options.episodes, mode, options.seed)
    if len(given) == 1 and sweep_groups(given[0]):
        figures = out.parent if options.out else given[0] / "figures"
        return print_written([*written, *write_sweep_report(given[0], figures)], figures / TABLE_FILE)
    for path in written:
        print(f"wrote {path}")
    return 0
