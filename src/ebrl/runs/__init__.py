"""The only code that touches a run directory: what it trains (spec), where it lives (layout), its one writer
(lock), what it keeps (metrics, checkpoints; store for a seed group), opening it (load) and training into it
(launch)."""

from ebrl.runs.checkpoints import CheckpointFolder
from ebrl.runs.launch import TrainResult, check_spec, resume, train
from ebrl.runs.layout import (
    CONFIG_FILE,
    METRICS_FILE,
    default_run_dir,
    expand_runs,
    group_seeds,
    make_dir,
    read_spec,
    require_fresh_out,
    seed_run_dirs,
    write_json_atomic,
)
from ebrl.runs.load import CHECKPOINT_CHOICES, LoadedRun, evaluate_run, load_run, record_video, replay_observations
from ebrl.runs.lock import RunLock
from ebrl.runs.metrics import MetricsLog, metrics_history, read_metrics, read_metrics_table
from ebrl.runs.spec import InitFrom, RunSpec, changed_spec, describe_changes, preset_spec, seed_specs
from ebrl.runs.store import GroupStore, load_group_snapshot

__all__ = [
    "CHECKPOINT_CHOICES", "CONFIG_FILE", "METRICS_FILE", "CheckpointFolder", "GroupStore", "InitFrom", "LoadedRun",
    "MetricsLog",
    "RunLock", "RunSpec", "TrainResult", "changed_spec", "check_spec", "default_run_dir", "describe_changes",
    "evaluate_run", "expand_runs", "group_seeds", "load_group_snapshot", "load_run", "make_dir", "metrics_history",
    "preset_spec", "read_metrics", "read_metrics_table", "read_spec", "record_video", "replay_observations",
    "require_fresh_out", "resume", "seed_run_dirs", "seed_specs", "train", "write_json_atomic",
]
