"""How well one accelerator is kept busy: environment steps per second of 1, 8, 32 and 64 seeds in one program, and
of several study groups sharing the device at once; side by side in one run.

    python benchmarks/gpu_scaling.py --out gpu_scaling.json                        # on a GPU machine
    python benchmarks/gpu_scaling.py --seed-counts 1 2 --algos sac --tiny --groups 1 2   # a smoke run on a CPU

Measured, each in a fresh process, on Hopper-v5 (Gymnasium driver, one copy per seed):
- per algorithm (SAC, SQL, S2AC(φ,θ)) with its MuJoCo preset and every seed count: the per-seed and the aggregate
  (seeds × per-seed) env-steps/s, timed over intervals after the first learning interval (compilation excluded;
  evaluation not timed). The warm-up of random actions is cut to `warmup` steps, so that S2AC acts through its
  SVGD action chain in the timed intervals, as it does after its preset's 10 000 random steps;
- groups sharing the device: G processes started together, each a group of `group_seeds` seeds of SAC (what `ebrl
  mujoco --workers G` runs), their aggregates summed.

Goals on one H100/H200-class GPU (issue 19): S2AC, 64 seeds at least 16× one seed's aggregate rate; SAC, 64 seeds at
least 10 000 aggregate env-steps/s. On a CPU the rates only show that the benchmark runs.
"""

import dataclasses
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import tyro


@dataclasses.dataclass(frozen=True)
class Options:
    env: str = "Hopper-v5"
    algos: tuple[str, ...] = ("sac", "sql", "s2ac")
    seed_counts: tuple[int, ...] = (1, 8, 32, 64)
    """Seeds in one program."""
    groups: tuple[int, ...] = (1, 2, 4)
    """Numbers of SAC groups run at once, in one process each (0 to skip)."""
    group_seeds: int = 8
    """Seeds per group when groups share the device."""
    warmup: int = 200
    """Random-action steps before learning (also where learning starts); the first learning interval is not timed."""
    interval: int = 500
    """Environment steps per timed interval."""
    intervals: int = 3
    """Timed intervals per measurement (the median is reported)."""
    tiny: bool = False
    """16-unit networks and small batches: a smoke run of the benchmark itself, not a measurement."""
    out: str | None = None
    """Also write the results as JSON here."""
    worker: str | None = None
    """Internal: one measurement, ALGO:SEEDS, printed as JSON."""


TINY_AGENT = {"sac": {"hidden": (16, 16)}, "sql": {"hidden": (16, 16), "kernel_particles": 4, "value_particles": 4},
              "s2ac": {"actor_hidden": (16, 16), "critic_hidden": (16, 16), "particles": 4}}


def worker(options: Options, algo: str, seeds: int) -> dict:
    """Per-seed env-steps/s of each timed interval of one group (no run folders: the rows stay in memory)."""
    from ebrl.agents import ALGORITHMS
    from ebrl.api import RowsInMemory, Trainer, describe_task, preset_spec

    steps = 2 * options.warmup + options.intervals * options.interval
    loop = {"random_steps": options.warmup, "learning_starts": options.warmup, "eval_every": options.interval,
            "eval_episodes": 1, "checkpoint_every": 10 * steps, "steps": steps, "chunk": 50,
            **({"batch_size": 16} if options.tiny else {})}
    spec = preset_spec(algo, options.env, train=loop, agent=TINY_AGENT[algo] if options.tiny else None)
    task = describe_task(options.env)
    agent = ALGORITHMS[algo].make_agent(spec.agent, task.obs_dim, task.act_dim)
    rows = RowsInMemory()
    Trainer(task, agent, spec.train, list(range(seeds))).run(rows)
    per_seed = [row["sps"] for row in rows.rows[0] if row["step"] > 2 * options.warmup]
    return {"per_seed": per_seed}


def start(options: Options, algo: str, seeds: int) -> subprocess.Popen:
    args = [sys.executable, __file__, "--worker", f"{algo}:{seeds}", "--env", options.env, "--warmup",
            str(options.warmup), "--interval", str(options.interval), "--intervals", str(options.intervals),
            *(["--tiny"] if options.tiny else [])]
    return subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def per_seed_rate(process: subprocess.Popen, what: str) -> float:
    out, err = process.communicate()
    if process.returncode != 0:
        raise SystemExit(f"{what} failed:\n{err[-3000:]}")
    return float(np.median(json.loads(out.strip().splitlines()[-1])["per_seed"]))


def main(options: Options) -> dict:
    if options.worker is not None:
        algo, seeds = options.worker.split(":")
        print(json.dumps(worker(options, algo, int(seeds))))
        return {}
    import jax

    results: dict = {"device": jax.devices()[0].device_kind, "backend": jax.default_backend(), "env": options.env,
                     "tiny": options.tiny, "programs": [], "shared": []}
    for algo in options.algos:
        for seeds in options.seed_counts:
            rate = per_seed_rate(start(options, algo, seeds), f"{algo} with {seeds} seeds")
            results["programs"].append({"algo": algo, "seeds": seeds, "per_seed": rate, "aggregate": seeds * rate})
            print(f"{algo}, {seeds} seeds in one program: {rate:.1f} env-steps/s per seed, {seeds * rate:.1f} in all",
                  flush=True)
    for count in (g for g in options.groups if g > 0):
        processes = [start(options, "sac", options.group_seeds) for _ in range(count)]
        rates = [per_seed_rate(p, f"group {k} of {count}") for k, p in enumerate(processes)]
        aggregate = options.group_seeds * sum(rates)
        results["shared"].append({"groups": count, "seeds_per_group": options.group_seeds, "aggregate": aggregate})
        print(f"{count} SAC groups of {options.group_seeds} seeds at once: {aggregate:.1f} env-steps/s in all",
              flush=True)
    by = {(row["algo"], row["seeds"]): row for row in results["programs"]}
    for algo in options.algos:
        low, high = min(options.seed_counts), max(options.seed_counts)
        if (algo, low) in by and (algo, high) in by and high > low:
            ratio = by[algo, high]["aggregate"] / by[algo, low]["aggregate"]
            print(f"{algo}: {high} seeds / {low} seed(s), aggregate: {ratio:.2f}")
    print(f"jax {jax.__version__}, backend {results['backend']}, device {results['device']}")
    if options.out is not None:
        Path(options.out).write_text(json.dumps(results, indent=2) + "\n")
    return results


if __name__ == "__main__":
    main(tyro.cli(Options))
