"""One writer per run directory: an exclusive `flock` on RUN/.lock while a process trains it."""

import contextlib
import fcntl
import os
from pathlib import Path
from typing import Self, TextIO

from ebrl.config import ConfigError
from ebrl.runs.layout import LOCK_FILE, make_dir


class RunLock:
    """An exclusive lock on a run directory, held while a process trains it: `flock` on RUN/.lock, which the
    kernel releases when the process ends, however it ends (so a killed run leaves no stale lock)."""

    def __init__(self, run_dir: Path):
        self.path = Path(run_dir) / LOCK_FILE
        self._file: TextIO | None = None

    def __enter__(self) -> Self:
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
