"""The S2AC paper's MuJoCo study: SAC, SQL and S2AC on MuJoCo tasks, one seed group per (task, algorithm).

Each group is what `ebrl train --algo A --env E --seeds ... --steps N` trains (the algorithm's preset for the task:
S2AC the official MuJoCo preset, SQL the official per-task reward scale, SAC the published runs' settings
sac/tianshou, the strongest SAC measured), with the study's budget and one evaluation schedule for all, so that every
curve has the same x values. A group lives in DIR/runs/<task>/<algo>/seed_<k>; DIR/plan.json records the study,
so the same command again reuses finished groups and resumes interrupted ones, and a command with another plan is
refused.

Groups run one after another in this process, in `workers` local processes, or as Ray tasks on a cluster (`ray`);
a group whose worker dies is retried and resumes from its last checkpoint, so the results do not depend on how the
study was executed. The groups (groups.py), how they are executed (executors.py) and the statistics (report.py,
read from the run directories at the end) have modules of their own.
"""

import dataclasses
from pathlib import Path

from ebrl.agents import ALGORITHMS
from ebrl.config import ConfigError, TrainConfig, require, require_positive
from ebrl.runs import check_spec, write_json_atomic
from ebrl.studies.mujoco.executors import connect_ray, run_in_process, run_local_workers, run_on_ray, visible_gpus
from ebrl.studies.mujoco.groups import PLAN_FILE, StudyGroup, plan_groups, read_plan, read_seed_batches
from ebrl.studies.mujoco.plan import StudyPlan
from ebrl.studies.mujoco.report import write_report
from ebrl.studies.plans import STUDY_SETS, parse_arm


def check_study(plan: StudyPlan, study_dir: Path) -> tuple[list[StudyGroup], list[tuple[int, ...]]]:
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


def study_error(error: ConfigError, group: StudyGroup) -> ConfigError:
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
        visible, where = visible_gpus(ray_module)
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
