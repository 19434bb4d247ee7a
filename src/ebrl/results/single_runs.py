"""Generators of docs/results/sac, sql, multigoal and seeds: single runs' and seed groups' metrics.csv, and the SQL
temperature sweep's goals.csv."""

from pathlib import Path

import numpy as np

from ebrl.agents.sql.agent import SQLConfig
from ebrl.markdown import num, nums, steps, table
from ebrl.results.files import metric, metric_per_seed, read_csv, seed_dirs
from ebrl.results.generated import generates

SEEDS = range(5)


@generates("sac/README.md")
def pendulum_table(folder: Path) -> str:
    """Each seed's evaluation at 20 000 steps: the mean action (± std over the episodes) and a sample."""
    rows = []
    for seed in range(3):
        run = folder / f"pendulum-s{seed}-metrics.csv"
        rows.append([str(seed), f"{num(metric(run, 'eval/mean/return_mean', 20_000))} ± "
                                f"{num(metric(run, 'eval/mean/return_std', 20_000))}",
                     num(metric(run, "eval/sample/return_mean", 20_000))])
    return table(["seed", "eval return at 20 000 steps, mode `mean` (± std over 10 episodes)", "mode `sample`"], rows)


@generates("sac/README.md")
def pendulum_range(folder: Path, step: str) -> str:
    returns = [metric(folder / f"pendulum-s{s}-metrics.csv", "eval/mean/return_mean", int(step)) for s in range(3)]
    return f"{num(max(returns), 0)} to {num(min(returns), 0)}"


@generates("multigoal/README.md")
def settled_goals(folder: Path) -> str:
    """Where SAC's sampled episodes went at each training evaluation (sac-metrics.csv), by goal."""
    parts = []
    for row in read_csv(folder / "sac-metrics.csv"):
        hits = [int(row[f"eval/sample/goal_hits_{g}"]) for g in range(3)]
        parts.append(f"{steps(int(row['step']))}: {'/'.join(map(str, hits))}")
    return "; ".join(parts)


@generates("sql/README.md")
@generates("multigoal/README.md")
def run_time(folder: Path, metrics: str) -> str:
    """A run's metrics.csv time_s at its last step, in minutes or seconds, and its steps per second over the run."""
    last = read_csv(folder / metrics)[-1]
    seconds = float(last["time_s"])
    duration = f"{seconds / 60:.0f} minutes" if seconds >= 120 else f"{seconds:.0f} s"
    return f"{duration} (metrics.csv `time_s`; {int(last['step']) / seconds:.0f} steps/s over the run)"


@generates("sql/README.md")
def training_goals(folder: Path) -> str:
    """When the evaluations (10 episodes each) first reach a goal in 80 % and in 100 % of the episodes, the range of
    that share after the latter, and how many of the 4 goals the later evaluations visit."""
    rows = read_csv(folder / "multigoal" / "metrics.csv")
    share = [float(r["eval/sample/goal_fraction"]) for r in rows]
    first = lambda level: next(i for i, f in enumerate(share) if f >= level)  # noqa: E731
    full = first(1.0)
    later = rows[full + 1:]
    visited = sum(any(int(r[f"eval/sample/goal_hits_{g}"]) for r in later) for g in range(4))
    percent = lambda f: f"{f:.0%}".replace("%", " %")  # noqa: E731
    return (f"{percent(share[first(0.8)])} at step {steps(int(rows[first(0.8)]['step']))}, 100 % at step "
            f"{steps(int(rows[full]['step']))}, and {percent(min(share[full + 1:]))}–{percent(max(share[full + 1:]))} "
            f"from then on, with {visited} of the 4 goals visited")


@generates("sql/README.md")
def temperature_table(folder: Path) -> str:
    """The sweep's goals.csv: goal hits of 100 episodes and the sampled actions' entropy at the paper's three states."""
    rows = read_csv(folder / "temperature" / "goals.csv")
    probes = ["H(-2.5,0)", "H(0,0)", "H(2.5,2.5)"]
    out = []
    for r in rows:
        alpha = float(r["group"].split("alpha=")[1].rstrip(")"))
        scale, _ = SQLConfig(alpha=alpha).network_units
        out.append([f"{alpha:g}", f"{scale:g}", *[r[g] for g in ("G1", "G2", "G3", "G4", "no_goal")],
                    *[num(float(r[p]), 2) for p in probes]])
    return table(["α", "reward scale", "G1", "G2", "G3", "G4", "no goal", "entropy at (−2.5, 0)", "at (0, 0)",
                  "at (2.5, 2.5)"], out)


@generates("sql/README.md")
def hopper_table(folder: Path) -> str:
    rows = read_csv(folder / "hopper" / "metrics.csv")
    return table(["step", *[steps(int(r["step"])) for r in rows]],
                 [["evaluation return", *[num(float(r["eval/sample/return_mean"])) for r in rows]]])


@generates("sql/README.md")
def hopper_speed(folder: Path) -> str:
    rows = read_csv(folder / "hopper" / "metrics.csv")
    sps = [float(r["sps"]) for r in rows]
    return f"{float(rows[-1]['time_s']) / 60:.0f} minutes, {min(sps):.0f}–{max(sps):.0f} steps/s"


def _final(group: Path, column: str) -> np.ndarray:
    last = int(read_csv(seed_dirs(group)[0] / "metrics.csv")[-1]["step"])
    return metric_per_seed(group, column, last, SEEDS)


def _hits(group: Path, mode: str, goals: int) -> np.ndarray:
    """(seeds, goals) goal hits of the last evaluation."""
    return np.stack([_final(group, f"eval/{mode}/goal_hits_{g}") for g in range(goals)], axis=1).astype(int)


def _sac(group: Path) -> str:
    return nums(_final(group, "eval/mean/return_mean"), 1)


def _sql(group: Path) -> str:
    hits = _hits(group, "sample", 4)
    every = "every seed at all 4 goals" if (hits > 0).all() else f"{(hits > 0).all(axis=1).sum()} seeds at all 4 goals"
    fractions = ", ".join(f"{f:g}" for f in _final(group, "eval/sample/goal_fraction"))
    return f"{fractions}; {every} (fewest hits {hits.min()})"


def _s2ac(group: Path) -> str:
    hits = "; hits " + ", ".join(f"({', '.join(map(str, h))})" for h in _hits(group, "random", 3))
    return ", ".join(f"{f:g}" for f in _final(group, "eval/random/goal_fraction")) + hits


GROUPS = {
    "sac": ("`ebrl train --algo sac --env Pendulum-v1 --steps 15000 --seeds 0 1 2 3 4 --no-progress --out runs/verify/"
            "sac`", "mode `mean` return ≥ −250", _sac),
    "sql": ("`ebrl train --algo sql --env ebrl/MultiGoal-v0 --steps 5000 --eval-every 5000 --eval-episodes 20 "
            "--no-pictures --no-progress --seeds 0 1 2 3 4 --out runs/verify/sql`", "goal fraction ≥ 0.5, ≥ 3 goals",
            _sql),
    "s2ac": ("`ebrl train --steps 4000 --critic-hidden 128 128 --eval-every 4000 --no-pictures --no-progress --seeds "
             "0 1 2 3 4 --out runs/verify/s2ac`", "goal fraction ≥ 0.75, ≥ 2 goals", _s2ac),
    "sac-10k": ("`ebrl train --algo sac --env Pendulum-v1 --steps 10000 --seeds 0 1 2 3 4 --no-progress --out "
                "/tmp/pend10k`", "mode `mean` return ≥ −250", _sac),
    "sql-0.4": ("`ebrl train --algo sql --env ebrl/MultiGoal-v0 --steps 5000 --eval-every 5000 --eval-episodes 20 "
                "--no-pictures --no-progress --seeds 0 1 2 3 4 --out /tmp/sql5`", "goal fraction ≥ 0.5, ≥ 3 goals",
                _sql),
    "s2ac-0.4": ("`ebrl train --steps 4000 --critic-hidden 128 128 --eval-every 4000 --no-pictures --no-progress "
                 "--seeds 0 1 2 3 4 --out /tmp/s2ac5`", "goal fraction ≥ 0.75, ≥ 2 goals", _s2ac),
}


@generates("seeds/README.md")
def groups_table(folder: Path, *groups: str) -> str:
    """Each group's command, the test's threshold, every seed's final evaluation and metrics.csv's time_s."""
    rows = []
    for name in groups:
        command, threshold, final = GROUPS[name]
        seconds = float(read_csv(seed_dirs(folder / name, SEEDS)[0] / "metrics.csv")[-1]["time_s"])
        rows.append([f"[{name}]({name}/)", command, threshold, final(folder / name), f"{seconds:.0f} s"])
    return table(["group", "command", "threshold (test)", "per seed, final evaluation", "training time (`time_s`)"],
                 rows)


@generates("seeds/README.md")
def returns_at(folder: Path, group: str, step: str) -> str:
    returns = metric_per_seed(folder / group, "eval/mean/return_mean", int(step), SEEDS)
    return f"{num(returns.min(), 0)} … {num(returns.max(), 0)}"
