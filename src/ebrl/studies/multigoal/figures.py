"""The MultiGoal comparison's figure: per group, trajectories and goal hits."""

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from ebrl.envs.multigoal import draw_arena
from ebrl.plots import save_figure


def plot_comparison(groups, params, out: Path, title: str) -> None:
    """One column per group (ebrl.studies.multigoal.study.GroupResult): its first seed's trajectories over the arena,
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
    save_figure(fig, out)
