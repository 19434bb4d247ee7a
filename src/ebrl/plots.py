"""Figures: learning curves (mean ± std over seeds against environment steps)."""

from collections import defaultdict
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from ebrl.runs import read_metrics, read_spec  # noqa: E402


def plot_learning_curves(run_dirs: list[Path], out: Path) -> None:
    """One panel per evaluation mode; one line per (algorithm, environment), averaged over its runs' seeds.

    Runs of a group are compared at the steps they all logged.
    """
    groups: dict[str, list[list[dict]]] = defaultdict(list)
    for run_dir in run_dirs:
        spec = read_spec(run_dir)
        groups[f"{spec.algo} {spec.train.env}"].append(read_metrics(run_dir))
    modes = sorted({k.split("/")[1] for runs in groups.values() for rows in runs for row in rows for k in row
                    if k.startswith("eval/") and k.endswith("/return_mean")})
    fig, axes = plt.subplots(1, max(len(modes), 1), figsize=(5 * max(len(modes), 1), 3.6), squeeze=False)
    for ax, mode in zip(axes[0], modes):
        key = f"eval/{mode}/return_mean"
        for label, runs in groups.items():
            steps = sorted(set.intersection(*[{row["step"] for row in rows if key in row} for rows in runs]))
            values = np.array([[next(r[key] for r in rows if r["step"] == s) for s in steps] for rows in runs])
            mean, std = values.mean(axis=0), values.std(axis=0)
            ax.plot(steps, mean, label=f"{label} ({len(runs)} seed{'s' if len(runs) > 1 else ''})")
            ax.fill_between(steps, mean - std, mean + std, alpha=0.25)
        ax.set(title=f"evaluation, mode {mode}", xlabel="environment steps", ylabel="episode return")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=120)
    plt.close(fig)
