"""Generators of docs/results/finetune/README.md: the pretraining-then-fine-tuning study's tables and figures,
recomputed from its plan.json and every seed's config.json and metrics.csv (`ebrl.studies.finetune.study`), and
the machine time each group took."""

import functools
from pathlib import Path

import numpy as np

from ebrl.markdown import table
from ebrl.results.files import read_csv, read_json
from ebrl.results.generated import generates

README = "finetune/README.md"


def study_results(folder: Path) -> dict:
    """results.json of the study in folder, computed again from its runs (once per state of its files)."""
    stamps = tuple(p.stat().st_mtime_ns for p in sorted(folder.rglob("metrics.csv")))
    return _results(folder, stamps)


@functools.lru_cache(maxsize=4)
def _results(folder: Path, stamps: tuple[int, ...]) -> dict:
    from ebrl.studies.finetune.study import FinetunePlan, compute_results, plan_groups

    plan = FinetunePlan.from_json(read_json(folder / "plan.json"))
    return compute_results(plan, folder, plan_groups(plan, folder))


@generates(README)
def finetune_section(folder: Path, name: str) -> str:
    """A section of the study's summary.md (ebrl.studies.finetune.study.SECTIONS), from the runs."""
    from ebrl.studies.finetune.study import summary_section

    return summary_section(study_results(folder), name)


@generates(README)
def finetune_improvement(folder: Path, env: str, algo: str, score: str) -> str:
    """P(pretrained > scratch) on `score` (final or auc) with its interval."""
    found = study_results(folder)["tasks"][env]["algos"][algo]["improvement"][score]
    return f"{found['probability']:.2f} [{found['interval'][0]:.2f}, {found['interval'][1]:.2f}]"


@generates(README)
def finetune_iqm(folder: Path, env: str, algo: str, start: str, fraction: str = "1") -> str:
    """The return IQM of an arm at a fraction of the budget, with its interval."""
    found = study_results(folder)["tasks"][env]["algos"][algo][start]["at_budget"][fraction]
    return f"{found['iqm']:.0f} [{found['interval'][0]:.0f}, {found['interval'][1]:.0f}]"


@generates(README)
def finetune_went(folder: Path, algo: str) -> str:
    """How many pretrained seeds went each way along x."""
    went = [d["went"] for d in study_results(folder)["pretraining"][algo]["directions"]]
    counts = {way: went.count(way) for way in ("x > 0", "x < 0", "both")}
    return ", ".join(f"{n} {way}" for way, n in counts.items() if n) + f" (of {len(went)})"


@generates(README)
def finetune_gain(folder: Path, algo: str, relation: str, score: str = "final") -> str:
    """The mean gain over scratch of the fine-tuned runs whose task goes the same (or the other) way as their
    pretrained seed went, and how many runs that is."""
    found = study_results(folder)["by_direction"][algo][relation]
    return "no run" if not found["runs"] else f"{found[f'{score}_gain_mean']:+.0f} ({found['runs']} runs)"


@generates(README)
def finetune_straightness(folder: Path, evaluations: str, algo: str) -> str:
    """Per pretrained seed, the straightness of its episodes (net displacement over distance travelled) from the
    `ebrl eval --json` reports in folder/evaluations (ALGO-seed_K.json), and their median."""
    reports = sorted((folder / evaluations).glob(f"{algo}-seed_*.json"),
                     key=lambda p: int(p.stem.removeprefix(f"{algo}-seed_")))
    if not reports:
        raise ValueError(f"{folder / evaluations} holds no {algo}-seed_K.json")
    values = [read_json(report)["straightness"] for report in reports]
    return f"{', '.join(f'{v:.2f}' for v in values)} (median {np.median(values):.2f})"


def group_times(folder: Path) -> list[tuple[str, int, float]]:
    """(group folder relative to runs/, steps, seconds) of every group in the plan's order, from its seed 0's
    metrics.csv (a group trains its seeds in one program)."""
    from ebrl.studies.finetune.study import FinetunePlan, plan_groups

    plan = FinetunePlan.from_json(read_json(folder / "plan.json"))
    found = []
    for group in plan_groups(plan, folder):
        run = group.run_dir(folder)
        last = read_csv(run / f"seed_{plan.seeds[0]}" / "metrics.csv")[-1]
        found.append((run.relative_to(folder / "runs").as_posix(), int(last["step"]), float(last["time_s"])))
    return found


@generates(README)
def finetune_times(folder: Path) -> str:
    """Per group: steps, minutes, and environment steps per second of each seed and of all its seeds together."""
    times = group_times(folder)
    seeds = len(read_json(folder / "plan.json")["seeds"])
    rows = [[group, f"{steps:,}", f"{seconds / 60:.1f}", f"{steps / seconds:.0f}", f"{seeds * steps / seconds:.0f}"]
            for group, steps, seconds in times]
    return table(["group", "steps", "minutes", "steps/s of each seed", f"env-steps/s of the {seeds} seeds"], rows)


@generates(README)
def finetune_hours(folder: Path) -> str:
    """The hours every group's program took in all (evaluations included)."""
    return f"{sum(seconds for *_, seconds in group_times(folder)) / 3600:.1f} hours"
