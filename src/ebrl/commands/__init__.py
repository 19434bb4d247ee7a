"""`ebrl <command>`: a thin command line over the library, one module per command (ebrl.commands.<name>), each
owning its options (plain dataclasses whose field docstrings are its --help) and a `run(args)`; the module's
docstring is its line in `ebrl --help`. The library is imported when a command runs (`ebrl --help` loads no JAX).
User mistakes end in one line on stderr, `error: <what is wrong>; <what to do>`, and exit code 2, before any work."""

import ast
import importlib
import importlib.util
import os
import sys
import textwrap
from pathlib import Path

from ebrl.config import ConfigError

NAMES = ("train", "eval", "export", "plot", "compare", "multigoal", "entropy", "mujoco", "finetune", "tune", "vi")
AFTER_INTERRUPT = {  # what a command interrupted at once (a second Ctrl-C, or one before any training) leaves to do
    "train": "; a run that started keeps its last checkpoint: continue it with `ebrl train --resume RUN`",
    "multigoal": "; run the same command again to continue", "mujoco": "; run the same command again to continue",
    "finetune": "; run the same command again to continue"}


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    try:
        return _run(argv)
    except BrokenPipeError:  # the reader of our output left (`ebrl train --help | head`)
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no second error when Python flushes
        return 141
    except KeyboardInterrupt:  # the first Ctrl-C of a training stops it at a checkpoint (ebrl.loop.trainer.Interrupt)
        print(f"interrupted{AFTER_INTERRUPT.get(argv[0] if argv else '', '')}", file=sys.stderr)
        return 130


def _run(argv: list[str]) -> int:
    if not argv or argv[0] in ("-h", "--help"):
        print(usage())
        return 0 if argv else 2
    if argv[0] not in NAMES:
        return _fail(f"unknown command {argv[0]!r}; use one of {', '.join(NAMES)} (see `ebrl --help`)")
    from ebrl.envs import EnvironmentFailed
    from ebrl.loop.trainer import TrainingDiverged  # JAX: loaded once a command runs, not for `ebrl --help`

    try:
        return importlib.import_module(f"ebrl.commands.{argv[0]}").run(argv[1:])
    except ConfigError as exc:
        return _fail(exc.with_flags())
    except TrainingDiverged as exc:
        from ebrl.runs.layout import sweep_groups

        if exc.last_checkpoint is None:
            kept = ("the run stopped before its first checkpoint: train it again (--overwrite), e.g. with a smaller "
                    "learning rate")
        elif exc.where is not None and sweep_groups(exc.where):  # its swept settings cannot change on resume
            kept = (f"the sweep stopped and kept its last finite checkpoint (step {exc.last_checkpoint}): remove the "
                    f"diverged setting's folder from {exc.where} and continue the others with `ebrl train --resume "
                    f"{exc.where}`")
        else:
            kept = (f"the run stopped and kept its last finite checkpoint (step {exc.last_checkpoint}): continue it "
                    f"with `ebrl train --resume {exc.where}`, e.g. with a smaller learning rate (--critic-lr ...)")
        print(f"error: {exc.what}; {kept}", file=sys.stderr)
        return 3
    except EnvironmentFailed as exc:
        if os.environ.get("EBRL_DEBUG"):
            raise
        print(f"error: {exc}; fix the environment (EBRL_DEBUG=1 shows where it raised)", file=sys.stderr)
        return 1


def summary(name: str) -> str:
    """The command's line of `ebrl --help`: its module's docstring, read from the source without importing it (a
    command module may import JAX)."""
    spec = importlib.util.find_spec(f"ebrl.commands.{name}")
    assert spec is not None and spec.origin is not None  # every name of NAMES is a module of this package
    return ast.get_docstring(ast.parse(Path(spec.origin).read_text())) or ""


def usage() -> str:
    """The commands, each with its summary."""
    lines = [textwrap.fill(" ".join(summary(name).split()), 118, initial_indent=f"  {name:<10}",
                           subsequent_indent=" " * 12, break_on_hyphens=False) for name in NAMES]
    return "usage: ebrl <command> [options]\n\ncommands:\n" + "\n".join(lines) + "\n\n`ebrl <command> --help` lists " \
        "every option."


def _fail(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return 2
