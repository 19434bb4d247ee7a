"""The run directory: config.json, metrics.csv + TensorBoard, atomic orbax checkpoints, resume.

    runs/<name>/config.json   everything needed to repeat the run
    runs/<name>/metrics.csv   one row per evaluation
    runs/<name>/tb/           TensorBoard events
    runs/<name>/checkpoints/  orbax, one folder per step, the latest two kept
    runs/<name>/best/         the agent at its best evaluation so far (agent state only)
    runs/<name>/figures/      what `ebrl plot` draws

A seed group (`ebrl train --seeds 0 1 2`) is a folder of such run directories, OUT/seed_0, OUT/seed_1, ...
"""

import csv
import dataclasses
import datetime
import functools
import json
import logging
import os
import shutil
import sys
import tempfile
import types
import typing
from pathlib import Path
from typing import Any, Self, TextIO

import jax
import numpy as np

import ebrl
from ebrl.agents import ALGORITHMS
from ebrl.config import ConfigError, TrainConfig, require
from ebrl.core import Transition
from ebrl.envs.task import describe_task
from ebrl.replay import ReplayBuffer, replay_init

CONFIG_FILE, METRICS_FILE, LOCK_FILE = "config.json", "metrics.csv", ".lock"
BEST_FOLDER = "best"
RUN_ENTRIES = (CONFIG_FILE, METRICS_FILE, "tb", "checkpoints", BEST_FOLDER, "figures", "wandb")
CHECKPOINT_CHOICES = "best, latest or a step"
LEGACY_TRAIN_FIELDS = ("out", "overwrite", "progress", "pictures")  # I/O options kept in config.json before 0.3
SEED_PREFIX = "seed_"
TRANSITION_FIELDS = tuple(f.name for f in dataclasses.fields(Transition))

logging.getLogger("absl").setLevel(logging.ERROR)  # orbax logs every save at INFO


@dataclasses.dataclass(frozen=True)
class RunSpec:
    """The contents of config.json."""

    algo: str
    train: TrainConfig
    agent: Any  # the algorithm's config dataclass

    def to_json(self) -> dict:
        return {"algo": self.algo, "train": dataclasses.asdict(self.train), "agent": dataclasses.asdict(self.agent),
                "ebrl_version": ebrl.__version__, "jax_version": jax.__version__}

    @staticmethod
    def from_json(data: dict) -> "RunSpec":
        config_type = ALGORITHMS[data["algo"]].config_type
        agent = dict(data["agent"])
        train = {k: v for k, v in data["train"].items() if k not in LEGACY_TRAIN_FIELDS}
        if "score_through_tanh" in agent:  # S2AC runs written before ebrl 0.2, whose default was the pre-tanh score
            agent["score_pre_tanh"] = not agent.pop("score_through_tanh")
        return RunSpec(data["algo"], _from_dict(TrainConfig, train), _from_dict(config_type, agent))


def _from_dict(cls, values: dict):
    """Rebuild a config dataclass from JSON, turning lists back into the tuples the fields hold; TypeError naming
    the field if a value is not of the field's type."""
    hints = typing.get_type_hints(cls)
    for name, value in values.items():
        if name in hints and not _is_of_type(value, hints[name]):
            raise TypeError(f"{name} is {value!r}, which is not of its type {_type_name(hints[name])}")
    return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in values.items()})


def _is_of_type(value, annotation) -> bool:
    """Whether a JSON value fits a config field's annotation (bool, int, float, str, dict, tuple[X, ...],
    Literal[...], unions with None)."""
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin in (types.UnionType, typing.Union):
        return any(_is_of_type(value, arg) for arg in args)
    if origin is tuple:
        return isinstance(value, list | tuple) and all(_is_of_type(item, args[0]) for item in value)
    if origin is typing.Literal:
        return value in args
    if annotation is float:
        return isinstance(value, int | float) and not isinstance(value, bool)
    if annotation is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if origin is not None:
        return isinstance(value, origin)
    return not isinstance(annotation, type) or isinstance(value, annotation)  # None's type is NoneType


def _type_name(annotation) -> str:
    plain = typing.get_origin(annotation) is None
    return str(getattr(annotation, "__name__", annotation)) if plain else str(annotation)


def make_dir(path: Path, field: str = "out") -> None:
    """Create the folder `path` (and its parents) and check that files can be written in it; ConfigError naming it
    and `field` (the option that chose it) if not."""
    try:
        path.mkdir(parents=True, exist_ok=True)
        tempfile.TemporaryFile(dir=path).close()
    except OSError as exc:
        raise ConfigError(f"cannot write in {path} ({exc.strerror or exc}); choose another {field}", field) from None


def default_run_dir(algo: str, env_id: str, seed: int | None) -> Path:
    """runs/<algo>_<env>_s<seed>_<date-time>, or runs/<algo>_<env>_<date-time> for a seed group."""
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    seed_part = "" if seed is None else f"_s{seed}"
    return Path("runs") / f"{algo}_{env_id.replace('/', '-')}{seed_part}_{stamp}"


def seed_run_dirs(out: Path, seeds: list[int]) -> list[Path]:
    """The run directories of a seed group: OUT/seed_<k>."""
    return [out / f"{SEED_PREFIX}{seed}" for seed in seeds]


def group_seeds(path: Path) -> list[int]:
    """The seeds of the group in `path` (sorted), or [] if it holds no seed runs."""
    seeds = [int(p.name[len(SEED_PREFIX):]) for p in path.glob(f"{SEED_PREFIX}*")
             if p.name[len(SEED_PREFIX):].isdigit() and (p / CONFIG_FILE).is_file()] if path.is_dir() else []
    return sorted(seeds)


def expand_runs(paths: list[Path]) -> list[Path]:
    """Run directories, with each seed group replaced by its seeds' runs."""
    expanded = []
    for path in paths:
        seeds = [] if (path / CONFIG_FILE).exists() else group_seeds(path)
        expanded += seed_run_dirs(path, seeds) if seeds else [path]
    return expanded


def holds_run(path: Path) -> bool:
    return path.is_dir() and any((path / entry).exists() for entry in RUN_ENTRIES)


def prepare_new_run(path: Path, overwrite: bool) -> None:
    """Check that `path` can receive a new run; with `overwrite`, remove the run already there (only its entries)."""
    if path.exists() and not path.is_dir():
        raise ConfigError(f"out {path} is a file; choose a directory", "out")
    if holds_run(path):
        if not overwrite:
            raise ConfigError(f"{path} already holds a run; continue it with `ebrl train --resume {path}`, "
                              "or pass --overwrite to replace it")
        for entry in RUN_ENTRIES:
            target = path / entry
            if target.is_dir():
                shutil.rmtree(target)
            elif target.exists():
                target.unlink()


class RunLock:
    """An exclusive lock on a run directory, held while a process trains it: `flock` on RUN/.lock, which the
    kernel releases when the process ends, however it ends (so a killed run leaves no stale lock)."""

    def __init__(self, run_dir: Path):
        self.path = Path(run_dir) / LOCK_FILE
        self._file: TextIO | None = None

    def __enter__(self) -> Self:
        import fcntl

        make_dir(self.path.parent)
        handle = self.path.open("a+")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            owner = handle.read().strip() or "unknown"
            handle.close()
            raise ConfigError(f"{self.path.parent} is being trained by another process (pid {owner}); wait for it "
                              "to finish, or stop it and resume") from None
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        self._file = handle
        return self

    def __exit__(self, *exc) -> None:
        if self._file is not None:
            self._file.close()  # closing releases the lock


def lock_runs(run_dirs: list[Path]):
    """Hold a RunLock on every run directory of a group (a context manager). The existing ones are locked first,
    so that when one is busy the refusal leaves no new folder behind."""
    import contextlib

    stack = contextlib.ExitStack()
    created = [d for d in run_dirs if not d.exists()]
    try:
        for run_dir in sorted(run_dirs, key=lambda d: d in created):
            stack.enter_context(RunLock(run_dir))
    except BaseException:
        stack.close()
        for run_dir in created:
            (run_dir / LOCK_FILE).unlink(missing_ok=True)
            if run_dir.is_dir() and not any(run_dir.iterdir()):
                run_dir.rmdir()
        raise
    return stack


def write_json_atomic(path: Path, data: dict) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(data, indent=2) + "\n")
    os.replace(tmp, path)


def read_spec(path: Path) -> RunSpec:
    """Read a run's config.json, raising ConfigError when the directory is not a run."""
    if not path.is_dir():
        raise ConfigError(f"run directory {path} does not exist")
    config_path = path / CONFIG_FILE
    if not config_path.is_file() and group_seeds(path):
        seeds = group_seeds(path)
        raise ConfigError(f"{path} is a group of seeds {seeds}; give one of its runs, e.g. "
                          f"{path / f'{SEED_PREFIX}{seeds[0]}'}")
    if not config_path.is_file():
        raise ConfigError(f"{path} holds no {CONFIG_FILE}; it is not an ebrl run directory")
    try:
        return RunSpec.from_json(json.loads(config_path.read_text()))
    except (json.JSONDecodeError, KeyError, TypeError) as exc:
        raise ConfigError(f"{config_path} is unreadable ({exc}); restore it or start a new run") from None


class MetricsLog:
    """One row per evaluation to metrics.csv (fixed columns), and to TensorBoard and W&B (a `wandb_run`, see
    ebrl.tracking) under the same names. A resumed run passes the rows it keeps (`history`, see metrics_history)
    and its checkpoint's step, past which TensorBoard's events are purged."""

    def __init__(self, run_dir: Path, columns: list[str], history: list[dict] | None = None,
                 resume_step: int | None = None, wandb_run=None):
        from tensorboardX import SummaryWriter

        self.path = run_dir / METRICS_FILE
        self.columns = columns
        self.wandb_run = wandb_run
        self._rewrite(history or [])
        purge = None if resume_step is None else resume_step + 1
        self.writer = SummaryWriter(str(run_dir / "tb"), purge_step=purge)

    def _rewrite(self, rows: list[dict]) -> None:
        tmp = self.path.with_suffix(".csv.tmp")
        with tmp.open("w", newline="") as f:
            writer = csv.DictWriter(f, self.columns)
            writer.writeheader()
            writer.writerows(rows)
        os.replace(tmp, self.path)

    def log(self, row: dict[str, float]) -> None:
        with self.path.open("a", newline="") as f:
            csv.DictWriter(f, self.columns).writerow({k: _csv_value(row.get(k)) for k in self.columns})
        scalars = {name: value for name, value in row.items()
                   if name != "step" and value is not None and np.isfinite(value)}
        for name, value in scalars.items():
            self.writer.add_scalar(name, value, row["step"])
        self.writer.flush()
        if self.wandb_run is not None:
            self.wandb_run.log(scalars, step=int(row["step"]))

    def close(self) -> None:
        self.writer.close()
        if self.wandb_run is not None:
            self.wandb_run.finish()


def _csv_value(value) -> str:
    if value is None:
        return ""
    return repr(float(value)) if isinstance(value, float) else str(value)


@dataclasses.dataclass(frozen=True)
class MetricsTable:
    """metrics.csv as written: its columns, its complete rows (strings), and whether its last line was cut (a
    row with missing cells or no line end, as a kill or a full disk in the middle of a write leaves it)."""

    path: Path
    columns: list[str]
    rows: list[dict[str, str]]
    cut_tail: bool


def read_metrics_table(run_dir: Path) -> MetricsTable:
    """The table of RUN/metrics.csv; ConfigError if it is missing, has no header, or has a cut or non-numeric row
    before its last line."""
    path = run_dir / METRICS_FILE
    try:
        text = path.read_text()
    except FileNotFoundError:
        raise ConfigError(f"{path} does not exist; the run has written no metrics (train or resume it first)") from None
    lines = text.splitlines(keepends=True)
    if not lines or not lines[0].strip():
        raise ConfigError(f"{path} is empty (not even its header); restore it from a backup, or train the run "
                          "again with --overwrite")
    columns = next(csv.reader(lines[:1]))
    rows, cut_tail = [], False
    for number, cells in enumerate(csv.reader(lines[1:]), start=2):
        complete = len(cells) == len(columns) and (number < len(lines) or lines[-1].endswith("\n"))
        if complete and all(_is_number(cell) for cell in cells):
            rows.append(dict(zip(columns, cells)))
        elif number == len(lines):
            cut_tail = True
        else:
            raise ConfigError(f"{path} line {number} is not a complete row of numbers; restore the file from a backup")
    return MetricsTable(path, columns, rows, cut_tail)


def _is_number(cell: str) -> bool:
    try:
        float(cell or "0")
    except ValueError:
        return False
    return True


def read_metrics(run_dir: Path) -> list[dict[str, float]]:
    """metrics.csv as a list of rows, empty cells dropped; ConfigError if it is missing, holds no row, or was cut."""
    table = read_metrics_table(run_dir)
    require(not table.cut_tail, f"{table.path} ends in a cut row (written when the run was stopped, or edited); "
            "remove that line, or resume the run, which rewrites it")
    require(bool(table.rows), f"{table.path} holds no rows yet; the run writes one at each evaluation")
    return [{k: float(v) for k, v in row.items() if v != ""} for row in table.rows]


def metrics_history(run_dir: Path, columns: list[str], step: int, rows: int) -> list[dict[str, str]]:
    """The rows of RUN/metrics.csv a run resumed from its checkpoint at `step` keeps: its first `rows` rows, which
    the checkpoint counts (one per evaluation up to `step`); later rows are produced again. ConfigError, naming
    the file, if it does not hold them: history is never dropped or rewritten silently."""
    path = run_dir / METRICS_FILE
    if rows == 0 and not path.exists():
        return []
    table = read_metrics_table(run_dir)
    require(table.columns == columns, f"{path} has other columns than this run writes (written by another "
            "version of ebrl?); restore it, or train the run again with --overwrite")
    kept = [row for row in table.rows if float(row["step"]) <= step]
    require(len(kept) == rows and kept == table.rows[:rows],
            f"{path} holds {len(kept)} of the {rows} rows up to step {step} that the checkpoint counts (it was cut or "
            "edited); restore it from a backup, or train the run again with --overwrite")
    return kept


@dataclasses.dataclass
class Checkpoint:
    step: int
    agent_state: Any
    replay: ReplayBuffer
    loop: dict  # the loop's host-side state (JSON): counters, accumulators, the training environment's state
    env_state: Any = None  # the environment's state where it is a JAX pytree (pure-JAX driver)


class _StepFolder:
    """An orbax CheckpointManager over one folder of a run, one sub-folder per step (written atomically: to a
    temporary folder, then renamed), keeping the newest `max_to_keep` steps (None: all)."""

    def __init__(self, run_dir: Path, folder: str, max_to_keep: int | None):
        import orbax.checkpoint as ocp

        self._ocp = ocp
        self.run_dir, self.folder = run_dir, run_dir / folder
        self.manager = ocp.CheckpointManager(
            self.folder.absolute(),
            options=ocp.CheckpointManagerOptions(max_to_keep=max_to_keep, enable_async_checkpointing=False))

    def latest_step(self) -> int | None:
        return self.manager.latest_step()

    def all_steps(self) -> list[int]:
        return list(self.manager.all_steps())

    def _restore(self, step: int, **items):
        """The items of the step's checkpoint; ConfigError if it cannot be read."""
        _silence_orphaned_reads()
        try:
            return self.manager.restore(step, args=self._ocp.args.Composite(**items))
        except Exception as exc:
            raise ConfigError(f"the checkpoint at step {step} in {self.folder} is corrupt ({type(exc).__name__}); "
                              "delete that step's folder to fall back to the previous one, or start a new run"
                              ) from None

    def drop_after(self, step: int) -> None:
        """Delete the steps saved after `step`: a resume from `step` writes them again."""
        for saved in self.manager.all_steps():
            if saved > step:
                self.manager.delete(saved)

    def close(self) -> None:
        self.manager.close()


class Checkpointer(_StepFolder):
    """The resumable checkpoints of a run, RUN/checkpoints/<step>: agent, replay buffer, the loop's host state and
    the environment's; the latest two are kept."""

    def __init__(self, run_dir: Path):
        super().__init__(run_dir, "checkpoints", max_to_keep=2)

    def save(self, checkpoint: Checkpoint) -> None:
        ocp = self._ocp
        items = {"agent": ocp.args.StandardSave(checkpoint.agent_state),
                 "replay": ocp.args.StandardSave(_replay_to_host(checkpoint.replay)),
                 "loop": ocp.args.JsonSave(checkpoint.loop)}
        if checkpoint.env_state is not None:
            items["env"] = ocp.args.StandardSave(checkpoint.env_state)
        self.manager.save(checkpoint.step, args=ocp.args.Composite(**items), force=True)

    def restore(self, step: int, abstract_agent_state: Any, replay_capacity: int, obs_dim: int, act_dim: int,
                abstract_env_state: Any = None) -> Checkpoint:
        """The checkpoint at `step`; ConfigError if it cannot be read."""
        args = self._ocp.args
        items = {"agent": args.StandardRestore(abstract_agent_state), "replay": args.StandardRestore(),
                 "loop": args.JsonRestore()}
        if abstract_env_state is not None:
            items["env"] = args.StandardRestore(abstract_env_state)
        restored = self._restore(step, **items)
        replay = _replay_from_host(restored.replay, replay_capacity, obs_dim, act_dim)
        return Checkpoint(step, restored.agent, replay, restored.loop, restored["env"] if "env" in items else None)

    def restore_loop(self, step: int) -> dict:
        """The loop's JSON state of the checkpoint at `step`."""
        return self._restore(step, loop=self._ocp.args.JsonRestore()).loop

    def restore_agent(self, abstract_agent_state: Any, step: int | None = None) -> tuple[int, Any]:
        """(step, agent state) of the checkpoint at `step` (default: the latest), without the replay buffer."""
        steps = self.all_steps()
        require(bool(steps), f"{self.run_dir} holds no checkpoint yet; train it first")
        require(step is None or step in steps,
                f"{self.run_dir} has no checkpoint at step {step}; it has steps {sorted(steps)}, and best")
        step = max(steps) if step is None else step
        return step, self._restore(step, agent=self._ocp.args.StandardRestore(abstract_agent_state)).agent


@functools.cache
def _silence_orphaned_reads() -> None:
    """When a restore fails on a corrupt array, orbax's other reads of it still finish in TensorStore's threads, on
    an asyncio loop orbax has closed: each prints a traceback (`Event loop is closed`, an exception ignored in an
    orbax coroutine, or asyncio's log of a task "exception was never retrieved") around the one-line error the user
    gets. Those, and only those, are dropped (installed once, before the first restore, since they may print before
    the restore has failed)."""
    excepthook, unraisablehook = sys.excepthook, sys.unraisablehook

    def orphaned(exc: BaseException | None, where: object = None) -> bool:
        code = getattr(where, "cr_code", None)
        return ((isinstance(exc, RuntimeError) and str(exc) == "Event loop is closed")
                or (code is not None and "orbax" in code.co_filename))

    def quiet_excepthook(kind, value, traceback) -> None:
        if not orphaned(value):
            excepthook(kind, value, traceback)

    def quiet_unraisablehook(unraisable) -> None:
        if not orphaned(unraisable.exc_value, unraisable.object):
            unraisablehook(unraisable)

    def quiet_log(record: logging.LogRecord) -> bool:
        message = record.getMessage()
        return not ("exception was never retrieved" in message and ("orbax" in message or "TensorStore" in message))

    sys.excepthook, sys.unraisablehook = quiet_excepthook, quiet_unraisablehook
    logging.getLogger("asyncio").addFilter(quiet_log)


class BestCheckpointer(_StepFolder):
    """The agent state at the run's best evaluation return (of its default action mode) so far, in RUN/best.

    A new best is saved at the evaluation that makes it; older ones are pruned once a regular checkpoint no
    longer needs them (a resume falls back at most to the oldest regular checkpoint, and takes the newest best at
    or before it), and a resume drops those saved after its checkpoint, which it will evaluate again."""

    def __init__(self, run_dir: Path):
        super().__init__(run_dir, BEST_FOLDER, max_to_keep=None)

    def save(self, step: int, agent_state: Any, value: float) -> None:
        args = self._ocp.args
        self.manager.save(step, args=args.Composite(agent=args.StandardSave(agent_state),
                                                     best=args.JsonSave({"step": step, "return": value})), force=True)

    def prune(self, oldest_needed: int) -> None:
        """Keep the newest best at or before step `oldest_needed` and every later one."""
        steps = sorted(self.manager.all_steps())
        kept_before = [s for s in steps if s <= oldest_needed][-1:]
        for step in steps:
            if step < oldest_needed and step not in kept_before:
                self.manager.delete(step)

    def restore_agent(self, abstract_agent_state: Any) -> tuple[int, Any]:
        """(step, agent state) of the best evaluation so far."""
        step = self.latest_step()
        if step is None:
            raise ConfigError(f"{self.run_dir} has no best checkpoint yet (one is written at the first evaluation); "
                              "use checkpoint latest", "checkpoint")
        return step, self._restore(step, agent=self._ocp.args.StandardRestore(abstract_agent_state)).agent


def _replay_to_host(buffer: ReplayBuffer) -> dict:
    """The filled part of the buffer only, so a checkpoint grows with the data, not with the capacity."""
    size = int(buffer.size)
    data = {name: np.asarray(getattr(buffer.data, name)[:size]) for name in TRANSITION_FIELDS}
    return {"data": data, "position": np.asarray(buffer.position), "size": np.asarray(buffer.size)}


def _replay_from_host(saved: dict, replay_capacity: int, obs_dim: int, act_dim: int) -> ReplayBuffer:
    """The saved ring in a ring of `replay_capacity` slots, laid out as that ring would hold the same transitions.

    A ring of capacity C = min(buffer size, steps) that saw t transitions holds slots [0, min(t, C)) and writes
    next at t mod C. The saved ring's capacity is not stored; with size s and position p, its transitions in the
    order they came are roll(data, −p) (p = s if it never wrapped). A larger ring (a finished run extended with
    --steps) gets them at [0, s) and writes next at s, as the ring of the longer run would at this step; an equal
    one (s = C: full in both) keeps the saved layout, which uniform sampling by slot index depends on.
    """
    empty = replay_init(replay_capacity, obs_dim, act_dim)
    size, position = int(saved["size"]), int(saved["position"])
    data = {name: np.asarray(saved["data"][name]) for name in TRANSITION_FIELDS}
    if size < replay_capacity and position != size:  # a wrapped ring moved into a larger one
        data = {name: np.roll(values, -position, axis=0) for name, values in data.items()}
        position = size
    stored = Transition(**{name: getattr(empty.data, name).at[:size].set(data[name]) for name in TRANSITION_FIELDS})
    return ReplayBuffer(stored, jax.numpy.asarray(position, jax.numpy.int32), jax.numpy.asarray(size, jax.numpy.int32))


@dataclasses.dataclass(frozen=True)
class LoadedRun:
    spec: RunSpec
    agent: Any  # ebrl.agents.Agent
    state: Any
    step: int
    obs_dim: int
    act_dim: int
    action_low: np.ndarray  # (act_dim,) float32: the task's bounds, to which the agent's [-1, 1] is rescaled
    action_high: np.ndarray


def load_run(run_dir: Path, checkpoint: str = "latest") -> LoadedRun:
    """A run's agent with the state of a checkpoint (no replay buffer), for evaluation, pictures and export:
    `checkpoint` is "latest", "best" (the best evaluation so far) or a step that has a checkpoint."""
    spec = read_spec(run_dir)
    task = describe_task(spec.train.env, spec.train.env_kwargs)
    agent = ALGORITHMS[spec.algo].make_agent(spec.agent, task.obs_dim, task.act_dim)
    require(checkpoint in ("best", "latest") or checkpoint.isdigit(),
            f"checkpoint must be {CHECKPOINT_CHOICES}, got {checkpoint!r}", "checkpoint")
    checkpointer = BestCheckpointer(run_dir) if checkpoint == "best" else Checkpointer(run_dir)
    try:
        step = int(checkpoint) if checkpoint.isdigit() else None
        abstract = jax.eval_shape(agent.init, jax.random.key(0))
        step, state = checkpointer.restore_agent(abstract, *([] if step is None else [step]))
    finally:
        checkpointer.close()
    return LoadedRun(spec, agent, state, step, task.obs_dim, task.act_dim, task.action_low, task.action_high)


def check_mode(agent, algo: str, mode: str | None) -> str:
    """The action mode to use: `mode`, or the agent's first; ConfigError if the agent has no such mode."""
    mode = mode or agent.action_modes[0]
    if mode not in agent.action_modes:
        raise ConfigError(f"mode {mode!r} is not an action mode of {algo}; choose one of "
                          f"{', '.join(agent.action_modes)}", "mode")
    return mode
