"""the S2AC paper's MuJoCo study (IQM, intervals, curves, run time), here or on a Ray cluster: ebrl mujoco --envs
    Hopper-v5 Walker2d-v5 --algos sac sql s2ac --seeds 0 1 2 --steps 1000000 --out results/mujoco [--workers 2 |
    --ray auto]"""

import dataclasses
from pathlib import Path

import tyro
from rich.console import Console

from ebrl.commands.parsing import parse, study_ended
from ebrl.studies.mujoco.plan import StudyPlan
from ebrl.studies.plans import with_loop_changes


@dataclasses.dataclass(frozen=True)
class MujocoOptions:
    plan: tyro.conf.OmitArgPrefixes[StudyPlan] = dataclasses.field(default_factory=StudyPlan)  # type: ignore[valid-type]
    """What the study trains: tasks, algorithms and their variants, seeds, budget, evaluations."""
    out: str = "results/mujoco"
    """Study folder: plan.json, results.json, summary.md, figures, and the runs (OUT/runs/<task>/<algo>/seed_k).
    Running the same command again reuses finished groups and resumes interrupted ones."""
    workers: int = 1
    """Groups trained at once, each in its own process (1: one after another in this process)."""
    ray: str | None = None
    """Run each group as a task on a Ray cluster: auto (the cluster `ray start` started on this machine) or
    HOST:PORT of its head. Needs pip install 'ebrl[ray]' and OUT on a filesystem every node shares."""
    cpus_per_group: float = 1.0
    """CPUs Ray reserves for each group."""
    gpus_per_group: float = 0.0
    """GPUs Ray reserves for each group (a fraction shares a GPU between groups)."""
    retries: int = 3
    """Times a group whose worker died is tried again (it resumes from its checkpoints)."""
    loop: tuple[str, ...] = ()
    """FIELD=VALUE changes of every group's training loop over the presets, e.g. learning_starts=1000
    random_steps=1000 batch_size=64 for a smoke-size study (fields of `ebrl train`'s loop options, but the task, seed,
    steps and evaluations, which the study sets)."""
    progress: bool = True
    """Progress bars (in-process execution)."""

    def study_plan(self) -> StudyPlan:
        """The plan, with `loop`'s changes."""
        return with_loop_changes(self.plan, self.loop)


def run(args: list[str]) -> int:
    from ebrl.studies.mujoco.study import run_study

    options = parse(MujocoOptions, args, "ebrl mujoco")
    console = Console(stderr=True)
    finished = run_study(options.study_plan(), Path(options.out), workers=options.workers, ray=options.ray,
                         console=console, cpus_per_group=options.cpus_per_group,
                         gpus_per_group=options.gpus_per_group, retries=options.retries, progress=options.progress)
    return study_ended(finished, options.out, console)
