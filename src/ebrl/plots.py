"""Figures of runs: learning curves (mean ± std over seeds), a sweep's return against a swept field, and for
MultiGoal runs trajectories, Q-landscapes at probe states with the actions the agent picks there (which evaluates
the agent), and goal-hit histograms. Each study draws its own figures (ebrl.studies.<name>.figures) with these
helpers."""

from collections import defaultdict
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import jax
import jax.numpy as jnp
import matplotlib.pyplot as plt
import numpy as np

from ebrl.envs.multigoal import draw_arena
from ebrl.envs.task import describe_task
from ebrl.loop.evaluate import evaluate_episodes
from ebrl.runs import make_dir, read_metrics, read_spec
from ebrl.runs.layout import setting_name
from ebrl.runs.spec import setting_of, swept_fields


def plot_learning_curves(run_dirs: list[Path], out: Path) -> None:
    """One panel per evaluation mode; one line per (algorithm, environment, agent settings where they differ, as in a
    sweep), averaged over its runs' seeds.

    Runs of a group are compared at the steps they all logged.
    """
    groups: dict[str, list[list[dict]]] = defaultdict(list)
    specs = [read_spec(run_dir) for run_dir in run_dirs]
    for run_dir, spec in zip(run_dirs, specs):  # runs of other agent settings (a sweep's) get lines of their own
        alike = [s for s in specs if (s.algo, s.train.env) == (spec.algo, spec.train.env)]
        setting = setting_name(setting_of(spec, swept_fields(alike)))
        groups[f"{spec.algo} {spec.train.env}" + (f" {setting}" if setting else "")].append(read_metrics(run_dir))
    modes = sorted({k.split("/")[1] for runs in groups.values() for rows in runs for row in rows for k in row
                    if k.startswith("eval/") and k.endswith("/return_mean")})
    fig, axes = plt.subplots(1, max(len(modes), 1), figsize=(5 * max(len(modes), 1), 3.6), squeeze=False)
    for ax, mode in zip(axes[0], modes):
        key = f"eval/{mode}/return_mean"
        for label, runs in groups.items():
            steps = sorted(set.intersection(*[{row["step"] for row in rows if key in row} for rows in runs]))
            values = np.array([[next(r[key] for r in rows if r["step"] == s) for s in steps] for rows in runs])
            mean_band(ax, steps, values, label=f"{label} ({len(runs)} seed{'s' if len(runs) > 1 else ''})")
        ax.set(title=f"evaluation, mode {mode}", xlabel="environment steps", ylabel="episode return")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    save_figure(fig, out)


def mean_band(ax, x, values: np.ndarray, style: str = "-", **line) -> None:
    """The mean over the rows of `values` (seeds × points) as a line, ± one standard deviation as a band."""
    mean, std = values.mean(axis=0), values.std(axis=0)
    (drawn,) = ax.plot(x, mean, style, **line)
    ax.fill_between(x, mean - std, mean + std, color=drawn.get_color(), alpha=0.15)


def plot_sweep_field(field: str, lines: dict[str, tuple[list[float], np.ndarray, np.ndarray]], *, ylabel: str,
                     title: str, out: Path) -> None:
    """A statistic against a swept field's values with its intervals as error bars: `lines` maps a label (the other
    fields' setting, "" for none) to (values, estimates (n,), intervals (n, 2)). The axis is logarithmic where the
    values are positive and span a factor of 10 or more."""
    fig, ax = plt.subplots(figsize=(5, 3.6))
    for label, (x, estimate, interval) in lines.items():
        ax.errorbar(x, estimate, yerr=[estimate - interval[:, 0], interval[:, 1] - estimate], marker="o", capsize=3,
                    label=label or None)
    values = sorted({v for x, _, _ in lines.values() for v in x})
    if values[0] > 0 and values[-1] >= 3 * values[0]:
        ax.set_xscale("log")
    ax.set_xticks(values, [repr(v) for v in values])  # the swept values, as the sweep's folders name them
    ax.minorticks_off()
    ax.set(xlabel=field, ylabel=ylabel, title=title)
    ax.grid(alpha=0.3)
    if any(lines):
        ax.legend(fontsize=8)
    save_figure(fig, out)


def plot_trajectories(params, trajectories: list[np.ndarray], out: Path, title: str = "") -> None:
    """Evaluation trajectories (blue) over the MultiGoal arena: goal-cost contours, goals, walls."""
    fig, ax = plt.subplots(figsize=(5, 5))
    draw_arena(ax, params)
    for path in trajectories:
        ax.plot(path[:, 0], path[:, 1], "b-", lw=0.8, alpha=0.6)
        ax.plot(path[-1, 0], path[-1, 1], "b.", ms=3)
    ax.plot(*trajectories[0][0], "k+", ms=8)
    ax.set(title=title or f"{len(trajectories)} evaluation episodes", xlabel="x", ylabel="y")
    save_figure(fig, out)


def plot_q_landscapes(agent, state, probe_states: np.ndarray, out: Path, mode: str, key: jax.Array,
                      n_actions: int = 100, grid: int = 50, title: str = "") -> None:
    """Q(s, ·) over the action square [−1, 1]² as filled contours at each probe state, with `n_actions` actions
    the agent picks there in `mode` overlaid (Soft Q-Learning's Fig. 1). Any agent with 2-D actions will do."""
    axis = np.linspace(-1.0, 1.0, grid, dtype=np.float32)
    ax0, ax1 = np.meshgrid(axis, axis)
    actions = np.stack([ax0.ravel(), ax1.ravel()], axis=-1)
    n = len(probe_states)
    cols = min(n, 3)
    rows = -(-n // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(3.6 * cols, 3.4 * rows), squeeze=False)
    for i, (ax, probe) in enumerate(zip(axes.ravel(), probe_states)):
        obs = np.broadcast_to(probe, (len(actions), 2))
        q = np.asarray(agent.q_value(state, jnp.asarray(obs), jnp.asarray(actions))).reshape(grid, grid)
        filled = ax.contourf(ax0, ax1, q, levels=20, cmap="viridis")
        fig.colorbar(filled, ax=ax, fraction=0.046, pad=0.04)
        picked = np.asarray(agent.act(state, jnp.asarray(np.broadcast_to(probe, (n_actions, 2))),
                                      jax.random.fold_in(key, i), mode))
        ax.plot(picked[:, 0], picked[:, 1], "*", color="white", mec="black", mew=0.4, ms=6)
        ax.set(title=f"s = ({probe[0]:g}, {probe[1]:g})", xlim=(-1, 1), ylim=(-1, 1), aspect="equal",
               xlabel="$a_x$", ylabel="$a_y$")
    for ax in axes.ravel()[n:]:
        ax.axis("off")
    fig.suptitle(title or f"Q(s, a) and {n_actions} actions (mode {mode})")
    save_figure(fig, out)


def plot_goal_histogram(goal_hits: list[int], no_goal: int, out: Path, title: str = "") -> None:
    """Episodes ending at each goal, and episodes that reached none."""
    labels = [f"G{g + 1}" for g in range(len(goal_hits))] + ["no goal"]
    counts = [*goal_hits, no_goal]
    fig, ax = plt.subplots(figsize=(1.2 * len(labels) + 1.5, 3.2))
    bars = ax.bar(labels, counts, color=["tab:blue"] * len(goal_hits) + ["tab:gray"])
    ax.bar_label(bars)
    ax.set(ylabel="episodes", title=title or f"goal hits over {sum(counts)} episodes")
    save_figure(fig, out)


def multigoal_pictures(run, out_dir: Path, episodes: int, mode: str, seed: int = 0) -> list[Path]:
    """Trajectories, Q-landscapes at the environment's probe states and the goal histogram of a MultiGoal run
    (`run`: ebrl.runs.LoadedRun), from `episodes` evaluation episodes in `mode`."""
    result = evaluate_episodes(run.agent, run.state, env_id=run.spec.train.env, episodes=episodes, mode=mode,
                               seed=seed, env_kwargs=run.spec.train.env_kwargs)
    task = describe_task(run.spec.train.env, run.spec.train.env_kwargs)
    assert task.arena is not None and task.probe_states is not None  # a MultiGoal run
    label = f"{run.spec.algo} on {run.spec.train.env}, step {run.step}, mode {mode}"
    paths = [out_dir / name for name in ("trajectories.png", "q_landscapes.png", "goal_histogram.png")]
    plot_trajectories(task.arena, result.trajectories, paths[0], f"{label}\n{episodes} episodes")
    plot_q_landscapes(run.agent, run.state, task.probe_states, paths[1], mode, jax.random.key(seed), title=label)
    stats = result.statistics
    plot_goal_histogram(stats["goal_hits"], stats["no_goal"], paths[2],
                        f"{label}\n{stats['goal_fraction']:.0%} of {episodes} episodes reach a goal")
    return paths


def is_multigoal(env_id: str, env_kwargs: dict | None = None) -> bool:
    return describe_task(env_id, env_kwargs).arena is not None


def save_figure(fig, out: Path) -> None:
    """Write `fig` to `out` (its folder made), then close it."""
    try:
        make_dir(out.parent)
        fig.tight_layout()
        fig.savefig(out, dpi=120)
    finally:
        plt.close(fig)
