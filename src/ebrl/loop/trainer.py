"""The host loop of a seed group, shared by both drivers; it reports, others persist and display.

Per chunk of `chunk` environment steps, for all seeds at once: the driver collects (uniformly random actions before
`random_steps`, then the agent's training mode) and one compiled call stores the transitions and runs
chunk × updates_per_step gradient updates per seed. Between chunks the trainer evaluates and hands every event to an
`Observer`: a metrics row per seed at each evaluation (`on_row`), a new best evaluation (`on_best`, before its row),
and at each checkpoint step a `GroupSnapshot` of everything an exact resume needs (`on_checkpoint`). Started from
such a snapshot, a group continues as if it had not stopped. The trainer writes no file and draws nothing
(ebrl.runs.GroupStore keeps the run directories; ebrl.console draws progress bars).
"""

import copy
import dataclasses
import signal
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from ebrl.config import ConfigError, TrainConfig
from ebrl.core import Agent
from ebrl.envs import flat_statistics
from ebrl.envs.task import Task
from ebrl.loop.driver import Driver, DriverKind, DriverState
from ebrl.loop.evaluate import evaluate, make_policy
from ebrl.loop.gym_driver import GymDriver
from ebrl.loop.jax_driver import JaxDriver
from ebrl.loop.learner import SeedState, batched, make_learner, seed_slice
from ebrl.replay import zeros_transitions

TIMING_COLUMNS = ("time_s", "sps")  # the only columns that differ between repeated runs
DRIVERS = ("auto", "gym", "jax")


@dataclasses.dataclass
class SeedLog:
    """One seed's host-side counters and accumulators; saved as JSON in each of its checkpoints."""

    episodes: int = 0
    eval_round: int = 0
    elapsed_s: float = 0.0
    last_return: float | None = None
    best_return: float | None = None  # the best evaluation return of the default action mode so far
    finished_returns: list = dataclasses.field(default_factory=list)  # since the last metrics row
    metric_sums: dict = dataclasses.field(default_factory=dict)  # per update metric, over chunks since the last row
    metric_chunks: int = 0


@dataclasses.dataclass(frozen=True)
class GroupSnapshot:
    """Everything an exact resume of a group needs at `step`: the seeds' learner states (leading seed axis), their
    host logs (a copy) and the training environments' state. Its device arrays are valid until the next chunk,
    which donates them: an observer that keeps a snapshot copies them (`jax.device_get` of `states` and
    `driver.device`)."""

    step: int
    states: SeedState
    logs: tuple[SeedLog, ...]
    driver: DriverState


@dataclasses.dataclass(frozen=True)
class RunStart:
    """What is about to happen, for the observers that announce it (`verb`: training, resuming, reusing a finished
    group, restarting one that has no checkpoint)."""

    verb: str
    algo: str
    env_id: str
    seeds: tuple[int, ...]
    out: Path | None
    driver: str
    step: int
    steps: int
    last_returns: tuple[float | None, ...]
    changes: str = ""
    origin: str = ""
    """Where a new run's agent starts from, if another run (e.g. "runs/pre at step 30000")."""
    labels: tuple[str, ...] = ()
    """A sweep's name of each member ("actor_lr=0.001 seed 0"); () where the seeds name them."""


class Observer:
    """Receives a training group's events; every method is optional (the defaults ignore the event)."""

    def on_start(self, start: RunStart) -> None: ...

    def on_chunk(self, step: int, last_returns: list[float | None]) -> None: ...

    def on_best(self, seed_index: int, step: int, agent_state: Any, value: float) -> None: ...

    def on_row(self, seed_index: int, row: dict[str, Any]) -> None: ...

    def on_checkpoint(self, snapshot: GroupSnapshot) -> None: ...

    def on_end(self) -> None:
        """The group stopped (finished, interrupted or diverged): release files and connections."""


class Observers(Observer):
    """Several observers as one, called in order."""

    def __init__(self, *observers: Observer):
        self.observers = observers

    def on_start(self, start):
        for observer in self.observers:
            observer.on_start(start)

    def on_chunk(self, step, last_returns):
        for observer in self.observers:
            observer.on_chunk(step, last_returns)

    def on_best(self, seed_index, step, agent_state, value):
        for observer in self.observers:
            observer.on_best(seed_index, step, agent_state, value)

    def on_row(self, seed_index, row):
        for observer in self.observers:
            observer.on_row(seed_index, row)

    def on_checkpoint(self, snapshot):
        for observer in self.observers:
            observer.on_checkpoint(snapshot)

    def on_end(self):
        for observer in self.observers:
            observer.on_end()


class RowsInMemory(Observer):
    """Keeps every seed's metrics rows in memory (benchmarks, tests)."""

    def __init__(self):
        self.rows: dict[int, list[dict]] = {}

    def on_row(self, seed_index, row):
        self.rows.setdefault(seed_index, []).append(row)


class TrainingDiverged(RuntimeError):
    """A loss, Q-value or parameter became non-finite by `step`; training stopped without reporting that state (its
    last checkpoint is the last finite state). `last_checkpoint` and `where` are filled in by who keeps the
    checkpoints."""

    def __init__(self, what: str, step: int, last_checkpoint: int | None = None, where: Path | None = None):
        self.what, self.step, self.last_checkpoint, self.where = what, step, last_checkpoint, where
        kept = (f"the run stopped and kept its last finite checkpoint (step {last_checkpoint}): continue it from "
                "there, e.g. with a smaller learning rate" if last_checkpoint is not None
                else "the run stopped before its first checkpoint: train it again, e.g. with a smaller learning rate")
        super().__init__(f"{what}; {kept}")


@jax.jit
def _finite_per_seed(agent_states) -> jax.Array:
    """(S,) whether every floating-point leaf of each seed's agent state is finite."""
    leaves = [leaf for leaf in jax.tree.leaves(agent_states) if jnp.issubdtype(leaf.dtype, jnp.floating)]
    return jnp.stack([jnp.all(jnp.isfinite(leaf.reshape(leaf.shape[0], -1)), axis=1) for leaf in leaves]).all(0)


class Interrupt:
    """Turns the first Ctrl-C into a request to stop at the next chunk boundary (with a checkpoint); a second one
    aborts. The trainer's default `should_stop`, so that every caller's Ctrl-C keeps the run's data."""

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

    def __call__(self) -> bool:
        return self.requested


@dataclasses.dataclass(frozen=True)
class SeedSummary:
    seed: int
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


class Trainer:
    """Training of one configuration for several seeds in one program: `Trainer(task, agent, cfg, seeds)` builds the
    learner, the driver and the evaluation environments (from `start`, a GroupSnapshot, where it continues; a new
    group's agents from `agents`, states with a leading seed axis, where given: e.g. another run's trained agents);
    `run(observer)` trains to `cfg.steps`. A sweep trains several settings too: `hypers`, the members' Hypers
    (see ebrl.core) with a leading axis, one per entry of `seeds` (a seed may repeat, once per setting), and
    `labels` name the members in messages ("actor_lr=0.001 seed 0"; default "seed 0")."""

    def __init__(self, task: Task, agent: Agent, cfg: TrainConfig, seeds: Sequence[int], *, driver: str = "auto",
                 vector: str = "sync", start: GroupSnapshot | None = None, agents: Any = None, hypers: Any = None,
                 labels: Sequence[str] = ()):
        self.task, self.agent, self.cfg, self.seeds = task, agent, cfg, list(seeds)
        self.labels = list(labels) or [f"seed {seed}" for seed in self.seeds]
        learner = make_learner(agent, cfg, task.obs_dim, task.act_dim)
        self.learner = batched(learner)
        kind = start.driver.kind if start is not None else "jax" if driver_functions(task, driver) else "gym"
        saved = start.driver if start is not None else None
        self.driver: Driver = (JaxDriver(task.jax_functions(), learner, self.seeds, start=saved) if kind == "jax"
                               else GymDriver(task, self.learner, self.seeds, vector=vector, start=saved))
        if start is None:
            self.step = 0
            self.states = self.learner.init(jnp.asarray(self.seeds), hypers)
            if agents is not None:
                self.states = dataclasses.replace(self.states, agent=agents)
            self.logs = [SeedLog() for _ in self.seeds]
        else:  # a checkpoint holds no hyperparameters: the members' come from their configurations
            self.step, self.logs = start.step, list(start.logs)
            self.states = dataclasses.replace(start.states, hyper=hypers)
        self.eval_envs = [task.make() for _ in range(cfg.eval_episodes)]
        self.eval_policies = {mode: make_policy(agent, mode) for mode in agent.action_modes}
        self.columns = metrics_columns(agent, task)

    @property
    def driver_kind(self) -> DriverKind:
        return self.driver.kind

    def last_returns(self) -> list[float | None]:
        return [log.last_return for log in self.logs]

    def run(self, observer: Observer, should_stop: Callable[[], bool] | None = None) -> list[SeedSummary]:
        """Train to the configured steps, or until `should_stop()` (checked between chunks; default: a Ctrl-C),
        reporting to `observer`; TrainingDiverged if a seed diverges. The observer's `on_end` is called however
        the run ends."""
        try:
            if should_stop is not None:
                return self._run(observer, should_stop)
            with Interrupt() as interrupt:
                return self._run(observer, interrupt)
        finally:
            observer.on_end()
            self.close()

    def _run(self, observer: Observer, should_stop: Callable[[], bool]) -> list[SeedSummary]:
        cfg = self.cfg
        start_time, start_elapsed = time.perf_counter(), self.logs[0].elapsed_s
        row_time, row_step = start_time, self.step
        last_rows: list[dict] = [{} for _ in self.seeds]
        stop = False
        while self.step < cfg.steps and not stop:
            n = min(cfg.chunk, cfg.steps - self.step)
            learn = self.step + n >= cfg.learning_starts
            self.states, metrics, finished = self.driver.chunk(self.states, self.step, n, learn,
                                                               n * cfg.updates_per_step)
            self.step += n
            metrics = jax.device_get(metrics)
            divergence = self._divergence(metrics) if learn else None
            if divergence is not None:
                raise TrainingDiverged(divergence, self.step)
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
                sps = (self.step - row_step) / (now - row_time)
                for k in range(len(self.seeds)):
                    last_rows[k] = self._metrics_row(k, sps, observer)
                    observer.on_row(k, last_rows[k])
                row_time, row_step = time.perf_counter(), self.step
            stop = should_stop()
            if _crossed(self.step, n, cfg.checkpoint_every) or done or stop:
                observer.on_checkpoint(GroupSnapshot(self.step, self.states, copy.deepcopy(tuple(self.logs)),
                                                     self.driver.snapshot(self.step)))
            observer.on_chunk(self.step, self.last_returns())
        interrupted = stop and self.step < cfg.steps
        return [SeedSummary(seed, row, interrupted) for seed, row in zip(self.seeds, last_rows)]

    def _divergence(self, metrics: dict | None) -> str | None:
        """What went non-finite in the last chunk, first by seed: an update metric (losses, Q-values), else a
        parameter or optimiser state; None if everything is finite."""
        finite = np.asarray(_finite_per_seed(self.states.agent))
        for k, label in enumerate(self.labels):
            bad = [name for name, values in (metrics or {}).items() if not np.isfinite(values[k])]
            if bad or not finite[k]:
                what = f"update/{bad[0]} is {float((metrics or {})[bad[0]][k])}" if bad else "a parameter is not finite"
                return f"{label} diverged by step {self.step}: {what}"
        return None

    def _metrics_row(self, k: int, sps: float, observer: Observer) -> dict:
        """Seed k's row at an evaluation: progress, training returns and update metrics since the last row, and the
        evaluation of every action mode; resets the seed's per-row accumulators and reports a new best evaluation
        of the default mode. `sps` is steps per second of each seed (the group's aggregate is sps × seeds)."""
        log = self.logs[k]
        row: dict[str, Any] = {
            "step": self.step, "time_s": log.elapsed_s, "sps": sps, "train/episodes": log.episodes,
            "train/return_mean": float(np.mean(log.finished_returns)) if log.finished_returns else None}
        row |= {f"update/{name}": value / log.metric_chunks for name, value in log.metric_sums.items()}
        agent_state, hyper = seed_slice(self.states.agent, k), seed_slice(self.states.hyper, k)
        for mode, policy in self.eval_policies.items():
            result = evaluate(self.agent, agent_state, self.eval_envs, mode=mode, seed=self.seeds[k],
                              round_index=log.eval_round, policy=policy, hyper=hyper)
            row |= {f"eval/{mode}/{name}": value for name, value in flat_statistics(result.summary()).items()
                    if name != "episodes"}
        log.eval_round += 1
        log.finished_returns, log.metric_sums, log.metric_chunks = [], {}, 0
        value = float(row[f"eval/{self.agent.action_modes[0]}/return_mean"])
        if log.best_return is None or value > log.best_return:
            log.best_return = value
            observer.on_best(k, self.step, agent_state, value)
        return row

    def close(self) -> None:
        self.driver.close()
        for env in self.eval_envs:
            env.close()


def metrics_columns(agent: Agent, task: Task) -> list[str]:
    """The columns of metrics.csv: progress, training returns, every update metric, and every evaluation statistic
    of every action mode."""
    dummy = zeros_transitions(1, task.obs_dim, task.act_dim)
    update_metrics = sorted(jax.eval_shape(lambda k: agent.update(agent.init(k), dummy, k)[1], jax.random.key(0)))
    eval_stats = ["return_mean", "return_std", *task.statistics]
    return (["step", *TIMING_COLUMNS, "train/episodes", "train/return_mean"]
            + [f"update/{name}" for name in update_metrics]
            + [f"eval/{mode}/{stat}" for mode in agent.action_modes for stat in eval_stats])


def scalars(row: dict) -> dict[str, float]:
    """A metrics row's finite values but the step, as TensorBoard and W&B log them."""
    return {name: value for name, value in row.items() if name != "step" and value is not None and np.isfinite(value)}


def _crossed(step: int, n: int, every: int) -> bool:
    """Whether the last `n` steps, ending at `step`, passed a multiple of `every`."""
    return step // every > (step - n) // every
