"""A sweep in one compiled program against one process per setting, side by side in one run: `ebrl train --sweep`
with 8 values of a learning rate against 8 `ebrl train` processes started at once, each with one of the values.

    python benchmarks/sweep_programs.py --out docs/results/benchmarks/sweep_programs.json
    python benchmarks/sweep_programs.py --algo s2ac --env Pendulum-v1 --steps 3000     # on a GPU machine too

Measured from this process, which starts the commands and polls their run directories: the time until every member
has written its first evaluation row (time to first result, compilation and start-up included), the wall-clock time
until all have finished, and the aggregate environment steps per second, members × steps / wall-clock. Each way
runs `repeats` times, alternating; the medians are reported. Every member trains the same number of steps with the
same loop settings; only the learning rate differs.
"""

import dataclasses
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import tyro


@dataclasses.dataclass(frozen=True)
class Options:
    algo: str = "sac"
    env: str = "Pendulum-v1"
    field: str = "actor_lr"
    """The swept field."""
    values: tuple[float, ...] = (1e-4, 2e-4, 3e-4, 5e-4, 7e-4, 1e-3, 2e-3, 3e-3)
    steps: int = 2000
    learning_starts: int = 1000
    """Random actions until this step, then one update per step."""
    eval_every: int = 1000
    repeats: int = 2
    """Runs of each way, alternating (the medians are reported)."""
    out: str | None = None
    """Also write the results as JSON here."""


def loop_flags(options: Options) -> list[str]:
    return ["--algo", options.algo, "--env", options.env, "--steps", str(options.steps), "--random-steps",
            str(options.learning_starts), "--learning-starts", str(options.learning_starts), "--eval-every",
            str(options.eval_every), "--eval-episodes", "2", "--no-progress", "--no-pictures"]


def watch(processes: list[subprocess.Popen], run_dirs: list[Path], started: float) -> dict:
    """Poll until every process ends: the seconds until every run directory holds a metrics row, and until the end."""
    first = None
    while any(p.poll() is None for p in processes):
        if first is None and all(_has_row(d) for d in run_dirs):
            first = time.perf_counter() - started
        time.sleep(0.2)
    wall = time.perf_counter() - started
    failed = [f"{' '.join(p.args)}: {p.stderr.read().decode() if p.stderr else ''}" for p in processes
              if p.returncode != 0]
    if failed:
        raise RuntimeError("failed: " + "\n".join(failed))
    return {"first_result_s": first if first is not None else wall, "wall_s": wall}


def _has_row(run_dir: Path) -> bool:
    metrics = run_dir / "metrics.csv"
    return metrics.is_file() and len(metrics.read_text().splitlines()) >= 2


def one_program(options: Options, folder: Path) -> dict:
    values = ",".join(f"{v:g}" for v in options.values)
    out = folder / "sweep"
    started = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-m", "ebrl", "train", *loop_flags(options), "--sweep",
                                f"{options.field}={values}", "--seeds", "0", "--out", str(out)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    run_dirs = [out / f"{options.field}={v:g}" / "seed_0" for v in options.values]
    return watch([process], run_dirs, started)


def processes(options: Options, folder: Path) -> dict:
    flag = "--" + options.field.replace("_", "-")
    run_dirs = [folder / f"process_{i}" for i in range(len(options.values))]
    started = time.perf_counter()
    running = [subprocess.Popen([sys.executable, "-m", "ebrl", "train", *loop_flags(options), flag, f"{v:g}",
                                 "--seed", "0", "--out", str(d)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
               for v, d in zip(options.values, run_dirs)]
    return watch(running, run_dirs, started)


def main(options: Options) -> dict:
    import jax

    from ebrl.studies.machine import machine

    members = len(options.values)
    measured: dict[str, list[dict]] = {"one_program": [], "processes": []}
    for _ in range(options.repeats):
        for way, run in (("one_program", one_program), ("processes", processes)):
            with tempfile.TemporaryDirectory() as folder:
                measured[way].append(run(options, Path(folder)))
    summary = {}
    for way, runs in measured.items():
        wall = statistics.median(r["wall_s"] for r in runs)
        summary[way] = {"first_result_s": statistics.median(r["first_result_s"] for r in runs), "wall_s": wall,
                        "aggregate_env_steps_per_s": members * options.steps / wall, "runs": runs}
    result = {"options": dataclasses.asdict(options), "members": members, **summary,
              "speedup_wall": summary["processes"]["wall_s"] / summary["one_program"]["wall_s"],
              "speedup_first_result": summary["processes"]["first_result_s"] / summary["one_program"]["first_result_s"],
              "machine": {**machine(), "jax": jax.__version__}}
    return result


if __name__ == "__main__":
    options = tyro.cli(Options)
    result = main(options)
    for way in ("one_program", "processes"):
        r = result[way]
        print(f"{way}: first result {r['first_result_s']:.1f} s, wall {r['wall_s']:.1f} s, "
              f"{r['aggregate_env_steps_per_s']:.0f} env-steps/s aggregate")
    print(f"one program is {result['speedup_wall']:.2f}x faster to finish, {result['speedup_first_result']:.2f}x to "
          "the first result")
    if options.out:
        Path(options.out).parent.mkdir(parents=True, exist_ok=True)
        Path(options.out).write_text(json.dumps(result, indent=1) + "\n")
