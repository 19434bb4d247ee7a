"""Maximum-entropy pretraining, then fine-tuning (the Soft Q-Learning paper's second claim, Haarnoja et al. 2017,
§5.3): is a policy pretrained on an undirected reward a better start for a directed task than no pretraining?

The study trains, for each algorithm, one seed group on the undirected task (`pretrain_env`, e.g. HalfCheetah
rewarded by |v_x|); reads which way each pretrained seed goes (the share of its last evaluation's episodes that end
with positive and with negative displacement along x); then, on each directed task (`envs`, e.g. running forward
and running backward), trains the same algorithm twice with the same seeds and budget: `pretrained`, seed k
starting from pretrained seed k (`ebrl train --init-from`: its networks, target networks and α; a new replay
buffer, optimiser state and counters), and `scratch`. Folders: DIR/runs/pretrain/<algo>/seed_k and
DIR/runs/<task>/<algo>/{pretrained,scratch}/seed_k; DIR/plan.json records the study, so the same command again
reuses finished groups and resumes an interrupted one.

The report compares pretrained with scratch per (task, algorithm) on the evaluation return (default action mode):
the interquartile mean (IQM) with its 95 % stratified bootstrap interval at fixed fractions of the budget, the
normalised area under the curve AUC = ∫ R(t) dt / T over the evaluations (trapezoids), the steps to reach a
threshold (a fraction of the way from the task's first evaluations to its best final IQM), and the probability of
improvement P(pretrained > scratch) (rliable). Pretraining picks a direction where the policy is unimodal; the last
table splits the fine-tuned runs by whether their task goes the way their pretrained seed went or the other way.
"""

import dataclasses
import json
import math
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import tyro

from ebrl.config import ConfigError, as_tuples, check_seeds, require, require_positive
from ebrl.studies.plans import check_study_lists

if TYPE_CHECKING:
    from ebrl.runs import RunSpec

PLAN_FILE = "plan.json"
RESULTS_FILE, SUMMARY_FILE, CURVES_FIGURE = "results.json", "summary.md", "finetune_curves.png"
STARTS = ("pretrained", "scratch")
BUDGET_FRACTIONS = (0.25, 0.5, 1.0)  # the return at these fractions of the fine-tuning budget


@dataclasses.dataclass(frozen=True)
class FinetunePlan:
    """What the study trains; two studies with equal plans train the same groups."""

    pretrain_env: str = "ebrl/HalfCheetahAnyDirection-v0"
    """The undirected task every algorithm pretrains on."""
    envs: tuple[str, ...] = ("ebrl/HalfCheetahForward-v0", "ebrl/HalfCheetahBackward-v0")
    """The directed tasks each pretrained seed is fine-tuned on, beside the same algorithm from scratch (the same
    robot as pretrain_env: observation and action sizes must match)."""
    algos: tuple[str, ...] = ("sac", "sql")
    """Algorithms, each with its preset for the robot (s2ac too, at about 30× SAC's cost per step)."""
    seeds: tuple[int, ...] = (0, 1, 2, 3, 4)
    """Seeds of every group; fine-tuned seed k starts from pretrained seed k."""
    pretrain_steps: int = 30_000
    """Environment steps of pretraining."""
    steps: int = 20_000
    """Environment steps of fine-tuning, and of training from scratch."""
    finetune_random_steps: int = 0
    """Uniform random actions at the start of every fine-tuning and scratch run (pretraining keeps its preset's,
    e.g. SAC's 10 000): a pretrained run collects with its own policy from its first step, and scratch trains the
    same way (as in the paper, where the arms differ only by their start)."""
    finetune_learning_starts: int = 1_000
    """Steps before the first update of every fine-tuning and scratch run (pretraining keeps its preset's)."""
    eval_every: int = 2_000
    """Evaluate every run after this many steps."""
    eval_episodes: int = 5
    """Episodes per evaluation (those of pretraining's last evaluation give the directions)."""
    checkpoint: str = "latest"
    """Which pretrained checkpoint fine-tuning starts from: latest, best, or a step."""
    threshold: float = 0.5
    """Steps to reach this fraction of the way from the task's first evaluations (the mean over every run) to its
    best final IQM (of any algorithm and start)."""
    train: tyro.conf.Suppress[dict] = dataclasses.field(default_factory=dict)
    agent: tyro.conf.Suppress[dict] = dataclasses.field(default_factory=dict)

    def validate(self) -> None:
        check_study_lists(self.envs, self.algos)
        require(all("@" not in algo for algo in self.algos), "algos: a fine-tuning study takes algorithms, not "
                "variants ALGO@FIELD=VALUE", "algos")
        require(self.pretrain_env not in self.envs, f"envs lists the pretraining task {self.pretrain_env}; fine-tune "
                "on other tasks", "envs")
        check_seeds(self.seeds)
        for name in ("pretrain_steps", "steps", "eval_every", "eval_episodes", "finetune_learning_starts"):
            require_positive(name, getattr(self, name))
        require(self.finetune_random_steps >= 0, f"finetune_random_steps must be at least 0, got "
                f"{self.finetune_random_steps}", "finetune_random_steps")
        require(self.checkpoint in ("latest", "best") or self.checkpoint.isdigit(),
                f"checkpoint {self.checkpoint!r} is not latest, best or a step", "checkpoint")
        require(0 < self.threshold <= 1, f"threshold must be in (0, 1], got {self.threshold}", "threshold")

    def to_json(self) -> dict:
        return json.loads(json.dumps(dataclasses.asdict(self)))

    @classmethod
    def from_json(cls, data: dict) -> "FinetunePlan":
        return cls(**{f.name: as_tuples(data[f.name]) for f in dataclasses.fields(cls) if f.name in data})


@dataclasses.dataclass(frozen=True)
class FinetuneGroup:
    """One seed group of the study: pretraining (start None) or a fine-tuning arm ("pretrained" or "scratch")."""

    env: str
    algo: str
    start: str | None
    spec: "RunSpec"  # of the first seed
    init_from: str | None  # the pretrained group's folder (with @checkpoint), for start "pretrained"

    @property
    def name(self) -> str:
        return f"{self.algo} pretraining on {self.env}" if self.start is None else \
            f"{self.algo} on {self.env} ({self.start})"

    def run_dir(self, study_dir: Path) -> Path:
        if self.start is None:
            return Path(study_dir) / "runs" / "pretrain" / self.algo
        return Path(study_dir) / "runs" / self.env.replace("/", "__") / self.algo / self.start


def plan_groups(plan: FinetunePlan, study_dir: Path) -> list[FinetuneGroup]:
    """Pretraining groups first (fine-tuning reads them), then per task and algorithm the two starts."""
    from ebrl.runs import preset_spec

    loop = {**plan.train, "eval_every": plan.eval_every, "eval_episodes": plan.eval_episodes}
    tuning = {**loop, "random_steps": plan.finetune_random_steps, "learning_starts": plan.finetune_learning_starts}

    def spec(algo: str, env: str, steps: int, train: dict):
        return preset_spec(algo, env, seed=plan.seeds[0], steps=steps, train=train, agent=plan.agent.get(algo, {}))

    pretraining = [FinetuneGroup(plan.pretrain_env, algo, None,
                                 spec(algo, plan.pretrain_env, plan.pretrain_steps, loop), None)
                   for algo in plan.algos]
    suffix = "" if plan.checkpoint == "latest" else f"@{plan.checkpoint}"
    return pretraining + [
        FinetuneGroup(env, group.algo, start, spec(group.algo, env, plan.steps, tuning),
                      f"{group.run_dir(study_dir)}{suffix}" if start == "pretrained" else None)
        for env in plan.envs for group in pretraining for start in STARTS]


def check_study(plan: FinetunePlan, study_dir: Path) -> list[FinetuneGroup]:
    """Every check before any work: the plan, each group's configuration and task, that fine-tuning can start from
    pretraining (the same observation and action sizes), and the folder (not a file, not another study's)."""
    from ebrl.envs.task import describe_task
    from ebrl.runs import check_spec

    plan.validate()
    groups = plan_groups(plan, study_dir)
    for group in groups:
        try:
            check_spec(group.spec, len(plan.seeds))
        except ConfigError as error:
            raise ConfigError(f"{group.name}: {error}", *error.fields) from None
    robot = describe_task(plan.pretrain_env, {})
    for env in plan.envs:
        task = describe_task(env, {})
        require((task.obs_dim, task.act_dim) == (robot.obs_dim, robot.act_dim),
                f"envs: {env} has observations of size {task.obs_dim} and actions of size {task.act_dim}, "
                f"{plan.pretrain_env} {robot.obs_dim} and {robot.act_dim}; fine-tune on tasks of the pretraining "
                "robot", "envs")
    study_dir = Path(study_dir)
    require(not study_dir.exists() or study_dir.is_dir(), f"out {study_dir} is a file; choose a directory", "out")
    plan_file = study_dir / PLAN_FILE
    if not plan_file.is_file():
        require(not (study_dir.is_dir() and any(study_dir.iterdir())),
                f"{study_dir} is not empty and holds no study; choose another out", "out")
        return groups
    saved = FinetunePlan.from_json(json.loads(plan_file.read_text()))
    differing = [f.name for f in dataclasses.fields(plan) if getattr(saved, f.name) != getattr(plan, f.name)]
    held = ", ".join(f"{name}={getattr(saved, name)}" for name in differing)
    require(not differing, f"{study_dir} holds another study ({held}); repeat that study's command to continue it, "
            "or choose another out", "out")
    return groups


def run_study(plan: FinetunePlan, study_dir: Path, *, console=None, progress: bool = True) -> bool:
    """Check everything, train every group (reusing finished ones, resuming an interrupted one) and write the
    report; False if interrupted (the same call continues the study)."""
    from ebrl.console import ConsoleObserver
    from ebrl.runs import train, write_json_atomic
    from ebrl.studies.machine import record_machine

    study_dir = Path(study_dir)
    groups = check_study(plan, study_dir)
    study_dir.mkdir(parents=True, exist_ok=True)
    write_json_atomic(study_dir / PLAN_FILE, plan.to_json())
    observers = [ConsoleObserver(console, progress=progress)] if console is not None else []
    for group in groups:
        results = train(group.spec, list(plan.seeds), group.run_dir(study_dir), existing="continue",
                        observers=observers, init_from=group.init_from)
        if results[0].interrupted:
            return False
        record_machine(results)
    write_report(plan, study_dir, groups)
    return True


# ------------------------------------------------------------------------------------------------ report


def direction(env: str) -> str | None:
    """Which way along x a task rewards: "x > 0", "x < 0", or None (undirected, or not a locomotion task)."""
    from ebrl.envs.locomotion import TASKS

    _, speed_kind, fixed = TASKS.get(env, (None, None, {}))
    if speed_kind != "along":
        return None
    return "x > 0" if math.cos(math.radians(fixed["angle"])) > 0 else "x < 0"


def area_under_curve(steps: np.ndarray, returns: np.ndarray) -> np.ndarray:
    """AUC per run: the trapezoid integral of the evaluation return over the evaluation steps, divided by their span
    (the mean return over training); `returns` is runs × steps."""
    widths = np.diff(steps)
    return (returns[:, 1:] + returns[:, :-1]) @ widths / 2 / (steps[-1] - steps[0])


def steps_to(steps: np.ndarray, returns: np.ndarray, level: float) -> list[int | None]:
    """Per run, the first evaluation step whose return is at least `level` (None if none is)."""
    return [int(steps[np.argmax(row >= level)]) if np.any(row >= level) else None for row in returns]


def pretrained_directions(run_dirs: list[Path]) -> list[dict]:
    """Per pretrained seed, the shares of its last evaluation's episodes that end with positive and negative
    displacement along x (metrics.csv's eval/<mode>/x_positive and x_negative, in the default mode)."""
    from ebrl.runs import read_metrics
    from ebrl.studies.mujoco.report import default_eval_column

    directions = []
    for run_dir in run_dirs:
        rows = read_metrics(run_dir)
        mode = default_eval_column(rows).split("/")[1]
        last = [r for r in rows if f"eval/{mode}/x_positive" in r][-1]
        positive, negative = last[f"eval/{mode}/x_positive"], last[f"eval/{mode}/x_negative"]
        directions.append({"seed": int(run_dir.name.removeprefix("seed_")), "mode": mode, "step": int(last["step"]),
                           "x_positive": positive, "x_negative": negative,
                           "went": "x > 0" if positive > negative else "x < 0" if negative > positive else "both"})
    return directions


def compute_results(plan: FinetunePlan, study_dir: Path, groups: list[FinetuneGroup]) -> dict:
    """results.json: per (task, algorithm, start) the curves and statistics, the probabilities of improvement, the
    pretrained seeds' directions, and the fine-tuned runs split by the direction their seed went."""
    from ebrl.runs import seed_run_dirs
    from ebrl.studies.mujoco.report import (
        CONFIDENCE,
        CURVE_REPS,
        FINAL_REPS,
        eval_curves,
        improvement_probability,
        iqm,
        iqm_curve,
        iqm_interval,
    )

    seeds = list(plan.seeds)
    curves = {(g.env, g.algo, g.start): eval_curves(seed_run_dirs(g.run_dir(study_dir), seeds),
                                                    plan.pretrain_steps if g.start is None else plan.steps)
              for g in groups}
    results: dict = {"plan": plan.to_json(), "confidence": CONFIDENCE, "pretraining": {}, "tasks": {}}
    for algo in plan.algos:
        steps, returns, mode = curves[(plan.pretrain_env, algo, None)]
        runs = seed_run_dirs(next(g for g in groups if g.start is None and g.algo == algo).run_dir(study_dir), seeds)
        results["pretraining"][algo] = {"mode": mode, "final_returns": returns[:, -1].tolist(),
                                        "directions": pretrained_directions(runs),
                                        "curve": {"steps": steps.tolist(), **iqm_curve(returns, CURVE_REPS)}}
    for env in plan.envs:
        finals = [iqm(curves[(env, a, s)][1][:, -1]) for a in plan.algos for s in STARTS]
        first = float(np.mean([curves[(env, a, s)][1][:, 0] for a in plan.algos for s in STARTS]))
        level = first + plan.threshold * (max(finals) - first)
        task: dict = {"direction": direction(env), "threshold": level, "algos": {}}
        for algo in plan.algos:
            arms, scores = {}, {}
            for start in STARTS:
                steps, returns, mode = curves[(env, algo, start)]
                at = {f"{fraction:g}": int(np.flatnonzero(steps >= fraction * plan.steps)[0])
                      for fraction in BUDGET_FRACTIONS}
                auc = area_under_curve(steps, returns)
                scores[start] = {"final": returns[:, -1:], "auc": auc[:, None]}
                arms[start] = {
                    "mode": mode, "final_returns": returns[:, -1].tolist(), "auc": auc.tolist(),
                    "at_budget": {f: dict(zip(("step", "iqm", "interval"), (int(steps[i]), *iqm_interval(
                        returns[:, i:i + 1], FINAL_REPS)))) for f, i in at.items()},
                    "auc_iqm": dict(zip(("iqm", "interval"), iqm_interval(auc[:, None], FINAL_REPS))),
                    "steps_to_threshold": steps_to(steps, returns, level),
                    "curve": {"steps": steps.tolist(), **iqm_curve(returns, CURVE_REPS)}}
            improvement = {name: dict(zip(("probability", "interval"), improvement_probability(
                scores["pretrained"][name], scores["scratch"][name], FINAL_REPS))) for name in ("final", "auc")}
            task["algos"][algo] = {**arms, "improvement": improvement}
        results["tasks"][env] = task
    results["by_direction"] = by_direction(results)
    return results


def by_direction(results: dict) -> dict:
    """Per algorithm, the fine-tuned runs on directed tasks grouped by whether the task goes the way the run's
    pretrained seed went ("same") or the other way ("other"): their final returns and AUC beside scratch's mean on
    the same task (the difference: what pretraining gave)."""
    table: dict = {}
    for algo, pretraining in results["pretraining"].items():
        rows: dict = {"same": [], "other": []}
        for env, task in results["tasks"].items():
            if task["direction"] is None:
                continue
            arm, scratch = task["algos"][algo]["pretrained"], task["algos"][algo]["scratch"]
            for k, went in enumerate(d["went"] for d in pretraining["directions"]):
                if went == "both":
                    continue
                rows["same" if went == task["direction"] else "other"].append({
                    "env": env, "seed": pretraining["directions"][k]["seed"],
                    "final_gain": arm["final_returns"][k] - float(np.mean(scratch["final_returns"])),
                    "auc_gain": arm["auc"][k] - float(np.mean(scratch["auc"]))})
        table[algo] = {relation: {"runs": len(runs),
                                  "final_gain_mean": float(np.mean([r["final_gain"] for r in runs])) if runs else None,
                                  "auc_gain_mean": float(np.mean([r["auc_gain"] for r in runs])) if runs else None,
                                  "runs_detail": runs} for relation, runs in rows.items()}
    return table


def write_report(plan: FinetunePlan, study_dir: Path, groups: list[FinetuneGroup]) -> list[Path]:
    """results.json, summary.md and the figure, from the run directories."""
    from ebrl.studies.finetune.figures import plot_finetune_curves

    results = compute_results(plan, Path(study_dir), groups)
    written = [Path(study_dir) / name for name in (RESULTS_FILE, SUMMARY_FILE, CURVES_FIGURE)]
    written[0].write_text(json.dumps(results, indent=1) + "\n")
    written[1].write_text(summary_markdown(results))
    plot_finetune_curves(results, written[2])
    return written


def _ci(interval: list[float], digits: int = 0) -> str:
    return f"[{interval[0]:.{digits}f}, {interval[1]:.{digits}f}]"


def summary_markdown(results: dict) -> str:
    plan = results["plan"]
    n = len(plan["seeds"])
    lines = [f"# Pretraining on {plan['pretrain_env']}, then fine-tuning: {', '.join(plan['algos'])}", "",
             (f"{n} seeds ({', '.join(map(str, plan['seeds']))}); pretraining {plan['pretrain_steps']:,} environment "
              f"steps, fine-tuning and scratch {plan['steps']:,}; evaluation of {plan['eval_episodes']} episodes every "
              f"{plan['eval_every']:,} steps in each agent's default mode. Fine-tuned seed k starts from pretrained "
              f"seed k's {plan['checkpoint']} checkpoint. IQM with its {results['confidence']:.0%} stratified "
              "bootstrap interval (rliable).")]
    for name, (heading, _) in SECTIONS.items():
        lines += ["", f"## {heading}", "", summary_section(results, name)]
    lines += ["", f"Figure: [{CURVES_FIGURE}]({CURVES_FIGURE})", ""]
    return "\n".join(lines)


def summary_section(results: dict, name: str) -> str:
    """One section of summary.md, by its name in SECTIONS: its explanation and table."""
    if name not in SECTIONS:
        raise ValueError(f"no section {name!r} of summary.md; choose one of {', '.join(SECTIONS)}")
    return "\n".join(SECTIONS[name][1](results))


def _directions_lines(results: dict) -> list[str]:
    lines = ["Shares of the last pretraining evaluation's episodes ending with positive / negative displacement "
             "along x, per seed.", "", "| algorithm | mode | final return IQM | per seed: x > 0 / x < 0 |",
             "|---|---|---|---|"]
    for algo, p in results["pretraining"].items():
        per_seed = ", ".join(f"{d['seed']}: {d['x_positive']:.0%} / {d['x_negative']:.0%}" for d in p["directions"])
        lines.append(f"| {algo} | {p['mode']} | {p['curve']['iqm'][-1]:.0f} | {per_seed} |")
    return lines


def _tasks_lines(results: dict) -> list[str]:
    plan = results["plan"]
    n = len(plan["seeds"])
    fractions = [f"{f:g}" for f in BUDGET_FRACTIONS]
    lines = ["Return IQM [95 % CI] at fractions of the budget; AUC: the mean evaluation return over training; steps "
             "to the threshold: median over the seeds that reach it (how many did).", "",
             "| task | algorithm | start | " + " | ".join(f"return at {float(f):.0%}" for f in fractions) +
             " | AUC | steps to threshold |", "|---|---|---|" + "---|" * (len(fractions) + 2)]
    for env, task in results["tasks"].items():
        for algo, arms in task["algos"].items():
            for start in STARTS:
                arm = arms[start]
                reached = [s for s in arm["steps_to_threshold"] if s is not None]
                to = f"{int(np.median(reached)):,} ({len(reached)}/{n})" if reached else f"— (0/{n})"
                budget = " | ".join(f"{arm['at_budget'][f]['iqm']:.0f} {_ci(arm['at_budget'][f]['interval'])}"
                                    for f in fractions)
                lines.append(f"| {env} | {algo} | {start} | {budget} | {arm['auc_iqm']['iqm']:.0f} "
                             f"{_ci(arm['auc_iqm']['interval'])} | {to} |")
        lines.append(f"| {env} | | threshold | {task['threshold']:.0f}: {plan['threshold']:.0%} of the way from the "
                     "first evaluations to the best final IQM | | | | |")
    return lines


def _improvement_lines(results: dict) -> list[str]:
    n = len(results["plan"]["seeds"])
    lines = ["| task | algorithm | P(final return) | P(AUC) |", "|---|---|---|---|"]
    for env, task in results["tasks"].items():
        for algo, arms in task["algos"].items():
            final, auc = arms["improvement"]["final"], arms["improvement"]["auc"]
            lines.append(f"| {env} | {algo} | {final['probability']:.2f} {_ci(final['interval'], 2)} | "
                         f"{auc['probability']:.2f} {_ci(auc['interval'], 2)} |")
    return [*lines, "", f"P(X > Y): the share of the {n} × {n} pairs of runs where X's is the higher; with few seeds "
            "its interval understates the uncertainty."]


def _by_direction_lines(results: dict) -> list[str]:
    lines = ["Fine-tuned runs on the directed tasks, by whether the task goes the way their pretrained seed went: the "
             "mean gain over scratch's mean on the same task.", "",
             "| algorithm | task goes | runs | final return gain | AUC gain |", "|---|---|---|---|---|"]
    for algo, relations in results["by_direction"].items():
        for relation, r in relations.items():
            gains = ("—", "—") if not r["runs"] else (f"{r['final_gain_mean']:+.0f}", f"{r['auc_gain_mean']:+.0f}")
            lines.append(f"| {algo} | {'the same way' if relation == 'same' else 'the other way'} | {r['runs']} | "
                         f"{gains[0]} | {gains[1]} |")
    return lines


SECTIONS = {"directions": ("Which way the pretrained policies go", _directions_lines),
            "tasks": ("Fine-tuning against training from scratch", _tasks_lines),
            "improvement": ("Probability of improvement, pretrained over scratch", _improvement_lines),
            "by_direction": ("The direction pretraining picked", _by_direction_lines)}
"""summary.md's sections: name -> (heading, its lines from results.json)."""
