"""The library's entry point: train one configuration for one seed, or for a group of seeds in one program.

    import ebrl
    spec = ebrl.preset_spec("sac", "Pendulum-v1", steps=20_000)
    results = ebrl.train(spec, seeds=[0, 1, 2], out="runs/pendulum")   # runs/pendulum/seed_0, seed_1, seed_2

`ebrl train`, `ebrl multigoal` and external launchers (a Ray task, a SLURM job) all call `train` or `resume`.
Everything they are given is checked before any work starts: a mistake raises ConfigError, and nothing is written.
"""

import dataclasses
import os
from collections.abc import Sequence
from pathlib import Path

import jax

from ebrl.agents import ALGORITHMS
from ebrl.config import ConfigError, require
from ebrl.envs.task import describe_task
from ebrl.loop.group import DRIVERS, GroupTrainer, TrainResult, driver_functions
from ebrl.loop.gym_driver import VECTOR_MODES
from ebrl.presets import find_preset, preset_defaults
from ebrl.runs import (
    CONFIG_FILE,
    LOCK_FILE,
    Checkpointer,
    RunSpec,
    default_run_dir,
    group_seeds,
    holds_run,
    lock_runs,
    prepare_new_run,
    read_metrics,
    read_spec,
    seed_run_dirs,
    write_json_atomic,
)
from ebrl.tracking import require_wandb, start_wandb_runs

EXISTING = ("error", "overwrite", "continue")
MEMORY_FRACTION = 0.8  # the share of the available memory the replay buffers may take


def preset_spec(algo: str, env_id: str, seed: int = 0, steps: int | None = None, train: dict | None = None,
                agent: dict | None = None) -> RunSpec:
    """The RunSpec `ebrl train --algo A --env E` builds (the preset of (algo, env) applied, if any), plus overrides."""

    train_cfg, agent_cfg = preset_defaults(algo, find_preset(algo, env_id))
    overrides = {**(train or {}), "env": env_id, "seed": seed, **({"steps": steps} if steps is not None else {})}
    return RunSpec(algo, dataclasses.replace(train_cfg, **overrides), dataclasses.replace(agent_cfg, **(agent or {})))


def check_seeds(seeds: Sequence[int]) -> list[int]:
    seeds = list(seeds)
    require(len(seeds) > 0, "seeds needs at least one seed", "seeds")
    require(all(isinstance(s, int) and s >= 0 for s in seeds), f"seeds must be non-negative integers, got {seeds}",
            "seeds")
    duplicates = sorted({s for s in seeds if seeds.count(s) > 1})
    require(not duplicates, f"seeds lists {', '.join(map(str, duplicates))} more than once; give each seed once",
            "seeds")
    return seeds


def available_memory_bytes() -> tuple[int, str]:
    """(bytes, what) the replay buffers can live in: the accelerator's memory, or the machine's available RAM."""
    device = jax.devices()[0]
    if device.platform != "cpu":
        stats = device.memory_stats() or {}
        if "bytes_limit" in stats:
            return int(stats["bytes_limit"]) - int(stats.get("bytes_in_use", 0)), f"{device.device_kind} memory"
    try:
        with open("/proc/meminfo") as f:
            fields = dict(line.split(":", 1) for line in f)
        return int(fields["MemAvailable"].split()[0]) * 1024, "available RAM"
    except (OSError, KeyError, ValueError):
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"), "RAM"


def check_memory(spec: RunSpec, n_seeds: int, obs_dim: int, act_dim: int) -> None:
    """Refuse a group whose replay buffers would not fit: S × capacity × (2·obs + act + 2) float32."""
    capacity = min(spec.train.buffer_size, spec.train.steps)
    need = n_seeds * capacity * (2 * obs_dim + act_dim + 2) * 4
    have, where = available_memory_bytes()
    if need > MEMORY_FRACTION * have:
        raise ConfigError(f"the replay buffers of {n_seeds} seed(s) need {need / 2**30:.1f} GiB ({capacity} "
                          f"transitions each) but {have / 2**30:.1f} GiB of {where} is free; lower buffer_size "
                          "or train fewer seeds per group", "buffer_size")


def check_spec(spec: RunSpec, n_seeds: int) -> None:
    """ConfigError unless `spec` can train `n_seeds` seeds here: known algorithm, valid configs, a usable task,
    replay buffers that fit in memory."""
    require(spec.algo in ALGORITHMS, f"unknown algorithm {spec.algo!r}; choose one of {', '.join(ALGORITHMS)}")
    spec.train.validate()
    spec.agent.validate()
    task = describe_task(spec.train.env, spec.train.env_kwargs)
    check_memory(spec, n_seeds, task.obs_dim, task.act_dim)


def _checkpoint_steps(run_dir: Path) -> list[int]:
    if not holds_run(run_dir):
        return []
    checkpointer = Checkpointer(run_dir)
    steps = checkpointer.all_steps()
    checkpointer.close()
    return steps


def _seed_specs(spec: RunSpec, seeds: list[int]) -> list[RunSpec]:
    return [dataclasses.replace(spec, train=dataclasses.replace(spec.train, seed=seed)) for seed in seeds]


def train(spec: RunSpec, seeds: Sequence[int] | None = None, out: str | Path | None = None, *,
          existing: str = "error", driver: str = "auto", vector: str = "sync", progress: bool = True,
          console=None, note: str | None = None, wandb=None) -> list:
    """Train `spec` and return one `TrainResult` per seed (seed, run directory, last metrics row, interrupted).

    seeds=None trains `spec.train.seed` into the run directory `out`; a list of seeds trains them as one group, in
    one program, into out/seed_<k>, each a complete run directory. `existing` says what to do where `out` already
    holds runs: "error" refuses, "overwrite" replaces them, "continue" reuses a finished group of the same training
    and resumes an unfinished one (and refuses one that trains something else). `driver`: "gym" (a Gymnasium
    vector environment, `vector` "sync" or "async" subprocesses), "jax" (the on-device loop, for tasks written in
    JAX), or "auto" (jax where the task has it). With a rich `console`, `note` and a start line are printed once
    every check has passed. `wandb`, an ebrl.tracking.WandbSettings, also logs every seed's metrics to W&B.
    """
    require(existing in EXISTING, f"existing must be one of {', '.join(EXISTING)}, got {existing!r}")
    require(driver in DRIVERS, f"driver must be one of {', '.join(DRIVERS)}, got {driver!r}", "driver")
    require(vector in VECTOR_MODES, f"vector must be one of {', '.join(VECTOR_MODES)}, got {vector!r}", "vector")
    if wandb is not None:
        require_wandb()
    single = seeds is None
    seeds = [spec.train.seed] if seeds is None else check_seeds(seeds)
    check_spec(spec, len(seeds))
    # refuses --driver jax on a task without a JAX implementation
    driver_functions(describe_task(spec.train.env, spec.train.env_kwargs), driver)
    out = Path(out) if out is not None else default_run_dir(spec.algo, spec.train.env,
                                                            spec.train.seed if single else None)
    require(not out.exists() or out.is_dir(), f"out {out} is a file; choose a directory", "out")
    run_dirs = [out] if single else seed_run_dirs(out, seeds)
    others = [] if single else [s for s in group_seeds(out) if s not in seeds]
    # one writer per run directory: every run this call may remove (other seeds of the group too) is locked first,
    # so a busy one refuses the whole command before anything is removed
    with lock_runs(run_dirs + seed_run_dirs(out, others)):
        specs = _seed_specs(spec, seeds)
        present = [d for d in run_dirs if holds_run(d)]
        resume = False
        if existing == "continue" and (present or others):
            require(not others, f"{out} holds a group with seeds {group_seeds(out)}, not {seeds}; remove it or "
                    "choose another output folder")
            for run_dir, seed_spec in zip(run_dirs, specs):
                require(not holds_run(run_dir) or read_spec(run_dir) == seed_spec,  # RunSpec holds only what trains
                        f"{run_dir} holds a run with other settings; remove it or choose another output folder")
            checkpoint_steps = [_checkpoint_steps(d) for d in run_dirs]
            # a group stopped before every seed wrote its first checkpoint has nothing to continue: it starts again
            started = bool(set.intersection(*map(set, checkpoint_steps)))
            require(not started or len(present) == len(run_dirs),
                    f"{out} holds a group with seeds {group_seeds(out)}, not {seeds}; remove it or choose another "
                    "output folder")
            done = all(steps and max(steps) >= spec.train.steps for steps in checkpoint_steps)
            if done:
                if console is not None:
                    console.print(f"reusing {out}: finished, with the same settings")
                return [TrainResult(seed, d, read_metrics(d)[-1], False) for seed, d in zip(seeds, run_dirs)]
            resume = started
            for run_dir in run_dirs if not started else []:
                prepare_new_run(run_dir, overwrite=True)
        elif existing == "error" and not single and (present or others):
            raise ConfigError(f"{out} already holds runs; continue them with `ebrl train --resume {out}`, or pass "
                              "--overwrite to replace them")
        else:  # a new run or group, or "overwrite": the runs there (of any seed) are removed, nothing else
            for run_dir in run_dirs + seed_run_dirs(out, others):
                prepare_new_run(run_dir, existing == "overwrite")
            for run_dir in seed_run_dirs(out, others):
                (run_dir / LOCK_FILE).unlink()  # still held: the folder goes while no one else can take it
                if not any(run_dir.iterdir()):
                    run_dir.rmdir()
        if not resume:
            for run_dir, seed_spec in zip(run_dirs, specs):
                run_dir.mkdir(parents=True, exist_ok=True)
                write_json_atomic(run_dir / CONFIG_FILE, seed_spec.to_json())
        trainer = GroupTrainer(spec, seeds, run_dirs, resume=resume, driver=driver, vector=vector)
        if console is not None and note:
            console.print(note, highlight=False, soft_wrap=True)
        _announce(console, "resuming" if resume else "training", spec, seeds, out, trainer.driver_kind)
        runs = start_wandb_runs(wandb, run_dirs, [s.to_json() for s in specs], not single) if wandb else None
        return trainer.run(console, progress, runs)


def _announce(console, verb: str, spec: RunSpec, seeds: list[int], out: Path, driver: str, changes: str = "") -> None:
    if console is not None:
        what = f"seed {seeds[0]}" if len(seeds) == 1 else f"seeds {' '.join(map(str, seeds))}"
        console.print(f"[bold]{verb}[/] {spec.algo} on {spec.train.env} ({what}, {driver} driver) -> {out}"
                      + (f", from here with {changes}" if changes else ""))


def resume(out: str | Path, *, steps: int | None = None, seeds: Sequence[int] | None = None, vector: str = "sync",
           progress: bool = True, console=None, train: dict | None = None, agent: dict | None = None,
           wandb=None) -> list:
    """Continue a run or a group from its last common checkpoint, exactly as if it had not stopped. `steps`
    extends the budget; `train` and `agent` change TrainConfig and algorithm fields from the checkpoint on (e.g. a
    smaller learning rate after a divergence), but not the task, the seed, the replay capacity or the networks'
    shapes. `seeds`, if given, must be the group's seeds; `wandb` as for `train` (the same W&B runs continue).
    A run or group stopped before its first checkpoint trains again from step 0 with its config.json.
    ConfigError, with nothing written, if the run cannot be continued."""
    if wandb is not None:
        require_wandb()
    out = Path(out)
    single = (out / CONFIG_FILE).exists() or not group_seeds(out)
    if single:
        require(seeds is None or len(seeds) == 1, f"{out} is a single run, not a group; drop --seeds")
        run_dirs, saved_specs = [out], [read_spec(out)]
        found = [saved_specs[0].train.seed]
        require(seeds is None or list(seeds) == found,
                f"{out} was trained with seed {found[0]}, not {list(seeds or [])}; drop --seeds to resume it")
    else:
        found = group_seeds(out)
        if seeds is not None and sorted(check_seeds(seeds)) != found:
            raise ConfigError(f"{out} holds seeds {found}, not {sorted(seeds)}; drop --seeds to resume the group, "
                              "or start a new group elsewhere")
        run_dirs = seed_run_dirs(out, found)
        saved_specs = [read_spec(d) for d in run_dirs]
    base = saved_specs[0]
    for run_dir, saved, seed in zip(run_dirs, saved_specs, found):
        require(saved == _seed_specs(base, [seed])[0],
                f"{run_dir} trains something other than {run_dirs[0]}; resume it on its own")
    train = {**(train or {}), **({"steps": steps} if steps is not None else {})}
    changed = _changed_spec(base, train, agent or {})
    check_spec(changed, len(found))
    if not any(_checkpoint_steps(d) for d in run_dirs):
        # stopped before its first checkpoint: nothing to continue, so it starts again from its config.json
        if console is not None:
            console.print(f"{out} has no checkpoint to continue from; training it again from step 0")
        return _train_again(changed, None if single else found, out, vector=vector, progress=progress,
                            console=console, wandb=wandb)
    with lock_runs(run_dirs):
        trainer = GroupTrainer(changed, found, run_dirs, resume=True, vector=vector)  # refuses before writing
        for run_dir, seed_spec in zip(run_dirs, _seed_specs(changed, found)):
            write_json_atomic(run_dir / CONFIG_FILE, seed_spec.to_json())
        changes = ", ".join(f"{k}={v}" for k, v in {**train, **(agent or {})}.items())
        _announce(console, "resuming", changed, found, out, trainer.driver_kind, changes)
        specs = _seed_specs(changed, found)
        runs = start_wandb_runs(wandb, run_dirs, [s.to_json() for s in specs], not single) if wandb else None
        return trainer.run(console, progress, runs)


def _train_again(spec: RunSpec, seeds: list[int] | None, out: Path, **options) -> list:
    """`train` into `out`, replacing what is there (`resume`'s `train` argument hides the function there)."""
    return train(spec, seeds, out, existing="overwrite", **options)


FIXED_ON_RESUME = ("env", "seed", "buffer_size")


def _changed_spec(saved: RunSpec, train: dict, agent: dict) -> RunSpec:
    """`saved` with the changes a resumed run may take: ConfigError for a change of task, seed or replay capacity,
    or one that changes the shapes of the agent's state (its networks)."""
    fixed = [name for name in FIXED_ON_RESUME if name in train and train[name] != getattr(saved.train, name)]
    require(not fixed, f"{', '.join(fixed)} cannot change when a run resumes; start a new run instead", *fixed)
    changed = dataclasses.replace(saved, train=dataclasses.replace(saved.train, **train),
                                  agent=dataclasses.replace(saved.agent, **agent))
    if agent:
        task = describe_task(saved.train.env, saved.train.env_kwargs)
        dims = task.obs_dim, task.act_dim
        make = ALGORITHMS[saved.algo].make_agent
        shapes = [jax.eval_shape(make(spec.agent, *dims).init, jax.random.key(0)) for spec in (saved, changed)]
        require(shapes[0] == shapes[1],  # the same pytree of ShapeDtypeStructs
                f"{', '.join(agent)} would change the agent's networks, which a checkpoint cannot continue; start "
                "a new run instead", *agent)
    return changed
