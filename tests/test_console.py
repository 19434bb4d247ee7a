"""What a person sees while a group trains: bars in a terminal, a line per seed and evaluation elsewhere."""

import io

import pytest
from rich.console import Console

from ebrl.console import ConsoleObserver
from ebrl.loop.trainer import RunStart

START = RunStart("training", "sac", "Pendulum-v1", (3, 7), None, "gym", 0, 600, (None, None))
ROW = {"step": 200, "time_s": 1.0, "sps": 812.4, "train/return_mean": -1200.0, "eval/mean/return_mean": -1519.06,
       "eval/mean/return_std": 3.0, "eval/sample/return_mean": -1550.74}


def shown(terminal: bool, progress: bool) -> list[str]:
    """The lines an observer prints for the start and one evaluation of a group of seeds 3 and 7."""
    out = io.StringIO()
    observer = ConsoleObserver(Console(file=out, force_terminal=terminal, width=60), progress=progress)
    observer.on_start(START)
    for k in range(2):
        observer.on_row(k, ROW)
    observer.on_chunk(200, [-1200.0, -1300.0])
    observer.on_end()
    return out.getvalue().splitlines()


@pytest.mark.parametrize("terminal, progress", [(False, True), (True, False), (False, False)])
def test_without_bars_each_evaluation_is_a_line_per_seed(terminal, progress):
    """--no-progress, or output to a file or pipe (nohup), where bars would print nothing until the end."""
    lines = shown(terminal, progress)
    assert lines[1:] == [f"seed {seed}, step 200 of 600, 812 steps/s, evaluation return mean -1519.1, sample -1550.7"
                         for seed in (3, 7)], lines  # whole lines, however narrow the console


def test_a_terminal_draws_bars_and_no_lines():
    assert not any("evaluation return" in line for line in shown(terminal=True, progress=True))
