"""The MuJoCo study's report, read from its run directories: results.json, summary.md, runtime.json and figures.

Statistics follow Agarwal et al. (2021) through their library, rliable: per task the interquartile mean (IQM, the
mean of the middle 50 % of runs) of the final evaluation return with a 95 % stratified bootstrap interval; across
tasks the same on scores normalised by SAC's mean final return on each task, performance profiles
P(normalised score > τ), and the probability of improvement P(X > Y) = mean over tasks of P(x > y) for a random
run x of X and y of Y. Bootstraps use fixed seeds, so a study gives the same results.json however it was executed;
wall-clock times, which differ between executions, are in runtime.json only.
"""

import json
from pathlib import Path

import numpy as np

from ebrl.presets import env_family
from ebrl.runs import read_metrics, seed_run_dirs
from ebrl.studies.machine import MACHINE_FILE
from ebrl.studies.plans import parse_arm

FINAL_REPS = 10_000  # bootstrap replications of the final-return intervals
CURVE_REPS = 2_000  # of the per-step intervals and profiles
CONFIDENCE = 0.95
BOOTSTRAP_SEED = 0
RESULTS_FILE, RUNTIME_FILE, SUMMARY_FILE = "results.json", "runtime.json", "summary.md"
CURVES_FIGURE, AGGREGATE_FIGURE, TIME_FIGURE = "sample_efficiency.png", "aggregate.png", "return_vs_time.png"

SAC_REFERENCE_SOURCE = ("Tianshou's SAC, v3 tasks, 10 seeds, evaluation return mean ± std "
                        "(thu-ml/tianshou examples/mujoco/benchmark, commit 33d241a2^)")
SAC_REFERENCE = {  # family -> {step: (mean, std)}
    "HalfCheetah": {100_000: (6515, 514), 300_000: (9059, 1051), 1_000_000: (12122, 1006)},
    "Hopper": {100_000: (2613, 991), 300_000: (3388, 115), 1_000_000: (3532, 43)},
    "Walker2d": {100_000: (1305, 795), 300_000: (3387, 1182), 1_000_000: (4961, 327)},
    "Ant": {100_000: (1020, 450), 300_000: (3561, 780), 1_000_000: (5714, 369)},
    "Humanoid": {100_000: (629, 106), 300_000: (2045, 1311), 1_000_000: (5416, 214)},
}


def _estimates(scores, statistic, reps: int) -> tuple:
    """rliable's point estimate and stratified bootstrap interval of `statistic` (runs resampled within each task),
    with a fixed seed. rliable 1.2's bootstraps draw their indices from NumPy's global generator whatever
    random_state they are given, so the global state is seeded for the call and restored after it."""
    from rliable import library

    saved = np.random.get_state()
    np.random.seed(BOOTSTRAP_SEED)
    try:
        point, interval = library.get_interval_estimates({"x": scores}, statistic, reps=reps,
                                                         confidence_interval_size=CONFIDENCE)
    finally:
        np.random.set_state(saved)
    return point["x"], interval["x"]


def default_eval_column(rows: list[dict]) -> str:
    """The evaluation column of the agent's default action mode: the first eval/<mode>/return_mean logged (the
    loop writes the modes in the agent's order, the evaluation default first)."""
    return next(k for k in rows[0] if k.startswith("eval/") and k.endswith("/return_mean"))


def eval_curves(run_dirs: list[Path], steps: int) -> tuple[np.ndarray, np.ndarray, str]:
    """(evaluation steps, returns of shape seeds × steps, mode) of a finished group, in its default mode."""

    tables = [read_metrics(d) for d in run_dirs]
    column = default_eval_column(tables[0])
    common = sorted(set.intersection(*[{int(r["step"]) for r in rows if column in r} for rows in tables]))
    if not common or common[-1] != steps:
        raise ValueError(f"{run_dirs[0].parent} has no evaluation at step {steps}; is the group finished?")
    returns = np.array([[next(r[column] for r in rows if int(r["step"]) == s) for s in common] for rows in tables])
    return np.array(common), returns, column.split("/")[1]


def iqm(scores: np.ndarray) -> float:
    """The interquartile mean of all the scores: rliable's aggregate_iqm, scipy's trim_mean(scores, 0.25, axis=None),
    computed the way scipy computes it (the same partition, so the same bits) without scipy's per-call argument
    handling, which was nine tenths of a bootstrap's time. With n scores and c = ⌊n/4⌋: the mean of the order
    statistics c … n − c − 1."""
    flat = np.ravel(scores)
    cut = int(0.25 * flat.size)
    return float(np.mean(np.partition(flat, (cut, flat.size - cut - 1))[cut:flat.size - cut]))


def improvement(scores_x: np.ndarray, scores_y: np.ndarray) -> float:
    """P(X > Y) averaged over tasks: rliable's probability_of_improvement (the Mann–Whitney U over n_x·n_y), as
    the share of the pairs of runs (x, y) of a task with x > y, a tie counting ½ (the same bits: U is a sum of
    halves), without scipy's per-call overhead."""
    above = scores_x[:, None, :] > scores_y[None, :, :]  # runs_x × runs_y × tasks
    ties = scores_x[:, None, :] == scores_y[None, :, :]
    return float(np.mean([np.mean(above[..., task] + 0.5 * ties[..., task]) for task in range(scores_x.shape[1])]))


def iqm_interval(scores: np.ndarray, reps: int) -> tuple[float, list[float]]:
    """IQM of a runs × tasks matrix and its stratified bootstrap interval (rliable)."""
    point, interval = _estimates(scores, lambda s: np.array([iqm(s)]), reps)
    return float(point[0]), [float(v) for v in interval[:, 0]]


def iqm_curve(returns: np.ndarray, reps: int) -> dict:
    """IQM over runs at each evaluation step, with its interval; `returns` is runs × steps (one task)."""
    point, interval = _estimates(returns[:, None, :],  # runs × tasks × steps
                                 lambda s: np.array([iqm(s[..., j]) for j in range(s.shape[-1])]), reps)
    return {"iqm": point.tolist(), "low": interval[0].tolist(), "high": interval[1].tolist()}


def performance_profile(normalized: np.ndarray, taus: np.ndarray, reps: int) -> dict:
    """P(normalised score > τ) over all runs and tasks at each τ, with its interval (rliable)."""
    from rliable import library

    point, interval = _estimates(normalized, lambda s: library.score_distributions(s, taus), reps)
    return {"fraction": point.tolist(), "low": interval[0].tolist(), "high": interval[1].tolist()}


def improvement_probability(x: np.ndarray, y: np.ndarray, reps: int) -> tuple[float, list[float]]:
    """P(X > Y) of two runs × tasks matrices and its stratified bootstrap interval (rliable)."""
    point, interval = _estimates((x, y), improvement, reps)
    return float(point), [float(v) for v in np.ravel(interval)]


def compute_results(plan, curves: dict) -> dict:
    """results.json from the groups' curves: `curves[env][algo] = (steps, returns seeds × steps, mode)`."""

    results = {"plan": plan.to_json(), "confidence": CONFIDENCE, "tasks": {}, "curves": {}, "sac_reference": {}}
    final = {env: {algo: returns[:, -1] for algo, (_, returns, _) in by_algo.items()} for env, by_algo in
             curves.items()}
    for env, by_algo in curves.items():
        results["tasks"][env], results["curves"][env] = {}, {}
        for algo, (steps, returns, mode) in by_algo.items():
            iqm, interval = iqm_interval(returns[:, -1:], FINAL_REPS)
            results["tasks"][env][algo] = {
                "mode": mode, "seeds": len(returns), "final_returns": returns[:, -1].tolist(), "iqm": iqm,
                "iqm_interval": interval, "mean": float(returns[:, -1].mean()), "std": float(returns[:, -1].std())}
            results["curves"][env][algo] = {"steps": steps.tolist(), **iqm_curve(returns, CURVE_REPS)}
        reference = SAC_REFERENCE.get(env_family(env))
        if reference and "sac" in by_algo:
            steps, returns, _ = by_algo["sac"]
            rows = [{"step": step, "published_mean": mean, "published_std": std,
                     "ebrl_mean": float(returns[:, i].mean()), "ebrl_std": float(returns[:, i].std())}
                    for step, (mean, std) in reference.items() for i in np.flatnonzero(steps == step)]
            if rows:
                results["sac_reference"][env] = rows
    algos = list(plan.algos)
    if "sac" in algos:
        normalized = {algo: np.stack([final[env][algo] / final[env]["sac"].mean() for env in curves], axis=1)
                      for algo in algos}
        largest = max(float(v.max()) for v in normalized.values())
        taus = np.linspace(0.0, max(2.0, largest), 101)
        results["normalized_by_sac"] = {algo: dict(zip(("iqm", "iqm_interval"), iqm_interval(v, FINAL_REPS)))
                                        for algo, v in normalized.items()}
        results["performance_profiles"] = {"tau": taus.tolist(),
                                           **{algo: performance_profile(v, taus, CURVE_REPS)
                                              for algo, v in normalized.items()}}
    raw = {algo: np.stack([final[env][algo] for env in curves], axis=1) for algo in algos}
    pairs = [(x, y) for x in algos for y in algos if parse_arm(x)[0] == "s2ac" and y != x]  # S2AC's arms vs the rest
    results["probability_of_improvement"] = {
        f"{x} > {y}": dict(zip(("probability", "interval"), improvement_probability(raw[x], raw[y], FINAL_REPS)))
        for x, y in pairs}
    results["probability_of_improvement_per_task"] = {
        env: {f"{x} > {y}": dict(zip(("probability", "interval"),
                                     improvement_probability(raw[x][:, [j]], raw[y][:, [j]], FINAL_REPS)))
              for x, y in pairs}
        for j, env in enumerate(curves)}
    results["improvement_curves"] = {f"{x} > {y}": improvement_curve(curves, x, y) for x, y in pairs}
    return results


def improvement_curve(curves: dict, x: str, y: str) -> dict:
    """P(X > Y) over the tasks at each evaluation step of the study, with its interval: the sample-efficiency view of
    the probability of improvement."""
    steps = next(iter(curves.values()))[x][0]

    def at(arm: str, i: int) -> np.ndarray:  # runs × tasks at the i-th evaluation
        return np.stack([curves[env][arm][1][:, i] for env in curves], axis=1)

    points = [improvement_probability(at(x, i), at(y, i), CURVE_REPS) for i in range(len(steps))]
    return {"steps": steps.tolist(), "probability": [p for p, _ in points], "low": [i[0] for _, i in points],
            "high": [i[1] for _, i in points]}


def runtime(groups, study_dir: Path, seed_batches: list[tuple[int, ...]]) -> dict:
    """Per group: each program that trained some of its seeds (`seed_batches`: the plan's seeds, then each set a
    later command added), with its wall-clock time per million environment steps and per update step (an
    environment step of every seed of the program and its gradient updates, evaluations included) and the machine
    its first seed records; and the hours at each evaluation, the median over seeds of their program's clock (the x
    axis of return against time)."""

    table: dict[str, dict] = {}
    for group in groups:
        run_dir = group.run_dir(study_dir)
        programs = []
        for batch in seed_batches:
            rows = read_metrics(run_dir / f"seed_{batch[0]}")
            machine_file = run_dir / f"seed_{batch[0]}" / MACHINE_FILE
            first = next((r for r in rows if r["step"] >= group.spec.train.learning_starts), rows[-1])
            updates = (rows[-1]["step"] - first["step"]) * group.spec.train.updates_per_step
            programs.append({
                "seeds": list(batch), "steps": int(rows[-1]["step"]), "wall_s": rows[-1]["time_s"],
                "hours_per_million_steps": rows[-1]["time_s"] / rows[-1]["step"] * 1e6 / 3600,
                "ms_per_update_step": (rows[-1]["time_s"] - first["time_s"]) / updates * 1e3 if updates else None,
                "machine": json.loads(machine_file.read_text()) if machine_file.is_file() else None})
        clocks = np.array([[r["time_s"] for r in read_metrics(d)]  # a row per evaluation
                           for d in seed_run_dirs(run_dir, list(group.seeds))])
        table.setdefault(group.env, {})[group.algo] = {
            "programs": programs, "hours_at_eval": (np.median(clocks, axis=0) / 3600).tolist()}
    return table


def study_report(plan, study_dir: Path, groups, seed_batches: list[tuple[int, ...]]) -> tuple[dict, dict]:
    """(results.json, runtime.json) of the finished groups in study_dir, from every seed's metrics.csv."""
    curves: dict[str, dict] = {}
    for group in groups:
        run_dirs = seed_run_dirs(group.run_dir(study_dir), list(group.seeds))
        curves.setdefault(group.env, {})[group.algo] = eval_curves(run_dirs, plan.steps)
    return compute_results(plan, curves), runtime(groups, study_dir, seed_batches)


def write_report(plan, study_dir: Path, groups, seed_batches: list[tuple[int, ...]]) -> list[Path]:
    """Read every finished group and write results.json, runtime.json, summary.md and the figures."""
    from ebrl.studies.mujoco.figures import (  # matplotlib: for a report
        plot_study_aggregate,
        plot_study_curves,
        plot_study_time,
    )

    study_dir = Path(study_dir)
    results, times = study_report(plan, study_dir, groups, seed_batches)
    written = [study_dir / RESULTS_FILE, study_dir / RUNTIME_FILE, study_dir / SUMMARY_FILE,
               study_dir / CURVES_FIGURE, study_dir / TIME_FIGURE]
    written[0].write_text(json.dumps(results, indent=1) + "\n")
    written[1].write_text(json.dumps(times, indent=1) + "\n")
    written[2].write_text(summary_markdown(results, times))
    plot_study_curves(results, written[3])
    plot_study_time(results, times, written[4])
    if "performance_profiles" in results:
        written.append(study_dir / AGGREGATE_FIGURE)
        plot_study_aggregate(results, written[-1])
    return written


def _interval(values: list[float]) -> str:
    return f"[{values[0]:.0f}, {values[1]:.0f}]"


def summary_markdown(results: dict, times: dict) -> str:
    plan = results["plan"]
    lines = [f"# MuJoCo study: {', '.join(plan['algos'])} on {', '.join(plan['envs'])}", "",
             (f"{len(plan['seeds'])} seeds ({', '.join(map(str, plan['seeds']))}), {plan['steps']:,} environment "
             f"steps, evaluation of {plan['eval_episodes']} episodes every {plan['eval_every']:,} steps in each "
             "agent's default mode. Final return: the evaluation at the last step. IQM with its "
             f"{results['confidence']:.0%} stratified bootstrap interval (rliable), mean ± std over seeds."), "",
             "## Final evaluation return", "", "| task | algorithm | mode | seeds | IQM [95 % CI] | mean ± std |",
             "|---|---|---|---|---|---|"]
    for env, by_algo in results["tasks"].items():
        for algo, r in by_algo.items():
            lines.append(f"| {env} | {algo} | {r['mode']} | {r['seeds']} | {r['iqm']:.0f} "
                         f"{_interval(r['iqm_interval'])} | {r['mean']:.0f} ± {r['std']:.0f} |")
    if "normalized_by_sac" in results:
        lines += ["", "## Across tasks: final return / SAC's mean final return on the task", "",
                  "| algorithm | IQM [95 % CI] |", "|---|---|"]
        for algo, r in results["normalized_by_sac"].items():
            lo, hi = r["iqm_interval"]
            lines.append(f"| {algo} | {r['iqm']:.2f} [{lo:.2f}, {hi:.2f}] |")
    if results["probability_of_improvement"]:
        per_task = results.get("probability_of_improvement_per_task", {})
        lines += ["", "## Probability of improvement", "",
                  "| comparison | across tasks, P [95 % CI] | " + " | ".join(per_task) + " |",
                  "|---|---|" + "---|" * len(per_task)]
        for name, r in results["probability_of_improvement"].items():
            cells = [r, *(by_pair[name] for by_pair in per_task.values())]
            lines.append(f"| P({name}) | " + " | ".join(f"{c['probability']:.2f} [{c['interval'][0]:.2f}, "
                                                         f"{c['interval'][1]:.2f}]" for c in cells) + " |")
        n = len(plan["seeds"])
        lines += ["", (f"P(X > Y): the share of the {n} × {n} pairs of runs (per task) where X's final return is the "
                       f"higher. The interval redraws the same {n} runs of each arm, so with few seeds it understates "
                       "the uncertainty: arms whose final returns do not overlap get [1.00, 1.00] whatever the "
                       "noise of a single evaluation; read it with the curves.")]
    if not results["sac_reference"]:
        lines += ["", "## SAC beside the published SAC returns", "", "Published SAC returns exist at 100k, 300k and "
                  "1M steps (HalfCheetah, Hopper, Walker2d, Ant, Humanoid); this study evaluates none of them."]
    else:
        lines += ["", "## SAC beside the published SAC returns", "", f"Published: {SAC_REFERENCE_SOURCE}.", "",
                  "| task | step | ebrl SAC mean ± std | published mean ± std |", "|---|---|---|---|"]
        for env, rows in results["sac_reference"].items():
            for r in rows:
                lines.append(f"| {env} | {r['step']:,} | {r['ebrl_mean']:.0f} ± {r['ebrl_std']:.0f} | "
                             f"{r['published_mean']} ± {r['published_std']} |")
    lines += ["", "## Run time", "", ("Wall-clock of each program (the seeds it trained together, one program per "
              "batch of seeds); per update step: one environment step of every seed of the program and its gradient "
              f"updates, evaluations included. Return against these hours: [{TIME_FIGURE}]({TIME_FIGURE})."), "",
              "| task | algorithm | seeds | hours per 1M steps | ms per update step | machine |",
              "|---|---|---|---|---|---|"]
    for env, by_algo in times.items():
        for algo, t in by_algo.items():
            for program in t["programs"]:
                where = program["machine"]
                machine = f"{where['cpu']} ({where['cpus']} CPUs), {where['device']}" if where else "not recorded"
                per_update = (f"{program['ms_per_update_step']:.1f}" if program["ms_per_update_step"] is not None
                              else "-")
                lines.append(f"| {env} | {algo} | {', '.join(map(str, program['seeds']))} | "
                             f"{program['hours_per_million_steps']:.2f} | {per_update} | {machine} |")
    lines += ["", f"Figures: [{CURVES_FIGURE}]({CURVES_FIGURE})" +
              (f", [{AGGREGATE_FIGURE}]({AGGREGATE_FIGURE})" if "performance_profiles" in results else ""), ""]
    return "\n".join(lines)
