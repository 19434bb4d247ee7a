"""Generators of every README over groups of seed runs (folders of seed_S/config.json and metrics.csv): which files
a group holds, and its evaluation returns at a step. Paths are relative to the README's folder."""

from pathlib import Path

import numpy as np
from scipy.stats import trim_mean

from ebrl.markdown import mean_std, nums
from ebrl.results.files import RUN_FILES, metric, metric_per_seed, read_csv, read_json, seed_dirs
from ebrl.results.generated import generates


def returns(folder: Path, group: str, step: str, mode: str = "mean", only: range | None = None):
    """Each seed's evaluation return of the action mode at the step: of all the group's seeds, or of the seeds
    `only` names (a group that has since grown, as a study's added seeds)."""
    column = f"eval/{mode}/return_mean"
    if only is None:
        return metric_per_seed(folder / group, column, int(step))
    return np.array([metric(folder / group / f"seed_{seed}", column, int(step)) for seed in only])


@generates("*")
def seed_files(folder: Path, seeds: str, *groups: str) -> str:
    """The claim that each group holds seeds 0 … seeds−1, each with config.json and metrics.csv, checked."""
    for group in groups:
        seed_dirs(folder / group, range(int(seeds)))
    return f"every seed's `{RUN_FILES[0]}` and `{RUN_FILES[1]}`"


@generates("*")
def recorded_version(folder: Path, *paths: str) -> str:
    """The ebrl_version that a run's config.json records, or all the config.json files under a folder of runs."""
    runs = [folder / path for path in paths]
    configs = [c for run in runs for c in ([run / "config.json"] if (run / "config.json").is_file()
                                           else run.rglob("config.json"))]
    versions = {read_json(config)["ebrl_version"] for config in configs}
    if not versions:
        raise ValueError(f"no config.json under {paths}")
    return " and ".join(sorted(versions))


@generates("*")
def group_returns(folder: Path, group: str, step: str, mode: str = "mean", seeds: str = "") -> str:
    """The seeds' returns at the step, in seed order: all the group's, or `seeds` ("0-2"), those of a group that has
    since grown (a study's added seeds)."""
    only = None
    if seeds:
        first, last = map(int, seeds.split("-"))
        only = range(first, last + 1)
    return nums(returns(folder, group, step, mode, only))


@generates("*")
def group_mean_std(folder: Path, group: str, step: str, mode: str = "mean") -> str:
    return mean_std(returns(folder, group, step, mode))


@generates("*")
def group_iqm(folder: Path, group: str, step: str, mode: str = "mean") -> str:
    """The interquartile mean over the seeds (rliable's IQM: the mean of the middle half, 25 % trimmed each side)."""
    return f"{trim_mean(returns(folder, group, step, mode), 0.25):.0f}"


@generates("*")
def training_time(folder: Path, run: str) -> str:
    """metrics.csv's time_s at the last step of a run (of a group's seed_0: a group trains its seeds together)."""
    path = folder / run / "metrics.csv"
    seconds = round(float(read_csv(path if path.is_file() else folder / run / "seed_0" / "metrics.csv")[-1]["time_s"]))
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min {seconds % 60} s"
    return f"{seconds // 3600} h {seconds % 3600 // 60} min"
