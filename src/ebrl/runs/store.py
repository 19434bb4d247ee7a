"""What a run directory keeps of its training: metrics.csv + TensorBoard, and orbax checkpoints (RUN/checkpoints,
the latest two, for resume; RUN/best, the agent at its best evaluation). `GroupStore` is the trainer's observer that
writes them for a seed group, and `load_group_snapshot` reads them back into the state a resumed group starts from.

Every seed's checkpoints are written at the same steps; a group resumes from the latest step that every seed has, so
a kill in the middle of writing them loses one interval at most (what some seeds saved past it is dropped and
written again) and a resumed group ends identical to an uninterrupted one.

Each step's folder also holds the SHA-256 of every file orbax wrote there (DIGESTS_FILE); a restore checks them, so a
checkpoint damaged on disk is never taken as good: "latest" and a resume fall back to the newest intact step.
"""

import csv
import dataclasses
import functools
import hashlib
import json
import logging
import os
import sys
import warnings
from collections.abc import Collection
from pathlib import Path
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import orbax.checkpoint as ocp
from tensorboardX import SummaryWriter

from ebrl.config import ConfigError, TrainConfig, require
from ebrl.core import Agent, Transition
from ebrl.envs.task import Task
from ebrl.loop.driver import DriverState
from ebrl.loop.jax_driver import slot_shape
from ebrl.loop.learner import SeedState, replay_capacity, seed_keys, seed_slice, stack_seeds
from ebrl.loop.trainer import GroupSnapshot, Observer, SeedLog, scalars
from ebrl.replay import ReplayBuffer, replay_init
from ebrl.runs.layout import BEST_FOLDER, CHECKPOINTS_FOLDER, METRICS_FILE, write_json_atomic

TRANSITION_FIELDS = tuple(f.name for f in dataclasses.fields(Transition))
JSON_ITEMS = ("loop", "best")  # checkpoint items written as JSON; the others are pytrees of arrays
KEPT = {CHECKPOINTS_FOLDER: 2, BEST_FOLDER: None}  # steps each folder keeps (None: all, pruned by hand)
DIGESTS_FILE = "sha256.json"  # in a step's folder: {path in the folder: SHA-256 hex digest} of the files orbax wrote

logging.getLogger("absl").setLevel(logging.ERROR)  # orbax logs every save at INFO


class MetricsLog:
    """One row per evaluation to metrics.csv (fixed columns) and to TensorBoard under the same names. A resumed run
    passes the rows it keeps (`history`, see metrics_history) and its checkpoint's step, past which TensorBoard's
    events are purged."""

    def __init__(self, run_dir: Path, columns: list[str], history: list[dict] | None = None,
                 resume_step: int | None = None):
        self.path = run_dir / METRICS_FILE
        self.columns = columns
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
        for name, value in scalars(row).items():
            self.writer.add_scalar(name, value, row["step"])
        self.writer.flush()

    def close(self) -> None:
        self.writer.close()


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
                          "again with overwrite", "overwrite")
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
    if not path.exists():
        require(rows == 0, f"{path} does not exist, though the checkpoint at step {step} counts {rows} rows of it; "
                "restore it from a backup, or train the run again with overwrite", "overwrite")
        return []
    table = read_metrics_table(run_dir)
    require(table.columns == columns, f"{path} has other columns than this run writes (written by another "
            "version of ebrl?); restore it, or train the run again with overwrite", "overwrite")
    kept = [row for row in table.rows if float(row["step"]) <= step]
    require(len(kept) == rows and kept == table.rows[:rows],
            f"{path} holds {len(kept)} of the {rows} rows up to step {step} that the checkpoint counts (it was cut or "
            "edited); restore it from a backup, or train the run again with overwrite", "overwrite")
    return kept


class CheckpointFolder:
    """One folder of a run's checkpoints, one sub-folder per step written atomically by orbax (to a temporary
    folder, then renamed): RUN/checkpoints keeps the latest two, each with the agent, the replay buffer, the loop's
    host state (JSON) and the environment's pytree where there is one; RUN/best keeps the agent state at each new
    best evaluation (and its return) still needed (`prune`)."""

    def __init__(self, run_dir: Path, folder: str = CHECKPOINTS_FOLDER):
        self.run_dir, self.folder = run_dir, run_dir / folder
        self.manager = ocp.CheckpointManager(
            self.folder.absolute(),
            options=ocp.CheckpointManagerOptions(max_to_keep=KEPT[folder], enable_async_checkpointing=False))

    @property
    def is_best(self) -> bool:
        return self.folder.name == BEST_FOLDER

    def all_steps(self) -> list[int]:
        return list(self.manager.all_steps())

    def save(self, step: int, **items: Any) -> None:
        """Write the step's items (agent, replay, loop, env; or agent, best), then the SHA-256 of its files."""
        self.manager.save(step, args=ocp.args.Composite(**{
            name: ocp.args.JsonSave(value) if name in JSON_ITEMS else ocp.args.StandardSave(value)
            for name, value in items.items()}), force=True)
        step_dir = self.step_dir(step)
        write_json_atomic(step_dir / DIGESTS_FILE, {name: _sha256(step_dir / name) for name in _files(step_dir)})

    def intact(self, step: int, items: Collection[str] | None = None) -> bool:
        """Whether the step's files (the step's own and those of `items`; default all) still have the SHA-256
        digests written with them. A step without digests (written before ebrl kept them, or killed between
        orbax's rename and the digests) counts as intact: orbax wrote it completely."""
        step_dir = self.step_dir(step)
        try:
            written = json.loads((step_dir / DIGESTS_FILE).read_text())
        except FileNotFoundError:
            return True
        except ValueError:  # the digests file itself is damaged
            return False
        return all(_sha256(step_dir / name) == digest for name, digest in written.items()
                   if items is None or "/" not in name or name.split("/", 1)[0] in items)

    def step_dir(self, step: int) -> Path:
        return self.folder / str(step)

    def latest_intact_step(self, items: Collection[str] | None = None) -> int:
        """The newest step whose files are intact (`intact`), with a line on stderr naming the newer damaged
        steps passed over; ConfigError if none is."""
        self.latest_step()  # ConfigError if there is no step at all
        steps = sorted(self.all_steps(), reverse=True)
        for newer, step in enumerate(steps):
            if self.intact(step, items):
                if newer:
                    _note(f"{_damaged([self.step_dir(s) for s in steps[:newer]])}; using {self.step_dir(step)}, "
                          "the latest intact one")
                return step
        raise ConfigError(f"{self.folder} holds no intact step: {_damaged([self.step_dir(s) for s in steps])}; use "
                          "checkpoint best, or train the run again", "checkpoint")

    def restore(self, step: int, **abstract: Any):
        """The named items of the step's checkpoint (a pytree of ShapeDtypeStructs each, or None: as saved);
        ConfigError if it is damaged (`intact`) or cannot be read."""
        require(self.intact(step, abstract), f"{_damaged([self.step_dir(step)])}; choose another checkpoint "
                "(latest, best or a step), or train the run again", "checkpoint")
        _silence_orphaned_reads()
        items = {name: ocp.args.JsonRestore() if name in JSON_ITEMS else ocp.args.StandardRestore(value)
                 for name, value in abstract.items()}
        try:
            return self.manager.restore(step, args=ocp.args.Composite(**items))
        except Exception as exc:
            _silence_unfinished_reads()
            raise ConfigError(f"the checkpoint at step {step} in {self.folder} is corrupt ({type(exc).__name__}); "
                              "delete that step's folder to fall back to the previous one, or start a new run"
                              ) from None

    def latest_step(self) -> int:
        """The newest saved step (in RUN/best, the best evaluation so far); ConfigError if there is none."""
        steps = self.all_steps()
        if self.is_best:
            require(bool(steps), f"{self.run_dir} has no best checkpoint yet (one is written at the first "
                    "evaluation); use checkpoint latest", "checkpoint")
        else:
            require(bool(steps), f"{self.run_dir} holds no checkpoint yet; train it first")
        return max(steps)

    def restore_agent(self, abstract_agent_state: Any, step: int | None = None) -> tuple[int, Any]:
        """(step, agent state) at `step` (default: the latest; in RUN/checkpoints the latest intact one), without
        the replay buffer."""
        latest = self.latest_step()
        if not self.is_best and step is not None:
            steps = self.all_steps()
            require(step in steps, f"{self.run_dir} has no checkpoint at step {step}; it has steps {sorted(steps)}, "
                    "and best")
        if step is None:
            step = latest if self.is_best else self.latest_intact_step(["agent"])
        return step, self.restore(step, agent=abstract_agent_state).agent

    def drop_after(self, step: int) -> None:
        """Delete the steps saved after `step`: a resume from `step` writes them again."""
        for saved in self.manager.all_steps():
            if saved > step:
                self.manager.delete(saved)

    def prune(self, oldest_needed: int) -> None:
        """Keep the newest step at or before `oldest_needed` and every later one (RUN/best: a resume falls back at
        most to the oldest regular checkpoint, and takes the newest best at or before it)."""
        steps = sorted(self.manager.all_steps())
        kept_before = [s for s in steps if s <= oldest_needed][-1:]
        for step in steps:
            if step < oldest_needed and step not in kept_before:
                self.manager.delete(step)

    def close(self) -> None:
        self.manager.close()


def _files(folder: Path) -> list[str]:
    """The paths of the files under `folder`, relative to it (POSIX, sorted)."""
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())


def _sha256(path: Path) -> str | None:
    """The file's SHA-256 hex digest; None if it is missing."""
    try:
        with path.open("rb") as f:
            return hashlib.file_digest(f, "sha256").hexdigest()
    except FileNotFoundError:
        return None


def _damaged(step_dirs: list[Path]) -> str:
    """'<step folders> is (are) damaged', and how that is known."""
    one = len(step_dirs) == 1
    return (f"{', '.join(map(str, step_dirs))} {'is' if one else 'are'} damaged ({'its' if one else 'their'} files "
            f"differ from the SHA-256 checksums written with {'it' if one else 'them'})")


def _note(message: str) -> None:
    """One line on stderr for what the user should know but need not act on (the command goes on)."""
    print(f"warning: {message}", file=sys.stderr)


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


@functools.cache
def _silence_unfinished_reads() -> None:
    """After a failed restore, the reads it had not yet awaited are collected as garbage later, often at exit: asyncio
    logs each future's "exception was never retrieved" (naming only TensorStore's error, e.g. `OUT_OF_RANGE ... OCDBT
    database`) and Python warns of each coroutine "never awaited". The command is ending with its one-line error, so
    from here on both are dropped whatever they name."""
    warnings.filterwarnings("ignore", message=r"coroutine '.*' was never awaited", category=RuntimeWarning)
    logging.getLogger("asyncio").addFilter(lambda record: "exception was never retrieved" not in record.getMessage())


def _replay_to_host(buffer: ReplayBuffer) -> dict:
    """The filled part of the buffer only, so a checkpoint grows with the data, not with the capacity."""
    size = int(buffer.size)
    data = {name: np.asarray(getattr(buffer.data, name)[:size]) for name in TRANSITION_FIELDS}
    return {"data": data, "position": np.asarray(buffer.position), "size": np.asarray(buffer.size)}


def _replay_from_host(saved: dict, capacity: int, obs_dim: int, act_dim: int) -> ReplayBuffer:
    """The saved ring in a ring of `capacity` slots, laid out as that ring would hold the same transitions.

    A ring of capacity C = min(buffer size, steps) that saw t transitions holds slots [0, min(t, C)) and writes
    next at t mod C. The saved ring's capacity is not stored; with size s and position p, its transitions in the
    order they came are roll(data, −p) (p = s if it never wrapped). A larger ring (a finished run extended with
    --steps) gets them at [0, s) and writes next at s, as the ring of the longer run would at this step; an equal
    one (s = C: full in both) keeps the saved layout, which uniform sampling by slot index depends on.
    """
    empty = replay_init(capacity, obs_dim, act_dim)
    size, position = int(saved["size"]), int(saved["position"])
    data = {name: np.asarray(saved["data"][name]) for name in TRANSITION_FIELDS}
    if size < capacity and position != size:  # a wrapped ring moved into a larger one
        data = {name: np.roll(values, -position, axis=0) for name, values in data.items()}
        position = size
    stored = Transition(**{name: getattr(empty.data, name).at[:size].set(data[name]) for name in TRANSITION_FIELDS})
    return ReplayBuffer(stored, jnp.asarray(position, jnp.int32), jnp.asarray(size, jnp.int32))


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
                    _note(f"{_damaged(damaged)}; continuing from step {step}, the latest step "
                          f"{'every seed has' if group else 'that is'} intact")
                return step
            damaged += broken
        raise ConfigError(f"{self.where} holds no intact checkpoint to resume from"
                          f"{' for every seed' if group else ''}: {_damaged(damaged)}; train it again with overwrite",
                          "overwrite")

    def last_finite_step(self) -> int | None:
        """After a divergence: the group's latest common checkpoint, None if it has none."""
        return self.common_step() if any(folder.all_steps() for folder in self.checkpoints) else None

    def on_best(self, seed_index, step, agent_state, value):
        self.best[seed_index].save(step, agent=agent_state, best={"step": step, "return": value})

    def on_row(self, seed_index, row):
        self.metrics[seed_index].log(row)

    def on_checkpoint(self, snapshot: GroupSnapshot):
        driver = snapshot.driver
        for k, folder in enumerate(self.checkpoints):
            loop = {**dataclasses.asdict(snapshot.logs[k]), "driver": driver.kind, "environment": driver.host[k]}
            env = {} if driver.device is None else {"env": seed_slice(driver.device, k)}
            folder.save(snapshot.step, agent=seed_slice(snapshot.states.agent, k),
                        replay=_replay_to_host(seed_slice(snapshot.states.replay, k)), loop=loop, **env)
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
    kind = saved_loops[0]["driver"]
    abstract = {"agent": jax.eval_shape(agent.init, jax.random.key(0)), "replay": None, "loop": None}
    if kind == "jax":
        abstract["env"] = slot_shape(task.jax_functions())
    saved = [folder.restore(step, **abstract) for folder in store.checkpoints]
    replays = [_replay_from_host(s.replay, replay_capacity(cfg), task.obs_dim, task.act_dim) for s in saved]
    _, act_keys, update_keys = jax.vmap(seed_keys)(jnp.asarray(seeds))
    states = SeedState(stack_seeds([s.agent for s in saved]), stack_seeds(replays), act_keys, update_keys)
    logs = tuple(SeedLog(**{k: v for k, v in s.loop.items() if k not in ("driver", "environment")}) for s in saved)
    histories = [metrics_history(d, columns, step, log.eval_round) for d, log in zip(store.run_dirs, logs)]
    for folder in [*store.checkpoints, *store.best]:  # what a seed saved past the common step happens again
        folder.drop_after(step)
    driver = DriverState(kind, tuple(s.loop["environment"] for s in saved),
                         stack_seeds([s["env"] for s in saved]) if kind == "jax" else None)
    return GroupSnapshot(step, states, logs, driver), histories
