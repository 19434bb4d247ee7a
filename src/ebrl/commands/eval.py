"""evaluate a run: ebrl eval runs/x --episodes 10 [--mode mean] [--checkpoint best] [--json]"""

import dataclasses
import json
from pathlib import Path
from typing import Annotated

import tyro
from rich.console import Console
from rich.table import Table

from ebrl.commands.parsing import parse
from ebrl.config import require, require_episodes, require_non_negative


@dataclasses.dataclass(frozen=True)
class EvalOptions:
    run_dir: Annotated[str, tyro.conf.Positional]
    """The run to evaluate."""
    checkpoint: str = "latest"
    """Which checkpoint: latest, best (the best evaluation return of the agent's default mode during training), or
    a step that has one."""
    episodes: int = 10
    """Evaluation episodes."""
    mode: str | None = None
    """Action mode of the agent (SAC: mean or sample; SQL: sample; S2AC: softmax, max, random, and amortized with
    --amortize); default: the agent's evaluation default (S2AC: its --test-selection, random on MultiGoal)."""
    json: bool = False
    """Print one JSON object on stdout instead of a table."""
    video: str | None = None
    """Also record one episode to this .mp4 file (needs `pip install "ebrl[video]"`)."""
    seed: int = 0
    """Seed of the evaluation episodes."""


def run(args: list[str]) -> int:
    from ebrl.runs import describe_changes, evaluate_run

    options = parse(EvalOptions, args, "ebrl eval")
    require_episodes("episodes", options.episodes)
    require_non_negative("seed", options.seed)
    require(options.video is None or options.video.endswith(".mp4"),
            f"--video needs a .mp4 file name, got {options.video!r}")
    report = evaluate_run(Path(options.run_dir), episodes=options.episodes, mode=options.mode, seed=options.seed,
                          video=options.video, checkpoint=options.checkpoint)
    if options.json:
        print(json.dumps(report))
        return 0
    console = Console()
    changed = f"; changed on resume: {describe_changes(report['changes'])}" if report["changes"] else ""
    console.print(_table(f"{report['algo']} on {report['env']}, step {report['step']}, mode {report['mode']}{changed}",
                         {"episodes": report["episodes"], "return mean": f"{report['return_mean']:.2f}",
                          "return std": f"{report['return_std']:.2f}", "min": f"{min(report['returns']):.2f}",
                          "max": f"{max(report['returns']):.2f}"}))
    if "goal_hits" in report:
        hits = {f"G{g + 1}": hits for g, hits in enumerate(report["goal_hits"])}
        console.print(_table("episodes ending at each goal", {**hits, "no goal": report["no_goal"],
                                                              "reached a goal": f"{report['goal_fraction']:.0%}"}))
    if "x_positive" in report:
        console.print(_table("episodes by the sign of their displacement along x",
                             {"x > 0": f"{report['x_positive']:.0%}", "x < 0": f"{report['x_negative']:.0%}",
                              **({"straightness": f"{report['straightness']:.2f}"} if "straightness" in report
                                 else {})}))
    if "heading" in report:
        console.print(_table("episodes by the direction of their displacement (within ±22.5°)",
                             {f"{45 * k}°": f"{share:.0%}" for k, share in enumerate(report["heading"])}))
    if options.video:
        console.print(f"video written to {options.video}")
    return 0


def _table(title: str, row: dict) -> Table:
    table = Table(title=title)
    for column in row:
        table.add_column(column, justify="right")
    table.add_row(*map(str, row.values()))
    return table
