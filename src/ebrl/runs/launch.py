"""Train or resume a run, a seed group or a sweep into run directories: every check before any work, the
existing-folder policy, the one-writer locks, config.json, then a `Trainer` with a `GroupStore` (and the caller's
observers).

`ebrl train`, `ebrl multigoal`, `ebrl mujoco` and external launchers (a Ray task, a SLURM job) all call `train` or
`resume`. Everything they are given is checked before any work starts: a mistake raises ConfigError, and nothing is
written.
"""

import dataclasses
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import jax

from ebrl.agents import ALGORITHMS
from ebrl.config import ConfigError, check_seeds, require
from ebrl.envs.task import Task, describe_task
from ebrl.loop.gym_driver import VECTOR_MODES
from ebrl.loop.learner import seed_slice, stack_seeds
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
from ebrl.runs.checkpoints import CheckpointFolder
from ebrl.runs.init import InitialAgents, as_init_from, load_initial_agents
from ebrl.runs.layout import (
    CHECKPOINTS_FOLDER,
    CONFIG_FILE,
    LOCK_FILE,
    METRICS_FILE,
    default_run_dir,
    group_seeds,
    holds_run,
    prepare_new_run,
    read_spec,
    seed_run_dirs,
    setting_name,
    sweep_groups,
    sweep_run_dirs,
    write_changes,
    write_json_atomic,
)
from ebrl.runs.load import LoadedRun
from ebrl.runs.lock import lock_runs
from ebrl.runs.metrics import read_metrics, read_metrics_table
from ebrl.runs.spec import (
    InitFrom,
    RunSpec,
    Setting,
    changed_spec,
    seed_specs,
    setting_of,
    setting_spec,
    spec_changes,
    sweep_settings,
    swept_fields,
)
from ebrl.runs.store import GroupStore, load_group_snapshot
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


def check_spec(spec: RunSpec, n_seeds: int) -> Task:
    """The task `spec` trains on; ConfigError unless `spec` can train `n_seeds` seeds here: known algorithm, a
    usable task, valid configs, replay buffers that fit in memory. The task comes first, so that an unknown id is
    reported as such and not as a budget below the default warm-up."""
    require(spec.algo in ALGORITHMS, f"unknown algorithm {spec.algo!r}; choose one of {', '.join(ALGORITHMS)}")
    task = describe_task(spec.train.env, spec.train.env_kwargs)
    spec.train.validate()
    spec.agent.validate()
    check_memory(spec, n_seeds, task.obs_dim, task.act_dim)
    return task


def check_members(specs: list[RunSpec]) -> Task:
    """The task of a group's or a sweep's members (`specs`, one per run directory; their settings differ in agent
    fields only); ConfigError unless every setting passes `check_spec` and `member_hypers` can train them together
    here."""
    tasks = [check_spec(spec, len(specs)) for spec in _settings(specs)]
    member_hypers(specs, tasks[0])
    return tasks[0]


def _settings(specs: list[RunSpec]) -> list[RunSpec]:
    """The first member of each setting."""
    firsts: list[RunSpec] = []
    for spec in specs:
        if all(spec.agent != first.agent for first in firsts):
            firsts.append(spec)
    return firsts


def member_hypers(specs: list[RunSpec], task: Task) -> Any:
    """The members' Hypers (ebrl.core) with a leading member axis, float32 leaves; None where every member has the
    same agent settings (a run or a seed group: their values are compiled in). ConfigError where two settings need
    different programs (a field of the Hyper that is not a leaf differs), or train the same agent."""
    if len(_settings(specs)) == 1:
        return None
    make, fields = ALGORITHMS[specs[0].algo].make_agent, swept_fields(specs)
    hypers: dict[str, Any] = {}  # by setting name
    for spec in _settings(specs):
        name, hyper = setting_name(setting_of(spec, fields)), make(spec.agent, task.obs_dim, task.act_dim).hyper
        for other_name, other in hypers.items():
            require(_program(hyper) == _program(other), f"sweep: {other_name} and {name} need "
                    "different compiled programs; train them as separate groups", "sweep")
            require(jax.tree.leaves(hyper) != jax.tree.leaves(other), f"sweep: {other_name} and {name} train the same "
                    f"agent ({', '.join(fields)} set the same values); sweep fewer fields", "sweep")
        hypers[name] = hyper
    return stack_seeds([hypers[setting_name(setting_of(spec, fields))] for spec in specs])


def _program(hyper) -> Any:
    """What of a Hyper is compiled into the program: its tree structure, with the fields that are not leaves."""
    return jax.tree.structure(hyper)


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
          sweep: Mapping[str, Sequence[float]] | None = None, existing: str = "error", driver: str = "auto",
          vector: str = "sync", observers: Sequence[Observer] = (), wandb: WandbSettings | None = None,
          beside: Sequence[int] = (), init_from: InitFrom | str | Path | None = None) -> list[TrainResult]:
    """Train `spec` and return one `TrainResult` per run directory (seed, run directory, last metrics row,
    interrupted).

    seeds=None trains `spec.train.seed` into the run directory `out`; a list of seeds trains them as one group, in
    one program, into out/seed_<k>, each a complete run directory. `sweep` ({agent field: values}, e.g.
    {"actor_lr": [1e-4, 1e-3], "alpha": [0.1, 0.2]}) trains every combination of the values for each seed, all in
    one program, into out/<setting>/seed_<k> (out/actor_lr=0.0001,alpha=0.1/seed_0, ...): each member a complete
    run directory whose config.json holds its values, as if trained alone; only the fields of the algorithm's
    `sweepable` can be swept. `existing` says what to do where `out` already holds runs: "error" refuses,
    "overwrite" replaces them, "continue" reuses a finished group of the same training (finished: every seed's
    latest checkpoint, or where a run kept no checkpoint its metrics.csv, at the budget) and resumes an unfinished
    one (and refuses one that trains something else). `beside`: seeds of the group folder `out` that this call
    leaves as they are (a study that adds seeds to a group trains them beside the old ones, which it does not train
    again); any other seed there is refused, or removed by "overwrite". `driver`: "gym" (a Gymnasium vector
    environment, `vector` "sync" or "async" subprocesses), "jax" (the on-device loop, for tasks written in JAX), or
    "auto" (jax where the task has it). `observers` receive the training's events (e.g.
    ebrl.console.ConsoleObserver) once every check has passed; `wandb` also logs every seed's metrics to W&B.
    `init_from` (or spec.init): start from another run's trained agents, "RUN", "RUN@best", "RUN@STEP" or an
    InitFrom (see ebrl.runs.init); a seed group's seed k from seed k of a group, every seed from a single run. A run
    that continues from its own checkpoint never starts from the source again.
    """
    require(existing in EXISTING, f"existing must be one of {', '.join(EXISTING)}, got {existing!r}")
    require(spec.algo in ALGORITHMS, f"unknown algorithm {spec.algo!r}; choose one of {', '.join(ALGORITHMS)}")
    single = seeds is None and sweep is None
    seeds = [spec.train.seed] if seeds is None else check_seeds(seeds)
    settings: list[Setting] = [{}] if sweep is None else sweep_settings(spec.algo, sweep)
    if init_from is not None:
        spec = dataclasses.replace(spec, init=as_init_from(init_from))
    specs = [member for setting in settings for member in seed_specs(setting_spec(spec, setting), seeds)]
    out = Path(out) if out is not None else default_run_dir(spec.algo, spec.train.env,
                                                            spec.train.seed if single else None)
    run_dirs = [out] if single else seed_run_dirs(out, seeds) if sweep is None else sweep_run_dirs(out, settings,
                                                                                                   seeds)
    return _start(specs, run_dirs, out, existing=existing, driver=driver, vector=vector, observers=observers,
                  wandb=wandb, kept=seed_run_dirs(out, list(beside)), labels=() if sweep is None else tuple(
                      f"{setting_name(setting)} seed {seed}" for setting in settings for seed in seeds))


def _start(specs: list[RunSpec], run_dirs: list[Path], out: Path, *, existing: str, driver: str, vector: str,
           observers: Sequence[Observer], wandb: WandbSettings | None, kept: list[Path] | None = None,
           labels: tuple[str, ...] = ()) -> list[TrainResult]:
    """`train` of the members `specs` into `run_dirs` (`[out]`: a single run), after every check, leaving the runs
    `kept` (`beside`) as they are."""
    require(driver in DRIVERS, f"driver must be one of {', '.join(DRIVERS)}, got {driver!r}", "driver")
    require(vector in VECTOR_MODES, f"vector must be one of {', '.join(VECTOR_MODES)}, got {vector!r}", "vector")
    if wandb is not None:
        require_wandb()
    task = check_members(specs)
    spec, seeds, single = specs[0], [s.train.seed for s in specs], run_dirs == [out]
    driver_functions(task, driver)  # refuses driver jax on a task without a JAX implementation
    # the source's agents, checked before anything is written; a group that continues (finished, or resuming from
    # its checkpoints, as a results folder kept without checkpoints does) does not read its source again
    continues = existing == "continue" and all(holds_run(d) for d in run_dirs)
    initial = None if spec.init is None or continues else load_initial_agents(specs, task)
    require(not out.exists() or out.is_dir(), f"out {out} is a file; choose a directory", "out")
    others = [] if single else [d for d in member_run_dirs(out) if d not in run_dirs and d not in (kept or [])]
    # one writer per run directory: every run this call may remove (other members of the group too) is locked
    # first, so a busy one refuses the whole command before anything is removed
    with lock_runs(run_dirs + others):
        present = [d for d in run_dirs if holds_run(d)]
        resume = False
        if existing == "continue" and (present or others):
            require(not others, f"{out} holds {_described(out, seeds, labels)}; remove it or choose another output "
                    "folder")
            for run_dir, member in zip(run_dirs, specs):
                require(not holds_run(run_dir) or read_spec(run_dir) == member,  # RunSpec holds only what trains
                        f"{run_dir} holds a run with other settings; remove it or choose another output folder")
            checkpoint_steps = [_checkpoint_steps(d) for d in run_dirs]
            # a group stopped before every seed wrote its first checkpoint has nothing to continue: it starts again
            started = bool(set.intersection(*map(set, checkpoint_steps)))
            require(not started or len(present) == len(run_dirs),
                    f"{out} holds {_described(out, seeds, labels)}; remove it or choose another output folder")
            if all(_reached(d, steps, spec.train.steps) for d, steps in zip(run_dirs, checkpoint_steps)):
                start = RunStart("reusing", spec.algo, spec.train.env, tuple(seeds), out, "", spec.train.steps,
                                 spec.train.steps, ())
                for observer in observers:
                    observer.on_start(start)
                return [TrainResult(seed, d, read_metrics(d)[-1], False) for seed, d in zip(seeds, run_dirs)]
            resume = started
            if not started and spec.init is not None and initial is None:  # stopped before its first checkpoint
                initial = load_initial_agents(specs, task)
            for run_dir in run_dirs if not started else []:
                prepare_new_run(run_dir, overwrite=True)
        elif existing == "error" and not single and (present or others):
            raise ConfigError(f"{out} already holds runs; continue them (resume {out}) or pass overwrite to replace "
                              "them", "resume", "overwrite")
        else:  # a new run, group or sweep, or "overwrite": the runs there (of any member) are removed, nothing else
            for run_dir in run_dirs + others:
                prepare_new_run(run_dir, overwrite=existing == "overwrite")
            for run_dir in others:
                (run_dir / LOCK_FILE).unlink()  # still held: the folder goes while no one else can take it
                for folder in (run_dir, run_dir.parent):  # and a sweep's setting folder left empty
                    if folder != out and not any(folder.iterdir()):
                        folder.rmdir()
        if not resume:
            for k, (run_dir, member) in enumerate(zip(run_dirs, specs)):
                run_dir.mkdir(parents=True, exist_ok=True)
                record = {} if initial is None else {"init_from": initial.records[k]}
                write_json_atomic(run_dir / CONFIG_FILE, member.to_json() | record)
        return _run_group(specs, task, run_dirs, out, resume=resume, driver=driver, vector=vector,
                          observers=observers, wandb=wandb, group=not single, initial=None if resume else initial,
                          labels=labels)


def member_run_dirs(out: Path) -> list[Path]:
    """The run directories of the group or the sweep in `out` (none for a run or an empty folder)."""
    return seed_run_dirs(out, group_seeds(out)) + [d for group in sweep_groups(out)
                                                    for d in seed_run_dirs(group, group_seeds(group))]


def _described(out: Path, seeds: list[int], labels: tuple[str, ...]) -> str:
    """What `out` holds, which a group of `seeds` (or a sweep, with `labels`) does not train, for a refusal."""
    return "other runs than this sweep's" if labels else f"a group with seeds {group_seeds(out)}, not {seeds}"


def resume(out: str | Path, *, steps: int | None = None, seeds: Sequence[int] | None = None, vector: str = "sync",
           train: dict | None = None, agent: dict | None = None, observers: Sequence[Observer] = (),
           wandb: WandbSettings | None = None) -> list[TrainResult]:
    """Continue a run, a group or a sweep from its last common checkpoint, exactly as if it had not stopped. `steps`
    extends the budget; `train` and `agent` change TrainConfig and algorithm fields from the checkpoint on (e.g. a
    smaller learning rate after a divergence), but not the task, the seed, the replay capacity, the networks'
    shapes or a sweep's swept fields. `seeds`, if given, must be the group's seeds; `observers` and `wandb` as for
    `train` (the same W&B runs continue). A run or group stopped before its first checkpoint trains again from step
    0 with its config.json. ConfigError, with nothing written, if the run cannot be continued."""
    if wandb is not None:
        require_wandb()
    out = Path(out)
    groups = [] if group_seeds(out) else sweep_groups(out)
    single = (out / CONFIG_FILE).exists() or not (group_seeds(out) or groups)
    if single:
        require(seeds is None or len(seeds) == 1, f"{out} is a single run, not a group; drop seeds", "seeds")
        run_dirs, saved_specs = [out], [read_spec(out)]
        found = [saved_specs[0].train.seed]
        require(seeds is None or list(seeds) == found,
                f"{out} was trained with seed {found[0]}, not {list(seeds or [])}; drop seeds to resume it", "seeds")
    else:
        found = group_seeds(groups[0] if groups else out)
        for group in groups:
            require(group_seeds(group) == found, f"{group} holds seeds {group_seeds(group)} and {groups[0]} "
                    f"seeds {found}; resume the sweep's groups one by one")
        if seeds is not None and sorted(check_seeds(seeds)) != found:
            raise ConfigError(f"{out} holds seeds {found}, not {sorted(seeds)}; resume the group without naming "
                              "its seeds, or start a new group elsewhere")
        run_dirs = [d for group in groups or [out] for d in seed_run_dirs(group, found)]
        saved_specs = [read_spec(d) for d in run_dirs]
    base = saved_specs[0]
    swept = swept_fields(saved_specs) if groups else []
    compiled = [name for name in swept if name not in ALGORITHMS[base.algo].sweepable]
    require(not compiled, f"the runs of {out} differ in {', '.join(compiled)}, which one program cannot vary; resume "
            "its groups one by one")
    for run_dir, saved in zip(run_dirs, saved_specs):
        require(saved == dataclasses.replace(setting_spec(base, setting_of(saved, swept)), train=dataclasses.replace(
            base.train, seed=saved.train.seed)), f"{run_dir} trains something other than {run_dirs[0]}; resume it "
            "on its own")
    changing_swept = [name for name in agent or {} if name in swept]
    require(not changing_swept, f"{', '.join(changing_swept)} differ between the members of the sweep {out}; resume "
            "it without changing them", *changing_swept)
    train = {**(train or {}), **({"steps": steps} if steps is not None else {})}
    changed = [changed_spec(saved, train, agent or {}) for saved in saved_specs]
    task = check_members(changed)
    labels = tuple(f"{d.parent.name} seed {s.train.seed}" for d, s in zip(run_dirs, saved_specs)) if groups else ()
    if not any(_checkpoint_steps(d) for d in run_dirs):
        # stopped before its first checkpoint: nothing to continue, so it starts again from its config.json
        restart = RunStart("restarting", base.algo, base.train.env, tuple(found), out, "", 0,
                           changed[0].train.steps, ())
        for observer in observers:
            observer.on_start(restart)
        return _start(changed, run_dirs, out, existing="overwrite", driver="auto", vector=vector,
                      observers=observers, wandb=wandb, labels=labels)
    with lock_runs(run_dirs):
        return _run_group(changed, task, run_dirs, out, resume=True, vector=vector, observers=observers,
                          wandb=wandb, group=not single, changed=spec_changes(base, changed[0]), labels=labels)


def _run_group(specs: list[RunSpec], task: Task, run_dirs: list[Path], out: Path, *, resume: bool,
               driver: str = "auto", vector: str, observers: Sequence[Observer], wandb: WandbSettings | None,
               group: bool, changed: dict[str, dict] | None = None, initial: InitialAgents | None = None,
               labels: tuple[str, ...] = ()) -> list[TrainResult]:
    """Build the trainer of the members `specs` on their `task` (from the group's checkpoints if `resume`:
    ConfigError before anything is written if they cannot be continued; else with the `initial` agents where given),
    then train with the run directories, W&B and `observers` watching. A resume records in each config.json the
    settings it changes (`changed`, see spec_changes) at the step it continues from."""
    spec, seeds = specs[0], [s.train.seed for s in specs]
    make = ALGORITHMS[spec.algo].make_agent
    agent = make(spec.agent, task.obs_dim, task.act_dim)
    store = GroupStore(run_dirs)
    try:
        start, histories = None, None
        if resume:
            start, histories = load_group_snapshot(store, task=task, agent=agent, cfg=spec.train, seeds=seeds,
                                                   columns=metrics_columns(agent, task))
        trainer = Trainer(task, agent, spec.train, seeds, driver=driver, vector=vector, start=start,
                          agents=None if initial is None else initial.states, hypers=member_hypers(specs, task),
                          labels=labels)
    except BaseException:
        store.close()
        raise
    if resume:
        for run_dir in run_dirs:
            write_changes(run_dir, trainer.step, changed or {})
    store.open_metrics(trainer.columns, histories, start.step if start is not None else None)
    watchers = [store, *observers]
    if wandb is not None:
        watchers.append(wandb_observer(wandb, run_dirs, [s.to_json() for s in specs], group=group))
    observer = Observers(*watchers)
    changes = ", ".join(f"{name}={value}" for fields in (changed or {}).values() for name, value in fields.items())
    observer.on_start(RunStart("resuming" if resume else "training", spec.algo, spec.train.env, tuple(seeds), out,
                               trainer.driver_kind, trainer.step, spec.train.steps, tuple(trainer.last_returns()),
                               changes, "" if initial is None else initial.origin, labels))
    try:
        summaries = trainer.run(observer)
    except TrainingDiverged as exc:
        raise TrainingDiverged(exc.what, exc.step, store.last_finite_step(), store.where) from None
    agents = [agent if s.agent == spec.agent else make(s.agent, task.obs_dim, task.act_dim) for s in specs]
    return [TrainResult(s.seed, d, s.last_row, s.interrupted,
                        LoadedRun(member, member_agent, seed_slice(trainer.states.agent, k), trainer.step,
                                  task.obs_dim, task.act_dim, task.action_low, task.action_high))
            for k, (s, d, member, member_agent) in enumerate(zip(summaries, run_dirs, specs, agents))]
