"""The fine-tuning study's figure: pretrained against scratch, per task and algorithm."""

from pathlib import Path

import matplotlib.pyplot as plt
from matplotlib.ticker import EngFormatter, MaxNLocator

from ebrl.plots import save_figure


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
        ax.xaxis.set_major_locator(MaxNLocator(5))
        ax.xaxis.set_major_formatter(EngFormatter(sep=""))  # 10000 -> 10k
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    save_figure(fig, out)
