"""the papers' MultiGoal experiments, trained and compared: ebrl multigoal s2ac-fig2 --out results/fig2
    --n-seeds 3 --steps 6000; ebrl multigoal sql-temperature --out results/sql-temperature"""

import dataclasses
from pathlib import Path
from typing import Annotated, Literal

import tyro
from rich.console import Console

from ebrl.commands.parsing import parse, print_written


@dataclasses.dataclass(frozen=True)
class MultiGoalOptions:
    experiment: Annotated[str, tyro.conf.Positional]
    """s2ac-fig2 (SAC, SQL and S2AC on MultiGoal3, and the obstacle test) or sql-temperature (SQL at α = 0, 0.5,
    1, 10 on MultiGoal)."""
    out: str = "results/multigoal"
    """Folder for the tables and figures."""
    runs_dir: str = "runs/multigoal"
    """Where the runs are trained, one seed group per algorithm or temperature (RUNS_DIR/<name>/seed_<k>); finished
    groups found there are reused, unfinished ones resumed."""
    steps: int = 6000
    """Training budget of every run (environment steps)."""
    n_seeds: int = 3
    """Seeds per algorithm or temperature: 0, 1, ..., N − 1 (a count; --seeds in ebrl train and ebrl mujoco lists
    seeds)."""
    episodes: int = 100
    """Evaluation episodes per run."""
    rule: Literal["train", "eval"] = "train"
    """Which action mode to evaluate: train or eval (see `ebrl compare --help`)."""
    overwrite: bool = False
    """Replace results already in --out."""


def run(args: list[str]) -> int:
    from ebrl.studies.multigoal.study import run_experiment

    options = parse(MultiGoalOptions, args, "ebrl multigoal")
    return print_written(run_experiment(
        options.experiment, Path(options.out), runs_dir=Path(options.runs_dir), steps=options.steps,
        n_seeds=options.n_seeds, episodes=options.episodes, rule=options.rule, overwrite=options.overwrite,
        console=Console(stderr=True)))
