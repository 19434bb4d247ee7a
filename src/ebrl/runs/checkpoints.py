"""A run's orbax checkpoints: RUN/checkpoints (the latest two, for resume) and RUN/best (the agent at its best
evaluation), one folder per step.

Each step's folder also holds the SHA-256 of every file orbax wrote there (DIGESTS_FILE); a restore checks them, so a
checkpoint damaged on disk is never taken as good: "latest" and a resume fall back to the newest intact step.
"""

import functools
import hashlib
import json
import logging
import sys
import warnings
from collections.abc import Collection
from pathlib import Path
from typing import Any

import orbax.checkpoint as ocp

from ebrl.config import ConfigError, require
from ebrl.runs.layout import BEST_FOLDER, CHECKPOINTS_FOLDER, write_json_atomic

JSON_ITEMS = ("loop", "best")  # checkpoint items written as JSON; the others are pytrees of arrays
KEPT = {CHECKPOINTS_FOLDER: 2, BEST_FOLDER: None}  # steps each folder keeps (None: all, pruned by hand)
DIGESTS_FILE = "sha256.json"  # in a step's folder: {path in the folder: SHA-256 hex digest} of the files orbax wrote

logging.getLogger("absl").setLevel(logging.ERROR)  # orbax logs every save at INFO


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
                    note(f"{describe_damaged([self.step_dir(s) for s in steps[:newer]])}; using {self.step_dir(step)}, "
                          "the latest intact one")
                return step
        every = describe_damaged([self.step_dir(s) for s in steps])
        raise ConfigError(f"{self.folder} holds no intact step: {every}; use checkpoint best, or train the run again",
                          "checkpoint")

    def restore(self, step: int, **abstract: Any):
        """The named items of the step's checkpoint (a pytree of ShapeDtypeStructs each, or None: as saved);
        ConfigError if it is damaged (`intact`) or cannot be read."""
        require(self.intact(step, abstract), f"{describe_damaged([self.step_dir(step)])}; choose another checkpoint "
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


def describe_damaged(step_dirs: list[Path]) -> str:
    """'<step folders> is (are) damaged', and how that is known."""
    one = len(step_dirs) == 1
    return (f"{', '.join(map(str, step_dirs))} {'is' if one else 'are'} damaged ({'its' if one else 'their'} files "
            f"differ from the SHA-256 checksums written with {'it' if one else 'them'})")


def note(message: str) -> None:
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
