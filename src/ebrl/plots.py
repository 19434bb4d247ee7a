"""Figures: learning curves (mean ± std over seeds), and for MultiGoal runs trajectories, Q-landscapes at probe
states with the actions the agent picks there, and goal-hit histograms."""

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
    _save(fig, out)


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
    _save(fig, out)


def plot_trajectories(params, trajectories: list[np.ndarray], out: Path, title: str = "") -> None:
    """Evaluation trajectories (blue) over the MultiGoal arena: goal-cost contours, goals, walls."""
    fig, ax = plt.subplots(figsize=(5, 5))
    draw_arena(ax, params)
    for path in trajectories:
        ax.plot(path[:, 0], path[:, 1], "b-", lw=0.8, alpha=0.6)
        ax.plot(path[-1, 0], path[-1, 1], "b.", ms=3)
    ax.plot(*trajectories[0][0], "k+", ms=8)
    ax.set(title=title or f"{len(trajectories)} evaluation episodes", xlabel="x", ylabel="y")
    _save(fig, out)


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
    _save(fig, out)


def plot_goal_histogram(goal_hits: list[int], no_goal: int, out: Path, title: str = "") -> None:
    """Episodes ending at each goal, and episodes that reached none."""
    labels = [f"G{g + 1}" for g in range(len(goal_hits))] + ["no goal"]
    counts = [*goal_hits, no_goal]
    fig, ax = plt.subplots(figsize=(1.2 * len(labels) + 1.5, 3.2))
    bars = ax.bar(labels, counts, color=["tab:blue"] * len(goal_hits) + ["tab:gray"])
    ax.bar_label(bars)
    ax.set(ylabel="episodes", title=title or f"goal hits over {sum(counts)} episodes")
    _save(fig, out)


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


def plot_comparison(groups, params, out: Path, title: str) -> None:
    """One column per group (ebrl.experiments.multigoal.GroupResult): its first seed's trajectories over the arena,
    and its goal hits summed over seeds, with the wall outcomes where the arena has walls."""
    fig, axes = plt.subplots(2, len(groups), figsize=(4 * len(groups), 8.2), squeeze=False,
                             gridspec_kw={"height_ratios": [4, 2.6]})
    for column, group in zip(axes.T, groups):
        draw_arena(column[0], params)
        for path in group.trajectories:
            column[0].plot(path[:, 0], path[:, 1], "b-", lw=0.6, alpha=0.5)
        column[0].set_title(f"{group.label}\n{len(group.trajectories)} episodes of seed 0", fontsize=9)
        hits = np.sum(group.goal_hits, axis=0)
        labels = [f"G{g + 1}" for g in range(len(hits))] + ["none"]
        bars = column[1].bar(labels, [*hits, sum(group.no_goal)], color=["tab:blue"] * len(hits) + ["tab:gray"])
        column[1].bar_label(bars, fontsize=8)
        outcomes = "\n".join(f"{k.replace('_', ' ')}: {sum(v)}" for k, v in sorted(group.outcomes.items()))
        column[1].set_title(f"{len(group.runs)} seed(s), {sum(hits) + sum(group.no_goal)} episodes"
                            + (f"\n{outcomes}" if outcomes else ""), fontsize=8)
    fig.suptitle(title)
    _save(fig, out)


def is_multigoal(env_id: str, env_kwargs: dict | None = None) -> bool:
    return describe_task(env_id, env_kwargs).arena is not None


def _save(fig, out: Path) -> None:
    try:
        make_dir(out.parent)
        fig.tight_layout()
        fig.savefig(out, dpi=120)
    finally:
        plt.close(fig)


SAMPLER_COLOURS = {"SVGD": "tab:blue", "LD": "tab:orange", "DLD": "tab:green", "HMC": "tab:red"}
LOGDET_STYLES = {"trace": "-", "exact-excluded": "--", "exact": ":"}


def plot_entropy_a(paths: dict, truth: float, out: Path) -> Path:
    """Study (a): entropy estimate against sampler steps, mean ± std over seeds, per initialisation."""
    inits = sorted({key[0] for key in paths})
    fig, axes = plt.subplots(1, len(inits), figsize=(6 * len(inits), 4), squeeze=False)
    for ax, init in zip(axes[0], inits):
        for (i, sampler, logdet), path in paths.items():
            if i != init:
                continue
            mean_band(ax, np.arange(path.shape[1]), path, LOGDET_STYLES[logdet], color=SAMPLER_COLOURS[sampler],
                      label=f"{sampler}, {logdet}")
        ax.axhline(truth, color="black", lw=1.5, label=f"truth {truth:.3f}")
        ax.set(title=f"2-D Gaussian target, init {init}", xlabel="sampler steps", ylabel="entropy estimate (nats)")
        ax.set_ylim(truth - 12, truth + 4)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7, ncol=2)
    _save(fig, out)
    return out


def plot_entropy_long(paths: dict[int, np.ndarray], truth: float, out: Path) -> Path:
    """SVGD's closed-form estimate far beyond the official horizon, for several particle counts."""
    fig, ax = plt.subplots(figsize=(6, 4))
    for m, path in paths.items():
        mean_band(ax, np.arange(path.shape[1]), path, label=f"m = {m}")
    ax.axhline(truth, color="black", lw=1.5, label=f"truth {truth:.3f}")
    ax.axvline(30, color="gray", ls=":", label="official horizon (30 steps)")
    ax.set(title="SVGD, closed form, 2-D Gaussian, init N(0, 6), step 0.5", xlabel="sampler steps",
           ylabel="entropy estimate (nats)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    _save(fig, out)
    return out


def plot_entropy_b(rows: list[dict], out_dir: Path) -> list[Path]:
    """Study (b): estimate and truth against the number of components (std 1) and the component std (1 component);
    one panel per (dimension, particles × steps)."""
    written = []
    dims = sorted({r["dim"] for r in rows})
    grid = sorted({(r["particles"], r["steps"]) for r in rows})
    for sweep, x_key, pick in (("components", "components", lambda r: r["std"] == 1.0),
                               ("std", "std", lambda r: r["components"] == 1)):
        fig, axes = plt.subplots(len(dims), len(grid), figsize=(3.4 * len(grid), 2.8 * len(dims)), squeeze=False)
        for row_axes, d in zip(axes, dims):
            for ax, (m, steps) in zip(row_axes, grid):
                cell = [r for r in rows if r["dim"] == d and (r["particles"], r["steps"]) == (m, steps) and pick(r)]
                for logdet, style in LOGDET_STYLES.items():
                    line = sorted((r[x_key], r["estimate"], r["estimate_std"]) for r in cell if r["logdet"] == logdet)
                    if line:
                        xs, ys, es = map(np.array, zip(*line))
                        ax.errorbar(xs, ys, es, fmt=style, marker="o", ms=3, capsize=2, label=f"SVGD, {logdet}")
                truth = sorted({(r[x_key], r["truth"]) for r in cell if r["logdet"] == "trace"})
                if truth:
                    xs, ys = map(np.array, zip(*truth))
                    ax.plot(xs, ys, "k-", lw=1.5, label="truth (MC)")
                ax.set_title(f"d = {d}, m = {m}, L = {steps}", fontsize=8)
                if sweep == "std":
                    ax.set_xscale("log")
                ax.tick_params(labelsize=7)
                ax.grid(alpha=0.3)
        axes[0, 0].legend(fontsize=6)
        for ax in axes[-1]:
            ax.set_xlabel("mixture components" if sweep == "components" else "component std")
        fig.suptitle(f"Gaussian-mixture targets: entropy against {x_key}, init N(0, 6), 5 seeds (mean ± std)")
        path = out_dir / f"b_mixtures_{sweep}.png"
        _save(fig, path)
        written.append(path)
    return written


def plot_entropy_c(rows: list[dict], out: Path) -> Path:
    """Study (c): SVGD's estimate against a fixed kernel σ, per (particles, steps), per initialisation."""
    inits = sorted({r["init"] for r in rows})
    fig, axes = plt.subplots(1, len(inits), figsize=(6 * len(inits), 4), squeeze=False)
    for ax, init in zip(axes[0], inits):
        for colour, (m, steps) in zip(plt.rcParams["axes.prop_cycle"].by_key()["color"],
                                      sorted({(r["particles"], r["steps"]) for r in rows})):
            for logdet in ("trace", "exact-excluded"):
                line = sorted((r["sigma"], r["estimate"], r["estimate_std"]) for r in rows if r["init"] == init
                              and (r["particles"], r["steps"]) == (m, steps) and r["logdet"] == logdet)
                xs, ys, es = map(np.array, zip(*line))
                ax.errorbar(xs, ys, es, fmt=LOGDET_STYLES[logdet], color=colour, marker="o", ms=3, capsize=2,
                            label=f"m = {m}, L = {steps}, {logdet}")
        ax.axhline(rows[0]["truth"], color="black", ls="--", label="truth")
        ax.set(xscale="log", title=f"N((0, 4), I) target, init {init}", xlabel="fixed kernel σ",
               ylabel="entropy estimate (nats)")
        ax.set_ylim(rows[0]["truth"] - 6, rows[0]["truth"] + 6)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    _save(fig, out)
    return out


def plot_study_curves(results: dict, out: Path) -> None:
    """The MuJoCo study's sample efficiency: IQM of the evaluation return and its interval against steps, one panel
    per task."""
    envs = list(results["curves"])
    fig, axes = plt.subplots(1, len(envs), figsize=(4.5 * len(envs), 3.6), squeeze=False)
    for ax, env in zip(axes[0], envs):
        for algo, curve in results["curves"][env].items():
            (line,) = ax.plot(curve["steps"], curve["iqm"], label=algo)
            ax.fill_between(curve["steps"], curve["low"], curve["high"], color=line.get_color(), alpha=0.2)
        for r in results["sac_reference"].get(env, []):
            ax.errorbar(r["step"], r["published_mean"], r["published_std"], fmt="k^", ms=5, capsize=3,
                        label="published SAC")
        ax.set(title=env, xlabel="environment steps", ylabel="evaluation return (IQM, 95 % CI)")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    _save(fig, out)


def plot_study_time(results: dict, times: dict, out: Path) -> None:
    """The MuJoCo study against wall-clock time: IQM of the evaluation return and its interval against the hours its
    program had run (runtime.json's hours_at_eval), one panel per task: what a fixed compute budget buys."""
    envs = list(results["curves"])
    fig, axes = plt.subplots(1, len(envs), figsize=(4.5 * len(envs), 3.6), squeeze=False)
    for ax, env in zip(axes[0], envs):
        for algo, curve in results["curves"][env].items():
            hours = times[env][algo]["hours_at_eval"]
            (line,) = ax.plot(hours, curve["iqm"], label=algo)
            ax.fill_between(hours, curve["low"], curve["high"], color=line.get_color(), alpha=0.2)
        ax.set(title=env, xlabel="wall-clock hours (median over seeds)", ylabel="evaluation return (IQM, 95 % CI)")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    _save(fig, out)


def plot_study_aggregate(results: dict, out: Path) -> None:
    """The MuJoCo study's performance profiles of the SAC-normalised scores, the probabilities of improvement at the
    last step, and at every evaluation step."""
    profiles = results["performance_profiles"]
    fig, (left, right, curves) = plt.subplots(1, 3, figsize=(15, 3.6))
    for algo, profile in profiles.items():
        if algo == "tau":
            continue
        (line,) = left.plot(profiles["tau"], profile["fraction"], label=algo)
        left.fill_between(profiles["tau"], profile["low"], profile["high"], color=line.get_color(), alpha=0.2)
    left.set(xlabel="τ (final return / SAC's mean final return)", ylabel="fraction of runs with score > τ",
             title="performance profiles")
    left.grid(alpha=0.3)
    left.legend(fontsize=8)
    improvement = results["probability_of_improvement"]
    names = list(improvement)
    probs = np.array([improvement[n]["probability"] for n in names])
    lows = probs - np.array([improvement[n]["interval"][0] for n in names])
    highs = np.array([improvement[n]["interval"][1] for n in names]) - probs
    right.barh(names, probs, xerr=[lows, highs], capsize=4, color="tab:blue", alpha=0.7)
    right.axvline(0.5, color="k", ls="--", lw=1)
    right.set(xlim=(0, 1), xlabel="probability of improvement (95 % CI)", title="P(X > Y)")
    for name, curve in results["improvement_curves"].items():
        (line,) = curves.plot(curve["steps"], curve["probability"], label=f"P({name})")
        curves.fill_between(curve["steps"], curve["low"], curve["high"], color=line.get_color(), alpha=0.2)
    curves.axhline(0.5, color="k", ls="--", lw=1)
    curves.set(ylim=(0, 1), xlabel="environment steps", ylabel="probability of improvement (95 % CI)",
               title="P(X > Y) at each evaluation")
    curves.grid(alpha=0.3)
    curves.legend(fontsize=8)
    _save(fig, out)


def plot_finetune_curves(results: dict, out: Path) -> None:
    """The pretraining study: IQM of the evaluation return and its interval against steps; a panel for pretraining
    on the undirected task, then one per directed task with each algorithm fine-tuned (solid) and from scratch
    (dashed)."""
    tasks = list(results["tasks"])
    fig, axes = plt.subplots(1, 1 + len(tasks), figsize=(4.5 * (1 + len(tasks)), 3.6), squeeze=False)
    colors = {algo: f"C{i}" for i, algo in enumerate(results["pretraining"])}
    panels = [(results["plan"]["pretrain_env"] + " (pretraining)",
               [(algo, "-", p["curve"]) for algo, p in results["pretraining"].items()])]
    panels += [(env, [(f"{algo} {start}", "-" if start == "pretrained" else "--", arms[start]["curve"])
                      for algo, arms in results["tasks"][env]["algos"].items() for start in ("pretrained", "scratch")])
               for env in tasks]
    for ax, (title, lines) in zip(axes[0], panels):
        for label, style, curve in lines:
            color = colors[label.split()[0]]
            ax.plot(curve["steps"], curve["iqm"], style, color=color, label=label)
            ax.fill_between(curve["steps"], curve["low"], curve["high"], color=color, alpha=0.15)
        ax.set(title=title, xlabel="environment steps", ylabel="evaluation return (IQM, 95 % CI)")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    _save(fig, out)
