"""MultiGoal runs side by side (goal hits, trajectories, entropy at the probe states): ebrl compare runs/sac_*
    runs/sql_* --out results/mg [--env ebrl/MultiGoal3Obstacle-v0]"""

import dataclasses
from pathlib import Path
from typing import Annotated, Literal

import tyro
from rich.console import Console

from ebrl.commands.parsing import parse, print_written


@dataclasses.dataclass(frozen=True)
class CompareOptions:
    run_dirs: Annotated[tuple[str, ...], tyro.conf.Positional]
    """MultiGoal runs; seeds of one algorithm and configuration are pooled."""
    out: str = "results/compare"
    """Folder for comparison.png, goals.csv and summary.md."""
    episodes: int = 100
    """Evaluation episodes per run, in each agent's training action mode."""
    env: str | None = None
    """Evaluate on this MultiGoal id instead of the training one (e.g. ebrl/MultiGoal3Obstacle-v0)."""
    seed: int = 0
    """Seed of the evaluation episodes and of the entropy samples."""
    rule: Literal["train", "eval"] = "train"
    """Which action mode to evaluate: train (each agent's training mode: SAC sample, SQL sample, S2AC random
    particle) or eval (its evaluation default: SAC mean, SQL sample, S2AC its --test-selection, random in the
    MultiGoal preset)."""
    overwrite: bool = False
    """Replace results already in --out."""


def run(args: list[str]) -> int:
    from ebrl.studies.multigoal.study import compare

    options = parse(CompareOptions, args, "ebrl compare")
    written = compare([Path(p) for p in options.run_dirs], Path(options.out), episodes=options.episodes,
                      env=options.env, seed=options.seed, rule=options.rule, overwrite=options.overwrite,
                      log=Console(stderr=True).print)
    return print_written(written, Path(options.out) / "summary.md")
