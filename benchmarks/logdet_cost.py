"""Cost of S2AC(φ,θ)'s update with each log-density rule, on HalfCheetah-v5 (d = 6) and Humanoid-v5 (d = 17) shapes.

    python benchmarks/logdet_cost.py --repeats 7

The training loop's compiled learn step (as `update_cost.py`: 50 updates per call on minibatches of 100 from a
replay of random transitions), S2AC(φ,θ) with the MuJoCo preset's sampler (m = 10, L = 3, ε = 0.1), one contender
per log-density rule and step bound, calls alternating; medians over repeats, as ms per update and as a ratio to the
official `trace` on the same shapes.
"""

import dataclasses
import json

import jax
import numpy as np
import tyro

from ebrl.agents.s2ac import S2ACConfig
from update_cost import measure

SHAPES = {"HalfCheetah-v5": (17, 6), "Humanoid-v5": (348, 17)}
RULES = {"trace": {"logdet": "trace"}, "trace-self": {"logdet": "trace-self"}, "hutchinson": {"logdet": "hutchinson"},
         "exact": {"logdet": "exact"}, "trace+bound": {"logdet": "trace", "step_bound": 1.0},
         "trace-self+bound": {"logdet": "trace-self", "step_bound": 1.0},
         "exact+bound": {"logdet": "exact", "step_bound": 1.0}, "joint": {"logdet": "joint"}}
"""name -> S2AC configuration fields; "+bound": MET-SVGD's step bound with b = 1."""


@dataclasses.dataclass(frozen=True)
class Options:
    repeats: int = 7
    """Timed calls (of 50 updates) per contender."""
    shapes: tuple[str, ...] = tuple(SHAPES)
    """Tasks whose observation and action sizes are used."""
    rules: tuple[str, ...] = tuple(RULES)
    """Log-density rules to time ("trace" is always timed: the reference)."""
    json: bool = False
    """Print the table as JSON."""


def main(options: Options) -> None:
    if not options.json:
        print(f"| task shape | d | log-density rule | ms / update (median of {options.repeats}) | × trace | peak MiB |")
        print("|---|---|---|---|---|---|", flush=True)
    table = []
    for shape in options.shapes:
        obs_dim, act_dim = SHAPES[shape]
        contenders = {rule: ("s2ac", S2ACConfig(variant="phi-theta", svgd_steps=3, **changes), 100)
                      for rule, changes in RULES.items() if rule == "trace" or rule in options.rules}
        runs = measure(contenders, options.repeats, obs_dim, act_dim)
        base = float(np.median(runs["trace"]["times"]))
        for rule, run in runs.items():
            seconds = float(np.median(run["times"]))
            row = {"shape": shape, "d": act_dim, "rule": rule, "ms_per_update": 1e3 * seconds,
                   "x_trace": seconds / base, "peak_mib": run["peak_mib"]}
            table.append(row)
            if not options.json:
                print(f"| {shape} | {act_dim} | {rule} | {row['ms_per_update']:.2f} | {row['x_trace']:.2f} | "
                      f"{row['peak_mib']:.1f} |", flush=True)
    if options.json:
        print(json.dumps(table, indent=1))
        return
    print(f"\njax {jax.__version__}, backend {jax.default_backend()}, device {jax.devices()[0].device_kind}")


if __name__ == "__main__":
    main(tyro.cli(Options))
