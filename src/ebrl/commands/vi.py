"""SVGD as variational inference on data, beside NumPyro's NUTS, SVGD and mean-field VI: ebrl vi --datasets
    heart boston --splits 20 --out results/vi [--overwrite]"""

import dataclasses
import shlex
from pathlib import Path

from rich.console import Console

from ebrl.commands.parsing import parse, print_written
from ebrl.config import require
from ebrl.studies.vi.benchmark import LOGISTIC, METHODS, NETWORK, BenchmarkConfig, run_benchmark, write_tables

DEFAULTS = BenchmarkConfig()


@dataclasses.dataclass(frozen=True)
class VIOptions:
    """Bayesian logistic regression and a Bayesian neural network by ebrl's SVGD, with NumPyro's NUTS, SVGD and
    mean-field VI beside it (pip install 'ebrl[test]' for NumPyro and the data packages)."""

    datasets: tuple[str, ...] = DEFAULTS.datasets
    """Data sets (classification: logistic regression; boston, concrete, diabetes: the neural network)."""
    splits: int = DEFAULTS.splits
    """Random 90/10 splits per regression data set (PBP's protocol: 20)."""
    classification_splits: int = DEFAULTS.classification_splits
    """Random 90/10 splits per classification data set."""
    reference_splits: int = DEFAULTS.reference_splits
    """The first splits on which NUTS, NumPyro's SVGD and mean-field VI run too."""
    methods: tuple[str, ...] = METHODS[1:]
    """Methods beside ebrl's SVGD (which always runs): nuts, numpyro-svgd, mean-field."""
    entropy_runs: int = DEFAULTS.entropy_runs
    """Independent SVGD runs of the Monte Carlo entropy check (0: none)."""
    particles: int = LOGISTIC.svgd.particles
    """SVGD particles for logistic regression (the network's: --network-particles)."""
    steps: int = LOGISTIC.svgd.steps
    """SVGD steps for logistic regression."""
    network_particles: int = NETWORK.svgd.particles
    """SVGD particles for the neural network."""
    network_steps: int = NETWORK.svgd.steps
    """SVGD steps for the neural network."""
    seed: int = 0
    """Seed of the splits and of every method."""
    out: str = "results/vi"
    """Folder of results.csv, summary.csv, summary.md, goals.csv and the figures."""
    overwrite: bool = False
    """Write into an existing, non-empty output folder."""

    def benchmark(self) -> BenchmarkConfig:
        def family(base, particles, steps):
            return dataclasses.replace(base, svgd=dataclasses.replace(base.svgd, particles=particles, steps=steps))

        return BenchmarkConfig(self.datasets, self.splits, self.classification_splits, self.reference_splits,
                               tuple(dict.fromkeys(("ebrl-svgd", *self.methods))), self.entropy_runs, self.seed,
                               family(LOGISTIC, self.particles, self.steps),
                               family(NETWORK, self.network_particles, self.network_steps))


def run(args: list[str]) -> int:
    options = parse(VIOptions, args, "ebrl vi")
    config = options.benchmark()
    config.validate()  # before anything is computed or written
    out = Path(options.out)
    require(options.overwrite or not out.exists() or not any(out.iterdir()),
            f"out {out} exists and is not empty; choose another out or pass overwrite", "out", "overwrite")
    rows = run_benchmark(config, log=Console(stderr=True).print)
    out.mkdir(parents=True, exist_ok=True)
    return print_written(write_tables(out, rows, shlex.join(["ebrl", "vi", *args])))
