"""Experiment tracking beyond TensorBoard: Weights & Biases (`pip install "ebrl[wandb]"`, `ebrl train --wandb`).

Each seed's run directory is one W&B run, named after it and grouped by the seed group's folder, with config.json
as its config and every metrics row (the columns of metrics.csv, the same names as in TensorBoard) logged at its
environment step. W&B writes into RUN/wandb, which keeps the run's id, so a resumed run continues its W&B run;
rows a resume produces again (identical, as the resume is exact) are skipped by W&B as already logged. W&B's own
settings apply: WANDB_MODE=offline writes the runs locally (`wandb sync` uploads them later).
"""

import os
import secrets
from pathlib import Path

from ebrl.config import ConfigError, WandbSettings
from ebrl.loop.trainer import Observer, scalars

LOCAL_MODES = ("offline", "dryrun", "disabled")  # WANDB_MODE values that log locally or not at all: no login


def require_wandb() -> None:
    """ConfigError, before any work, unless W&B can log: installed, a WANDB_MODE it knows, and logged in where it
    logs online (in a terminal, W&B asks for a key itself, as `wandb login` does)."""
    try:
        import wandb
    except ImportError:
        raise ConfigError('wandb needs Weights & Biases; install it with pip install "ebrl[wandb]"', "wandb") from None
    mode = os.environ.get("WANDB_MODE")
    if mode is not None:
        try:
            wandb.Settings(mode=mode)  # type: ignore[arg-type]  # any string: W&B says which it takes
        except ValueError:  # pydantic's ValidationError
            raise ConfigError(f"WANDB_MODE={mode!r} is not a mode of W&B; set it to online or offline, or unset it"
                              ) from None
    if mode in LOCAL_MODES:
        return
    try:
        wandb.login(verify=False)
    except wandb.errors.UsageError:  # no API key, and no terminal to ask for one
        raise ConfigError("wandb needs a W&B login: run `wandb login` (or set WANDB_API_KEY), or log locally with "
                          "WANDB_MODE=offline", "wandb") from None


WANDB_FOLDER, ID_FILE = "wandb", "ebrl-run-id"


def run_id(run_dir: Path) -> str:
    """The W&B id of the run directory's run: kept in RUN/wandb, made on first use (a new run, or one trained
    again with --overwrite, which removes the folder, gets a new id)."""
    path = Path(run_dir) / WANDB_FOLDER / ID_FILE
    if not path.is_file():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(8))
    return path.read_text().strip()


class WandbObserver(Observer):
    """Logs each seed's metrics rows to its W&B run; finishes the runs when training stops."""

    def __init__(self, runs: list):
        self.runs = runs

    def on_row(self, seed_index, row):
        self.runs[seed_index].log(scalars(row), step=int(row["step"]))

    def on_end(self):
        for run in self.runs:
            run.finish()


def wandb_observer(settings: WandbSettings, run_dirs: list[Path], configs: list[dict], *, group: bool) -> WandbObserver:
    """One W&B run per run directory, resumed if it exists, as an observer of the training."""
    import wandb  # an optional dependency (ebrl[wandb]), checked by require_wandb before any work

    runs = []
    for run_dir, config in zip(map(Path, run_dirs), configs):
        default_name = f"{run_dir.parent.name}/{run_dir.name}" if group else run_dir.name
        runs.append(wandb.init(project=settings.project, entity=settings.entity, id=run_id(run_dir),
                               name=settings.name or default_name,
                               group=settings.group or (run_dir.parent.name if group else None), config=config,
                               dir=str(run_dir), resume="allow", reinit="create_new"))
    return WandbObserver(runs)
