"""The SVGD-as-inference benchmarks: each data set's splits through ebrl's SVGD, NumPyro's NUTS (the reference
posterior), NumPyro's SVGD at the same particles and steps, and mean-field Gaussian VI (NumPyro AutoNormal);
tables (Markdown + CSV) and figures.

Classification sets: Bayesian logistic regression (`models.logistic_regression`), test accuracy and test
log-likelihood per point. Regression sets: the 50-unit Bayesian neural network (`models.bayesian_neural_network`),
the PBP protocol of random 90/10 splits, test RMSE and test log-likelihood per point in the target's own units.
ELBO (training data, nats): ebrl's SVGD from its tracked densities, mean-field VI from its Gaussian's exact entropy
and 1000 draws; NUTS and NumPyro's SVGD have no density. The entropy check: −mean log q from the tracked densities
against the Gaussian-fit entropy of one particle from each of `entropy_runs` independent SVGD runs on the first
split (`ebrl.samplers.policy_samples`), for data sets with at most entropy_runs/5 parameters.
"""

import csv
import dataclasses
import math
import time
from collections.abc import Callable
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np

from ebrl.config import require
from ebrl.samplers import gaussian_fit_entropy, policy_samples
from ebrl.studies.machine import machine
from ebrl.vi import data as vi_data
from ebrl.vi import inference, reference
from ebrl.vi.models import Model, bayesian_neural_network, logistic_regression

METHODS = ("ebrl-svgd", "nuts", "numpyro-svgd", "mean-field")


@dataclasses.dataclass(frozen=True)
class MethodConfig:
    """The SVGD settings and the references' budgets of one family of models."""

    svgd: inference.SVGDConfig
    numpyro_step_size: float
    """Adagrad's step of NumPyro's SVGD."""
    nuts_warmup: int
    nuts_samples: int
    nuts_max_tree_depth: int
    mean_field_steps: int
    mean_field_learning_rate: float


LOGISTIC = MethodConfig(inference.SVGDConfig(particles=100, steps=1000, step_size=0.05, batch=256),
                        numpyro_step_size=0.05, nuts_warmup=500, nuts_samples=1000, nuts_max_tree_depth=10,
                        mean_field_steps=5000, mean_field_learning_rate=0.01)
# The network's Laplace-diagonal whitening misses the strong correlations between the layers' weights: a start
# narrower than the Laplace scale and smaller steps, on all the data (steps of 0.05 from the full scale, or
# mini-batches of 100, diverged on Boston).
NETWORK = MethodConfig(inference.SVGDConfig(particles=20, steps=2000, step_size=0.01, batch=0, init_scale=0.3,
                                            map_steps=2000),
                       numpyro_step_size=0.05, nuts_warmup=200, nuts_samples=200, nuts_max_tree_depth=8,
                       mean_field_steps=5000, mean_field_learning_rate=0.01)


@dataclasses.dataclass(frozen=True)
class BenchmarkConfig:
    """Which data sets, how many splits, which methods."""

    datasets: tuple[str, ...] = ("banana", "breast_cancer", "german", "heart", "ringnorm", "splice", "titanic",
                                 "twonorm", "boston", "concrete")
    """Data sets (ebrl.vi.data.DATASETS): classification ones get logistic regression, regression ones the BNN."""
    splits: int = 20
    """Random 90/10 train/test splits per regression data set (PBP's protocol)."""
    classification_splits: int = 1
    """Random 90/10 splits per classification data set."""
    reference_splits: int = 1
    """Splits (the first ones) on which NUTS, NumPyro's SVGD and mean-field VI run beside ebrl's SVGD."""
    methods: tuple[str, ...] = METHODS
    """Methods to run (ebrl-svgd always runs)."""
    entropy_runs: int = 100
    """Independent SVGD runs behind the Monte Carlo entropy check (0: no check)."""
    seed: int = 0
    """Seed of the splits and of every method's randomness."""
    logistic: MethodConfig = LOGISTIC
    network: MethodConfig = NETWORK

    def validate(self) -> None:
        for name in self.datasets:
            vi_data.check_name(name)
        require(len(self.datasets) > 0, "datasets is empty; name one or more data sets", "datasets")
        for method in self.methods:
            require(method in METHODS, f"unknown method {method!r}; use some of {', '.join(METHODS)}", "methods")
        for name in ("splits", "classification_splits"):
            require(getattr(self, name) >= 1, f"{name} must be at least 1, got {getattr(self, name)}", name)
        require(self.reference_splits >= 0, "reference_splits must be non-negative", "reference_splits")
        require(self.entropy_runs == 0 or self.entropy_runs >= 10, f"entropy_runs must be 0 (no check) or at least "
                f"10, got {self.entropy_runs}", "entropy_runs")
        self.logistic.svgd.validate()
        self.network.svgd.validate()


def _timed(fn: Callable):
    start = time.perf_counter()
    value = jax.block_until_ready(fn())
    return value, time.perf_counter() - start


def gaussian_log_q(samples: jax.Array, loc: jax.Array, scale: jax.Array) -> jax.Array:
    return jnp.sum(jax.scipy.stats.norm.logpdf(samples, loc, scale), axis=-1)


def metrics(model: Model, samples: jax.Array, split: vi_data.Split, task: str) -> dict[str, float]:
    """Test metrics of posterior samples (S, D): accuracy or RMSE, and log-likelihood per point, in the target's
    units (a regression's standardised likelihood less log y_std)."""
    targets = (split.y_test - split.y_mean) / split.y_std if task == "regression" else split.y_test
    log_pred = np.asarray(inference.log_predictive(model, samples, split.x_test, targets))
    mean = np.asarray(inference.predictive_mean(model, samples, split.x_test))
    if task == "classification":
        return {"accuracy": float(np.mean((mean > 0.5) == (split.y_test == 1))), "test_ll": float(np.mean(log_pred))}
    rmse = float(np.sqrt(np.mean((mean * split.y_std + split.y_mean - split.y_test) ** 2)))
    return {"rmse": rmse, "test_ll": float(np.mean(log_pred)) - math.log(split.y_std)}


def run_split(dataset: vi_data.Dataset, split_index: int, config: BenchmarkConfig,
              log: Callable[[str], object]) -> list[dict]:
    """Every method on one split of one data set: one row each."""
    split = vi_data.split(dataset, config.seed + split_index)
    task = dataset.task
    features = split.x_train.shape[1]
    model = logistic_regression(features) if task == "classification" else bayesian_neural_network(features)
    family = config.logistic if task == "classification" else config.network
    x, y = jnp.asarray(split.x_train), jnp.asarray(split.y_train)
    keys = jax.random.split(jax.random.key(config.seed * 1000 + split_index), 8)
    base = {"dataset": dataset.name, "task": task, "split": split_index, "dim": model.dim, "n_train": len(y)}
    rows = []

    start, start_time = _timed(lambda: inference.laplace_start(model, x, y, family.svgd, keys[0]))
    posterior, svgd_time = _timed(lambda: inference.svgd(model, x, y, family.svgd, key=keys[1], start=start))
    elbo = inference.elbo(model, posterior.particles, posterior.log_q, x, y)
    row = {**base, "method": "ebrl-svgd", **metrics(model, posterior.particles, split, task),
           "elbo": float(elbo.value), "expected_log_joint": float(elbo.expected_log_joint),
           "entropy": float(elbo.entropy), "seconds": svgd_time, "map_seconds": start_time,
           "logdet": family.svgd.logdet_for(model.dim)}
    if split_index == 0 and 0 < config.entropy_runs and model.dim * 5 <= config.entropy_runs:
        run = inference.make_svgd(model, x, y, family.svgd, start)
        samples, tracked = policy_samples(run, keys[2], config.entropy_runs, batch=10)
        row.update(entropy_tracked_runs=tracked, entropy_monte_carlo=gaussian_fit_entropy(samples))
    rows.append(row)
    log(f"{dataset.name} split {split_index}: ebrl-svgd {_brief(row)}")
    if split_index >= config.reference_splits:
        return rows

    particles0 = start.center + start.scale * family.svgd.init_scale * jax.random.normal(
        keys[3], (family.svgd.particles, model.dim))
    if "nuts" in config.methods:
        draws, seconds = _timed(lambda: reference.nuts(model, x, y, start, warmup=family.nuts_warmup,
                                                       samples=family.nuts_samples, key=keys[4],
                                                       max_tree_depth=family.nuts_max_tree_depth))
        rows.append({**base, "method": "nuts", **metrics(model, draws, split, task), "seconds": seconds})
        log(f"{dataset.name} split {split_index}: nuts {_brief(rows[-1])}")
    if "numpyro-svgd" in config.methods:
        run_numpyro = reference.numpyro_svgd(model, x, y, particles0, steps=family.svgd.steps,
                                             step_size=family.numpyro_step_size, key=keys[5])
        particles, seconds = _timed(run_numpyro)
        rows.append({**base, "method": "numpyro-svgd", **metrics(model, particles, split, task),
                     "seconds": seconds})
        log(f"{dataset.name} split {split_index}: numpyro-svgd {_brief(rows[-1])}")
    if "mean-field" in config.methods:
        (loc, scale), seconds = _timed(lambda: reference.mean_field(
            model, x, y, start, steps=family.mean_field_steps, learning_rate=family.mean_field_learning_rate,
            key=keys[6]))
        draws = loc + scale * jax.random.normal(keys[7], (1000, model.dim))
        mf_elbo = inference.elbo(model, draws, gaussian_log_q(draws, loc, scale), x, y)
        exact_entropy = float(jnp.sum(jnp.log(scale)) + 0.5 * model.dim * math.log(2 * math.pi * math.e))
        rows.append({**base, "method": "mean-field", **metrics(model, draws, split, task),
                     "elbo": float(mf_elbo.expected_log_joint) + exact_entropy,
                     "expected_log_joint": float(mf_elbo.expected_log_joint), "entropy": exact_entropy,
                     "seconds": seconds})
        log(f"{dataset.name} split {split_index}: mean-field {_brief(rows[-1])}")
    return rows


def _brief(row: dict) -> str:
    keys = ("accuracy", "rmse", "test_ll", "elbo", "entropy", "entropy_monte_carlo", "seconds")
    return ", ".join(f"{k} {row[k]:.4g}" for k in keys if k in row)


def run_benchmark(config: BenchmarkConfig, log: Callable[[str], object] = print) -> list[dict]:
    """Every split of every data set, every method: the rows of results.csv."""
    config.validate()
    rows: list[dict] = []
    for name in config.datasets:
        dataset = vi_data.load(name)
        splits = config.classification_splits if dataset.task == "classification" else config.splits
        for split_index in range(splits):
            rows += run_split(dataset, split_index, config, log)
    return rows


def summarise(rows: list[dict]) -> list[dict]:
    """One row per (data set, method): mean and standard error over splits of each metric; times as medians."""
    summary = []
    groups: dict[tuple[str, str], list[dict]] = {}
    for row in rows:
        groups.setdefault((row["dataset"], row["method"]), []).append(row)
    for (name, method), group in groups.items():
        out = {"dataset": name, "method": method, "task": group[0]["task"], "dim": group[0]["dim"],
               "splits": len(group)}
        for key in ("accuracy", "rmse", "test_ll", "elbo", "expected_log_joint", "entropy",
                    "entropy_tracked_runs", "entropy_monte_carlo"):
            values = np.array([r[key] for r in group if key in r], dtype=float)
            if len(values):
                out[key] = float(values.mean())
                out[key + "_se"] = float(values.std(ddof=1) / math.sqrt(len(values))) if len(values) > 1 else 0.0
        out["seconds_median"] = float(np.median([r["seconds"] for r in group]))
        summary.append(out)
    return summary


def _cell(row: dict, key: str, digits: int) -> str:
    if key not in row:
        return "—"
    if row.get("splits", 1) > 1 and row.get(key + "_se", 0) > 0:
        return f"{row[key]:.{digits}f} ± {row[key + '_se']:.{digits}f}"
    return f"{row[key]:.{digits}f}"


def goals(rows: list[dict]) -> list[dict]:
    """Per data set, ebrl's SVGD against the references on the splits where both ran (means over them): accuracy
    and test LL against NUTS (the goal: within 1 point and 0.02 nats, for classification), the ELBO against
    mean-field VI's, and the tracked entropy against the Monte Carlo one."""
    by = {(r["dataset"], r["method"], r["split"]): r for r in rows}
    out = []
    for name in dict.fromkeys(r["dataset"] for r in rows):
        svgd = {r["split"]: r for r in rows if r["dataset"] == name and r["method"] == "ebrl-svgd"}
        row: dict = {"dataset": name}
        for method, key, column, scale in (("nuts", "accuracy", "accuracy_gap_points", 100.0),
                                           ("nuts", "rmse", "rmse_gap", 1.0),
                                           ("nuts", "test_ll", "test_ll_gap", 1.0),
                                           ("mean-field", "elbo", "elbo_minus_mean_field", 1.0)):
            pairs = [(r[key], by[(name, method, split)][key]) for split, r in svgd.items()
                     if (name, method, split) in by and key in r and key in by[(name, method, split)]]
            if pairs:
                row[column] = scale * float(np.mean([a - b for a, b in pairs]))
        if "accuracy_gap_points" in row:
            row["met"] = abs(row["accuracy_gap_points"]) <= 1 and abs(row["test_ll_gap"]) <= 0.02
        checked = [r for r in svgd.values() if "entropy_monte_carlo" in r]
        if checked:
            row["entropy_error"] = float(np.mean([r["entropy_tracked_runs"] - r["entropy_monte_carlo"]
                                                  for r in checked]))
        out.append(row)
    return out


def write_tables(out: Path, rows: list[dict], command: str) -> list[Path]:
    """results.csv (every split), summary.csv and summary.md (means ± standard errors), and the figures."""
    summary = summarise(rows)
    paths = [_write_csv(out / "results.csv", rows), _write_csv(out / "summary.csv", summary),
             _write_csv(out / "goals.csv", goals(rows))]
    lines = [f"# SVGD as variational inference\n\nCommand: `{command}`  \nMachine: {machine_words()}\n",
             "## Logistic regression (test accuracy, test log-likelihood per point; ELBO on the training data)\n",
             "| data set | D | method | splits | accuracy | test LL | ELBO | E log p | H(q) tracked | "
             "H MC (runs) | H tracked (runs) | seconds |", "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for task in ("classification", "regression"):
        if task == "regression":
            lines += ["", "## Bayesian neural network (test RMSE, test log-likelihood per point; ELBO on the "
                      "standardised training data)\n",
                      "| data set | D | method | splits | RMSE | test LL | ELBO | E log p | H(q) tracked | "
                      "H MC (runs) | H tracked (runs) | seconds |", "|---|---|---|---|---|---|---|---|---|---|---|---|"]
        for r in summary:
            if r["task"] != task:
                continue
            first = _cell(r, "accuracy", 4) if task == "classification" else _cell(r, "rmse", 3)
            lines.append(f"| {r['dataset']} | {r['dim']} | {r['method']} | {r['splits']} | {first} | "
                         f"{_cell(r, 'test_ll', 4)} | {_cell(r, 'elbo', 2)} | {_cell(r, 'expected_log_joint', 2)} | "
                         f"{_cell(r, 'entropy', 2)} | {_cell(r, 'entropy_monte_carlo', 2)} | "
                         f"{_cell(r, 'entropy_tracked_runs', 2)} | {r['seconds_median']:.1f} |")
    lines += ["", "## Goals (ebrl's SVGD minus the reference, on the splits where both ran)\n",
              "| data set | accuracy − NUTS (points) | RMSE − NUTS | test LL − NUTS (nats) | within 1 pt and 0.02 nats "
              "| ELBO − mean-field ELBO | tracked − MC entropy |", "|---|---|---|---|---|---|---|"]
    for g in goals(rows):
        lines.append(f"| {g['dataset']} | {_cell(g, 'accuracy_gap_points', 2)} | {_cell(g, 'rmse_gap', 3)} | "
                     f"{_cell(g, 'test_ll_gap', 4)} | {('yes' if g['met'] else 'no') if 'met' in g else '—'} | "
                     f"{_cell(g, 'elbo_minus_mean_field', 2)} | {_cell(g, 'entropy_error', 2)} |")
    (out / "summary.md").write_text("\n".join(lines) + "\n")
    paths.append(out / "summary.md")
    paths += plot(out, summary, goals(rows))
    return paths


def plot(out: Path, summary: list[dict], goal_rows: list[dict]) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    paths = []
    names = list(dict.fromkeys(r["dataset"] for r in summary))
    by = {(r["dataset"], r["method"]): r for r in summary}
    fig, axes = plt.subplots(1, 2, figsize=(12, 4))
    for offset, method in enumerate(METHODS):
        xs, ys, es = [], [], []
        for i, name in enumerate(names):
            r = by.get((name, method))
            if r is not None:
                xs.append(i + 0.18 * (offset - 1.5))
                ys.append(r["test_ll"])
                es.append(r.get("test_ll_se", 0.0))
        axes[0].errorbar(xs, ys, yerr=es, fmt="o", label=method)
    axes[0].set_xticks(range(len(names)), names, rotation=45, ha="right")
    axes[0].set(ylabel="test log-likelihood per point (nats)", title="posterior predictive")
    axes[0].legend()
    gaps = {g["dataset"]: g["elbo_minus_mean_field"] for g in goal_rows if "elbo_minus_mean_field" in g}
    axes[1].bar([i for i, n in enumerate(names) if n in gaps], [gaps[n] for n in names if n in gaps])
    axes[1].set_yscale("symlog")
    axes[1].axhline(0, color="black", lw=0.8)
    axes[1].set_xticks(range(len(names)), names, rotation=45, ha="right")
    axes[1].set(ylabel="ELBO(ebrl SVGD) − ELBO(mean-field), nats", title="ELBO, reference splits (symlog)")
    fig.tight_layout()
    fig.savefig(out / "predictive_and_elbo.png", dpi=120)
    plt.close(fig)
    paths.append(out / "predictive_and_elbo.png")
    checked = [r for r in summary if "entropy_monte_carlo" in r]
    if checked:
        fig, ax = plt.subplots(figsize=(5, 4))
        mc = [r["entropy_monte_carlo"] for r in checked]
        tracked = [r["entropy_tracked_runs"] for r in checked]
        ax.scatter(mc, tracked)
        for r, a, b in zip(checked, mc, tracked):
            ax.annotate(r["dataset"], (a, b), fontsize=8)
        low, high = min(mc + tracked), max(mc + tracked)
        ax.plot([low, high], [low, high], color="black", lw=0.8)
        ax.set(xlabel="Monte Carlo entropy of one particle (Gaussian fit, nats)",
               ylabel="−mean log q, tracked (nats)", title="entropy term of the ELBO")
        fig.tight_layout()
        fig.savefig(out / "entropy_check.png", dpi=120)
        plt.close(fig)
        paths.append(out / "entropy_check.png")
    return paths


def _write_csv(path: Path, rows: list[dict]) -> Path:
    fields = list(dict.fromkeys(k for row in rows for k in row))
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)
    return path


def machine_words() -> str:
    """This machine in words: CPU model and count, JAX and the platform of its first device."""
    found = machine()
    return f"{found['cpu']}, {found['cpus']} CPUs, JAX {jax.__version__} on {jax.devices()[0].platform}"
