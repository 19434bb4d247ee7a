"""Latency of one compiled S2AC action call: the SVGD chain with a particle rule against ψ's amortized sample.

    python benchmarks/action_latency.py --repeats 200

For each task's shapes and preset (MultiGoal3: S2AC(φ), m 10, L 10; Pendulum-v1 and HalfCheetah-v5: S2AC(φ,θ),
m 10, L 3), `agent.act` is jitted once per mode and batch size (1: one environment; 256: a vector of
environments or a batch of states), and timed from the call to the result on the host. Calls alternate between
modes, so machine noise hits all of them; the median over repeats is reported in microseconds, with the ratio
softmax / amortized.
"""

import dataclasses
import json
import time

import jax
import numpy as np
import tyro

from ebrl.agents.s2ac import S2ACConfig, make_agent
from ebrl.presets import find_preset

TASKS = {"ebrl/MultiGoal3-v0": (2, 2), "Pendulum-v1": (3, 1), "HalfCheetah-v5": (17, 6)}  # obs_dim, act_dim
MODES = ("softmax", "random", "amortized")
BATCHES = (1, 256)


@dataclasses.dataclass(frozen=True)
class Options:
    repeats: int = 200
    """Timed calls per (task, batch, mode)."""
    json: bool = False
    """Print the rows as JSON."""


def measure(env_id: str, batch: int, repeats: int) -> dict[str, float]:
    obs_dim, act_dim = TASKS[env_id]
    config = dataclasses.replace(S2ACConfig(), **find_preset("s2ac", env_id).agent, amortize=True)
    agent = make_agent(config, obs_dim, act_dim)
    state = agent.init(jax.random.key(0))
    obs = jax.random.normal(jax.random.key(1), (batch, obs_dim))
    acts = {mode: jax.jit(lambda s, o, k, mode=mode: agent.act(s, o, k, mode)) for mode in MODES}
    for act in acts.values():
        act(state, obs, jax.random.key(2)).block_until_ready()
    times = {mode: [] for mode in MODES}
    for i in range(repeats):
        for mode, act in acts.items():
            start = time.perf_counter()
            np.asarray(act(state, obs, jax.random.key(i)))
            times[mode].append(time.perf_counter() - start)
    return {mode: 1e6 * float(np.median(t)) for mode, t in times.items()}


def main(options: Options) -> None:
    rows = []
    for env_id in TASKS:
        for batch in BATCHES:
            micros = measure(env_id, batch, options.repeats)
            rows.append({"task": env_id, "batch": batch, **{f"{m}_us": round(v, 1) for m, v in micros.items()},
                         "softmax_over_amortized": round(micros["softmax"] / micros["amortized"], 1)})
    if options.json:
        print(json.dumps(rows, indent=1))
        return
    print(f"jax {jax.__version__}, {jax.devices()[0].device_kind}, median of {options.repeats} calls (µs)\n")
    print("| task | batch | softmax (SVGD chain) | random (SVGD chain) | amortized (ψ) | softmax / amortized |")
    print("|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['task']} | {r['batch']} | {r['softmax_us']:.0f} | {r['random_us']:.0f} | {r['amortized_us']:.0f} "
              f"| {r['softmax_over_amortized']:.1f}× |")


if __name__ == "__main__":
    main(tyro.cli(Options))
