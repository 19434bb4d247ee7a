"""ebrl's SVGD against NumPyro's (`numpyro.contrib.einstein.SVGD`) at the same particles and steps, on the same
log-joint over the same coordinates, all the data in every step's score.

    python benchmarks/vi_speed.py --out docs/results/vi/speed.md

Per data set: ebrl's `make_svgd` jitted, with its default change of variables (trace-self up to 64 parameters,
hutchinson above) and with logdet="trace" (first derivatives only); NumPyro's SVGD (RBF kernel, median bandwidth,
Adagrad) as one jitted `fori_loop` of `update`. Each is compiled first; then the three run in turn, `repeats`
times, and the table gives each one's median seconds and NumPyro's median over ebrl's.
"""

import dataclasses
import time
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import tyro

from ebrl.studies.vi.benchmark import LOGISTIC, NETWORK, machine
from ebrl.vi import data, inference, reference
from ebrl.vi.models import bayesian_neural_network, logistic_regression


@dataclasses.dataclass(frozen=True)
class Options:
    datasets: tuple[str, ...] = ("heart", "ringnorm", "boston")
    """Data sets (classification: logistic regression with 100 particles; regression: the network, 20)."""
    steps: int = 500
    """SVGD steps of every run."""
    repeats: int = 5
    """Timed runs of each method, in turn."""
    out: str | None = None
    """Also write the table here (Markdown)."""


def seconds(run) -> float:
    start = time.perf_counter()
    jax.block_until_ready(run())
    return time.perf_counter() - start


def main(o: Options) -> None:
    lines = ["| data set | D | particles | steps | ebrl (default logdet) s | ebrl (trace) s | NumPyro s | "
             "NumPyro / ebrl default | NumPyro / ebrl trace |", "|---|---|---|---|---|---|---|---|---|"]
    for name in o.datasets:
        dataset = data.load(name)
        split = data.split(dataset, 0)
        features = split.x_train.shape[1]
        classify = dataset.task == "classification"
        model = logistic_regression(features) if classify else bayesian_neural_network(features)
        family = LOGISTIC if classify else NETWORK
        x, y = jnp.asarray(split.x_train), jnp.asarray(split.y_train)
        config = dataclasses.replace(family.svgd, steps=o.steps, batch=0)
        start = inference.laplace_start(model, x, y, config, jax.random.key(0))
        particles0 = start.center + start.scale * config.init_scale * jax.random.normal(
            jax.random.key(1), (config.particles, model.dim))
        ebrl_default = jax.jit(inference.make_svgd(model, x, y, config, start))
        ebrl_trace = jax.jit(inference.make_svgd(model, x, y, dataclasses.replace(config, logdet="trace"), start))
        runs = {"default": lambda run=ebrl_default: run(jax.random.key(2)),
                "trace": lambda run=ebrl_trace: run(jax.random.key(2)),
                "numpyro": reference.numpyro_svgd(model, x, y, particles0, steps=o.steps,
                                                  step_size=family.numpyro_step_size, key=jax.random.key(3))}
        for run in runs.values():
            jax.block_until_ready(run())  # compile
        times: dict[str, list[float]] = {k: [] for k in runs}
        for _ in range(o.repeats):
            for key, run in runs.items():
                times[key].append(seconds(run))
        median = {k: float(np.median(v)) for k, v in times.items()}
        lines.append(f"| {name} | {model.dim} | {config.particles} | {o.steps} | {median['default']:.3f} "
                     f"({config.logdet_for(model.dim)}) | {median['trace']:.3f} | {median['numpyro']:.3f} | "
                     f"{median['numpyro'] / median['default']:.2f} | {median['numpyro'] / median['trace']:.2f} |")
        print(lines[-1], flush=True)
    table = "\n".join(lines)
    text = (f"# ebrl's SVGD against NumPyro's, same particles and steps\n\nCommand: `python benchmarks/vi_speed.py "
            f"--steps {o.steps} --repeats {o.repeats} --datasets {' '.join(o.datasets)}`  \nMachine: {machine()}; "
            f"medians of {o.repeats} runs each, the three methods in turn, compiled beforehand.\n\n{table}\n")
    print(text)
    if o.out:
        Path(o.out).write_text(text)


if __name__ == "__main__":
    main(tyro.cli(Options))
