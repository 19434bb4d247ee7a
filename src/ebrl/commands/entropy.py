"""the S2AC entropy study (figures and tables): ebrl entropy --out docs/results/entropy"""

import dataclasses
from pathlib import Path
from typing import Literal

from rich.console import Console

from ebrl.commands.parsing import parse, print_written


@dataclasses.dataclass(frozen=True)
class EntropyOptions:
    out: str = "results/entropy"
    """Folder for the figures and tables."""
    n_seeds: int = 5
    """Seeds per setting (a count)."""
    quick: bool = False
    """A tiny grid (seconds), to check that the pipeline runs."""
    parts: tuple[Literal["a", "b", "c", "d", "e"], ...] = ("a", "b", "c", "d")
    """Which parts: (a) the 2-D Gaussian, (b) mixtures, (c) the kernel width, (d) the policy's entropy, (e) the
    policy's entropy on a trained critic (needs --critic)."""
    critic: str | None = None
    """(e): a trained S2AC run, e.g. the main job's (MultiGoal: measured at its probe states; other tasks, e.g.
    MuJoCo: at 4 states drawn from its latest checkpoint's replay)."""
    critic_rules: tuple[str, ...] | None = None
    """(e): only these log-density rules, e.g. trace hutchinson "hutchinson, bound 1" (default: all of
    ebrl.studies.entropy.study.CRITIC_RULES)."""
    critic_svgd_steps: int | None = None
    """(e): L, the SVGD steps of the run's sampler, replaced by this (default: the run's)."""
    policy_dims: tuple[int, ...] | None = None
    """(d): only these target dimensions (default: the whole grid, 1 2 3 6 8 17 20 100)."""
    policy_targets: tuple[Literal["gaussian", "mixture"], ...] | None = None
    """(d): only these targets (default: both)."""
    overwrite: bool = False
    """Replace results already in --out."""


def run(args: list[str]) -> int:
    from ebrl.studies.entropy.study import run_checked

    options = parse(EntropyOptions, args, "ebrl entropy")
    return print_written(run_checked(
        Path(options.out), n_seeds=options.n_seeds, quick=options.quick, parts=options.parts,
        critic=Path(options.critic) if options.critic else None, critic_rules=options.critic_rules,
        critic_svgd_steps=options.critic_svgd_steps, policy_dims=options.policy_dims,
        policy_targets=options.policy_targets, overwrite=options.overwrite, log=Console(stderr=True).print))
