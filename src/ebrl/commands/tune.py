"""tune settings with Optuna, each trial a seed group, shape-changing fields too: ebrl tune --algo s2ac --env
    Pendulum-v1 --space svgd_step_size=log:0.01:1 --space particles=int:4:32 --trials 20 --seeds 0 1 --steps 10000
    --out runs/tune [any ebrl train option]; the same command continues a killed tuning"""

import dataclasses
from pathlib import Path

import tyro
from rich.console import Console

from ebrl.commands.parsing import parse, print_written
from ebrl.commands.train import TrainChoice, chosen_preset
from ebrl.config import TrainConfig, require

TUNE_HELP = """Tune an algorithm's settings with Optuna, each trial a seed group. Besides the options below:

  --algo {{{algos}}}  the algorithm (default s2ac); `ebrl tune --algo A --help` lists its own options
  --env ENV              the task of every trial
  --no-preset, --preset NAME, --env-kwargs JSON   as in `ebrl train`"""


@dataclasses.dataclass(frozen=True)
class TuneOptions:
    """`ebrl tune`'s own options; --algo, --env, --preset and every option of `ebrl train --algo A` set what each
    trial trains, beside the searched fields."""

    space: tyro.conf.UseAppendAction[tuple[str, ...]] = ()
    """FIELD=KIND:...: a searched field of the algorithm's config or of the training loop, shape-changing ones
    included (one --space per field): FIELD=log:LOW:HIGH, float:LOW:HIGH, int:LOW:HIGH or choice:A|B|..., e.g.
    --space actor_lr=log:1e-4:1e-2 --space hidden=choice:[64,64]|[256,256]."""
    space_file: str | None = None
    """A JSON file of more searched fields, {"FIELD": "KIND:...", ...}."""
    trials: int = 20
    """Finished (completed or pruned) trials the study ends with, in all its processes."""
    seeds: tuple[int, ...] = (0,)
    """Seeds of every trial (one seed group, one program); its score is their mean evaluation return."""
    out: str = "runs/tune"
    """Folder for the trials' runs (OUT/trial_<n>), the study's SQLite file and the report (tune.md, trials.csv,
    best.json). The same command again continues the tuning."""
    storage: str | None = None
    """Optuna storage URL shared by several processes (default sqlite:///OUT/optuna.db)."""
    study_name: str = "ebrl-tune"
    """Name of the study in the storage."""
    prune_after: int | None = None
    """Steps before the median pruner may stop a trial (default a third of --steps)."""
    sampler_seed: int = 0
    """Seed of the TPE sampler."""


def run(args: list[str]) -> int:
    from ebrl.agents import ALGORITHMS
    from ebrl.presets import preset_defaults
    from ebrl.runs import RunSpec
    from ebrl.tune import read_space, run_tuning

    choice, args = parse(TrainChoice, args, "ebrl tune", unknown=True)
    for flag, given in (("--resume", choice.resume), ("--init-from", choice.init_from), ("--seed", choice.seed)):
        require(given is None, f"{flag} does not apply to ebrl tune (each trial is a new seed group: --seeds)")
    algo = choice.algo or "s2ac"
    require(algo in ALGORITHMS, f"unknown algorithm {algo!r}; choose one of {', '.join(ALGORITHMS)}")
    env = choice.env or TrainConfig().env
    require(choice.preset is None or not choice.no_preset, "--preset and --no-preset exclude each other; give one")
    base = preset_defaults(algo, chosen_preset(choice, algo, env))
    chosen = {"env": env, **({"env_kwargs": choice.env_kwargs_object()} if choice.env_kwargs is not None else {})}
    settings_type = tyro.conf.OmitArgPrefixes[dataclasses.make_dataclass(  # type: ignore[misc,valid-type]
        "TuneSettings", [("tune", TuneOptions), ("train", TrainConfig), ("agent", ALGORITHMS[algo].config_type)],
        frozen=True)]
    settings = parse(settings_type, args, f"ebrl tune --algo {algo}",
                     settings_type(TuneOptions(), dataclasses.replace(base[0], **chosen), base[1]),
                     TUNE_HELP.format(algos=",".join(sorted(ALGORITHMS))))
    options = settings.tune
    space = read_space(options.space, options.space_file)
    console = Console(stderr=True)
    written = run_tuning(RunSpec(algo, settings.train, settings.agent), space, list(options.seeds), Path(options.out),
                         trials=options.trials, storage=options.storage, study_name=options.study_name,
                         prune_after=options.prune_after, sampler_seed=options.sampler_seed, log=console.print)
    return print_written(written, written[-1])
