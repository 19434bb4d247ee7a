"""Where a run lives: the run directory's entries, seed groups, atomic JSON, reading config.json.

    runs/<name>/config.json   everything needed to repeat the run: the settings, and each change a resume made
    runs/<name>/metrics.csv   one row per evaluation
    runs/<name>/tb/           TensorBoard events
    runs/<name>/checkpoints/  orbax, one folder per step, the latest two kept
    runs/<name>/best/         the agent at its best evaluation so far (agent state only)
    runs/<name>/figures/      what `ebrl plot` draws

A seed group (`ebrl train --seeds 0 1 2`) is a folder of such run directories, OUT/seed_0, OUT/seed_1, ...
A sweep (`ebrl train --sweep actor_lr=0.001,0.01 --seeds 0 1`) is a folder of seed groups, one per setting, each
named by its values: OUT/actor_lr=0.001/seed_0, ...
"""

import datetime
import json
import os
import shutil
import tempfile
import threading
from pathlib import Path

from ebrl.config import ConfigError
from ebrl.runs.spec import RunSpec, record_changes

CONFIG_FILE, METRICS_FILE, LOCK_FILE = "config.json", "metrics.csv", ".lock"
CHECKPOINTS_FOLDER, BEST_FOLDER = "checkpoints", "best"
RUN_ENTRIES = (CONFIG_FILE, METRICS_FILE, "tb", CHECKPOINTS_FOLDER, BEST_FOLDER, "figures", "wandb")
SEED_PREFIX = "seed_"


def make_dir(path: Path, field: str = "out") -> None:
    """Create the folder `path` (and its parents) and check that files can be written in it; ConfigError naming it
    and `field` (the option that chose it) if not."""
    try:
        path.mkdir(parents=True, exist_ok=True)
        tempfile.TemporaryFile(dir=path).close()
    except OSError as exc:
        raise ConfigError(f"cannot write in {path} ({exc.strerror or exc}); choose another {field}", field) from None


def default_run_dir(algo: str, env_id: str, seed: int | None) -> Path:
    """runs/<algo>_<env>_s<seed>_<date-time>, or runs/<algo>_<env>_<date-time> for a seed group."""
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    seed_part = "" if seed is None else f"_s{seed}"
    return Path("runs") / f"{algo}_{env_id.replace('/', '-')}{seed_part}_{stamp}"


def seed_run_dirs(out: Path, seeds: list[int]) -> list[Path]:
    """The run directories of a seed group: OUT/seed_<k>."""
    return [out / f"{SEED_PREFIX}{seed}" for seed in seeds]


def group_seeds(path: Path) -> list[int]:
    """The seeds of the group in `path` (sorted), or [] if it holds no seed runs."""
    seeds = [int(p.name[len(SEED_PREFIX):]) for p in path.glob(f"{SEED_PREFIX}*")
             if p.name[len(SEED_PREFIX):].isdigit() and (p / CONFIG_FILE).is_file()] if path.is_dir() else []
    return sorted(seeds)


def setting_name(setting: dict[str, float]) -> str:
    """The folder of a sweep's setting: FIELD=VALUE,FIELD=VALUE (actor_lr=0.001,alpha=0.2)."""
    return ",".join(f"{name}={value!r}" for name, value in setting.items())


def sweep_groups(path: Path) -> list[Path]:
    """The seed groups of the sweep in `path`, one per setting (sorted), or [] if it is not a sweep."""
    if not path.is_dir() or (path / CONFIG_FILE).exists():
        return []
    return sorted(p for p in path.iterdir() if "=" in p.name and group_seeds(p))


def sweep_run_dirs(out: Path, settings: list[dict[str, float]], seeds: list[int]) -> list[Path]:
    """The run directories of a sweep's members, setting by setting: OUT/<setting>/seed_<k>."""
    return [run_dir for setting in settings for run_dir in seed_run_dirs(out / setting_name(setting), seeds)]


def expand_runs(paths: list[Path]) -> list[Path]:
    """Run directories, with each seed group replaced by its seeds' runs, and each sweep by its members' runs."""
    expanded = []
    for path in paths:
        seeds = [] if (path / CONFIG_FILE).exists() else group_seeds(path)
        groups = [] if seeds else sweep_groups(path)
        expanded += (seed_run_dirs(path, seeds) if seeds else expand_runs(groups) if groups else [path])
    return expanded


def holds_run(path: Path) -> bool:
    return path.is_dir() and any((path / entry).exists() for entry in RUN_ENTRIES)


def prepare_new_run(path: Path, *, overwrite: bool) -> None:
    """Check that `path` can receive a new run; with `overwrite`, remove the run already there (only its entries)."""
    if path.exists() and not path.is_dir():
        raise ConfigError(f"out {path} is a file; choose a directory", "out")
    if holds_run(path):
        if not overwrite:
            raise ConfigError(f"{path} already holds a run; continue it (resume {path}) or pass overwrite to replace "
                              "it", "resume", "overwrite")
        for entry in RUN_ENTRIES:
            target = path / entry
            if target.is_dir():
                shutil.rmtree(target)
            elif target.exists():
                target.unlink()


def write_json_atomic(path: Path, data: dict) -> None:
    """Write `data` to `path` in one step: a temporary file of this writer's own (process and thread) beside it, then
    a rename, so that readers never see half a file and two processes writing the same file (two study commands
    writing the plan) do not take each other's temporary file."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    try:
        tmp.write_text(json.dumps(data, indent=2) + "\n")
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def require_fresh_out(out: Path, marker: str, *, overwrite: bool, what: str = "results") -> None:
    """Refuse to write into `out` when it already holds `what` (files matching `marker`), unless overwriting."""
    if any(out.glob(marker)) and not overwrite:
        raise ConfigError(f"{out} already holds {what}; pass overwrite to replace it or choose another out",
                          "overwrite", "out")


def read_spec(path: Path) -> RunSpec:
    """The spec a run trains now (its config.json's settings with their changes applied, see RunSpec.from_json),
    raising ConfigError when the directory is not a run."""
    if not path.is_dir():
        raise ConfigError(f"run directory {path} does not exist")
    config_path = path / CONFIG_FILE
    if not config_path.is_file() and group_seeds(path):
        seeds = group_seeds(path)
        raise ConfigError(f"{path} is a group of seeds {seeds}; give one of its runs, e.g. "
                          f"{path / f'{SEED_PREFIX}{seeds[0]}'}")
    if not config_path.is_file() and sweep_groups(path):
        raise ConfigError(f"{path} is a sweep; give one of its runs, e.g. {expand_runs([path])[0]}")
    if not config_path.is_file():
        raise ConfigError(f"{path} holds no {CONFIG_FILE}; it is not an ebrl run directory")
    try:
        return RunSpec.from_json(json.loads(config_path.read_text()))
    except (json.JSONDecodeError, KeyError, TypeError) as exc:
        raise ConfigError(f"{config_path} is unreadable ({exc}); restore it or start a new run") from None


def read_changes(path: Path) -> list[dict]:
    """The settings changes a run's config.json records, oldest first (see `record_changes`); call it after
    `read_spec`, which checks the file."""
    return json.loads((path / CONFIG_FILE).read_text()).get("changes", [])


def write_changes(path: Path, step: int, changed: dict[str, dict]) -> None:
    """Record in a run's config.json that a resume from `step` changes `changed` (see `record_changes`); its
    settings stay as first trained."""
    config_path = path / CONFIG_FILE
    data = json.loads(config_path.read_text())
    changes = record_changes(data.get("changes", []), step, changed)
    if changes != data.get("changes", []):
        write_json_atomic(config_path, {**data, "changes": changes})
