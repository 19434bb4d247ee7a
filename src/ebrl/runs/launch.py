"""Train or resume a run or a seed group into run directories: every check before any work, the existing-folder
policy, the one-writer locks, config.json, then a `Trainer` with a `GroupStore` (and the caller's observers).

`ebrl train`, `ebrl multigoal`, `ebrl mujoco` and external launchers (a Ray task, a SLURM job) all call `train` or
`resume`. Everything they are given is checked before any work starts: a mistake raises ConfigError, and nothing is
written.
"""

import dataclasses
import os
from collections.abc import Sequence
from pathlib import Path

import jax

from ebrl.agents import ALGORITHMS
from ebrl.config import ConfigError, check_seeds, require
from ebrl.envs.task import describe_task
from ebrl.loop.gym_driver import VECTOR_MODES
from ebrl.loop.learner import seed_slice
from ebrl.loop.trainer import (
    DRIVERS,
    Observer,
    Observers,
    RunStart,
    Trainer,
    TrainingDiverged,
    driver_functions,
    metrics_columns,
)
from ebrl.runs.init import InitialAgents, as_init_from, load_initial_agents
from ebrl.runs.layout import (
    CHECKPOINTS_FOLDER,
    CONFIG_FILE,
    LOCK_FILE,
    METRICS_FILE,
    default_run_dir,
    group_seeds,
    holds_run,
    lock_runs,
    prepare_new_run,
    read_spec,
    seed_run_dirs,
    write_changes,
    write_json_atomic,
)
from ebrl.runs.load import LoadedRun
from ebrl.runs.spec import InitFrom, RunSpec, changed_spec, seed_specs, spec_changes
from ebrl.runs.store import CheckpointFolder, GroupStore, load_group_snapshot, read_metrics, read_metrics_table
from ebrl.tracking import WandbSettings, require_wandb, wandb_observer

EXISTING = ("error", "overwrite", "continue")
MEMORY_FRACTION = 0.8  # the share of the available memory the replay buffers may take


@dataclasses.dataclass(frozen=True)
class TrainResult:
    seed: int
    run_dir: Path
    last_row: dict
    interrupted: bool
    trained: LoadedRun | None = None
    """The agent at the end of this training, as `load_run` would read it from the run's latest checkpoint; None
    where a finished group was reused."""


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
    """ConfigError unless `spec` can train `n_seeds` seeds here: known algorithm, a usable task, valid configs,
    replay buffers that fit in memory. The task comes first, so that an unknown id is reported as such and not as
    a budget below the default warm-up."""
    require(spec.algo in ALGORITHMS, f"unknown algorithm {spec.algo!r}; choose one of {', '.join(ALGORITHMS)}")
    task = describe_task(spec.train.env, spec.train.env_kwargs)
    spec.train.validate()
    spec.agent.validate()
    check_memory(spec, n_seeds, task.obs_dim, task.act_dim)


def _checkpoint_steps(run_dir: Path) -> list[int]:
    if not (run_dir / CHECKPOINTS_FOLDER).is_dir():  # orbax would make the folder to list it
        return []
    folder = CheckpointFolder(run_dir)
    steps = folder.all_steps()
    folder.close()
    return steps


def _reached(run_dir: Path, checkpoint_steps: list[int], budget: int) -> bool:
    """Whether a run got to `budget` steps: its latest checkpoint, or, for a run kept without checkpoints (a
    results folder's committed config.json and metrics.csv), the step of its metrics.csv's last row."""
    if checkpoint_steps:
        return max(checkpoint_steps) >= budget
    if not (run_dir / METRICS_FILE).is_file():
        return False
    rows = read_metrics_table(run_dir).rows
    return bool(rows) and float(rows[-1]["step"]) >= budget


def train(spec: RunSpec, seeds: Sequence[int] | None = None, out: str | Path | None = None, *,
          existing: str = "error", driver: str = "auto", vector: str = "sync", observers: Sequence[Observer] = (),
          wandb: WandbSettings | None = None, beside: Sequence[int] = (),
          init_from: InitFrom | str | Path | None = None) -> list[TrainResult]:
    """Train `spec` and return one `TrainResult` per seed (seed, run directory, last metrics row, interrupted).

    seeds=None trains `spec.train.seed` into the run directory `out`; a list of seeds trains them as one group, in
    one program, into out/seed_<k>, each a complete run directory. `existing` says what to do where `out` already
    holds runs: "error" refuses, "overwrite" replaces them, "continue" reuses a finished group of the same training
    (finished: every seed's latest checkpoint, or where a run kept no checkpoint its metrics.csv, at the budget)
    and resumes an unfinished one (and refuses one that trains something else). `beside`: seeds of the group folder
    `out` that this call leaves as they are (a study that adds seeds to a group trains them beside the old ones,
    which it does not train again); any other seed there is refused, or removed by "overwrite". `driver`: "gym" (a
    Gymnasium vector environment, `vector` "sync" or "async" subprocesses), "jax" (the on-device loop, for tasks
    written in JAX), or "auto" (jax where the task has it). `observers` receive the training's events (e.g.
    ebrl.console.ConsoleObserver) once every check has passed; `wandb` also logs every seed's metrics to W&B.
    `init_from` (or spec.init): start from another run's trained agents, "RUN", "RUN@best", "RUN@STEP" or an
    InitFrom (see ebrl.runs.init); a seed group's seed k from seed k of a group, every seed from a single run. A run
    that continues from its own checkpoint never starts from the source again.
    """
    require(existing in EXISTING, f"existing must be one of {', '.join(EXISTING)}, got {existing!r}")
    require(driver in DRIVERS, f"driver must be one of {', '.join(DRIVERS)}, got {driver!r}", "driver")
    require(vector in VECTOR_MODES, f"vector must be one of {', '.join(VECTOR_MODES)}, got {vector!r}", "vector")
    if wandb is not None:
        require_wandb()
    single = seeds is None
    seeds = [spec.train.seed] if seeds is None else check_seeds(seeds)
    check_spec(spec, len(seeds))
    task = describe_task(spec.train.env, spec.train.env_kwargs)
    driver_functions(task, driver)  # refuses driver jax on a task without a JAX implementation
    if init_from is not None:
        spec = dataclasses.replace(spec, init=as_init_from(init_from))
    initial = None if spec.init is None else load_initial_agents(
        spec, seeds, task, ALGORITHMS[spec.algo].make_agent(spec.agent, task.obs_dim, task.act_dim))
    out = Path(out) if out is not None else default_run_dir(spec.algo, spec.train.env,
                                                            spec.train.seed if single else None)
    require(not out.exists() or out.is_dir(), f"out {out} is a file; choose a directory", "out")
    run_dirs = [out] if single else seed_run_dirs(out, seeds)
    others = [] if single else [s for s in group_seeds(out) if s not in seeds and s not in beside]
    # one writer per run directory: every run this call may remove (other seeds of the group too) is locked first,
    # so a busy one refuses the whole command before anything is removed
    with lock_runs(run_dirs + seed_run_dirs(out, others)):
        specs = seed_specs(spec, seeds)
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
            if all(_reached(d, steps, spec.train.steps) for d, steps in zip(run_dirs, checkpoint_steps)):
                start = RunStart("reusing", spec.algo, spec.train.env, tuple(seeds), out, "", spec.train.steps,
                                 spec.train.steps, ())
                for observer in observers:
                    observer.on_start(start)
                return [TrainResult(seed, d, read_metrics(d)[-1], False) for seed, d in zip(seeds, run_dirs)]
            resume = started
            for run_dir in run_dirs if not started else []:
                prepare_new_run(run_dir, overwrite=True)
        elif existing == "error" and not single and (present or others):
            raise ConfigError(f"{out} already holds runs; continue them (resume {out}) or pass overwrite to replace "
                              "them", "resume", "overwrite")
        else:  # a new run or group, or "overwrite": the runs there (of any seed) are removed, nothing else
            for run_dir in run_dirs + seed_run_dirs(out, others):
                prepare_new_run(run_dir, overwrite=existing == "overwrite")
            for run_dir in seed_run_dirs(out, others):
                (run_dir / LOCK_FILE).unlink()  # still held: the folder goes while no one else can take it
                if not any(run_dir.iterdir()):
                    run_dir.rmdir()
        if not resume:
            for k, (run_dir, seed_spec) in enumerate(zip(run_dirs, specs)):
                run_dir.mkdir(parents=True, exist_ok=True)
                record = {} if initial is None else {"init_from": initial.records[k]}
                write_json_atomic(run_dir / CONFIG_FILE, seed_spec.to_json() | record)
        return _run_group(spec, seeds, run_dirs, out, resume=resume, driver=driver, vector=vector,
                          observers=observers, wandb=wandb, group=not single, initial=None if resume else initial)


def resume(out: str | Path, *, steps: int | None = None, seeds: Sequence[int] | None = None, vector: str = "sync",
           train: dict | None = None, agent: dict | None = None, observers: Sequence[Observer] = (),
           wandb: WandbSettings | None = None) -> list[TrainResult]:
    """Continue a run or a group from its last common checkpoint, exactly as if it had not stopped. `steps`
    extends the budget; `train` and `agent` change TrainConfig and algorithm fields from the checkpoint on (e.g. a
    smaller learning rate after a divergence), but not the task, the seed, the replay capacity or the networks'
    shapes. `seeds`, if given, must be the group's seeds; `observers` and `wandb` as for `train` (the same W&B runs
    continue). A run or group stopped before its first checkpoint trains again from step 0 with its config.json.
    ConfigError, with nothing written, if the run cannot be continued."""
    if wandb is not None:
        require_wandb()
    out = Path(out)
    single = (out / CONFIG_FILE).exists() or not group_seeds(out)
    if single:
        require(seeds is None or len(seeds) == 1, f"{out} is a single run, not a group; drop seeds", "seeds")
        run_dirs, saved_specs = [out], [read_spec(out)]
        found = [saved_specs[0].train.seed]
        require(seeds is None or list(seeds) == found,
                f"{out} was trained with seed {found[0]}, not {list(seeds or [])}; drop seeds to resume it", "seeds")
    else:
        found = group_seeds(out)
        if seeds is not None and sorted(check_seeds(seeds)) != found:
            raise ConfigError(f"{out} holds seeds {found}, not {sorted(seeds)}; resume the group without naming "
                              "its seeds, or start a new group elsewhere")
        run_dirs = seed_run_dirs(out, found)
        saved_specs = [read_spec(d) for d in run_dirs]
    base = saved_specs[0]
    for run_dir, saved, seed in zip(run_dirs, saved_specs, found):
        require(saved == seed_specs(base, [seed])[0],
                f"{run_dir} trains something other than {run_dirs[0]}; resume it on its own")
    train = {**(train or {}), **({"steps": steps} if steps is not None else {})}
    changed = changed_spec(base, train, agent or {})
    check_spec(changed, len(found))
    if not any(_checkpoint_steps(d) for d in run_dirs):
        # stopped before its first checkpoint: nothing to continue, so it starts again from its config.json
        restart = RunStart("restarting", changed.algo, changed.train.env, tuple(found), out, "", 0,
                           changed.train.steps, ())
        for observer in observers:
            observer.on_start(restart)
        return _train_again(changed, None if single else found, out, vector=vector, observers=observers,
                            wandb=wandb)
    with lock_runs(run_dirs):
        return _run_group(changed, found, run_dirs, out, resume=True, vector=vector, observers=observers,
                          wandb=wandb, group=not single, changed=spec_changes(base, changed))


def _train_again(spec: RunSpec, seeds: list[int] | None, out: Path, **options) -> list[TrainResult]:
    """`train` into `out`, replacing what is there (`resume`'s `train` argument hides the function there)."""
    return train(spec, seeds, out, existing="overwrite", **options)


def _run_group(spec: RunSpec, seeds: list[int], run_dirs: list[Path], out: Path, *, resume: bool,
               driver: str = "auto", vector: str, observers: Sequence[Observer], wandb: WandbSettings | None,
               group: bool, changed: dict[str, dict] | None = None,
               initial: InitialAgents | None = None) -> list[TrainResult]:
    """Build the trainer (from the group's checkpoints if `resume`: ConfigError before anything is written if they
    cannot be continued; else with the `initial` agents where given), then train with the run directories, W&B and
    `observers` watching. A resume records in each config.json the settings it changes (`changed`, see
    spec_changes) at the step it continues from."""
    task = describe_task(spec.train.env, spec.train.env_kwargs)
    agent = ALGORITHMS[spec.algo].make_agent(spec.agent, task.obs_dim, task.act_dim)
    store = GroupStore(run_dirs)
    try:
        start, histories = None, None
        if resume:
            start, histories = load_group_snapshot(store, task=task, agent=agent, cfg=spec.train, seeds=seeds,
                                                   columns=metrics_columns(agent, task))
        trainer = Trainer(task, agent, spec.train, seeds, driver=driver, vector=vector, start=start,
                          agents=None if initial is None else initial.states)
    except BaseException:
        store.close()
        raise
    if resume:
        for run_dir in run_dirs:
            write_changes(run_dir, trainer.step, changed or {})
    store.open_metrics(trainer.columns, histories, start.step if start is not None else None)
    watchers = [store, *observers]
    if wandb is not None:
        watchers.append(wandb_observer(wandb, run_dirs, [s.to_json() for s in seed_specs(spec, seeds)], group=group))
    observer = Observers(*watchers)
    changes = ", ".join(f"{name}={value}" for fields in (changed or {}).values() for name, value in fields.items())
    observer.on_start(RunStart("resuming" if resume else "training", spec.algo, spec.train.env, tuple(seeds), out,
                               trainer.driver_kind, trainer.step, spec.train.steps, tuple(trainer.last_returns()),
                               changes, "" if initial is None else initial.origin))
    try:
        summaries = trainer.run(observer)
    except TrainingDiverged as exc:
        raise TrainingDiverged(exc.what, exc.step, store.last_finite_step(), store.where) from None
    return [TrainResult(s.seed, d, s.last_row, s.interrupted,
                        LoadedRun(seed_spec, agent, seed_slice(trainer.states.agent, k), trainer.step, task.obs_dim,
                                  task.act_dim, task.action_low, task.action_high))
            for k, (s, d, seed_spec) in enumerate(zip(summaries, run_dirs, seed_specs(spec, seeds)))]
