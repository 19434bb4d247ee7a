"""A seed group's run directories as the trainer sees them: `GroupStore`, the observer that writes each seed's
metrics and checkpoints, and `load_group_snapshot`, which reads them back into the snapshot a resumed group starts
from (the conversion itself is the loop's: ebrl.loop.snapshot).

Every seed's checkpoints are written at the same steps; a group resumes from the latest step that every seed has, so
a kill in the middle of writing them loses one interval at most (what some seeds saved past it is dropped and
written again) and a resumed group ends identical to an uninterrupted one.
"""

import os
from pathlib import Path

from ebrl.config import ConfigError, TrainConfig
from ebrl.core import Agent
from ebrl.envs.task import Task
from ebrl.loop.snapshot import checkpoint_shapes, group_snapshot, seed_checkpoint
from ebrl.loop.trainer import GroupSnapshot, Observer
from ebrl.runs.checkpoints import CheckpointFolder, describe_damaged, note
from ebrl.runs.layout import BEST_FOLDER
from ebrl.runs.metrics import MetricsLog, metrics_history


class GroupStore(Observer):
    """The run directories of a seed group as the trainer's observer: rows to each seed's metrics.csv and
    TensorBoard, new bests to RUN/best, snapshots to RUN/checkpoints (then RUN/best pruned to what they need)."""

    def __init__(self, run_dirs: list[Path]):
        self.run_dirs = list(run_dirs)
        self.checkpoints = [CheckpointFolder(d) for d in self.run_dirs]
        self.best = [CheckpointFolder(d, BEST_FOLDER) for d in self.run_dirs]
        self.metrics: list[MetricsLog] = []

    @property
    def where(self) -> Path:
        """The run directory, or the folder of the group or the sweep."""
        return self.run_dirs[0] if len(self.run_dirs) == 1 else Path(os.path.commonpath(self.run_dirs))

    def open_metrics(self, columns: list[str], histories: list[list[dict]] | None = None,
                     resume_step: int | None = None) -> None:
        """Start each seed's metrics.csv with the rows it keeps (`histories`, for a resume from `resume_step`)."""
        self.metrics = [MetricsLog(d, columns, history, resume_step)
                        for d, history in zip(self.run_dirs, histories or [[] for _ in self.run_dirs])]

    def common_step(self) -> int:
        """The latest step at which every seed of the group has an intact checkpoint (CheckpointFolder.intact), with
        a line on stderr naming the newer damaged ones passed over; ConfigError if there is none."""
        steps = [set(folder.all_steps()) for folder in self.checkpoints]
        if not any(steps):
            raise ConfigError(f"{self.where} holds no checkpoint to resume from; start a new run instead")
        common = set.intersection(*steps)
        if not common:
            raise ConfigError(f"the seeds in {self.where} have no checkpoint step in common; resume the seeds one by "
                              "one or start the group again")
        group = len(self.checkpoints) > 1
        damaged: list[Path] = []
        for step in sorted(common, reverse=True):
            broken = [folder.step_dir(step) for folder in self.checkpoints if not folder.intact(step)]
            if not broken:
                if damaged:
                    note(f"{describe_damaged(damaged)}; continuing from step {step}, the latest step "
                          f"{'every seed has' if group else 'that is'} intact")
                return step
            damaged += broken
        raise ConfigError(f"{self.where} holds no intact checkpoint to resume from"
                          f"{' for every seed' if group else ''}: {describe_damaged(damaged)}; train it again with "
                          "overwrite", "overwrite")

    def last_finite_step(self) -> int | None:
        """After a divergence: the group's latest common checkpoint, None if it has none."""
        return self.common_step() if any(folder.all_steps() for folder in self.checkpoints) else None

    def on_best(self, seed_index, step, agent_state, value):
        self.best[seed_index].save(step, agent=agent_state, best={"step": step, "return": value})

    def on_row(self, seed_index, row):
        self.metrics[seed_index].log(row)

    def on_checkpoint(self, snapshot: GroupSnapshot):
        for k, folder in enumerate(self.checkpoints):
            folder.save(snapshot.step, **seed_checkpoint(snapshot, k))
            self.best[k].prune(min(folder.all_steps()))

    def on_end(self):
        self.close()

    def close(self) -> None:
        for log in self.metrics:
            log.close()
        for folder in [*self.checkpoints, *self.best]:
            folder.close()


def load_group_snapshot(store: GroupStore, *, task: Task, agent: Agent, cfg: TrainConfig, seeds: list[int],
                        columns: list[str]) -> tuple[GroupSnapshot, list[list[dict]]]:
    """The group's state at the latest step every seed saved intact, and the metrics rows each seed keeps;
    ConfigError (nothing written) if there is none, if the group is already done, if the checkpoints come from an
    older ebrl, or if a seed's metrics.csv lacks rows its checkpoint counts. Then what a seed saved past that step
    (damaged checkpoints too) is dropped: it happens again."""
    step = store.common_step()
    if step >= cfg.steps:
        raise ConfigError(f"{store.where} is already at step {step} of {cfg.steps}; pass steps N with N > {step} to "
                          "train it further", "steps")
    saved_loops = [folder.restore(step, loop=None).loop for folder in store.checkpoints]
    if any("driver" not in loop for loop in saved_loops):
        raise ConfigError(f"{store.where} was written by ebrl < 0.3, whose checkpoints this version cannot continue; "
                          "evaluate it as it is, or train it again")
    saved = [folder.restore(step, **checkpoint_shapes(agent, task, saved_loops[0]["driver"]))
             for folder in store.checkpoints]
    snapshot = group_snapshot(step, saved, task=task, cfg=cfg, seeds=seeds)
    histories = [metrics_history(d, columns, step, log.eval_round) for d, log in zip(store.run_dirs, snapshot.logs)]
    for folder in [*store.checkpoints, *store.best]:  # what a seed saved past the common step happens again
        folder.drop_after(step)
    return snapshot, histories
