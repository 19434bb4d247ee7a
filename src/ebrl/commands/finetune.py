"""maximum-entropy pretraining, then fine-tuning (the SQL paper's initializer claim): pretrain SQL and SAC on an
    undirected task, fine-tune each seed on directed ones beside training from scratch: ebrl finetune --out
    results/finetune [--pretrain-env ebrl/HalfCheetahAnyDirection-v0 --envs ebrl/HalfCheetahForward-v0
    ebrl/HalfCheetahBackward-v0 --pretrain-steps 30000 --steps 20000]"""

import dataclasses
from pathlib import Path

import tyro
from rich.console import Console

from ebrl.commands.parsing import parse, study_ended
from ebrl.studies.finetune.study import FinetunePlan
from ebrl.studies.plans import with_loop_changes


@dataclasses.dataclass(frozen=True)
class FinetuneOptions:
    plan: tyro.conf.OmitArgPrefixes[FinetunePlan] = dataclasses.field(default_factory=FinetunePlan)  # type: ignore[valid-type]
    """What the study trains: tasks, algorithms, seeds, budgets, evaluations."""
    out: str = "results/finetune"
    """Study folder: plan.json, results.json, summary.md, the figure and the runs (OUT/runs/...). Running the same
    command again reuses finished groups and resumes an interrupted one."""
    loop: tuple[str, ...] = ()
    """FIELD=VALUE changes of every group's training loop over the presets, e.g. learning_starts=1000
    random_steps=1000 (as in `ebrl mujoco --loop`)."""
    progress: bool = True
    """Progress bars."""

    def study_plan(self) -> FinetunePlan:
        return with_loop_changes(self.plan, self.loop)


def run(args: list[str]) -> int:
    from ebrl.studies.finetune.study import run_study

    options = parse(FinetuneOptions, args, "ebrl finetune")
    console = Console(stderr=True)
    finished = run_study(options.study_plan(), Path(options.out), console=console, progress=options.progress)
    return study_ended(finished, options.out, console)
