"""The host loop of a seed group, shared by both drivers.

Per chunk of `chunk` environment steps, for all seeds at once: the driver collects (uniformly random actions before
`random_steps`, then the agent's training mode) and one compiled call stores the transitions and runs
chunk × updates_per_step gradient updates per seed. Evaluation, metrics rows and checkpoints happen between chunks,
for each seed into its own run directory. Every seed's checkpoints are written at the same steps; a group resumes
from the latest step that every seed has (orbax keeps two per seed), so a kill in the middle of writing them loses
one interval at most (what some seeds saved past it is dropped and written again) and a resumed group ends
identical to an uninterrupted one.
"""

import dataclasses
import signal
import time
from pathlib import Path
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from ebrl.agents import ALGORITHMS
from ebrl.config import ConfigError
from ebrl.envs import flat_statistics, make_env
from ebrl.envs.task import Task, describe_task
from ebrl.evaluate import evaluate, make_policy
from ebrl.loop.gym_driver import GymDriver
from ebrl.loop.jax_driver import JaxDriver, slot_shape
from ebrl.loop.learner import SeedState, batched, make_learner, seed_keys, seed_slice, stack_seeds
from ebrl.replay import zeros_transitions
from ebrl.runs import BestCheckpointer, Checkpoint, Checkpointer, MetricsLog, RunSpec, metrics_history

TIMING_COLUMNS = ("time_s", "sps")  # the only columns that differ between repeated runs
DRIVERS = ("auto", "gym", "jax")


@dataclasses.dataclass
class SeedLog:
    """One seed's host-side state; saved as JSON in each of its checkpoints."""

    episodes: int = 0
    eval_round: int = 0
    elapsed_s: float = 0.0
    last_return: float | None = None
    best_return: float | None = None  # the best evaluation return of the default action mode so far
    finished_returns: list = dataclasses.field(default_factory=list)  # since the last metrics row
    metric_sums: dict = dataclasses.field(default_factory=dict)  # per update metric, over chunks since the last row
    metric_chunks: int = 0
    driver: str = "gym"
    environment: dict = dataclasses.field(default_factory=dict)  # the Gymnasium driver's state of this seed's copy


class TrainingDiverged(RuntimeError):
    """A loss, Q-value or parameter became non-finite; the run stopped without saving it, and its last checkpoint
    is the last finite state."""


@jax.jit
def _finite_per_seed(agent_states) -> jax.Array:
    """(S,) whether every floating-point leaf of each seed's agent state is finite."""
    leaves = [leaf for leaf in jax.tree.leaves(agent_states) if jnp.issubdtype(leaf.dtype, jnp.floating)]
    return jnp.stack([jnp.all(jnp.isfinite(leaf.reshape(leaf.shape[0], -1)), axis=1) for leaf in leaves]).all(0)


class Interrupt:
    """Turns the first Ctrl-C into a request to stop at the next chunk boundary; a second one aborts."""

    def __init__(self):
        self.requested = False

    def __enter__(self):
        self._previous = signal.signal(signal.SIGINT, self._handle)
        return self

    def _handle(self, signum, frame):
        self.requested = True
        signal.signal(signal.SIGINT, signal.default_int_handler)

    def __exit__(self, *exc):
        signal.signal(signal.SIGINT, self._previous)


@dataclasses.dataclass
class TrainResult:
    seed: int
    run_dir: Path
    last_row: dict
    interrupted: bool


def driver_functions(task: Task, driver: str):
    """The task's JAX functions when `driver` ("auto", "gym" or "jax") selects the on-device driver, else None;
    ConfigError for "jax" on a task that has none."""
    functions = task.jax_functions() if driver in ("auto", "jax") else None
    if driver == "jax" and functions is None:
        raise ConfigError(f"driver jax needs a task written in JAX, and {task.env_id} has no JAX implementation; use "
                          "the gym driver", "driver")
    return functions


def common_checkpoint_step(checkpointers: list[Checkpointer], run_dirs: list[Path]) -> int:
    """The latest step at which every seed of the group has a checkpoint; ConfigError if there is none."""
    steps = [set(c.all_steps()) for c in checkpointers]
    if not any(steps):
        raise ConfigError(f"{run_dirs[0] if len(run_dirs) == 1 else run_dirs[0].parent} holds no checkpoint to "
                          "resume from; start a new run instead")
    common = set.intersection(*steps)
    if not common:
        raise ConfigError(f"the seeds in {run_dirs[0].parent} have no checkpoint step in common; resume the seeds "
                          "one by one or start the group again")
    return max(common)


class GroupTrainer:
    """Training of one configuration for several seeds in one program. `GroupTrainer(...)` builds everything and,
    with `resume`, restores the checkpoints (raising ConfigError if it cannot, before anything is written);
    `run()` trains."""

    def __init__(self, spec: RunSpec, seeds: list[int], run_dirs: list[Path], resume: bool = False,
                 driver: str = "auto", vector: str = "sync"):
        cfg = self.cfg = spec.train
        self.spec, self.seeds, self.run_dirs, self.resume = spec, list(seeds), list(run_dirs), resume
        task = self.task = describe_task(cfg.env, cfg.env_kwargs)
        obs_dim, act_dim = task.obs_dim, task.act_dim
        self.eval_envs = [make_env(cfg.env, kwargs=cfg.env_kwargs) for _ in range(cfg.eval_episodes)]
        agent = self.agent = ALGORITHMS[spec.algo].make_agent(spec.agent, obs_dim, act_dim)
        learner = make_learner(agent, cfg, obs_dim, act_dim)
        self.learner = batched(learner)
        self.checkpointers = [Checkpointer(run_dir) for run_dir in run_dirs]
        self.best = [BestCheckpointer(run_dir) for run_dir in run_dirs]
        functions = driver_functions(task, driver)
        kind = "jax" if functions is not None else "gym"
        self.columns = metrics_columns(agent, task)
        self.histories: list[list[dict]] = [[] for _ in run_dirs]
        if resume:
            try:
                self._restore(learner, functions, obs_dim, act_dim, vector)
            except BaseException:
                self._close_files()
                raise
        else:
            self.step = 0
            self.states = self.learner.init(jnp.asarray(self.seeds))
            self.logs = [SeedLog(driver=kind) for _ in self.seeds]
            self.driver = (JaxDriver(functions, learner, self.seeds) if kind == "jax"
                           else GymDriver(cfg.env, cfg.env_kwargs, self.seeds, obs_dim, act_dim, vector))
        self.eval_policies = {mode: make_policy(agent, mode) for mode in agent.action_modes}

    def _restore(self, learner, functions, obs_dim: int, act_dim: int, vector: str) -> None:
        """The group's state at the latest step every seed saved; ConfigError (nothing written) if there is none,
        if the group is already done, if the checkpoints come from an older ebrl, or if a seed's metrics.csv lacks
        rows its checkpoint counts. Then what a seed saved past that step is dropped: it happens again."""
        self.step = common_checkpoint_step(self.checkpointers, self.run_dirs)
        if self.step >= self.cfg.steps:
            raise ConfigError(f"{self._where()} is already at step {self.step} of {self.cfg.steps}; pass steps N "
                              f"with N > {self.step} to train it further", "steps")
        saved_loops = [c.restore_loop(self.step) for c in self.checkpointers]
        if any("driver" not in loop for loop in saved_loops):
            raise ConfigError(f"{self._where()} was written by ebrl < 0.3, whose checkpoints this version cannot "
                              "continue; evaluate it as it is, or train it again")
        kind = saved_loops[0]["driver"]
        functions = (functions or self.task.jax_functions()) if kind == "jax" else None
        abstract_agent = jax.eval_shape(self.agent.init, jax.random.key(0))
        env_shape = slot_shape(functions) if kind == "jax" else None
        saved = [c.restore(self.step, abstract_agent, learner.replay_capacity, obs_dim, act_dim, env_shape)
                 for c in self.checkpointers]
        _, act_keys, update_keys = jax.vmap(seed_keys)(jnp.asarray(self.seeds))
        self.states = SeedState(stack_seeds([s.agent_state for s in saved]), stack_seeds([s.replay for s in saved]),
                                act_keys, update_keys)
        self.logs = [SeedLog(**s.loop) for s in saved]
        self.histories = [metrics_history(d, self.columns, self.step, log.eval_round)
                          for d, log in zip(self.run_dirs, self.logs)]
        for folder in [*self.checkpointers, *self.best]:  # what a seed saved past the common step happens again
            folder.drop_after(self.step)
        self.driver = (JaxDriver(functions, learner, self.seeds, stack_seeds([s.env_state for s in saved]))
                       if kind == "jax" else
                       GymDriver(self.cfg.env, self.cfg.env_kwargs, self.seeds, obs_dim, act_dim, vector,
                                 [log.environment for log in self.logs]))

    @property
    def driver_kind(self) -> str:
        return self.logs[0].driver

    def _where(self) -> Path:
        return self.run_dirs[0] if len(self.run_dirs) == 1 else self.run_dirs[0].parent

    def run(self, console: Console | None = None, progress: bool = True, wandb_runs: list | None = None
            ) -> list[TrainResult]:
        """Train to the configured steps (or a Ctrl-C, or a divergence: TrainingDiverged); `wandb_runs`, one per
        seed, receive the metrics rows too."""
        cfg = self.cfg
        metrics_logs = [MetricsLog(d, self.columns, history, self.step if self.resume else None, run)
                        for d, history, run in zip(self.run_dirs, self.histories,
                                                   wandb_runs or [None] * len(self.run_dirs))]
        start_time, start_elapsed = time.perf_counter(), self.logs[0].elapsed_s
        self.row_time, self.row_step = start_time, self.step
        last_rows: list[dict] = [{} for _ in self.seeds]
        bars = Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                        TextColumn("{task.fields[sps]:>6} steps/s"), TextColumn("return {task.fields[ret]:>9}"),
                        TimeRemainingColumn(), console=console or Console(stderr=True), disable=not progress)
        divergence = None
        with Interrupt() as interrupt, bars:
            tasks = [bars.add_task(f"{self.spec.algo} {cfg.env} seed {seed}", total=cfg.steps, completed=self.step,
                                   sps="-", ret=_fmt(log.last_return)) for seed, log in zip(self.seeds, self.logs)]
            while self.step < cfg.steps and not interrupt.requested:
                n = min(cfg.chunk, cfg.steps - self.step)
                learn = self.step + n >= cfg.learning_starts
                self.states, metrics, finished = self.driver.chunk(self.learner, self.states, self.step, n, learn,
                                                                   n * cfg.updates_per_step)
                self.step += n
                metrics = jax.device_get(metrics)
                divergence = self._divergence(metrics) if learn else None
                if divergence is not None:
                    break
                now = time.perf_counter()
                for k, log in enumerate(self.logs):
                    log.elapsed_s = start_elapsed + now - start_time
                    log.finished_returns += finished[k]
                    log.episodes += len(finished[k])
                    log.last_return = finished[k][-1] if finished[k] else log.last_return
                    if metrics is not None:
                        for name, values in metrics.items():
                            log.metric_sums[name] = log.metric_sums.get(name, 0.0) + float(values[k])
                        log.metric_chunks += 1
                done = self.step >= cfg.steps
                if _crossed(self.step, n, cfg.eval_every) or done:
                    sps = (self.step - self.row_step) / (now - self.row_time)
                    for k, metrics_log in enumerate(metrics_logs):
                        last_rows[k] = self._metrics_row(k, sps)
                        metrics_log.log(last_rows[k])
                    for task in tasks:
                        bars.update(task, sps=f"{sps:.0f}")
                    self.row_time, self.row_step = time.perf_counter(), self.step
                if _crossed(self.step, n, cfg.checkpoint_every) or done or interrupt.requested:
                    self._save()
                for task, log in zip(tasks, self.logs):
                    bars.update(task, completed=self.step, ret=_fmt(log.last_return))
            interrupted = interrupt.requested and self.step < cfg.steps
        for metrics_log in metrics_logs:
            metrics_log.close()
        self.close()
        if divergence is not None:
            where = self._where()
            last = common_checkpoint_step(self.checkpointers, self.run_dirs) if any(
                c.all_steps() for c in self.checkpointers) else None
            if last is None:
                raise TrainingDiverged(f"{divergence}; the run stopped before its first checkpoint: train it again "
                                       "(--overwrite), e.g. with a smaller learning rate")
            raise TrainingDiverged(f"{divergence}; the run stopped and kept its last finite checkpoint (step {last}): "
                                   f"continue it with `ebrl train --resume {where}`, e.g. with a smaller learning rate "
                                   "(--critic-lr ...)")
        return [TrainResult(seed, run_dir, row, interrupted)
                for seed, run_dir, row in zip(self.seeds, self.run_dirs, last_rows)]

    def _divergence(self, metrics: dict | None) -> str | None:
        """What went non-finite in the last chunk, first by seed: an update metric (losses, Q-values), else a
        parameter or optimiser state; None if everything is finite."""
        finite = np.asarray(_finite_per_seed(self.states.agent))
        for k, seed in enumerate(self.seeds):
            bad = [name for name, values in (metrics or {}).items() if not np.isfinite(values[k])]
            if bad or not finite[k]:
                what = f"update/{bad[0]} is {float((metrics or {})[bad[0]][k])}" if bad else "a parameter is not finite"
                return f"seed {seed} diverged by step {self.step}: {what}"
        return None

    def _metrics_row(self, k: int, sps: float) -> dict:
        """Seed k's row at an evaluation: progress, training returns and update metrics since the last row, and the
        evaluation of every action mode; resets the seed's per-row accumulators. `sps` is steps per second of each
        seed (the group's aggregate is sps × seeds)."""
        log = self.logs[k]
        row: dict[str, Any] = {
            "step": self.step, "time_s": log.elapsed_s, "sps": sps, "train/episodes": log.episodes,
            "train/return_mean": float(np.mean(log.finished_returns)) if log.finished_returns else None}
        row |= {f"update/{name}": value / log.metric_chunks for name, value in log.metric_sums.items()}
        agent_state = seed_slice(self.states.agent, k)
        for mode, policy in self.eval_policies.items():
            result = evaluate(self.agent, agent_state, self.eval_envs, mode, self.seeds[k], log.eval_round, policy)
            row |= {f"eval/{mode}/{name}": value for name, value in flat_statistics(result.summary()).items()
                    if name != "episodes"}
        log.eval_round += 1
        log.finished_returns, log.metric_sums, log.metric_chunks = [], {}, 0
        value = float(row[f"eval/{self.agent.action_modes[0]}/return_mean"])
        if log.best_return is None or value > log.best_return:
            log.best_return = value
            self.best[k].save(self.step, agent_state, value)
        return row

    def _save(self) -> None:
        environments = self.driver.saved(self.step)
        for k, checkpointer in enumerate(self.checkpointers):
            log = self.logs[k]
            log.environment = environments[k]
            env_state = self.driver.env_state(k)
            checkpointer.save(Checkpoint(self.step, seed_slice(self.states.agent, k),
                                         seed_slice(self.states.replay, k), dataclasses.asdict(log), env_state))
            self.best[k].prune(min(checkpointer.all_steps()))

    def close(self) -> None:
        self.driver.close()
        self._close_files()

    def _close_files(self) -> None:
        """Close what the constructor opens before the driver: checkpoint folders and evaluation environments."""
        for folder in [*self.checkpointers, *self.best]:
            folder.close()
        for env in self.eval_envs:
            env.close()


def metrics_columns(agent, task: Task) -> list[str]:
    """The columns of metrics.csv: progress, training returns, every update metric, and every evaluation statistic
    of every action mode."""
    dummy = zeros_transitions(1, task.obs_dim, task.act_dim)
    update_metrics = sorted(jax.eval_shape(lambda k: agent.update(agent.init(k), dummy, k)[1], jax.random.key(0)))
    eval_stats = ["return_mean", "return_std", *task.statistics]
    return (["step", *TIMING_COLUMNS, "train/episodes", "train/return_mean"]
            + [f"update/{name}" for name in update_metrics]
            + [f"eval/{mode}/{stat}" for mode in agent.action_modes for stat in eval_stats])


def _crossed(step: int, n: int, every: int) -> bool:
    """Whether the last `n` steps, ending at `step`, passed a multiple of `every`."""
    return step // every > (step - n) // every


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"
