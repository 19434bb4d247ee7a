"""Reading the committed raw files of docs/results."""

import csv
import json
from pathlib import Path

import numpy as np

RUN_FILES = ("config.json", "metrics.csv")


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as f:
        return list(csv.DictReader(f))


def read_json(path: Path) -> dict:
    return json.loads(path.read_text())


def results_root(path: Path) -> Path:
    """The docs/results folder that holds path."""
    for folder in [path, *path.parents]:
        if folder.name == "results" and folder.parent.name == "docs":
            return folder
    raise ValueError(f"{path} is not inside a docs/results folder")


def seed_dirs(group: Path, seeds: range | None = None) -> list[Path]:
    """The group's seed_S folders, each with config.json and metrics.csv; all of `seeds` when given. ValueError
    naming what is missing."""
    found = sorted(group.glob("seed_*"), key=lambda p: int(p.name.removeprefix("seed_")))
    if seeds is not None and [p.name for p in found] != [f"seed_{s}" for s in seeds]:
        raise ValueError(f"{group} holds {[p.name for p in found]}, not seeds {list(seeds)}")
    missing = [str(p / name) for p in found for name in RUN_FILES if not (p / name).is_file()]
    if not found or missing:
        raise ValueError(f"{group}: missing {missing or 'seed_* folders'}")
    return found


def metric(run: Path, column: str, step: int) -> float:
    """The value of a metrics.csv column at a step (metrics.csv may be a file or the run's folder)."""
    path = run if run.suffix == ".csv" else run / "metrics.csv"
    for row in read_csv(path):
        if int(row["step"]) == step:
            return float(row[column])
    raise ValueError(f"{path} has no row at step {step}")


def metric_per_seed(group: Path, column: str, step: int, seeds: range | None = None) -> np.ndarray:
    return np.array([metric(run, column, step) for run in seed_dirs(group, seeds)])
