"""The S2AC paper's MuJoCo study: SAC, SQL and S2AC on MuJoCo tasks, one seed group per (task, algorithm).

Each group is what `ebrl train --algo A --env E --seeds ... --steps N` trains (the algorithm's preset for the task:
S2AC the official MuJoCo preset, SQL the official per-task reward scale, SAC the published runs' settings
sac/tianshou, the strongest SAC measured), with the study's budget and one evaluation schedule for all, so that every
curve has the same x values. A group lives in DIR/runs/<task>/<algo>/seed_<k>; DIR/plan.json records the study,
so the same command again reuses finished groups and resumes interrupted ones, and a command with another plan is
refused.

Groups run one after another in this process, in `workers` local processes, or as Ray tasks on a cluster (`ray`);
a group whose worker dies is retried and resumes from its last checkpoint, so the results do not depend on how the
study was executed. The statistics (ebrl.studies.mujoco.report) are read from the run directories at the end.
"""

import dataclasses
import json
import logging
import os
import platform
import socket
from collections.abc import Callable
from pathlib import Path

import jax

from ebrl.agents import ALGORITHMS
from ebrl.config import ConfigError, TrainConfig, check_change_types, require, require_positive
from ebrl.console import ConsoleObserver
from ebrl.runs import RunSpec, check_spec, preset_spec, train, write_json_atomic
from ebrl.studies.mujoco.plan import StudyPlan
from ebrl.studies.mujoco.report import MACHINE_FILE, write_report
from ebrl.studies.plans import STUDY_SETS, parse_arm

PLAN_FILE = "plan.json"
RUNS_FOLDER = "runs"


@dataclasses.dataclass(frozen=True)
class PlannedGroup:
    env: str
    algo: str
    """The arm, as the plan names it: an algorithm ("s2ac") or a variant of one ("s2ac@logdet=trace")."""
    spec: RunSpec  # of the first seed
    seeds: tuple[int, ...]

    @property
    def name(self) -> str:
        return f"{self.algo} on {self.env}"

    def run_dir(self, study_dir: str | Path) -> Path:
        """Where the group's seeds live: study_dir/runs/<task>/<algo> (a task id's '/' becomes '__')."""
        return Path(study_dir) / RUNS_FOLDER / self.env.replace("/", "__") / self.algo


def plan_groups(plan: StudyPlan) -> list[PlannedGroup]:
    """One group per (task, arm): the algorithm's preset for the task, the study's budget and evaluations, and a
    variant's changes of the algorithm's config."""
    loop = {**plan.train, "eval_every": plan.eval_every, "eval_episodes": plan.eval_episodes}
    arms = {arm: arm_config(arm, plan.agent) for arm in plan.algos}
    return [PlannedGroup(env, arm, preset_spec(algo, env, seed=plan.seeds[0], steps=plan.steps, train=loop,
                                               agent=agent), plan.seeds)
            for env in plan.envs for arm, (algo, agent) in arms.items()]


def arm_config(arm: str, agent: dict) -> tuple[str, dict]:
    """(algorithm, its config fields over the preset) of one of a plan's `algos`: the plan's `agent[algo]`, then the
    variant's changes; ConfigError for a change of a field the algorithm's config does not have."""
    algo, changes = parse_arm(arm)
    fields = {f.name for f in dataclasses.fields(ALGORITHMS[algo].config_type)}
    unknown = sorted(set(changes) - fields)
    require(not unknown, f"algos: {arm!r} changes {', '.join(unknown)}, not a field of {algo}'s config; choose from "
            f"{', '.join(sorted(fields))}", "algos")
    check_change_types(ALGORITHMS[algo].config_type, changes, "algos")
    return algo, {**agent.get(algo, {}), **changes}


def read_plan(study_dir: Path) -> StudyPlan | None:
    plan_file = Path(study_dir) / PLAN_FILE
    return StudyPlan.from_json(json.loads(plan_file.read_text())) if plan_file.is_file() else None


def read_seed_batches(study_dir: Path, plan: StudyPlan) -> list[tuple[int, ...]]:
    """The seeds of every group as the programs that train them: the plan's first seeds, then each set of seeds a
    later command added (plan.json's `seed_batches`; a seed trained in a group of another size follows another
    floating-point path, so a batch is never regrouped)."""
    plan_file = Path(study_dir) / PLAN_FILE
    saved = json.loads(plan_file.read_text()).get("seed_batches") if plan_file.is_file() else None
    return [tuple(batch) for batch in saved] if saved else [plan.seeds]


def check_study(plan: StudyPlan, study_dir: Path) -> tuple[list[PlannedGroup], list[tuple[int, ...]]]:
    """Every check of a study before any work: the plan, each group's configuration and task (known, Box actions),
    and the study directory (not a file, not another study's; the same study with more seeds adds them, in a
    program of their own). Returns the planned groups and the seed batches."""
    plan.validate()
    groups = plan_groups(plan)
    for group in groups:
        try:
            check_spec(group.spec, len(group.seeds))
        except ConfigError as error:
            raise study_error(error, group) from None
    study_dir = Path(study_dir)
    if study_dir.exists() and not study_dir.is_dir():
        raise ConfigError(f"out {study_dir} is a file; choose a directory", "out")
    saved = read_plan(study_dir)
    if saved is None:
        require(not (study_dir.is_dir() and any(study_dir.iterdir())),
                f"{study_dir} is not empty and holds no study; choose another out", "out")
        return groups, [plan.seeds]
    batches = read_seed_batches(study_dir, saved)
    more_seeds = dataclasses.replace(saved, seeds=plan.seeds) == plan and set(saved.seeds) < set(plan.seeds)
    if more_seeds:
        batches.append(tuple(s for s in plan.seeds if s not in saved.seeds))
    elif saved.to_json() != plan.to_json():
        differing = [f.name for f in dataclasses.fields(plan) if getattr(saved, f.name) != getattr(plan, f.name)]
        more = (" (a study can add seeds, not drop them)" if differing == ["seeds"] else "")
        raise ConfigError(f"{study_dir} holds another study ({', '.join(f'{n}={getattr(saved, n)}' for n in differing)}"
                          f"){more}; repeat that study's command to continue it, or choose another out", "out")
    return groups, batches


def study_error(error: ConfigError, group: PlannedGroup) -> ConfigError:
    """A group's configuration error as `ebrl mujoco` can act on it: a field of the loop is set with --loop, a field
    of the algorithm with an arm ALGO@FIELD=VALUE (the message names only flags the command has)."""
    loop_fields = {f.name for f in dataclasses.fields(TrainConfig)} - set(STUDY_SETS)
    algo, changes = parse_arm(group.algo)
    agent_fields = {f.name for f in dataclasses.fields(ALGORITHMS[algo].config_type)}
    study_fields = [field for field in error.fields if field not in loop_fields | agent_fields]
    ways = [f"--loop {field}=VALUE" for field in error.fields if field in loop_fields]
    ways += [f"--algos {algo}@{field}=VALUE" for field in error.fields if field in agent_fields]
    variant = bool(set(error.fields) & set(changes))
    where = f"algos: {group.algo!r}: " if variant else f"{group.name}: "
    return ConfigError(where + str(error) + (f" (in the study: {', '.join(ways)})" if ways and not variant else ""),
                       *study_fields, *(["algos"] if variant else []))


def write_plan(plan: StudyPlan, study_dir: Path, seed_batches: list[tuple[int, ...]]) -> None:
    Path(study_dir).mkdir(parents=True, exist_ok=True)
    write_json_atomic(Path(study_dir) / PLAN_FILE, {**plan.to_json(), "seed_batches": [list(b) for b in seed_batches]})


def machine() -> dict:
    """The machine a group trains on: CPU model and count, and the accelerator JAX uses."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    device = jax.devices()[0]
    return {"host": socket.gethostname(), "cpu": cpu, "cpus": os.cpu_count(),
            "device": "cpu" if device.platform == "cpu" else device.device_kind}


def train_group(study_dir: str, env: str, algo: str, *, progress: bool = False, console=None) -> bool:
    """Train (or reuse, or resume) one planned group of the study in `study_dir`: the unit of work of every
    executor, a Ray task included. Returns whether it finished (False: interrupted by Ctrl-C)."""
    plan = read_plan(Path(study_dir))
    if plan is None:
        raise ConfigError(f"{study_dir} holds no {PLAN_FILE}; start the study with `ebrl mujoco`")
    group = next(g for g in plan_groups(plan) if (g.env, g.algo) == (env, algo))
    run_dir = group.run_dir(study_dir)
    observers = [ConsoleObserver(console, progress=progress)] if console is not None else []
    for batch in read_seed_batches(Path(study_dir), plan):
        results = train(group.spec, batch, run_dir, existing="continue", observers=observers,
                        beside=[seed for seed in group.seeds if seed not in batch])
        if results[0].interrupted:
            return False
    if not (run_dir / MACHINE_FILE).exists():
        write_json_atomic(run_dir / MACHINE_FILE, machine())  # the machine that finished it
    return True


# ------------------------------------------------------------------------------------------------ executors


def run_in_process(groups: list[PlannedGroup], study_dir: Path, console, progress: bool) -> bool:
    for group in groups:
        if not train_group(str(study_dir), group.env, group.algo, progress=progress, console=console):
            return False
    return True


def run_local_workers(groups: list[PlannedGroup], study_dir: Path, workers: int, retries: int, log: Callable) -> None:
    """Each group in one of `workers` spawned processes (sharing a GPU, if there is one); a group whose process
    dies is tried again, up to `retries` times, and resumes from its checkpoints."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed
    from concurrent.futures.process import BrokenProcessPool

    pending = {(g.env, g.algo): 0 for g in groups}
    while pending:
        with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"),
                                 initializer=_share_the_accelerator) as pool:
            futures = {pool.submit(train_group, str(study_dir), env, algo): (env, algo) for env, algo in pending}
            for future in as_completed(futures):
                env, algo = futures[future]
                try:
                    future.result()
                except BrokenProcessPool:
                    pending[(env, algo)] += 1
                    if pending[(env, algo)] > retries:
                        raise RuntimeError(f"the worker training {algo} on {env} died {retries + 1} times") from None
                    log(f"a worker died while training {algo} on {env}; retrying ({pending[(env, algo)]}/{retries})")
                    continue
                del pending[(env, algo)]
                log(f"finished {algo} on {env}")


def _share_the_accelerator() -> None:
    """In a worker process, before JAX starts: take GPU memory as needed instead of 75 % of it at once, so that
    several groups fit on one GPU."""
    os.environ.setdefault("XLA_PYTHON_CLIENT_PREALLOCATE", "false")


def connect_ray(address: str):
    """Connect to the Ray cluster at `address` ("auto": the one started on this machine with `ray start`, or the
    one this process already joined); ConfigError if Ray is missing or the cluster cannot be reached."""
    try:
        import ray
    except ImportError:
        raise ConfigError("ray needs Ray; install it with pip install 'ebrl[ray]'", "ray") from None
    if ray.is_initialized():
        return ray
    if address != "auto":
        host, _, port = address.removeprefix("ray://").rpartition(":")
        require(bool(host) and port.isdigit(), f"ray {address!r} is not auto or HOST:PORT (e.g. 10.0.0.1:6379)", "ray")
        try:
            socket.create_connection((host, int(port)), timeout=5).close()
        except OSError as exc:
            raise ConfigError(f"cannot reach a Ray cluster at {address} ({exc.strerror or exc}); start one there with "
                              "`ray start --head`, or check the address") from None
    try:
        ray.init(address=address, logging_level=logging.ERROR, log_to_driver=False)
    except (ConnectionError, RuntimeError, ValueError) as exc:
        raise ConfigError(f"cannot join a Ray cluster at {address} ({str(exc).splitlines()[0]}); start one with "
                          "`ray start --head`, or give its HOST:PORT") from None
    return ray


def run_on_ray(ray, groups: list[PlannedGroup], study_dir: Path, cpus: float, gpus: float, retries: int,
               log: Callable) -> None:
    """Each group as a Ray task with its CPU and GPU share; Ray retries a task whose worker dies, up to `retries`
    times, and the retried task resumes from the group's checkpoints (the run directories must be on a filesystem
    every node shares)."""
    env_vars = {"XLA_PYTHON_CLIENT_PREALLOCATE": "false"} if 0 < gpus < 1 else {}
    task = ray.remote(train_group).options(num_cpus=cpus, num_gpus=gpus, max_retries=retries,
                                           runtime_env={"env_vars": env_vars} if env_vars else None)
    refs = {task.remote(str(Path(study_dir).resolve()), g.env, g.algo): g for g in groups}
    while refs:
        done, _ = ray.wait(list(refs), num_returns=1)
        group = refs.pop(done[0])
        ray.get(done[0])
        log(f"finished {group.name}")


def _visible_gpus(ray_module) -> tuple[float, str]:
    """(GPUs, where): those of the Ray cluster this process joined, else those JAX sees here."""
    if ray_module is not None:
        return float(ray_module.cluster_resources().get("GPU", 0)), "the Ray cluster"
    return float(sum(device.platform == "gpu" for device in jax.devices())), "this machine (as JAX sees it)"


def run_study(plan: StudyPlan, study_dir: Path, *, workers: int = 1, ray: str | None = None, cpus_per_group: float = 1,
              gpus_per_group: float = 0, retries: int = 3, console=None, progress: bool = True) -> bool:
    """Check everything, train every group of the plan (reusing finished ones), and write the report; returns
    False if interrupted (the study continues where it stopped when run again)."""
    study_dir = Path(study_dir)
    groups, seed_batches = check_study(plan, study_dir)
    require(workers >= 1, f"workers must be at least 1, got {workers}", "workers")
    require(workers <= len(groups), f"workers ({workers}) is more than the study's {len(groups)} group(s), one "
            f"process each; use at most {len(groups)}", "workers")
    require(retries >= 0, f"retries must be non-negative, got {retries}", "retries")
    require_positive("cpus_per_group", cpus_per_group)
    require(gpus_per_group >= 0, f"gpus_per_group must be non-negative, got {gpus_per_group}", "gpus_per_group")
    ray_module = connect_ray(ray) if ray is not None else None
    if gpus_per_group > 0:
        visible, where = _visible_gpus(ray_module)
        require(visible > 0, f"gpus_per_group is {gpus_per_group} but {where} has no GPU; install JAX's CUDA build "
                "(pip install 'ebrl[cuda]') on a machine with one, or drop gpus_per_group", "gpus_per_group")
    write_plan(plan, study_dir, seed_batches)
    log = console.print if console is not None else print
    if ray_module is not None:
        run_on_ray(ray_module, groups, study_dir, cpus_per_group, gpus_per_group, retries, log)
    elif workers > 1:
        run_local_workers(groups, study_dir, workers, retries, log)
    elif not run_in_process(groups, study_dir, console, progress):
        return False
    write_report(plan, study_dir, groups, seed_batches)
    return True
