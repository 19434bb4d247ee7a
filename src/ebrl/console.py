"""What a person sees while a group trains: the start line and a progress bar per seed, or, where no bar can be
drawn, a line per seed at each evaluation. Plugged in by the command line (and the experiments' commands) as an
observer; the library draws nothing."""

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from ebrl.loop.trainer import Observer, RunStart


class ConsoleObserver(Observer):
    """Prints `note` (e.g. the preset that applies) and the start line once every check has passed, then draws a
    progress bar per seed (steps, steps per second of each seed, the last training return); with `progress` False,
    or where the console is not a terminal (a file, a pipe, nohup), it prints instead a line per seed at each
    evaluation (step, steps per second, evaluation return of each action mode), as SB3's logger does."""

    def __init__(self, console: Console, *, progress: bool = True, note: str | None = None):
        self.console, self.progress, self.note = console, progress and console.is_terminal, note
        self.bars: Progress | None = None
        self.tasks: list = []
        self.start: RunStart | None = None

    def on_start(self, start: RunStart):
        if self.note:
            self.console.print(self.note, highlight=False, soft_wrap=True)
        if start.verb == "reusing":
            self.console.print(f"reusing {start.out}: finished, with the same settings")
            return
        if start.verb == "restarting":
            self.console.print(f"{start.out} has no checkpoint to continue from; training it again from step 0")
            return
        self.start = start
        what = (f"a sweep of {len(start.labels)}" if start.labels else f"seed {start.seeds[0]}" if len(start.seeds) == 1
                else f"seeds {' '.join(map(str, start.seeds))}")
        self.console.print(f"[bold]{start.verb}[/] {start.algo} on {start.env_id} ({what}, {start.driver} driver) -> "
                           f"{start.out}" + (f", from here with {start.changes}" if start.changes else "")
                           + (f", starting from {start.origin}" if start.origin else ""), soft_wrap=True)
        if not self.progress:
            return
        self.bars = Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                             TextColumn("{task.fields[sps]:>6} steps/s"), TextColumn("return {task.fields[ret]:>9}"),
                             TimeRemainingColumn(), console=self.console)
        self.bars.start()
        self.tasks = [self.bars.add_task(f"{start.algo} {start.env_id} {label}", total=start.steps,
                                         completed=start.step, sps="-", ret=_fmt(last))
                      for label, last in zip(_labels(start), start.last_returns)]

    def on_row(self, seed_index, row):
        if self.bars is not None:
            self.bars.update(self.tasks[seed_index], sps=f"{row['sps']:.0f}")
        elif self.start is not None:
            returns = ", ".join(f"{name.split('/')[1]} {value:.1f}" for name, value in row.items()
                                if name.startswith("eval/") and name.endswith("/return_mean"))
            self.console.print(f"{_labels(self.start)[seed_index]}, step {row['step']} of {self.start.steps}, "
                               f"{row['sps']:.0f} steps/s, evaluation return {returns}", highlight=False,
                               soft_wrap=True)

    def on_chunk(self, step, last_returns):
        if self.bars is not None:
            for task, last in zip(self.tasks, last_returns):
                self.bars.update(task, completed=step, ret=_fmt(last))

    def on_end(self):
        if self.bars is not None:
            self.bars.stop()
            self.bars = None


def _labels(start: RunStart) -> tuple[str, ...]:
    """Each member's name: "seed 0", or a sweep's "actor_lr=0.001 seed 0"."""
    return start.labels or tuple(f"seed {seed}" for seed in start.seeds)


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"
