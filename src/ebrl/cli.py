"""`ebrl train | eval | plot`: a thin command line over the library.

User mistakes end in one line on stderr, `error: <what is wrong>; <what to do>`, and exit code 2, before any work.
"""

import contextlib
import dataclasses
import io
import json
import os
import sys
from pathlib import Path
from typing import Annotated, Literal

import tyro
from rich.console import Console
from rich.table import Table

from ebrl.config import ConfigError, TrainConfig, require_positive
from ebrl.experiments.mujoco import StudyPlan

USAGE = """usage: ebrl <command> [options]

commands:
  train   train an agent:      ebrl train --algo sac --env Pendulum-v1 --steps 20000 --seed 0 --out runs/x
          several seeds in one program: --seeds 0 1 2 3 --out runs/g  (runs/g/seed_0, ...)
          presets of the authors' code apply by (algo, env), e.g. --algo sql --env Hopper-v5; --no-preset
          continue a run:      ebrl train --resume runs/x [--steps N]
  eval    evaluate a run:      ebrl eval runs/x --episodes 10 [--mode mean] [--checkpoint best] [--json]
  export  the policy as a file JAX alone runs: ebrl export runs/x --out policy.jax [--mode mean] [--checkpoint best]
  plot    learning curves:     ebrl plot runs/x [runs/g ...] [--out curves.png]  (a group: mean ± std over seeds)
  compare MultiGoal runs side by side (goal hits, trajectories, entropy at the probe states):
                       ebrl compare runs/sac_* runs/sql_* --out results/mg [--env ebrl/MultiGoal3Obstacle-v0]
  multigoal the papers' MultiGoal experiments, trained and compared:
                       ebrl multigoal s2ac-fig2 --out results/fig2 --n-seeds 3 --steps 6000
                       ebrl multigoal sql-temperature --out results/sql-temperature --n-seeds 1 --steps 20000
  entropy the S2AC entropy study (figures and tables): ebrl entropy --out docs/results/entropy
  mujoco  the S2AC paper's MuJoCo study (IQM, intervals, curves, run time), here or on a Ray cluster:
                       ebrl mujoco --envs Hopper-v5 Walker2d-v5 --algos sac sql s2ac --seeds 0 1 2 --steps 1000000
                       --out results/mujoco [--workers 2 | --ray auto]

`ebrl <command> --help` lists every option."""


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    commands = {"train": train_command, "eval": eval_command, "plot": plot_command, "compare": compare_command,
                "multigoal": multigoal_command, "entropy": entropy_command,
                "mujoco": mujoco_command, "export": export_command}
    if not argv or argv[0] in ("-h", "--help"):
        print(USAGE)
        return 0 if argv else 2
    if argv[0] not in commands:
        return _fail(f"unknown command {argv[0]!r}; use one of {', '.join(commands)} (see `ebrl --help`)")
    from ebrl.loop.group import TrainingDiverged

    try:
        return commands[argv[0]](argv[1:])
    except ConfigError as exc:
        return _fail(exc.with_flags())
    except TrainingDiverged as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 3
    except BrokenPipeError:  # the reader of our output left (`ebrl train --help | head`)
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no second error when Python flushes
        return 141


def _fail(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return 2


def parse(cls, args: list[str], prog: str, default=None, description: str | None = None):
    """tyro parsing (from the `default` instance, if given), with a one-line error naming the first offending flag
    instead of tyro's panel; `description` heads the --help text."""
    if any(a in ("-h", "--help") for a in args):
        return tyro.cli(cls, args=args, prog=prog, default=default, description=description)
    try:
        return _quiet_tyro(cls, args, prog, default)
    except SystemExit:
        raise ConfigError(_diagnose(cls, args, prog, default)) from None


def _quiet_tyro(cls, args: list[str], prog: str, default=None):
    """tyro.cli with every message it would print swallowed (errors become our one line)."""
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        return tyro.cli(cls, args=args, prog=prog, console_outputs=False, default=default)


def _diagnose(cls, args: list[str], prog: str, default=None) -> str:
    """Find the flag that made tyro fail by parsing each flag, with its values and the positionals, on its own."""
    first_flag = next((i for i, arg in enumerate(args) if arg.startswith("--")), len(args))
    positionals, groups = args[:first_flag], []
    for arg in args[first_flag:]:
        if arg.startswith("--"):
            groups.append([arg])
        else:
            groups[-1].append(arg)
    known = _flags(cls)
    for group in groups:
        if group[0].split("=")[0] not in known:
            return f"unknown option {group[0]!r} for `{prog}`; see `{prog} --help` for the options"
    try:
        _quiet_tyro(cls, positionals, prog, default)
    except SystemExit:
        return f"missing or misplaced arguments in `{prog} {' '.join(args)}`; see `{prog} --help`"
    for group in groups:
        try:
            _quiet_tyro(cls, positionals + group, prog, default)
        except SystemExit:
            values = " ".join(group[1:]) or "(none)"
            return f"invalid value for {group[0]}: {values}; see `{prog} --help` for its type"
    return f"conflicting options in `{prog} {' '.join(args)}`; see `{prog} --help`"


def _flags(cls) -> set[str]:
    """Every --flag of `cls` (one level of nested dataclasses flattened), booleans also in their --no- form."""
    cls = getattr(cls, "__origin__", cls)
    fields: list = []
    for field in dataclasses.fields(cls):
        fields += dataclasses.fields(field.type) if dataclasses.is_dataclass(field.type) else [field]
    flags = {"--" + f.name.replace("_", "-") for f in fields}
    return flags | {"--no-" + flag[2:] for flag in flags}


# ------------------------------------------------------------------------------------------------ train


@dataclasses.dataclass(frozen=True)
class RunOptions:
    """Where a run is written, how it executes and what is shown: not part of what it trains."""

    out: str | None = None
    """Run directory; with --seeds, the group's folder (one run directory OUT/seed_<k> per seed). Default
    runs/<algo>_<env>_s<seed>_<date-time> (runs/<algo>_<env>_<date-time> for a group)."""
    seeds: tuple[int, ...] | None = None
    """Train these seeds as one group, in one compiled program (instead of --seed), e.g. --seeds 0 1 2 3."""
    overwrite: bool = False
    """Replace the runs that already exist in --out."""
    driver: Literal["auto", "gym", "jax"] = "auto"
    """gym: a Gymnasium vector environment of one copy per seed; jax: the whole collect-and-learn loop on the
    device, for tasks written in JAX (MultiGoal); auto: jax where the task has it."""
    vector: Literal["sync", "async"] = "sync"
    """Gymnasium driver: step the copies in this process (sync) or in one subprocess each (async)."""
    progress: bool = True
    """Show a progress bar per seed."""
    pictures: bool = True
    """MultiGoal runs: draw trajectories, Q-landscapes and the goal histogram into RUN_DIR/figures at the end."""
    wandb: bool = False
    """Also log the metrics to Weights & Biases, one W&B run per seed (pip install "ebrl[wandb]"; WANDB_MODE=offline
    to write them locally)."""
    wandb_project: str = "ebrl"
    """W&B project."""
    wandb_entity: str | None = None
    """W&B entity (team or user; default: yours)."""
    wandb_group: str | None = None
    """W&B group (default: the seed group's folder name)."""
    wandb_name: str | None = None
    """W&B run name (default: the run directory's name)."""

    def wandb_settings(self):
        from ebrl.tracking import WandbSettings

        return WandbSettings(self.wandb_project, self.wandb_entity, self.wandb_group, self.wandb_name) \
            if self.wandb else None


TRAIN_HELP = """Train an agent, or continue a run. Besides the options below:

  --algo {{{algos}}}  the algorithm (default s2ac); `ebrl train --algo A --help` lists its own options
  --resume RUN           continue RUN, a run or a seed group, from its last checkpoint (from the start if it has none);
                         the options below then default to the run's values and change it from the checkpoint on
  --no-preset            ignore the preset of the authors' code for (algo, env), which is printed when it applies
  --preset NAME          start from the preset NAME of this algorithm instead (e.g. sac/mujoco on your own task)"""


def train_command(args: list[str]) -> int:
    """Parse the flags into a RunSpec and run options, then call ebrl.api.train (or ebrl.api.resume)."""
    from ebrl import api
    from ebrl.agents import ALGORITHMS
    from ebrl.presets import describe, find_preset, named_preset, preset_defaults
    from ebrl.runs import RunSpec

    algo, args = _pop_option(args, "--algo")
    resume_dir, args = _pop_option(args, "--resume")
    env_kwargs, args = _pop_option(args, "--env-kwargs")
    preset_name, args = _pop_option(args, "--preset")
    console = Console(stderr=True)
    if resume_dir is not None:
        for flag, value in (("--env-kwargs", env_kwargs), ("--preset", preset_name)):
            if value is not None:
                raise ConfigError(f"{flag} cannot change when a run resumes; start a new run instead")
        return _resume_command(Path(resume_dir), algo, args, console)
    use_preset = "--no-preset" not in args
    args = [arg for arg in args if arg != "--no-preset"]
    if preset_name is not None and not use_preset:
        raise ConfigError("--preset and --no-preset exclude each other; give one")
    algo = algo or "s2ac"
    if algo not in ALGORITHMS:
        raise ConfigError(f"unknown algorithm {algo!r}; choose one of {', '.join(ALGORITHMS)}")
    config_type = ALGORITHMS[algo].config_type
    env_id = _peek_option(args, "--env") or TrainConfig().env
    preset = (named_preset(algo, preset_name) if preset_name is not None
              else find_preset(algo, env_id) if use_preset else None)
    options_type = _train_options_type(config_type)
    default = options_type(*preset_defaults(algo, preset), RunOptions()) if preset else None
    options = parse(_flat(options_type), args, f"ebrl train --algo {algo}", default,
                    TRAIN_HELP.format(algos=",".join(sorted(ALGORITHMS))))
    run = options.run
    if run.seeds is not None and any(arg == "--seed" or arg.startswith("--seed=") for arg in args):
        raise ConfigError("--seed and --seeds exclude each other; give one run's seed with --seed, or a group's "
                          "with --seeds 0 1 2")
    note = f"{describe(preset)}; flags override it, --no-preset drops it" if preset is not None else None
    train = options.train if env_kwargs is None else dataclasses.replace(options.train,
                                                                          env_kwargs=_json_object(env_kwargs))
    results = api.train(RunSpec(algo, train, options.agent), run.seeds, run.out,
                        existing="overwrite" if run.overwrite else "error", driver=run.driver, vector=run.vector,
                        progress=run.progress, console=console, note=note, wandb=run.wandb_settings())
    out = Path(run.out) if run.out else (results[0].run_dir if run.seeds is None else results[0].run_dir.parent)
    return _report(results, out, run.pictures, console)


def _resume_command(resume_dir: Path, algo: str | None, args: list[str], console: Console) -> int:
    """`ebrl train --resume RUN [flags]`: the flags of `ebrl train`, starting from the run's saved values; those
    that change what trains (e.g. --critic-lr after a divergence, --steps) apply from the checkpoint on."""
    from ebrl import api
    from ebrl.agents import ALGORITHMS
    from ebrl.runs import expand_runs, read_spec

    saved = read_spec(expand_runs([resume_dir])[0])
    if algo is not None and algo != saved.algo:
        raise ConfigError(f"{resume_dir} is a {saved.algo} run; drop --algo {algo} to resume it")
    options_type = _train_options_type(ALGORITHMS[saved.algo].config_type)
    options = parse(_flat(options_type), args, "ebrl train --resume RUN_DIR",
                    options_type(saved.train, saved.agent, RunOptions()))
    run = options.run
    for flag, value in (("--out", run.out), ("--overwrite", run.overwrite), ("--driver", run.driver != "auto")):
        if value:
            raise ConfigError(f"{flag} does not apply to --resume (the run stays where it is, with its driver)")
    train = {f.name: getattr(options.train, f.name) for f in dataclasses.fields(TrainConfig)
             if getattr(options.train, f.name) != getattr(saved.train, f.name)}
    agent = {f.name: getattr(options.agent, f.name) for f in dataclasses.fields(saved.agent)
             if getattr(options.agent, f.name) != getattr(saved.agent, f.name)}
    results = api.resume(resume_dir, seeds=run.seeds, vector=run.vector, progress=run.progress, console=console,
                         train=train, agent=agent, wandb=run.wandb_settings())
    return _report(results, resume_dir, run.pictures, console)


def _report(results: list, out: Path, pictures: bool, console: Console) -> int:
    """The end of `ebrl train`: how to continue an interrupted run, or each seed's evaluation and pictures."""
    from ebrl.plots import is_multigoal, multigoal_pictures
    from ebrl.runs import load_run, read_spec

    if results[0].interrupted:
        console.print(f"interrupted; checkpoint written. Continue with: ebrl train --resume {out}")
        return 130
    for result in results:
        evals = {k.split("/")[1]: v for k, v in result.last_row.items()
                 if k.startswith("eval/") and k.endswith("return_mean")}
        summary = ", ".join(f"{mode} {value:.1f}" for mode, value in evals.items())
        console.print(f"done: seed {result.seed}, step {result.last_row.get('step'):.0f}, evaluation return "
                      f"{summary}; run directory {result.run_dir}")
        if pictures and is_multigoal(read_spec(result.run_dir).train.env, read_spec(result.run_dir).train.env_kwargs):
            run = load_run(result.run_dir)
            for path in multigoal_pictures(run, result.run_dir / "figures", PICTURE_EPISODES, run.agent.train_mode):
                console.print(f"wrote {path}")
    return 0


PICTURE_EPISODES = 100  # evaluation episodes behind the pictures drawn at the end of a MultiGoal run


def _train_options_type(agent_config_type):
    """The loop's options, the algorithm's and the run options, parsed as one set of flat flags (--env,
    --actor-lr, --seeds, ...)."""
    return dataclasses.make_dataclass(
        "TrainOptions",
        [("train", TrainConfig, dataclasses.field(default_factory=TrainConfig)),
         ("agent", agent_config_type, dataclasses.field(default_factory=agent_config_type)),
         ("run", RunOptions, dataclasses.field(default_factory=RunOptions))],
        frozen=True,
    )


def _json_object(text: str) -> dict:
    """--env-kwargs: a JSON object, e.g. '{"ctrl_cost_weight": 0.05}'."""
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"--env-kwargs is not valid JSON ({exc.msg}): {text}; give an object such as "
                          """'{"ctrl_cost_weight": 0.05}'""") from None
    if not isinstance(value, dict):
        raise ConfigError(f"--env-kwargs must be a JSON object such as '{{\"key\": 1}}', got {text}")
    return value


def _flat(options_type):
    """`options_type` with its fields' flags unprefixed (--env, not --train.env)."""
    return tyro.conf.OmitArgPrefixes[options_type]  # type: ignore[misc,valid-type]  # a dataclass made at run time


def _pop_option(args: list[str], name: str) -> tuple[str | None, list[str]]:
    """Take `name VALUE` (or `name=VALUE`) out of args."""
    for i, arg in enumerate(args):
        if arg == name:
            if i + 1 >= len(args) or args[i + 1].startswith("--"):
                raise ConfigError(f"{name} needs a value")
            return args[i + 1], args[:i] + args[i + 2:]
        if arg.startswith(name + "="):
            return arg.split("=", 1)[1], args[:i] + args[i + 1:]
    return None, args


def _peek_option(args: list[str], name: str) -> str | None:
    """The value of `name VALUE` (or `name=VALUE`) in args, which are left as they are."""
    try:
        return _pop_option(args, name)[0]
    except ConfigError:
        return None


# ------------------------------------------------------------------------------------------------ eval


@dataclasses.dataclass(frozen=True)
class EvalOptions:
    run_dir: Annotated[str, tyro.conf.Positional]
    """The run to evaluate."""
    checkpoint: str = "latest"
    """Which checkpoint: latest, best (the best evaluation return of the agent's default mode during training), or
    a step that has one."""
    episodes: int = 10
    """Evaluation episodes."""
    mode: str | None = None
    """Action mode of the agent (SAC: mean or sample; SQL: sample; S2AC: softmax, max, random, and amortized with
    --amortize); default: the agent's evaluation default (S2AC: its --test-selection, random on MultiGoal)."""
    json: bool = False
    """Print one JSON object on stdout instead of a table."""
    video: str | None = None
    """Also record one episode to this .mp4 file (needs `pip install "ebrl[video]"`)."""
    seed: int = 0
    """Seed of the evaluation episodes."""


def eval_command(args: list[str]) -> int:
    from ebrl.evaluate import evaluate_run

    options = parse(EvalOptions, args, "ebrl eval")
    require_positive("episodes", options.episodes)
    if options.video is not None and not options.video.endswith(".mp4"):
        raise ConfigError(f"--video needs a .mp4 file name, got {options.video!r}")
    report = evaluate_run(Path(options.run_dir), options.episodes, options.mode, options.seed, options.video,
                          options.checkpoint)
    if options.json:
        print(json.dumps(report))
        return 0
    table = Table(title=f"{report['algo']} on {report['env']}, step {report['step']}, mode {report['mode']}")
    for column in ("episodes", "return mean", "return std", "min", "max"):
        table.add_column(column, justify="right")
    table.add_row(str(report["episodes"]), f"{report['return_mean']:.2f}", f"{report['return_std']:.2f}",
                  f"{min(report['returns']):.2f}", f"{max(report['returns']):.2f}")
    Console().print(table)
    if "goal_hits" in report:
        goals = Table(title="episodes ending at each goal")
        for column in [f"G{g + 1}" for g in range(len(report["goal_hits"]))] + ["no goal", "reached a goal"]:
            goals.add_column(column, justify="right")
        goals.add_row(*map(str, report["goal_hits"]), str(report["no_goal"]), f"{report['goal_fraction']:.0%}")
        Console().print(goals)
    if options.video:
        Console().print(f"video written to {options.video}")
    return 0


# ------------------------------------------------------------------------------------------------ export


@dataclasses.dataclass(frozen=True)
class ExportOptions:
    run_dir: Annotated[str, tyro.conf.Positional]
    """The run whose policy to export."""
    out: str = "policy.jax"
    """File to write (and FILE.json beside it, describing the program)."""
    mode: str | None = None
    """Action mode (default: the agent's evaluation default), as in `ebrl eval`."""
    checkpoint: str = "latest"
    """latest, best, or a step that has a checkpoint."""
    overwrite: bool = False
    """Replace FILE if it exists."""


def export_command(args: list[str]) -> int:
    from ebrl.export import write_policy
    from ebrl.runs import make_dir

    options = parse(ExportOptions, args, "ebrl export")
    out = Path(options.out)
    if out.exists() and not options.overwrite:
        raise ConfigError(f"{out} exists; pass --overwrite to replace it or choose another --out")
    make_dir(out.parent)
    for path in write_policy(Path(options.run_dir), out, options.mode, options.checkpoint):
        print(f"wrote {path}")
    return 0


# ------------------------------------------------------------------------------------------------ plot


@dataclasses.dataclass(frozen=True)
class PlotOptions:
    run_dirs: Annotated[tuple[str, ...], tyro.conf.Positional]
    """One or more runs or seed groups; runs of the same algorithm and environment are averaged (mean ± std over
    seeds)."""
    out: str | None = None
    """Learning-curve file; default RUN_DIR/figures/learning_curve.png for a single run or group."""
    episodes: int = 100
    """MultiGoal runs: evaluation episodes behind the trajectory plot and the goal histogram."""
    mode: str | None = None
    """MultiGoal runs: action mode of those episodes and of the actions on the Q-landscapes; default the agent's
    training mode (SAC: sample)."""
    seed: int = 0
    """MultiGoal runs: seed of those episodes."""


def plot_command(args: list[str]) -> int:
    from ebrl.plots import is_multigoal, multigoal_pictures, plot_learning_curves
    from ebrl.runs import check_mode, expand_runs, load_run, read_spec

    options = parse(PlotOptions, args, "ebrl plot")
    given = [Path(p) for p in options.run_dirs]
    run_dirs = expand_runs(given)
    for run_dir in run_dirs:
        read_spec(run_dir)
    if options.out is None and len(given) > 1:
        raise ConfigError("several runs need --out FILE for their common figure")
    require_positive("episodes", options.episodes)
    out = Path(options.out) if options.out else given[0] / "figures" / "learning_curve.png"
    plot_learning_curves(run_dirs, out)
    written = [out]
    if len(run_dirs) == 1 and is_multigoal(read_spec(run_dirs[0]).train.env, read_spec(run_dirs[0]).train.env_kwargs):
        run = load_run(run_dirs[0])
        mode = check_mode(run.agent, run.spec.algo, options.mode or run.agent.train_mode)
        written += multigoal_pictures(run, run_dirs[0] / "figures", options.episodes, mode, options.seed)
    for path in written:
        print(f"wrote {path}")
    return 0


# ------------------------------------------------------------------------------------------------ compare


@dataclasses.dataclass(frozen=True)
class CompareOptions:
    run_dirs: Annotated[tuple[str, ...], tyro.conf.Positional]
    """MultiGoal runs; seeds of one algorithm and configuration are pooled."""
    out: str = "results/compare"
    """Folder for comparison.png, goals.csv and summary.md."""
    episodes: int = 100
    """Evaluation episodes per run, in each agent's training action rule."""
    env: str | None = None
    """Evaluate on this MultiGoal id instead of the training one (e.g. ebrl/MultiGoal3Obstacle-v0)."""
    seed: int = 0
    """Seed of the evaluation episodes and of the entropy samples."""
    rule: str = "train"
    """Action rule: train (each agent's training mode: SAC sample, SQL sample, S2AC random particle) or eval (its
    evaluation default: SAC mean, SQL sample, S2AC its --test-selection, random in the MultiGoal preset)."""
    overwrite: bool = False
    """Replace results already in --out."""


def compare_command(args: list[str]) -> int:
    from ebrl.experiments.multigoal import arena, compare_runs, write_tables
    from ebrl.plots import is_multigoal, plot_comparison
    from ebrl.runs import read_spec

    options = parse(CompareOptions, args, "ebrl compare")
    require_positive("episodes", options.episodes)
    _require_rule(options.rule)
    specs = [read_spec(Path(p)) for p in options.run_dirs]
    for path, spec in zip(options.run_dirs, specs):
        if not is_multigoal(spec.train.env, spec.train.env_kwargs):
            raise ConfigError(f"{path} was trained on {spec.train.env}; ebrl compare needs MultiGoal runs")
    env_id = options.env or specs[0].train.env
    if not is_multigoal(env_id):  # ConfigError for an unusable id, before anything is written
        raise ConfigError(f"--env {env_id} is not a MultiGoal environment; use one of the ebrl/MultiGoal ids")
    out = Path(options.out)
    _require_fresh_out(out, "summary.md", options.overwrite, "a comparison")
    console = Console(stderr=True)
    groups = compare_runs([Path(p) for p in options.run_dirs], options.episodes, options.env, options.seed,
                          options.rule, log=console.print)
    params, probes = arena(env_id)
    written = write_tables(groups, probes, out, options.rule, params.goals)
    plot_comparison(groups, params, out / "comparison.png",
                    f"{env_id}, {options.episodes} episodes per run, {options.rule} action rule")
    for path in [*written, out / "comparison.png"]:
        print(f"wrote {path}")
    print((out / "summary.md").read_text())
    return 0


def _require_fresh_out(out: Path, marker: str, overwrite: bool, what: str = "results") -> None:
    """Refuse to write into `out` when it already holds `what` (files matching `marker`), unless overwriting."""
    if any(out.glob(marker)) and not overwrite:
        raise ConfigError(f"{out} already holds {what}; pass --overwrite to replace it or choose another --out")


def _require_rule(rule: str) -> None:
    from ebrl.experiments.multigoal import RULES

    if rule not in RULES:
        raise ConfigError(f"--rule must be one of {', '.join(RULES)}, got {rule!r}")


# ------------------------------------------------------------------------------------------------ multigoal


@dataclasses.dataclass(frozen=True)
class MultiGoalOptions:
    experiment: Annotated[str, tyro.conf.Positional]
    """s2ac-fig2 (SAC, SQL and S2AC on MultiGoal3, and the obstacle test) or sql-temperature (SQL at α = 0, 0.5,
    1, 10 on MultiGoal)."""
    out: str = "results/multigoal"
    """Folder for the tables and figures."""
    runs_dir: str = "runs/multigoal"
    """Where the runs are trained, one seed group per algorithm or temperature (RUNS_DIR/<name>/seed_<k>); finished
    groups found there are reused, unfinished ones resumed."""
    steps: int = 6000
    """Training budget of every run (environment steps)."""
    n_seeds: int = 3
    """Seeds per algorithm or temperature: 0, 1, ..., N − 1 (a count; --seeds in ebrl train and ebrl mujoco lists
    seeds)."""
    episodes: int = 100
    """Evaluation episodes per run."""
    rule: str = "train"
    """Action rule of the evaluation: train or eval (see `ebrl compare --help`)."""
    overwrite: bool = False
    """Replace results already in --out."""


def multigoal_command(args: list[str]) -> int:
    from ebrl.experiments.multigoal import EXPERIMENTS, run_experiment

    options = parse(MultiGoalOptions, args, "ebrl multigoal")
    if options.experiment not in EXPERIMENTS:
        raise ConfigError(f"unknown experiment {options.experiment!r}; choose one of {', '.join(EXPERIMENTS)}")
    for name in ("steps", "n_seeds", "episodes"):
        require_positive(name, getattr(options, name))
    _require_rule(options.rule)
    out = Path(options.out)
    _require_fresh_out(out, "summary.md", options.overwrite)
    console = Console(stderr=True)
    for path in run_experiment(options.experiment, out, Path(options.runs_dir), options.steps, options.n_seeds,
                               options.episodes, console, options.rule):
        print(f"wrote {path}")
    return 0


# ------------------------------------------------------------------------------------------------ entropy


@dataclasses.dataclass(frozen=True)
class EntropyOptions:
    out: str = "results/entropy"
    """Folder for the figures and tables."""
    n_seeds: int = 5
    """Seeds per setting (a count)."""
    quick: bool = False
    """A tiny grid (seconds), to check that the pipeline runs."""
    parts: tuple[Literal["a", "b", "c", "d", "e"], ...] = ("a", "b", "c", "d")
    """Which parts: (a) the 2-D Gaussian, (b) mixtures, (c) the kernel width, (d) the policy's entropy, (e) the
    policy's entropy on a trained critic (needs --critic)."""
    critic: str | None = None
    """(e): a trained S2AC MultiGoal run (e.g. the main job's), measured at its probe states."""
    overwrite: bool = False
    """Replace results already in --out."""


def entropy_command(args: list[str]) -> int:
    from ebrl.experiments.entropy import QUICK, StudyConfig, run_study

    options = parse(EntropyOptions, args, "ebrl entropy")
    require_positive("n_seeds", options.n_seeds)
    out = Path(options.out)
    _require_fresh_out(out, "*.csv", options.overwrite)
    config = dataclasses.replace(QUICK if options.quick else StudyConfig(), seeds=options.n_seeds)
    console = Console(stderr=True)
    critic = Path(options.critic) if options.critic else None
    for path in run_study(out, config, log=console.print, parts=options.parts, critic=critic):
        print(f"wrote {path}")
    return 0


# ------------------------------------------------------------------------------------------------ mujoco


@dataclasses.dataclass(frozen=True)
class MujocoOptions:
    envs: tuple[str, ...] = StudyPlan.envs
    """Tasks (Gymnasium ids with Box actions)."""
    algos: tuple[str, ...] = StudyPlan.algos
    """Algorithms, each with its preset for the task."""
    seeds: tuple[int, ...] = StudyPlan.seeds
    """Seeds of every group (a group: one algorithm on one task, its seeds in one program)."""
    steps: int = StudyPlan.steps
    """Environment steps per run."""
    eval_every: int = StudyPlan.eval_every
    """Evaluate every run after this many steps (one schedule for all, so the curves share their x values)."""
    eval_episodes: int = StudyPlan.eval_episodes
    """Episodes per evaluation."""
    out: str = "results/mujoco"
    """Study folder: plan.json, results.json, summary.md, figures, and the runs (OUT/runs/<task>/<algo>/seed_k).
    Running the same command again reuses finished groups and resumes interrupted ones."""
    workers: int = 1
    """Groups trained at once, each in its own process (1: one after another in this process)."""
    ray: str | None = None
    """Run each group as a task on a Ray cluster: auto (the cluster `ray start` started on this machine) or
    HOST:PORT of its head. Needs pip install 'ebrl[ray]' and OUT on a filesystem every node shares."""
    cpus_per_group: float = 1.0
    """CPUs Ray reserves for each group."""
    gpus_per_group: float = 0.0
    """GPUs Ray reserves for each group (a fraction shares a GPU between groups)."""
    retries: int = 3
    """Times a group whose worker died is tried again (it resumes from its checkpoints)."""
    progress: bool = True
    """Progress bars (in-process execution)."""


def mujoco_command(args: list[str]) -> int:
    from ebrl.experiments.mujoco import run_study

    options = parse(MujocoOptions, args, "ebrl mujoco")
    plan = StudyPlan(options.envs, options.algos, options.seeds, options.steps, options.eval_every,
                     options.eval_episodes)
    console = Console(stderr=True)
    finished = run_study(plan, Path(options.out), workers=options.workers, ray=options.ray,
                         cpus_per_group=options.cpus_per_group, gpus_per_group=options.gpus_per_group,
                         retries=options.retries, console=console, progress=options.progress)
    if not finished:
        console.print(f"interrupted; run the same command again to continue the study in {options.out}")
        return 130
    print((Path(options.out) / "summary.md").read_text())
    return 0


if __name__ == "__main__":
    sys.exit(main())
