"""What every command's options share: tyro parsing whose errors are one line naming the flag, and the list of
files a command wrote."""

import contextlib
import io
import itertools
import re
from pathlib import Path

import tyro

from ebrl.config import ConfigError


def parse(cls, args: list[str], prog: str, default=None, description: str | None = None, unknown: bool = False):
    """tyro parsing (from the `default` instance, if given; with `unknown`, the args it does not know are returned
    beside); tyro's error becomes one line naming the flag."""
    if any(a in ("-h", "--help") for a in args) and not unknown:
        return tyro.cli(cls, args=args, prog=prog, default=default, description=description)
    printed = io.StringIO()
    try:
        with contextlib.redirect_stdout(printed), contextlib.redirect_stderr(printed):
            if unknown:
                return tyro.cli(cls, args=args, prog=prog, return_unknown_args=True, add_help=False)
            return tyro.cli(cls, args=args, prog=prog, default=default)
    except SystemExit:
        raise ConfigError(_one_line(" ".join(printed.getvalue().split()), args, prog)) from None


def _one_line(message: str, args: list[str], prog: str) -> str:
    """tyro's error panel (whitespace collapsed) as our one line."""
    unknown = re.search(r"Unrecognized options?: (--[\w-]+)", message)
    if unknown:
        return f"unknown option {unknown.group(1)!r} for `{prog}`; see `{prog} --help` for the options"
    invalid = re.search(r"(?:Error parsing |for argument ')(--[\w-]+)", message)
    if invalid:
        flag = invalid.group(1)
        return f"invalid value for {flag}: {_values(args, flag)}; see `{prog} --help` for its type"
    return f"missing or misplaced arguments in `{prog} {' '.join(args)}`; see `{prog} --help`"


def _values(args: list[str], flag: str) -> str:
    """What `flag` was given in args (`--flag v w` or `--flag=v`)."""
    for i, arg in enumerate(args):
        name, _, inline = arg.partition("=")
        if name == flag:
            return inline or " ".join(itertools.takewhile(lambda a: not a.startswith("--"), args[i + 1:])) or "(none)"
    return "(none)"


def print_written(paths: list[Path], summary: Path | None = None) -> int:
    """`wrote PATH` for each file a command wrote, then its summary's text; exit code 0."""
    for path in paths:
        print(f"wrote {path}")
    if summary is not None:
        print(summary.read_text())
    return 0


def study_ended(finished: bool, out: str, console) -> int:
    """The end of a study command (ebrl mujoco, ebrl finetune): its summary, or, when interrupted, how to continue
    (exit code 130)."""
    if not finished:
        console.print(f"interrupted; run the same command again to continue the study in {out}")
        return 130
    return print_written([], Path(out) / "summary.md")
