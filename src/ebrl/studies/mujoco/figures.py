"""The MuJoCo study's figures: learning curves, return against wall-clock time, and the aggregate."""

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from ebrl.plots import save_figure


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
    save_figure(fig, out)


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
    save_figure(fig, out)


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
    if results["improvement_curves"]:
        curves.legend(fontsize=8)
    else:  # a study without an S2AC arm compares nothing
        for axes in (right, curves):
            axes.text(0.5, 0.5, "no S2AC arm to compare", ha="center", transform=axes.transAxes)
    save_figure(fig, out)
