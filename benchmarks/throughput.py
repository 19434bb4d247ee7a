"""Environment steps per second of SAC at one update per step: ebrl against SBX, side by side in one run.

    pip install torch==2.13.0 && pip install -e ".[bench]"   # SBX needs SB3, which needs torch
    python benchmarks/throughput.py --env HalfCheetah-v5 --repeats 3

Both train SAC with batch 256, 2×256 networks and 1000 random warm-up steps. Steps/s is measured over 1000-step
intervals after the first 1000 learning steps (so compilation is excluded, and ebrl's periodic evaluation is not
timed), median over intervals, then median over repeats. Each measurement runs in a fresh process; the libraries
alternate so that machine noise hits both. Also printed: XLA's count of floating-point operations per update, and
the fraction of this machine's measured matrix-multiply throughput that ebrl reaches.
"""

import dataclasses
import itertools
import json
import subprocess
import sys
import time

import numpy as np
import tyro

WARMUP = 1000  # random steps, then the first learning interval, which includes compilation, is discarded
INTERVAL = 1000


@dataclasses.dataclass(frozen=True)
class Options:
    env: str = "HalfCheetah-v5"
    repeats: int = 3
    """Fresh-process measurements per contender."""
    intervals: int = 5
    """Timed 1000-step intervals per measurement."""
    sbx_chunk: int = 50
    """Also measure SBX with train_freq = gradient_steps = this (its fastest mode), 0 to skip."""
    worker: str | None = None
    """Internal: run one measurement (ebrl, sbx or sbx-chunk) and print JSON."""


def ebrl_worker(options: Options) -> dict:
    from ebrl.agents.sac import SACConfig, make_agent
    from ebrl.api import RowsInMemory, Trainer, describe_task
    from ebrl.config import TrainConfig

    steps = 2 * WARMUP + options.intervals * INTERVAL
    train_cfg = TrainConfig(env=options.env, steps=steps, random_steps=WARMUP, learning_starts=WARMUP,
                            eval_every=INTERVAL, eval_episodes=1, checkpoint_every=10 * steps)
    task = describe_task(options.env)
    rows = RowsInMemory()
    Trainer(task, make_agent(SACConfig(), task.obs_dim, task.act_dim), train_cfg, [0]).run(rows)
    sps = [row["sps"] for row in rows.rows[0] if row["step"] > 2 * WARMUP]
    return {"sps": sps, "flops_per_update": sac_update_flops(task.obs_dim, task.act_dim),
            "matmul_flops_per_s": matmul_throughput()}


def sac_update_flops(obs_dim: int, act_dim: int) -> float:
    """XLA's count of floating-point operations of one SAC update (batch 256, default networks)."""
    import jax

    from ebrl.agents.sac import SACConfig, make_agent
    from ebrl.core import Transition

    agent = make_agent(SACConfig(), obs_dim, act_dim)
    state = agent.init(jax.random.key(0))
    batch = Transition(np.zeros((256, obs_dim), np.float32), np.zeros((256, act_dim), np.float32),
                       np.zeros(256, np.float32), np.zeros((256, obs_dim), np.float32), np.zeros(256, np.float32))
    cost = jax.jit(agent.update).lower(state, batch, jax.random.key(1)).compile().cost_analysis()
    return float((cost[0] if isinstance(cost, list) else cost)["flops"])


def matmul_throughput(n: int = 2048, repeats: int = 10) -> float:
    """Median FLOP/s of a jitted float32 n×n matrix product on this machine."""
    import jax
    import jax.numpy as jnp

    a = jnp.ones((n, n), jnp.float32) / n
    f = jax.jit(lambda x: x @ a)
    x = f(a).block_until_ready()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        x = f(x).block_until_ready()
        times.append(time.perf_counter() - start)
    return 2 * n**3 / float(np.median(times))


def sbx_worker(env: str, intervals: int, chunk: int = 1, seed: int = 0, interval: int = INTERVAL) -> dict:
    """SBX's SAC (batch 256, 2×256, WARMUP random steps, `chunk` updates every `chunk` steps): steps/s over the
    `interval`-step intervals after the first learning interval."""
    import gymnasium as gym
    from sbx import SAC
    from stable_baselines3.common.callbacks import BaseCallback

    class IntervalTimer(BaseCallback):
        def __init__(self):
            super().__init__()
            self.times = []

        def _on_step(self) -> bool:
            if self.num_timesteps % interval == 0:
                self.times.append(time.perf_counter())
            return True

    steps = 2 * WARMUP + intervals * interval
    model = SAC("MlpPolicy", gym.make(env), batch_size=256, learning_starts=WARMUP, train_freq=chunk,
                gradient_steps=chunk, policy_kwargs={"net_arch": [256, 256]}, seed=seed, verbose=0)
    timer = IntervalTimer()
    model.learn(steps, callback=timer)
    marks = [t for t, step in zip(timer.times, range(interval, steps + 1, interval)) if step >= 2 * WARMUP]
    return {"sps": [interval / (b - a) for a, b in itertools.pairwise(marks)]}


def measure(options: Options, worker: str) -> dict:
    args = [sys.executable, __file__, "--worker", worker, "--env", options.env, "--intervals",
            str(options.intervals), "--sbx-chunk", str(options.sbx_chunk)]
    out = subprocess.run(args, capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise SystemExit(f"{worker} measurement failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(options: Options) -> None:
    if options.worker == "ebrl":
        print(json.dumps(ebrl_worker(options)))
        return
    if options.worker in ("sbx", "sbx-chunk"):
        chunk = 1 if options.worker == "sbx" else options.sbx_chunk
        print(json.dumps(sbx_worker(options.env, options.intervals, chunk)))
        return
    contenders = ["ebrl", "sbx"] + (["sbx-chunk"] if options.sbx_chunk else [])
    results: dict[str, list[dict]] = {name: [] for name in contenders}
    for repeat in range(options.repeats):
        for name in contenders:
            result = measure(options, name)
            results[name].append(result)
            print(f"repeat {repeat + 1}: {name:9s} median {np.median(result['sps']):6.1f} steps/s "
                  f"(intervals {', '.join(f'{s:.0f}' for s in result['sps'])})", flush=True)
    medians = {name: float(np.median([np.median(r["sps"]) for r in runs])) for name, runs in results.items()}
    flops = results["ebrl"][0]["flops_per_update"]
    peak = float(np.median([r["matmul_flops_per_s"] for r in results["ebrl"]]))
    print(f"\n| contender | steps/s (median of {options.repeats}) | ratio ebrl / contender |")
    print("|---|---|---|")
    for name, value in medians.items():
        print(f"| {name} | {value:.1f} | {medians['ebrl'] / value:.2f} |")
    print(f"\nXLA flops per ebrl SAC update: {flops / 1e9:.3f} GFLOP; measured 2048² matmul throughput "
          f"{peak / 1e9:.1f} GFLOP/s; ebrl at {medians['ebrl']:.1f} updates/s does {flops * medians['ebrl'] / 1e9:.1f}"
          f" GFLOP/s = {flops * medians['ebrl'] / peak:.0%} of it.")


if __name__ == "__main__":
    main(tyro.cli(Options))
