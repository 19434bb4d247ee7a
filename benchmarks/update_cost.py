"""Cost of one gradient update of each agent on HalfCheetah-v5's shapes, side by side in one process.

    python benchmarks/update_cost.py --repeats 7

Each contender runs the training loop's own compiled learn step (`ebrl.loop.learner.make_learner(...).learn`: insert 50
transitions, then 50 updates under `lax.scan` on minibatches drawn from a replay buffer of 10 000 random
transitions). Calls alternate between contenders, so machine noise hits all of them; the median over repeats is
reported, as updates per second and as a ratio to SAC, with XLA's count of floating-point operations of one update
(S2AC's SVGD steps are unrolled, so XLA counts each). Peak memory is XLA's own account of the compiled step:
its temporary buffers plus arguments and outputs (the buffer and states are donated, so they are counted once).
"""

import dataclasses
import json
import time

import jax
import jax.numpy as jnp
import numpy as np
import tyro

from ebrl.agents import ALGORITHMS
from ebrl.agents.s2ac import S2ACConfig
from ebrl.agents.sac import SACConfig
from ebrl.agents.sql import SQLConfig
from ebrl.config import TrainConfig
from ebrl.core import Transition
from ebrl.loop.learner import SeedState, make_learner
from ebrl.presets import find_preset
from ebrl.replay import replay_add, replay_init

OBS_DIM, ACT_DIM = 17, 6  # HalfCheetah-v5
UPDATES_PER_CALL = 50
BUFFER = 10_000


@dataclasses.dataclass(frozen=True)
class Options:
    repeats: int = 7
    """Timed calls (of 50 updates) per contender."""
    json: bool = False
    """Print the table as JSON."""


def contenders() -> dict[str, tuple[str, object, int]]:
    """name -> (algorithm, config, batch size)."""
    sql_preset = find_preset("sql", "HalfCheetah-v5")
    return {
        "SAC (batch 256, ebrl default)": ("sac", SACConfig(), 256),
        "SAC (batch 100)": ("sac", SACConfig(), 100),
        "S2AC(φ,θ) (batch 100, m 10, L 3)": ("s2ac", S2ACConfig(variant="phi-theta", svgd_steps=3), 100),
        "S2AC(φ,θ,ψ) (batch 100, m 10, L 3)": ("s2ac", S2ACConfig(variant="phi-theta", svgd_steps=3, amortize=True),
                                               100),
        "S2AC(φ) (batch 100, m 10, L 3)": ("s2ac", S2ACConfig(variant="phi", svgd_steps=3), 100),
        "SQL (preset: batch 128, K 16, M 16)": (
            "sql", dataclasses.replace(SQLConfig(), **sql_preset.agent), sql_preset.train["batch_size"]),
    }


def random_transitions(key, n: int, obs_dim: int = OBS_DIM, act_dim: int = ACT_DIM) -> Transition:
    k = jax.random.split(key, 4)
    return Transition(obs=jax.random.normal(k[0], (n, obs_dim)),
                      action=jax.random.uniform(k[1], (n, act_dim), minval=-1.0, maxval=1.0),
                      reward=jax.random.normal(k[2], (n,)), next_obs=jax.random.normal(k[3], (n, obs_dim)),
                      terminated=jnp.zeros(n))


def measure(contenders: dict[str, tuple[str, object, int]], repeats: int, obs_dim: int = OBS_DIM,
            act_dim: int = ACT_DIM) -> dict[str, dict]:
    """name -> {times (s per update, one per repeat), peak_mib, temp_mib, gflop} of each contender's compiled learn
    step on these shapes, the contenders' calls alternating."""
    runs = {}
    for name, (algo, config, batch_size) in contenders.items():
        agent = ALGORITHMS[algo].make_agent(config, obs_dim, act_dim)
        buffer = replay_add(replay_init(BUFFER, obs_dim, act_dim),
                            random_transitions(jax.random.key(1), BUFFER, obs_dim, act_dim))
        state = SeedState(agent.init(jax.random.key(0)), buffer, jax.random.key(3), jax.random.key(3))
        learner = make_learner(agent, TrainConfig(batch_size=batch_size, buffer_size=BUFFER), obs_dim, act_dim)
        learn = jax.jit(learner.learn, static_argnums=3, donate_argnums=0)
        new = random_transitions(jax.random.key(2), UPDATES_PER_CALL, obs_dim, act_dim)
        compiled = learn.lower(state, new, 0, UPDATES_PER_CALL).compile()
        memory = compiled.memory_analysis()
        batch = random_transitions(jax.random.key(4), batch_size, obs_dim, act_dim)
        cost = jax.jit(agent.update).lower(state.agent, batch, jax.random.key(5)).compile().cost_analysis()
        flops = (cost[0] if isinstance(cost, list) else cost)["flops"]
        peak = memory.temp_size_in_bytes + memory.argument_size_in_bytes + memory.output_size_in_bytes \
            - memory.alias_size_in_bytes
        state, _ = learn(state, new, 0, UPDATES_PER_CALL)  # warm up
        runs[name] = {"learn": learn, "state": state, "new": new, "times": [],
                      "peak_mib": peak / 2**20, "temp_mib": memory.temp_size_in_bytes / 2**20,
                      "gflop": flops / 1e9}
    for repeat in range(repeats):
        for run in runs.values():
            start = time.perf_counter()
            run["state"], metrics = run["learn"](run["state"], run["new"], 100 + repeat, UPDATES_PER_CALL)
            jax.block_until_ready(metrics)
            run["times"].append((time.perf_counter() - start) / UPDATES_PER_CALL)
    return runs


def main(options: Options) -> None:
    runs = measure(contenders(), options.repeats)
    sac_ms = {name: 1e3 * float(np.median(run["times"])) for name, run in runs.items() if name.startswith("SAC")}
    table = []
    for name, run in runs.items():
        ms = 1e3 * float(np.median(run["times"]))
        table.append({"contender": name, "ms_per_update": ms, "updates_per_s": 1e3 / ms,
                      **{f"x {sac}": ms / base for sac, base in sac_ms.items()},
                      "gflop_per_update": run["gflop"], "gflop_per_s": run["gflop"] / ms * 1e3,
                      "peak_mib": run["peak_mib"], "temp_mib": run["temp_mib"],
                      "ms_per_repeat": [round(1e3 * t, 2) for t in run["times"]]})
    if options.json:
        print(json.dumps(table, indent=1))
        return
    bases = list(sac_ms)
    print(f"| contender | ms / update (median of {options.repeats}) | updates / s | "
          + " | ".join(f"× {b}" for b in bases) + " | GFLOP / update (XLA) | GFLOP/s | peak memory (MiB) |")
    print("|---|---|---|" + "---|" * len(bases) + "---|---|---|")
    for row in table:
        print(f"| {row['contender']} | {row['ms_per_update']:.2f} | {row['updates_per_s']:.1f} | "
              + " | ".join(f"{row[f'x {b}']:.1f}" for b in bases)
              + f" | {row['gflop_per_update']:.3f} | {row['gflop_per_s']:.0f} | {row['peak_mib']:.1f} |")
    print(f"\njax {jax.__version__}, backend {jax.default_backend()}, device {jax.devices()[0].device_kind}")


if __name__ == "__main__":
    main(tyro.cli(Options))
