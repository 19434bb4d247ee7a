"""Side-by-side MultiGoal comparisons of trained runs: where the episodes end, what the paths look like, and how
much entropy each policy keeps at the probe states.

Runs are grouped by algorithm and configuration (seeds of one configuration pool together). For each group:
goal hits summed over its seeds (and per seed), trajectories, and the action entropy at the probe states estimated
from samples of the agent's training action rule by the Kozachenko-Leonenko nearest-neighbour estimator, which
needs no density, so SAC, SQL and S2AC are measured the same way. Evaluation may use another environment than
training (`env_id`), e.g. agents trained on MultiGoal3 tested on MultiGoal3Obstacle.
"""

import csv
import dataclasses
import math
from collections import defaultdict
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np

from ebrl.envs import make_env
from ebrl.evaluate import evaluate_episodes
from ebrl.runs import load_run

ENTROPY_SAMPLES = 1000


def knn_entropy(samples: np.ndarray) -> float:
    """Kozachenko-Leonenko: H ≈ ψ(N) − ψ(1) + log V_d + (d/N) Σ_i log ε_i, ε_i the distance from sample i to its
    nearest neighbour and V_d the volume of the unit d-ball (in nats; −inf for a point mass)."""
    n, d = samples.shape
    sq = np.sum((samples[:, None, :] - samples[None, :, :]) ** 2, axis=-1)
    np.fill_diagonal(sq, np.inf)
    nearest = np.sqrt(sq.min(axis=1))
    if np.any(nearest == 0):
        return -math.inf
    log_unit_ball = 0.5 * d * math.log(math.pi) - math.lgamma(0.5 * d + 1)
    digamma_n_minus_digamma_1 = sum(1.0 / k for k in range(1, n))
    return float(digamma_n_minus_digamma_1 + log_unit_ball + d * np.mean(np.log(nearest)))


@dataclasses.dataclass
class GroupResult:
    label: str
    runs: list[str]
    goal_hits: list[list[int]]  # per seed, per goal
    no_goal: list[int]  # per seed
    outcomes: dict[str, list[int]]  # wall outcome counts per seed (obstacle layouts only)
    entropy: list[list[float]]  # per seed, per probe state
    trajectories: list  # of the first seed


def group_labels(specs: dict[str, object]) -> dict[str, str]:
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


def compare_runs(run_dirs: list[Path], episodes: int, env_id: str | None = None, seed: int = 0,
                 log=print) -> list[GroupResult]:
    runs = {str(path): load_run(path) for path in run_dirs}
    labels = group_labels({name: run.spec for name, run in runs.items()})
    groups: dict[str, GroupResult] = {}
    for name, run in runs.items():
        eval_env = env_id or run.spec.train.env
        mode = run.agent.train_mode
        log(f"evaluating {name} ({labels[name]}) on {eval_env}: {episodes} episodes, mode {mode}")
        result = evaluate_episodes(run.agent, run.state, eval_env, episodes, mode, seed)
        probes = make_env(eval_env).unwrapped.probe_states
        key = jax.random.key(seed)
        entropy = []
        for i, probe in enumerate(probes):
            obs = jnp.asarray(np.broadcast_to(probe, (ENTROPY_SAMPLES, len(probe))), jnp.float32)
            actions = np.asarray(run.agent.act(run.state, obs, jax.random.fold_in(key, i), mode), np.float64)
            entropy.append(knn_entropy(actions))
        stats = result.statistics
        group = groups.setdefault(labels[name], GroupResult(labels[name], [], [], [], defaultdict(list), [],
                                                            result.trajectories))
        group.runs.append(name)
        group.goal_hits.append(list(stats["goal_hits"]))
        group.no_goal.append(stats["no_goal"])
        group.entropy.append(entropy)
        for outcome in ("reached_no_contact", "reached_after_contact", "failed_after_contact"):
            if outcome in stats:
                group.outcomes[outcome].append(stats[outcome])
    return list(groups.values())


def write_tables(groups: list[GroupResult], probes: np.ndarray, out_dir: Path) -> list[Path]:
    """goals.csv (one row per run) and summary.md (one row per group: counts summed over seeds, entropy mean ± std
    over seeds)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    n_goals = len(groups[0].goal_hits[0])
    goal_names = [f"G{g + 1}" for g in range(n_goals)]
    outcome_names = sorted(groups[0].outcomes)
    probe_names = [f"H({p[0]:g},{p[1]:g})" for p in probes]
    csv_path = out_dir / "goals.csv"
    with csv_path.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["group", "run", *goal_names, "no_goal", *outcome_names, *probe_names])
        for g in groups:
            for i, run in enumerate(g.runs):
                writer.writerow([g.label, run, *g.goal_hits[i], g.no_goal[i],
                                 *[g.outcomes[o][i] for o in outcome_names], *[f"{h:.3f}" for h in g.entropy[i]]])
    lines = ["| group | seeds | " + " | ".join(goal_names) + " | no goal | " + " | ".join(outcome_names)
             + (" | " if outcome_names else "") + " | ".join(probe_names) + " |"]
    lines.append("|" + "---|" * (3 + n_goals + len(outcome_names) + len(probe_names)))
    for g in groups:
        hits = np.array(g.goal_hits)
        entropy = np.array(g.entropy)
        cells = [g.label, str(len(g.runs)),
                 *[f"{hits[:, k].sum()} ({'/'.join(map(str, hits[:, k]))})" for k in range(n_goals)],
                 f"{sum(g.no_goal)}", *[str(sum(g.outcomes[o])) for o in outcome_names],
                 *[f"{entropy[:, p].mean():.2f} ± {entropy[:, p].std():.2f}" for p in range(len(probes))]]
        lines.append("| " + " | ".join(cells) + " |")
    md_path = out_dir / "summary.md"
    md_path.write_text("Goal hits summed over seeds (per seed in brackets); entropy (nats) of the training action "
                       "rule at the probe states, Kozachenko-Leonenko estimate from "
                       f"{ENTROPY_SAMPLES} actions, mean ± std over seeds.\n\n" + "\n".join(lines) + "\n")
    return [csv_path, md_path]
