"""Generators of docs/results/mujoco: SAC's baseline runs against Tianshou's published per-seed returns
(sac-baseline/), the aggregates of the Hopper study (hopper-50k/results.json, runtime.json), and the three-task
study's progress, cost and verdict (study-50k/, recomputed from every seed's metrics.csv)."""

import dataclasses
import functools
import itertools
from pathlib import Path

import numpy as np
from scipy.stats import mannwhitneyu, trim_mean, ttest_ind

from ebrl.markdown import mean_std, num, nums, steps, table
from ebrl.results.files import read_csv, read_json, results_root, seed_dirs
from ebrl.results.generated import generates
from ebrl.results.groups import returns

OVERVIEW, BASELINE = "mujoco/README.md", "mujoco/sac-baseline/README.md"
REFERENCE = "mujoco/sac-baseline/tianshou-reference/per_seed.csv"
PUBLISHED = "mujoco/published/README.md"
MET_SVGD = "mujoco/published/met-svgd-walker2d-v2.csv"  # the S2AC authors' later Walker2d-v2 runs, read off their
# figures (published/README.md)


def on_both(fn):
    """Register fn for the overview README and sac-baseline's."""
    return generates(OVERVIEW)(generates(BASELINE)(fn))


def published(folder: Path, task: str, step: str) -> np.ndarray:
    """Tianshou's ten seeds' returns at the step (task: its v3 id, e.g. Hopper-v3)."""
    for row in read_csv(results_root(folder) / REFERENCE):
        if row["task"] == task and int(row["step"]) == int(step):
            return np.array([float(row[f"seed_{k}"]) for k in range(10)])
    raise ValueError(f"{REFERENCE} has no row {task} at step {step}")


def p_value(p: float) -> str:
    return f"{p:.2f}" if p >= 0.01 else f"{p:.3f}"


def improvement(x: np.ndarray, y: np.ndarray) -> float:
    """P(X > Y) for a random seed of each (ties count ½): rliable's probability of improvement on one task."""
    from ebrl.studies.mujoco.report import improvement as over_tasks

    return over_tasks(np.asarray(x)[:, None], np.asarray(y)[:, None])


def compare(x: np.ndarray, y: np.ndarray, what: str, scale: np.ndarray | None = None) -> str:
    """One statistic of x against y: welch (p), mann_whitney (p), gap (mean y − mean x), relation (the gap, 'N below'
    or 'N above'), sds_below ((mean y − mean x) / std y), improvement (P(x > y)), ratio (mean x / mean y), dominates
    (whether every x is above every y)."""
    if what == "welch":
        return p_value(ttest_ind(x, y, equal_var=False).pvalue)
    if what == "mann_whitney":
        return p_value(mannwhitneyu(x, y).pvalue)
    if what == "gap":
        return f"{y.mean() - x.mean():.0f}"
    if what == "relation":
        return f"{abs(y.mean() - x.mean()):.0f} {'below' if x.mean() < y.mean() else 'above'}"
    if what == "sds_below":
        return f"{(y.mean() - x.mean()) / y.std():.2f}"
    if what == "improvement":
        return f"{improvement(x, y):.2f}"
    if what == "ratio":
        return f"{x.mean() / y.mean():.2f}"
    if what == "dominates":
        return "every one of its seeds above every seed of" if x.min() > y.max() else "its seeds overlapping those of"
    raise ValueError(f"unknown statistic {what!r}")


@on_both
def published_mean_std(folder: Path, task: str, step: str) -> str:
    return mean_std(published(folder, task, step))


@on_both
def against_published(folder: Path, group: str, task: str, step: str, what: str) -> str:
    """A group's returns at the step against Tianshou's at the same step (compare's statistics)."""
    return compare(returns(folder, group, step), published(folder, task, step), what)


@on_both
def between_groups(folder: Path, group: str, other: str, step: str, what: str) -> str:
    return compare(returns(folder, group, step), returns(folder, other, step), what)


@generates(BASELINE)
def normalised_mean(folder: Path, *pairs: str) -> str:
    """The mean over tasks of each group's mean return / the published mean (pairs: GROUP TASK ... at 100k)."""
    ratios = [returns(folder, g, "100000").mean() / published(folder, t, "100000").mean()
              for g, t in zip(pairs[::2], pairs[1::2])]
    return f"{np.mean(ratios):.2f}"


@generates(BASELINE)
def published_above(folder: Path, task: str, group: str, step: str, threshold: str) -> str:
    above = lambda x: int((x > float(threshold)).sum())  # noqa: E731
    ours, theirs = returns(folder, group, step), published(folder, task, step)
    return f"{above(theirs)} of Tianshou's {len(theirs)} seeds, {above(ours)} of ebrl's {len(ours)}"


@generates(BASELINE)
def three_seed_table(folder: Path) -> str:
    """ebrl's SAC, three seeds, at 50k and 100k: the defaults and the published run's settings."""
    groups = [("Hopper-v5", "Hopper-v5", "Hopper-v3"),
              ("Hopper-v5, Tianshou's settings", "Hopper-v5-tianshou-settings", "Hopper-v3"),
              ("HalfCheetah-v5", "HalfCheetah-v5", "HalfCheetah-v3"),
              ("HalfCheetah-v5, learning rates 1e-3 only", "HalfCheetah-v5-lr-1e-3", "HalfCheetah-v3"),
              ("HalfCheetah-v5, Tianshou's settings", "HalfCheetah-v5-tianshou-settings", "HalfCheetah-v3")]
    rows = []
    for label, group, task in groups:
        for step in ("50000", "100000"):
            x = returns(folder, group, step)
            rows.append([label, steps(int(step)), nums(x), mean_std(x),
                         mean_std(published(folder, task, step)) if step == "100000" else ""])
    return table(["task", "step", "seeds 0, 1, 2", "mean ± std", "published at 100k"], rows)


@generates(BASELINE)
def five_seed_table(folder: Path) -> str:
    """The S2AC authors' SAC (sac/mujoco) against the library's defaults, five seeds."""
    rows = []
    for task, reference in (("HalfCheetah-v5", "HalfCheetah-v3"), ("Hopper-v5", "Hopper-v3")):
        for setting, label in (("sac-mujoco", "`sac/mujoco`"), ("defaults", "defaults")):
            group = f"5-seeds/{setting}/{task}"
            half, full = returns(folder, group, "50000"), returns(folder, group, "100000")
            rows.append([task, label, nums(half), mean_std(half), nums(full), mean_std(full),
                         mean_std(published(folder, reference, "100000"))])
    return table(["task", "setting", "50 000 steps, seeds 0–4", "mean ± std", "100 000 steps, seeds 0–4",
                  "mean ± std", "published at 100k"], rows)


@generates(BASELINE)
def hopper_by_step_table(folder: Path) -> str:
    """Tianshou's settings on Hopper-v5, five seeds, against Tianshou's ten on Hopper-v3, every 10 000 steps."""
    rows = []
    for step in range(50_000, 100_001, 10_000):
        x, y = returns(folder, "tianshou-5/Hopper-v5", str(step)), published(folder, "Hopper-v3", str(step))
        rows.append([steps(step), nums(x), mean_std(x), f"{trim_mean(x, 0.25):.0f}", mean_std(y),
                     f"{trim_mean(y, 0.25):.0f}", f"{improvement(x, y):.2f}"])
    return table(["step", "ebrl, Hopper-v5, seeds 0–4", "mean ± std", "IQM",
                  "Tianshou, Hopper-v3, 10 seeds: mean ± std", "IQM", "P(ebrl > Tianshou)"], rows)


@generates(BASELINE)
def halfcheetah_tianshou_table(folder: Path) -> str:
    rows = []
    for step in ("50000", "100000"):
        x = returns(folder, "tianshou-5/HalfCheetah-v5", step)
        rows.append([steps(int(step)), nums(x), mean_std(x), f"{trim_mean(x, 0.25):.0f}",
                     mean_std(returns(folder, "5-seeds/sac-mujoco/HalfCheetah-v5", step)),
                     mean_std(published(folder, "HalfCheetah-v3", step))])
    return table(["step", "ebrl, HalfCheetah-v5, Tianshou's settings, seeds 0–4", "mean ± std", "IQM",
                  "`sac/mujoco`, seeds 0–4 (above)", "Tianshou, v3, 10 seeds"], rows)


def _hopper_study(folder: Path) -> tuple[dict, dict]:
    study = folder / "hopper-50k"
    return read_json(study / "results.json"), read_json(study / "runtime.json")


def _interval(estimate: float, interval: list[float], digits: int) -> str:
    return f"{num(estimate, digits)} [{num(interval[0], digits)}, {num(interval[1], digits)}]"


@generates(OVERVIEW)
def hopper_study_table(folder: Path) -> str:
    results, _ = _hopper_study(folder)
    labels = {"sac": "SAC", "sql": "SQL", "s2ac": "S2AC"}
    rows = []
    for algo, r in results["tasks"]["Hopper-v5"].items():
        rows.append([f"{labels[algo]} ({r['mode']})", nums(r["final_returns"]),
                     _interval(r["iqm"], r["iqm_interval"], 0), mean_std(r["final_returns"])])
    return table(["algorithm", "final returns, seeds 0, 1, 2", "IQM [95 % CI]", "mean ± std"], rows)


@generates(OVERVIEW)
def hopper_study(folder: Path, what: str) -> str:
    """The study's aggregates (normalised IQMs, probabilities of improvement), S2AC's seeds, where its curve leads,
    and the run time (runtime.json)."""
    results, times = _hopper_study(folder)
    if what == "normalised":
        n = results["normalized_by_sac"]
        return f"S2AC {_interval(n['s2ac']['iqm'], n['s2ac']['iqm_interval'], 2)}, SQL " \
               f"{_interval(n['sql']['iqm'], n['sql']['iqm_interval'], 2)}"
    if what == "improvement":
        p = results["probability_of_improvement"]
        return ", ".join(f"P({k.split(' > ')[0].upper()} > {k.split(' > ')[1].upper()}) = "
                         f"{_interval(v['probability'], v['interval'], 2)}" for k, v in p.items())
    if what == "s2ac_seeds":
        s2ac = sorted(results["tasks"]["Hopper-v5"]["s2ac"]["final_returns"], reverse=True)
        sac = results["tasks"]["Hopper-v5"]["sac"]["final_returns"]
        within = all(min(sac) <= r <= max(sac) for r in s2ac[1:])
        return (f"{s2ac[0]:.0f}; the other two, {s2ac[1]:.0f} and {s2ac[2]:.0f}, are "
                f"{'within' if within else 'outside'} SAC's range, {min(sac):.0f}–{max(sac):.0f}")
    if what == "s2ac_ahead_from":
        curves = results["curves"]["Hopper-v5"]
        ahead = [all(s > curves[o]["iqm"][i] for o in ("sac", "sql")) for i, s in enumerate(curves["s2ac"]["iqm"])]
        first = next(i for i in range(len(ahead)) if all(ahead[i:]))
        return steps(curves["s2ac"]["steps"][first])
    if what == "runtime":
        hopper = times["Hopper-v5"]
        parts = [f"{algo.upper()} {t['hours_per_million_steps']:.1f} h ({t['ms_per_update_step']:.1f} ms)"
                 for algo, t in hopper.items()]
        ratio = hopper["s2ac"]["hours_per_million_steps"] / hopper["sac"]["hours_per_million_steps"]
        return f"{', '.join(parts)}: S2AC costs {ratio:.0f}× SAC here"
    raise ValueError(f"hopper_study: unknown quantity {what!r}")


@generates("mujoco/gpu-h200/README.md")
def throughput_table(folder: Path) -> str:
    """Steps per second per seed (median of the rows at 5000, 7500 and 10 000 steps) and × seeds."""
    runs = [("S2AC(φ,θ), 1 seed", "s2ac1.csv", 1), ("S2AC(φ,θ), 8 seeds in one program", "s2ac8.csv", 8),
            ("SAC, 8 seeds in one program", "sac8.csv", 8)]
    rows = []
    for label, name, seeds in runs:
        sps = np.median([float(r["sps"]) for r in read_csv(folder / name) if int(r["step"]) >= 5000])
        rows.append([label, f"{sps:.0f}", f"{sps * seeds:,.0f}".replace(",", " ")])
    return table(["run", "steps/s per seed", "aggregate env-steps/s"], rows)


STUDY = "mujoco/study-50k/README.md"


def study_groups(folder: Path) -> list[tuple[str, str, list[list[dict]]]]:
    """(task, algorithm, each seed's metrics rows) of every group the study's plan.json names, in plan order."""
    plan = read_json(folder / "plan.json")
    return [(env, algo, [read_csv(run / "metrics.csv") if (run / "metrics.csv").is_file() else []
                         for run in (folder / "runs" / env / algo / f"seed_{seed}" for seed in plan["seeds"])])
            for env in plan["envs"] for algo in plan["algos"]]


RATES = ("overall", "fastest")  # a group's seconds per step from its first learning evaluation to its last, or in
# its fastest interval between two evaluations (the machine least shared with other work)


def group_seconds_per_step(folder: Path, env: str, algo: str, rate: str = "overall") -> float:
    """The study group's wall-clock seconds per environment step once it learns (from its first evaluation at or
    after learning_starts), read from its seed 0 (a group trains its seeds in one program); `rate` one of RATES."""
    if rate not in RATES:
        raise ValueError(f"unknown rate {rate!r}; use one of {RATES}")
    run = folder / "runs" / env / algo / "seed_0"
    starts = read_json(run / "config.json")["train"]["learning_starts"]
    rows = [(int(r["step"]), float(r["time_s"])) for r in read_csv(run / "metrics.csv") if int(r["step"]) >= starts]
    pairs = [(rows[0], rows[-1])] if rate == "overall" else list(itertools.pairwise(rows))
    return min((t1 - t0) / (s1 - s0) for (s0, t0), (s1, t1) in pairs)


def processor(machine: dict) -> str:
    """A machine.json's CPU model, short: "Intel(R) Xeon(R) Processor" as "Intel Xeon"."""
    return machine["cpu"].replace("(R)", "").removesuffix(" Processor")


def _plan(folder: Path):
    """The study's plan (plan.json) as a StudyPlan."""
    from ebrl.studies.mujoco.groups import read_plan

    plan = read_plan(folder)
    if plan is None:
        raise ValueError(f"{folder} holds no study (no plan.json)")
    return plan


def _seed_batches(folder: Path) -> list[tuple[int, ...]]:
    """The study's programs' seeds: its first seeds, then each set a later command added (plan.json)."""
    from ebrl.studies.mujoco.groups import read_seed_batches

    return read_seed_batches(folder, _plan(folder))


def _last_step(rows: list[dict]) -> int:
    """The step a seed's metrics rows reach (its last evaluation); 0 before its first."""
    return int(rows[-1]["step"]) if rows else 0


def _seeds(batch: tuple[int, ...]) -> str:
    """Seeds (0, 1, 2) as "0–2", (3,) as "3"."""
    return f"{batch[0]}–{batch[-1]}" if len(batch) > 1 else str(batch[0])


@generates(STUDY)
def study_progress(folder: Path) -> str:
    """Per group: the step each seed's metrics.csv reaches (its last evaluation), the hours each program of its
    seeds has run (its first seed's clock), each program's state (for one in progress, the step of its committed
    checkpoint) and the processors of the machines that finished its seeds (their machine.json)."""
    from ebrl.studies.machine import MACHINE_FILE

    plan = _plan(folder)
    batches = _seed_batches(folder)
    lines = ["| task | algorithm | seeds at step | hours | state | finished on |", "|---|---|---|---|---|---|"]
    for env, algo, tables in study_groups(folder):
        group = folder / "runs" / env / algo
        reached = dict(zip(plan.seeds, map(_last_step, tables), strict=True))
        clocks = dict(zip(plan.seeds, (float(t[-1]["time_s"]) / 3600 if t else None for t in tables), strict=True))
        hours, states = [], []
        for batch in batches:
            saved = sorted(int(p.name) for p in (group / f"seed_{batch[0]}" / "checkpoints").glob("[0-9]*"))
            steps_reached = [reached[seed] for seed in batch]
            state = ("finished" if min(steps_reached) >= plan.steps else "not started" if max(steps_reached) == 0
                     else f"in progress, checkpoint at step {saved[-1]:,} committed" if saved else "in progress")
            states.append(state if len(batches) == 1 else f"{_seeds(batch)} {state}")
            hours.append(f"{clocks[batch[0]]:.1f}" if clocks[batch[0]] is not None else "-")
        machines = sorted({processor(read_json(f)) for f in sorted(group.glob(f"seed_*/{MACHINE_FILE}"))})
        lines.append(f"| {env} | {algo} | {', '.join(f'{r:,}' for r in reached.values())} | {' + '.join(hours)} | "
                     f"{'; '.join(states)} | {' and '.join(machines) or '-'} |")
    return "\n".join(lines)


@generates(STUDY)
def study_seed_files(folder: Path) -> str:
    """The claim that every group holds the plan's first seeds and each seed it has started, each with config.json
    and metrics.csv, checked; how many of the planned seeds have finished."""
    plan = _plan(folder)
    first = set(_seed_batches(folder)[0])
    groups = study_groups(folder)
    for env, algo, _ in groups:
        started = {int(p.name.removeprefix("seed_")) for p in seed_dirs(folder / "runs" / env / algo)}
        if not first <= started:
            raise ValueError(f"runs/{env}/{algo} lacks seeds {sorted(first - started)}")
    finished = sum(_last_step(t) >= plan.steps for _, _, tables in groups for t in tables)
    return (f"every seed's `config.json` and `metrics.csv` ({finished} of the {len(groups) * len(plan.seeds)} "
            "planned runs finished)")


@generates(STUDY)
def study_rate(folder: Path, env: str, algo: str, rate: str = "overall") -> str:
    """The group's seconds per step of its three seeds once it learns (metrics.csv's time_s; RATES)."""
    return f"{group_seconds_per_step(folder, env, algo, rate):.2f} s"


@generates(STUDY)
def study_cost(folder: Path, file: str) -> str:
    """Each algorithm's environment steps per second per seed, three seeds in one program, measured side by side
    by benchmarks/gpu_scaling.py (its JSON), as hours per million steps, and S2AC's cost as a multiple of SAC's."""
    rates = {row["algo"]: row["per_seed"] for row in read_json(folder / file)["programs"]}
    parts = [f"{algo.upper()} {rate:.1f} steps/s ({1e6 / rate / 3600:.1f} h per million steps)"
             for algo, rate in rates.items()]
    return f"{', '.join(parts)}: S2AC costs {rates['sac'] / rates['s2ac']:.0f}× SAC"


def finished_study(folder: Path) -> tuple[dict, dict]:
    """(results.json, runtime.json) of the study in folder on the seeds every group has finished, computed again
    from their metrics.csv (once per state of the files): the plan's seed batches (its first seeds, then each set a
    later command added) whose every seed reached the plan's last step in every group, so that a verdict stands on
    the first seeds while added ones train; ValueError while not even the first batch has."""
    stamps = tuple(p.stat().st_mtime_ns for p in sorted((folder / "runs").rglob("metrics.csv")))
    return _finished_study(folder, stamps)


@functools.lru_cache(maxsize=2)
def _finished_study(folder: Path, stamps: tuple[int, ...]) -> tuple[dict, dict]:
    from ebrl.studies.mujoco.groups import plan_groups, read_seed_batches
    from ebrl.studies.mujoco.report import study_report

    plan = _plan(folder)
    reached = {(env, algo, seed): _last_step(rows)
               for env, algo, tables in study_groups(folder) for seed, rows in zip(plan.seeds, tables, strict=True)}
    planned = read_seed_batches(folder, plan)
    batches = list(itertools.takewhile(
        lambda batch: all(step >= plan.steps for (_, _, seed), step in reached.items() if seed in batch), planned))
    if not batches:
        raise ValueError(f"{folder}: seeds {', '.join(map(str, planned[0]))} have not reached step {plan.steps} in "
                         "every group; continue the study with its command to finish them")
    plan = dataclasses.replace(plan, seeds=tuple(seed for batch in batches for seed in batch))
    return study_report(plan, folder, plan_groups(plan), batches)


LABELS = {"sac": "SAC", "sql": "SQL", "s2ac": "S2AC"}
STUDY_FOLDER = "study-50k"


def _label(comparison: str) -> str:
    """'s2ac > sac' as 'S2AC > SAC'."""
    return " > ".join(LABELS.get(arm, arm) for arm in comparison.split(" > "))


@generates(STUDY)
def study_iqm_table(folder: Path) -> str:
    """Per task, each algorithm's final-return IQM with its interval, and its seeds' final returns."""
    results, _ = finished_study(folder)
    algos = results["plan"]["algos"]
    rows = [[env, *(f"{_interval(r[a]['iqm'], r[a]['iqm_interval'], 0)} ({nums(r[a]['final_returns'])})"
                    for a in algos)] for env, r in results["tasks"].items()]
    return table(["task", *(f"{LABELS.get(a, a)} ({results['tasks'][next(iter(results['tasks']))][a]['mode']})"
                            for a in algos)], rows)


@generates(STUDY)
def study_improvement_table(folder: Path) -> str:
    """P(S2AC > X) of the final returns across the tasks and on each, with its interval."""
    results, _ = finished_study(folder)
    per_task = results["probability_of_improvement_per_task"]
    rows = [[f"P({_label(name)})", *(_interval(c["probability"], c["interval"], 2)
                                     for c in (r, *(by_pair[name] for by_pair in per_task.values())))]
            for name, r in results["probability_of_improvement"].items()]
    return table(["comparison", "across tasks", *per_task], rows)


def _reading(interval: list[float]) -> str:
    """Where a probability of improvement's interval lies against ½."""
    return "lies above ½" if interval[0] > 0.5 else "lies below ½" if interval[1] < 0.5 else "holds ½"


@generates(STUDY)
def study_verdict(folder: Path, what: str, *args: str) -> str:
    """One quantity of the study on the seeds every group has finished: `seeds` (how many, which), `normalised`
    (each algorithm's IQM of final return / SAC's mean on the task, across tasks), `improvement COMPARISON` (P across
    tasks, and where its interval lies against ½), `settled COMPARISON` (the evaluation steps at which P's interval
    lies wholly above or below ½), `best_per_task` (the algorithm with the highest IQM on each task), `hours` (each
    algorithm's hours per million steps per program of seeds, median over the tasks, and the processors)."""
    results, times = finished_study(folder)
    if what == "seeds":
        seeds = results["plan"]["seeds"]
        return f"{len(seeds)} seeds ({', '.join(map(str, seeds))})"
    if what == "normalised":
        return ", ".join(f"{LABELS.get(a, a)} {_interval(r['iqm'], r['iqm_interval'], 2)}"
                         for a, r in results["normalized_by_sac"].items())
    if what == "improvement":
        r = results["probability_of_improvement"][args[0]]
        return (f"P({_label(args[0])}) = {_interval(r['probability'], r['interval'], 2)}, an interval that "
                f"{_reading(r['interval'])}")
    if what == "settled":
        curve = results["improvement_curves"][args[0]]
        above = [s for s, lo in zip(curve["steps"], curve["low"]) if lo > 0.5]
        below = [s for s, hi in zip(curve["steps"], curve["high"]) if hi < 0.5]
        parts = [f"above ½ at {', '.join(steps(s) for s in above)}" if above else "above ½ at no step",
                 f"below ½ at {', '.join(steps(s) for s in below)}" if below else "below ½ at no step"]
        return f"{'; '.join(parts)} (of {len(curve['steps'])} evaluations)"
    if what == "best_per_task":
        best = {env: max(r, key=lambda a: r[a]["iqm"]) for env, r in results["tasks"].items()}
        return ", ".join(f"{LABELS.get(a, a)} on {env}" for env, a in best.items())
    if what == "hours":
        parts = []
        for algo in results["plan"]["algos"]:
            programs = [p for by_algo in times.values() for p in by_algo[algo]["programs"]]
            per_batch = []
            for batch in sorted({tuple(p["seeds"]) for p in programs}):
                ran = [p for p in programs if tuple(p["seeds"]) == batch]
                cpus = sorted({processor(p["machine"]) for p in ran if p["machine"]})
                per_batch.append(f"{np.median([p['hours_per_million_steps'] for p in ran]):.1f} h for seeds "
                                 f"{_seeds(batch)} ({' and '.join(cpus)})")
            parts.append(f"{LABELS.get(algo, algo)} {', '.join(per_batch)}")
        return "; ".join(parts)
    raise ValueError(f"study_verdict: unknown quantity {what!r}")


@generates(OVERVIEW)
def study_50k(folder: Path, what: str, *args: str) -> str:
    """The study-50k verdict's quantity `what` (study_verdict's), for the overview of docs/results/mujoco."""
    return study_verdict(folder / STUDY_FOLDER, what, *args)


def _met_svgd(folder: Path) -> list[dict]:
    return read_csv(results_root(folder) / MET_SVGD)


def _met_svgd_iqm(row: dict) -> str:
    """An IQM read off the MET-SVGD figures, with its 95 % interval where the figure shows both ends."""
    shown = row["ci_low"] and row["ci_high"]
    interval = f" [{num(float(row['ci_low']), 0)}, {num(float(row['ci_high']), 0)}]" if shown else ""
    return f"{num(float(row['iqm']), 0)}{interval}"


@generates(OVERVIEW)
@generates(STUDY)
def met_svgd(folder: Path, step: str) -> str:
    """Each method's return IQM on Walker2d-v2 at the step in the S2AC authors' MET-SVGD runs (5 seeds)."""
    rows = [r for r in _met_svgd(folder) if int(r["step"]) == int(step)]
    if not rows:
        raise ValueError(f"{MET_SVGD} has no row at step {step}")
    return ", ".join(f"{r['method']} {_met_svgd_iqm(r)}" for r in rows)


@generates(PUBLISHED)
def met_svgd_table(folder: Path) -> str:
    """The MET-SVGD figures' IQM per method and step, as met-svgd-walker2d-v2.csv holds them."""
    records = _met_svgd(folder)
    stepped = sorted({int(r["step"]) for r in records})
    by_method: dict[tuple[str, str], dict[int, str]] = {}
    for r in records:
        by_method.setdefault((r["method"], r["legend"]), {})[int(r["step"])] = _met_svgd_iqm(r)
    rows = [[m, f"`{legend}`", *(cells.get(s, "-") for s in stepped)] for (m, legend), cells in by_method.items()]
    return table(["method", "legend", *(f"iteration {steps(s)}" for s in stepped)], rows)
