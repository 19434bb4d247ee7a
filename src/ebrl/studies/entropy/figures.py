"""The entropy study's figures: the estimates against the truth per part."""

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from ebrl.plots import mean_band, save_figure

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
    save_figure(fig, out)
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
    save_figure(fig, out)
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
        save_figure(fig, path)
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
    save_figure(fig, out)
    return out
