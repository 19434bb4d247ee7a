"""Aggregate environment steps per second of several seeds in one ebrl program, against SBX running the same seeds
as separate processes at the same time; side by side in one run.

    pip install torch==2.13.0 && pip install -e ".[bench]"   # SBX needs SB3, which needs torch
    python benchmarks/seeds.py --repeats 2

Measured (each in a fresh process, medians over timed intervals, then over repeats):
- ebrl SAC on HalfCheetah-v5 with 1, 2 and 4 seeds in one process (Gymnasium driver), and SBX's SAC with the same
  settings (batch 256, 2×256 networks, 1000 random steps, one update per step, its default train_freq = 1) as 1 and
  4 processes started together; the aggregate is the sum over seeds of steps/s;
- ebrl S2AC(φ,θ) with its MuJoCo preset on HalfCheetah-v5 at 1 and 2 seeds (shorter intervals: one update costs
  about 50 ms here);
- ebrl SAC on MultiGoal3 with 4 seeds, on-device driver against the Gymnasium driver.
Steps/s is timed over intervals after the first learning interval (compilation excluded); evaluation is not timed.
"""

import dataclasses
import json
import subprocess
import sys

import numpy as np
import tyro

from throughput import sbx_worker

WARMUP = 1000


@dataclasses.dataclass(frozen=True)
class Options:
    repeats: int = 2
    """Fresh-process measurements per setting."""
    intervals: int = 3
    """Timed intervals per measurement."""
    worker: str | None = None
    """Internal: one measurement, printed as JSON: ebrl:ALGO:ENV:SEEDS:DRIVER:INTERVAL or sbx:ENV:SEED:INTERVAL."""


def ebrl_worker(algo: str, env: str, seeds: int, driver: str, interval: int, intervals: int) -> dict:
    from ebrl.agents import ALGORITHMS
    from ebrl.api import RowsInMemory, Trainer, describe_task, preset_spec

    steps = 2 * WARMUP + intervals * interval
    loop = {"random_steps": WARMUP, "learning_starts": WARMUP, "eval_every": interval, "eval_episodes": 1,
            "checkpoint_every": 10 * steps, "steps": steps}
    spec = preset_spec(algo, env, train=loop)
    task = describe_task(env)
    agent = ALGORITHMS[algo].make_agent(spec.agent, task.obs_dim, task.act_dim)
    rows = RowsInMemory()
    Trainer(task, agent, spec.train, list(range(seeds)), driver=driver).run(rows)
    sps = [row["sps"] for row in rows.rows[0] if row["step"] > 2 * WARMUP]
    return {"aggregate": [seeds * s for s in sps]}


def start(options: Options, worker: str) -> subprocess.Popen:
    args = [sys.executable, __file__, "--worker", worker, "--intervals", str(options.intervals)]
    return subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def collect(process: subprocess.Popen, worker: str) -> dict:
    out, err = process.communicate()
    if process.returncode != 0:
        raise SystemExit(f"{worker} failed:\n{err[-3000:]}")
    return json.loads(out.strip().splitlines()[-1])


def measure(options: Options, setting: str) -> float:
    """The aggregate steps/s of one setting: 'ebrl:...' in one process, or 'sbx:ENV:N:INTERVAL' as N processes
    started together (their medians summed)."""
    if setting.startswith("sbx:"):
        _, env, n, interval = setting.split(":")
        workers = [f"sbx:{env}:{seed}:{interval}" for seed in range(int(n))]
        processes = [start(options, w) for w in workers]
        return float(sum(np.median(collect(p, w)["aggregate"]) for p, w in zip(processes, workers)))
    return float(np.median(collect(start(options, setting), setting)["aggregate"]))


SETTINGS = {
    "ebrl SAC HalfCheetah, 1 seed": "ebrl:sac:HalfCheetah-v5:1:gym:1000",
    "ebrl SAC HalfCheetah, 2 seeds": "ebrl:sac:HalfCheetah-v5:2:gym:1000",
    "ebrl SAC HalfCheetah, 4 seeds": "ebrl:sac:HalfCheetah-v5:4:gym:1000",
    "SBX SAC HalfCheetah, 1 process": "sbx:HalfCheetah-v5:1:1000",
    "SBX SAC HalfCheetah, 4 processes": "sbx:HalfCheetah-v5:4:1000",
    "ebrl S2AC(φ,θ) HalfCheetah, 1 seed": "ebrl:s2ac:HalfCheetah-v5:1:gym:100",
    "ebrl S2AC(φ,θ) HalfCheetah, 2 seeds": "ebrl:s2ac:HalfCheetah-v5:2:gym:100",
    "ebrl SAC MultiGoal3, 4 seeds, Gymnasium driver": "ebrl:sac:ebrl/MultiGoal3-v0:4:gym:1000",
    "ebrl SAC MultiGoal3, 4 seeds, on-device driver": "ebrl:sac:ebrl/MultiGoal3-v0:4:jax:1000",
}


def main(options: Options) -> None:
    if options.worker is not None:
        kind, *fields = options.worker.split(":")
        if kind == "ebrl":
            algo, env, seeds, driver, interval = fields
            print(json.dumps(ebrl_worker(algo, env, int(seeds), driver, int(interval), options.intervals)))
        else:
            env, seed, interval = fields
            sps = sbx_worker(env, options.intervals, seed=int(seed), interval=int(interval))["sps"]
            print(json.dumps({"aggregate": sps}))
        return
    results: dict[str, list[float]] = {name: [] for name in SETTINGS}
    for repeat in range(options.repeats):
        for name, setting in SETTINGS.items():
            results[name].append(measure(options, setting))
            print(f"repeat {repeat + 1}: {name}: {results[name][-1]:.1f} steps/s", flush=True)
    median = {name: float(np.median(values)) for name, values in results.items()}
    print(f"\n| setting | aggregate env-steps/s (median of {options.repeats}) |")
    print("|---|---|")
    for name, value in median.items():
        print(f"| {name} | {value:.1f} |")
    sac1, sac4 = median["ebrl SAC HalfCheetah, 1 seed"], median["ebrl SAC HalfCheetah, 4 seeds"]
    print(f"\nebrl SAC 4 seeds / 1 seed: {sac4 / sac1:.2f} (target ≥ 1.3)")
    print(f"ebrl SAC 4 seeds / SBX 4 processes: {sac4 / median['SBX SAC HalfCheetah, 4 processes']:.2f} "
          "(target ≥ 1.15)")
    s2ac = median["ebrl S2AC(φ,θ) HalfCheetah, 2 seeds"] / median["ebrl S2AC(φ,θ) HalfCheetah, 1 seed"]
    print(f"ebrl S2AC 2 seeds / 1 seed: {s2ac:.2f}")
    drivers = (median["ebrl SAC MultiGoal3, 4 seeds, on-device driver"]
               / median["ebrl SAC MultiGoal3, 4 seeds, Gymnasium driver"])
    print(f"MultiGoal3, on-device / Gymnasium driver: {drivers:.2f}")
    import jax

    from throughput import matmul_throughput, sac_update_flops

    flops, peak = sac_update_flops(17, 6), matmul_throughput()
    print(f"\nCompute bound: one SAC update is {flops / 1e9:.3f} GFLOP (XLA); a 2048² matmul runs at "
          f"{peak / 1e9:.0f} GFLOP/s here, so no number of seeds can exceed {peak / flops:.0f} updates/s in all. "
          f"ebrl's 1-seed rate uses {sac1 * flops / peak:.0%} of that, its 4-seed rate {sac4 * flops / peak:.0%}.")
    print(f"jax {jax.__version__}, backend {jax.default_backend()}, device {jax.devices()[0].device_kind}")


if __name__ == "__main__":
    main(tyro.cli(Options))
