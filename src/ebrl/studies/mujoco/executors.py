"""How the MuJoCo study's groups are trained: `train_group`, the unit of work (one group, reused, resumed or
trained), run one after another in this process, in local worker processes, or as Ray tasks; a group whose worker
dies is tried again and resumes from its checkpoints."""

import logging
import os
import socket
from collections.abc import Callable
from pathlib import Path

import jax

from ebrl.config import ConfigError, require
from ebrl.console import ConsoleObserver
from ebrl.runs import train
from ebrl.studies.machine import record_machine
from ebrl.studies.mujoco.groups import PLAN_FILE, StudyGroup, plan_groups, read_plan, read_seed_batches


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
        record_machine(results)
    return True


def run_in_process(groups: list[StudyGroup], study_dir: Path, console, progress: bool) -> bool:
    for group in groups:
        if not train_group(str(study_dir), group.env, group.algo, progress=progress, console=console):
            return False
    return True


def run_local_workers(groups: list[StudyGroup], study_dir: Path, workers: int, retries: int, log: Callable) -> None:
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


def run_on_ray(ray, groups: list[StudyGroup], study_dir: Path, cpus: float, gpus: float, retries: int,
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


def visible_gpus(ray_module) -> tuple[float, str]:
    """(GPUs, where): those of the Ray cluster this process joined, else those JAX sees here."""
    if ray_module is not None:
        return float(ray_module.cluster_resources().get("GPU", 0)), "the Ray cluster"
    return float(sum(device.platform == "gpu" for device in jax.devices())), "this machine (as JAX sees it)"
