"""Side-by-side MultiGoal comparisons of trained runs: where the episodes end, what the paths look like, and how
much entropy each policy keeps at the probe states.

Runs are grouped by algorithm and configuration (seeds of one configuration pool together). For each group:
goal hits summed over its seeds (and per seed), trajectories, and the action entropy at the probe states estimated
from samples of the chosen action mode (each agent's training mode, or its evaluation default) by the
Kozachenko-Leonenko nearest-neighbour estimator, which needs no density, so SAC, SQL and S2AC are measured the same
way; next to it, the agent's own estimate where it has one. Evaluation may use another environment than
training (`env_id`), e.g. agents trained on MultiGoal3 tested on MultiGoal3Obstacle.
"""

import csv
import dataclasses
import math
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np

from ebrl.config import require, require_episodes, require_non_negative, require_positive
from ebrl.console import ConsoleObserver
from ebrl.envs.task import describe_task
from ebrl.loop.evaluate import evaluate_episodes
from ebrl.runs import RunSpec, check_spec, load_run, preset_spec, read_spec, require_fresh_out, train
from ebrl.samplers import knn_entropy

ENTROPY_SAMPLES = 1000
OWN_ENTROPY_DRAWS = 100  # the official S2AC diagnostic: mean of −log q over 100 sampler calls


def arena(env_id: str):
    """A MultiGoal id's layout parameters and probe states."""
    task = describe_task(env_id)
    assert task.arena is not None and task.probe_states is not None, f"{env_id} is not a MultiGoal task"
    return task.arena, task.probe_states


@dataclasses.dataclass
class GroupResult:
    label: str
    runs: list[str]
    goal_hits: list[list[int]]  # per seed, per goal
    no_goal: list[int]  # per seed
    outcomes: dict[str, list[int]]  # wall outcome counts per seed (obstacle layouts only)
    entropy: list[list[float]]  # per seed, per probe state
    own_entropy: list[list[float]]  # the agent's own estimate (S2AC: closed form), per seed, per probe state
    trajectories: list  # of the first seed


def group_labels(specs: dict[str, RunSpec]) -> dict[str, str]:
    """'sac', 'sql', ... or, where runs of one algorithm differ in configuration, 'sql (alpha=0.5)'."""
    by_algo = defaultdict(list)
    for run, spec in specs.items():
        by_algo[spec.algo].append(run)
    labels = {}
    for algo, runs in by_algo.items():
        configs = [dataclasses.asdict(specs[run].agent) for run in runs]
        differing = sorted(k for k in configs[0] if len({repr(c[k]) for c in configs}) > 1)
        for run, config in zip(runs, configs):
            detail = ", ".join(f"{k}={config[k]}" for k in differing)
            labels[run] = f"{algo} ({detail})" if detail else algo
    return labels


RULES = ("train", "eval")


def mode_for(agent, rule: str) -> str:
    """The action mode `rule` names for an agent: its training mode ("train"), its evaluation default ("eval"), or
    the mode itself where the agent has it (e.g. "softmax" for S2AC)."""
    if rule == "train":
        return agent.train_mode
    if rule == "eval":
        return agent.action_modes[0]
    return rule


def compare_runs(run_dirs: list[Path], episodes: int, env_id: str | None = None, seed: int = 0,
                 rule: str = "train", log=print) -> list[GroupResult]:
    """`rule` (mode_for): each agent's training action mode (SAC, SQL: sample; S2AC: random particle), its
    evaluation default (SAC: mean; SQL: sample; S2AC: random on MultiGoal), or a named mode."""
    runs = {str(path): load_run(path) for path in run_dirs}
    labels = group_labels({name: run.spec for name, run in runs.items()})
    groups: dict[str, GroupResult] = {}
    for name, run in runs.items():
        eval_env = env_id or run.spec.train.env
        mode = mode_for(run.agent, rule)
        log(f"evaluating {name} ({labels[name]}) on {eval_env}: {episodes} episodes, mode {mode}")
        result = evaluate_episodes(run.agent, run.state, env_id=eval_env, episodes=episodes, mode=mode, seed=seed)
        probes = arena(eval_env)[1]
        key = jax.random.key(seed)
        entropy, own_entropy = [], []
        for i, probe in enumerate(probes):
            obs = jnp.asarray(np.broadcast_to(probe, (ENTROPY_SAMPLES, len(probe))), jnp.float32)
            actions = np.asarray(run.agent.act(run.state, obs, jax.random.fold_in(key, i), mode), np.float64)
            entropy.append(knn_entropy(actions))
            if run.agent.entropy is not None:
                own = run.agent.entropy(run.state, obs[:OWN_ENTROPY_DRAWS], jax.random.fold_in(key, 1000 + i))
                own_entropy.append(float(jnp.mean(own)))
        stats = result.statistics
        group = groups.setdefault(labels[name], GroupResult(labels[name], [], [], [], defaultdict(list), [], [],
                                                            result.trajectories))
        group.runs.append(name)
        group.goal_hits.append(list(stats["goal_hits"]))
        group.no_goal.append(stats["no_goal"])
        group.entropy.append(entropy)
        group.own_entropy.append(own_entropy)
        for outcome in ("reached_no_contact", "reached_after_contact", "failed_after_contact"):
            if outcome in stats:
                group.outcomes[outcome].append(stats[outcome])
    return list(groups.values())


def left_share(hits: list[int], goals: np.ndarray) -> tuple[int, int, float, float]:
    """(episodes ending at a goal left of the start (x < 0), episodes ending at any goal, and the 95 %
    Clopper-Pearson interval of the left share); the interval is (nan, nan) without goal episodes."""
    from scipy.stats import binomtest

    left = int(sum(h for h, goal in zip(hits, np.asarray(goals)) if goal[0] < 0))
    reached = int(sum(hits))
    if reached == 0:
        return left, reached, math.nan, math.nan
    interval = binomtest(left, reached).proportion_ci(confidence_level=0.95, method="exact")
    return left, reached, float(interval.low), float(interval.high)


def per_run_lines(groups: list[GroupResult], goals: np.ndarray) -> list[str]:
    """A markdown table, one row per run: goal hits, episodes that reached none, and the left share with its 95 %
    Clopper-Pearson interval."""
    goals = np.asarray(goals)
    goal_names = [f"G{g + 1} ({x:g}, {y:g})" for g, (x, y) in enumerate(goals)]
    lines = ["| group | run | " + " | ".join(goal_names) + " | no goal | left share [95 % interval] |",
             "|" + "---|" * (4 + len(goals))]
    for g in groups:
        for run, hits, missed in zip(g.runs, g.goal_hits, g.no_goal):
            left, reached, low, high = left_share(hits, goals)
            share = f"{left}/{reached} = {left / reached:.2f} [{low:.2f}, {high:.2f}]" if reached else "–"
            lines.append(f"| {g.label} | {Path(run).name} | " + " | ".join(map(str, hits)) + f" | {missed} | {share} |")
    return lines


def write_tables(groups: list[GroupResult], probes: np.ndarray, out_dir: Path, rule: str = "train",
                 goals: np.ndarray | None = None) -> list[Path]:
    """goals.csv (one row per run) and summary.md (one row per group: counts summed over seeds, entropy mean ± std
    over seeds; with the goal positions, also one row per run with the left share)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    n_goals = len(groups[0].goal_hits[0])
    goal_names = [f"G{g + 1}" for g in range(n_goals)]
    outcome_names = sorted(groups[0].outcomes)
    probe_names = [f"H({p[0]:g},{p[1]:g})" for p in probes]
    csv_path = out_dir / "goals.csv"
    with csv_path.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["group", "run", *goal_names, "no_goal", *outcome_names, *probe_names,
                         *[f"own_{name}" for name in probe_names]])
        for g in groups:
            for i, run in enumerate(g.runs):
                writer.writerow([g.label, run, *g.goal_hits[i], g.no_goal[i],
                                 *[g.outcomes[o][i] for o in outcome_names], *[f"{h:.3f}" for h in g.entropy[i]],
                                 *[f"{h:.3f}" for h in g.own_entropy[i]]])
    lines = ["| group | seeds | " + " | ".join(goal_names) + " | no goal | " + " | ".join(outcome_names)
             + (" | " if outcome_names else "") + " | ".join(probe_names) + " |"]
    lines.append("|" + "---|" * (3 + n_goals + len(outcome_names) + len(probe_names)))
    for g in groups:
        hits = np.array(g.goal_hits)
        entropy = np.array(g.entropy)
        cells = [g.label, str(len(g.runs)),
                 *[f"{hits[:, k].sum()} ({'/'.join(map(str, hits[:, k]))})" for k in range(n_goals)],
                 f"{sum(g.no_goal)}", *[str(sum(g.outcomes[o])) for o in outcome_names],
                 *[_mean_std(entropy[:, p]) for p in range(len(probes))]]
        lines.append("| " + " | ".join(cells) + " |")
    own = [g for g in groups if g.own_entropy[0]]
    own_lines = ["| group | " + " | ".join(probe_names) + " |", "|" + "---|" * (1 + len(probes))]
    for g in own:
        estimates = np.array(g.own_entropy)
        own_lines.append(f"| {g.label} | " + " | ".join(_mean_std(estimates[:, p]) for p in range(len(probes))) + " |")
    per_run = ("\nPer run: goal hits and the share of goal episodes that went left (x < 0), with its 95 % "
               "Clopper-Pearson interval.\n\n" + "\n".join(per_run_lines(groups, goals)) + "\n"
               if goals is not None else "")
    md_path = out_dir / "summary.md"
    md_path.write_text(f"Goal hits summed over seeds (per seed in brackets), action mode: {rule}; entropy (nats) of "
                       "that mode at the probe states, Kozachenko-Leonenko estimate from "
                       f"{ENTROPY_SAMPLES} actions, mean ± std over seeds.\n\n" + "\n".join(lines) + "\n" + per_run
                       + ("\nThe agents' own entropy estimates (S2AC: the closed form −mean log q; SAC: −log π), "
                          f"mean over {OWN_ENTROPY_DRAWS} draws per probe state, mean ± std over seeds.\n\n"
                          + "\n".join(own_lines) + "\n" if own else ""))
    return [csv_path, md_path]


def _mean_std(values: np.ndarray) -> str:
    """"mean ± std", or "−∞ (point mass)" where a deterministic policy has no entropy."""
    if np.isneginf(values).any():
        return "−∞ (point mass)"
    return f"{values.mean():.2f} ± {values.std():.2f}"


# ------------------------------------------------------------------------------------------- the experiments

FIG2_ENV, OBSTACLE_ENV, SQL_ENV = "ebrl/MultiGoal3-v0", "ebrl/MultiGoal3Obstacle-v0", "ebrl/MultiGoal-v0"
FIG2_ALGOS = ("sac", "sql", "s2ac")
SQL_TEMPERATURES = (0.0, 0.5, 1.0, 10.0)
SAC_LOOP = {"random_steps": 1000, "learning_starts": 1000}  # SAC has no preset; its warm-up fits the budget
S2AC_OTHER_RULES = ("softmax", "max")
EXPERIMENTS = {
    "s2ac-fig2": "SAC, SQL and S2AC on MultiGoal3 with the same budget (S2AC's Fig. 2), and their obstacle test",
    "sql-temperature": "SQL on MultiGoal at α = 0, 0.5, 1 and 10, same seed and budget",
}


@dataclasses.dataclass(frozen=True)
class MultiGoalGroup:
    name: str
    spec: RunSpec  # of the first seed
    seeds: tuple[int, ...]


def plan(experiment: str, steps: int, seeds: int) -> list[MultiGoalGroup]:
    """One seed group per algorithm (or temperature), each as `ebrl train` would build it from the presets (SAC: a
    1000-step warm-up)."""
    seed_list = tuple(range(seeds))
    if experiment == "s2ac-fig2":
        return [MultiGoalGroup(algo, preset_spec(algo, FIG2_ENV, steps=steps,
                                                 train=SAC_LOOP if algo == "sac" else None), seed_list)
                for algo in FIG2_ALGOS]
    return [MultiGoalGroup(f"alpha_{alpha:g}", preset_spec("sql", SQL_ENV, steps=steps, agent={"alpha": alpha}),
                         seed_list) for alpha in SQL_TEMPERATURES]


def train_planned(group: MultiGoalGroup, runs_dir: Path, console) -> list[Path]:
    """Train the group into runs_dir/name/seed_<k> (one program for all its seeds); a finished identical group is
    reused, an unfinished one resumed. Returns its run directories."""
    results = train(group.spec, group.seeds, runs_dir / group.name, existing="continue",
                    observers=[ConsoleObserver(console)])
    if results[0].interrupted:
        raise KeyboardInterrupt
    return [result.run_dir for result in results]


def require_rule(rule: str) -> None:
    require(rule in RULES, f"rule must be one of {', '.join(RULES)}, got {rule!r}", "rule")


def compare(run_dirs: Sequence[Path], out: Path, *, episodes: int = 100, env: str | None = None, seed: int = 0,
            rule: str = "train", overwrite: bool = False, log=print) -> list[Path]:
    """`ebrl compare`: evaluate the MultiGoal runs `run_dirs` side by side (`episodes` each, on their task or on
    `env`, action mode by `rule`) and write goals.csv, summary.md and comparison.png into `out`; returns the files
    written."""
    from ebrl.studies.multigoal.figures import plot_comparison  # matplotlib: loaded when a figure is drawn

    require(len(run_dirs) > 0, "ebrl compare needs the MultiGoal runs to compare, e.g. ebrl compare "
            "runs/sac runs/sql --out results/mg")
    require_episodes("episodes", episodes)
    require_non_negative("seed", seed)
    require_rule(rule)
    specs = [read_spec(Path(p)) for p in run_dirs]
    for path, spec in zip(run_dirs, specs):
        require(describe_task(spec.train.env, spec.train.env_kwargs).arena is not None,
                f"{path} was trained on {spec.train.env}; ebrl compare needs MultiGoal runs")
    env_id = env or specs[0].train.env
    require(describe_task(env_id).arena is not None,  # ConfigError for an unusable id, before anything is written
            f"env {env_id} is not a MultiGoal environment; use one of the ebrl/MultiGoal ids", "env")
    require_fresh_out(out, "summary.md", overwrite=overwrite, what="a comparison")
    groups = compare_runs([Path(p) for p in run_dirs], episodes, env, seed, rule, log=log)
    params, probes = arena(env_id)
    written = write_tables(groups, probes, out, rule, params.goals)
    plot_comparison(groups, params, out / "comparison.png",
                    f"{env_id}, {episodes} episodes per run, action mode: {rule}")
    return [*written, out / "comparison.png"]


def run_experiment(experiment: str, out: Path, *, runs_dir: Path, steps: int = 6000, n_seeds: int = 3,
                   episodes: int = 100, rule: str = "train", overwrite: bool = False, console) -> list[Path]:
    """`ebrl multigoal`: train (or reuse) every run of `experiment` (EXPERIMENTS), `steps` each, seeds 0 to
    `n_seeds` − 1, one seed group per algorithm or temperature in `runs_dir`, then compare them (`episodes` per
    run, action mode by `rule`) into `out`; returns the files written. `console` (rich) shows the progress."""
    from ebrl.studies.multigoal.figures import plot_comparison  # matplotlib: loaded when a figure is drawn

    require(experiment in EXPERIMENTS, f"unknown experiment {experiment!r}; choose one of {', '.join(EXPERIMENTS)}")
    for name, value in (("steps", steps), ("n_seeds", n_seeds)):
        require_positive(name, value)
    require_episodes("episodes", episodes)
    require_rule(rule)
    require_fresh_out(out, "summary.md", overwrite=overwrite)
    planned = plan(experiment, steps, n_seeds)
    warm_up = max(group.spec.train.learning_starts for group in planned)  # set by the presets, not by this command
    require(steps >= warm_up, f"steps ({steps}) ends before the first update of the {experiment} runs (step "
            f"{warm_up}, from their presets): they would never learn; raise it to at least {warm_up}", "steps")
    for group in planned:  # every group's settings before any group trains
        check_spec(group.spec, len(group.seeds))
    trained = {group.name: train_planned(group, runs_dir, console) for group in planned}
    run_dirs = [run_dir for dirs in trained.values() for run_dir in dirs]
    envs = [FIG2_ENV, OBSTACLE_ENV] if experiment == "s2ac-fig2" else [SQL_ENV]
    written = []
    for env_id, folder in zip(envs, [out, out / "obstacle"]):
        groups = compare_runs(run_dirs, episodes, env_id, rule=rule, log=console.print)
        params, probes = arena(env_id)
        written += write_tables(groups, probes, folder, rule, params.goals)
        plot_comparison(groups, params, folder / "comparison.png",
                        f"{env_id}: {steps} training steps, {episodes} episodes per run, action mode: {rule}")
        written.append(folder / "comparison.png")
    if experiment == "s2ac-fig2":  # S2AC's other particle rules beside the one that samples its policy
        s2ac_runs = trained["s2ac"]
        params, probes = arena(FIG2_ENV)
        for mode in S2AC_OTHER_RULES:
            groups = compare_runs(s2ac_runs, episodes, FIG2_ENV, rule=mode, log=console.print)
            written += write_tables(groups, probes, out / f"s2ac-{mode}", mode, params.goals)
    return written
