"""What every command accepts: plain dataclasses whose field docstrings are the commands' --help (the MuJoCo
study's plan among them), importable without JAX. ebrl.cli parses them; the library takes them as they are."""

import contextlib
import dataclasses
import io
import itertools
import json
import re
from typing import Annotated, Literal

import tyro

from ebrl.config import ConfigError, TrainConfig, check_seeds, require, require_positive

ALGOS = ("sac", "sql", "s2ac")
PAPER_TASKS = ("Hopper-v5", "Walker2d-v5", "HalfCheetah-v5", "Ant-v5", "Humanoid-v5")  # the S2AC paper's MuJoCo tasks


def parse(cls, args: list[str], prog: str, default=None, description: str | None = None, unknown: bool = False):
    """tyro parsing (from the `default` instance, if given; with `unknown`, the args it does not know are returned
    beside); tyro's error becomes one line naming the flag."""
    if any(a in ("-h", "--help") for a in args) and not unknown:
        return tyro.cli(cls, args=args, prog=prog, default=default, description=description)
    printed = io.StringIO()
    try:
        with contextlib.redirect_stdout(printed), contextlib.redirect_stderr(printed):
            if unknown:
                return tyro.cli(cls, args=args, prog=prog, return_unknown_args=True, add_help=False)
            return tyro.cli(cls, args=args, prog=prog, default=default)
    except SystemExit:
        raise ConfigError(_one_line(" ".join(printed.getvalue().split()), args, prog)) from None


def _one_line(message: str, args: list[str], prog: str) -> str:
    """tyro's error panel (whitespace collapsed) as our one line."""
    unknown = re.search(r"Unrecognized options?: (--[\w-]+)", message)
    if unknown:
        return f"unknown option {unknown.group(1)!r} for `{prog}`; see `{prog} --help` for the options"
    invalid = re.search(r"(?:Error parsing |for argument ')(--[\w-]+)", message)
    if invalid:
        flag = invalid.group(1)
        return f"invalid value for {flag}: {_values(args, flag)}; see `{prog} --help` for its type"
    return f"missing or misplaced arguments in `{prog} {' '.join(args)}`; see `{prog} --help`"


def _values(args: list[str], flag: str) -> str:
    """What `flag` was given in args (`--flag v w` or `--flag=v`)."""
    for i, arg in enumerate(args):
        name, _, inline = arg.partition("=")
        if name == flag:
            return inline or " ".join(itertools.takewhile(lambda a: not a.startswith("--"), args[i + 1:])) or "(none)"
    return "(none)"


@dataclasses.dataclass(frozen=True)
class TrainChoice:
    """What decides the rest of `ebrl train`'s options: the algorithm (its flags), the task and the preset (their
    defaults), the run to resume (its saved values), or the run to start from (its algorithm and agent settings)."""

    algo: str | None = None
    env: str | None = None
    seed: int | None = None
    preset: str | None = None
    no_preset: bool = False
    resume: str | None = None
    env_kwargs: str | None = None
    init_from: str | None = None
    init_optimizer: bool = False
    init_alpha_from_config: bool = False

    def env_kwargs_object(self) -> dict:
        """--env-kwargs: a JSON object, e.g. '{"ctrl_cost_weight": 0.05}'."""
        try:
            value = json.loads(self.env_kwargs or "{}")
        except json.JSONDecodeError as exc:
            raise ConfigError(f"--env-kwargs is not valid JSON ({exc.msg}): {self.env_kwargs}; give an object such "
                              """as '{"ctrl_cost_weight": 0.05}'""") from None
        require(isinstance(value, dict),
                f"--env-kwargs must be a JSON object such as '{{\"key\": 1}}', got {self.env_kwargs}")
        return value


@dataclasses.dataclass(frozen=True)
class RunOptions:
    """Where a run is written, how it executes and what is shown: not part of what it trains."""

    out: str | None = None
    """Run directory; with --seeds, the group's folder (one run directory OUT/seed_<k> per seed). Default
    runs/<algo>_<env>_s<seed>_<date-time> (runs/<algo>_<env>_<date-time> for a group)."""
    seeds: tuple[int, ...] | None = None
    """Train these seeds as one group, in one compiled program (instead of --seed), e.g. --seeds 0 1 2 3."""
    sweep: tyro.conf.UseAppendAction[tuple[str, ...]] = ()
    """FIELD=V1,V2,...: train every combination of these values, for each seed, in the same compiled program (one
    --sweep per field), e.g. --sweep actor_lr=1e-4,1e-3 --sweep alpha=0.1,0.2 --seeds 0 1; each member is a run
    directory OUT/<setting>/seed_<k> (OUT/actor_lr=0.0001,alpha=0.1/seed_0). Sweeps the algorithm's continuous
    settings that change neither shapes nor control flow: learning rates, gamma, tau, temperatures, step sizes."""
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

    def sweep_values(self) -> dict[str, list] | None:
        """--sweep as {field: values}, each value a float where it reads as one (ebrl.runs checks the rest); None
        without --sweep."""
        if not self.sweep:
            return None
        values: dict[str, list] = {}
        for text in self.sweep:
            name, equals, listed = text.partition("=")
            field = name.strip().replace("-", "_")
            require(bool(equals and field), f"--sweep takes FIELD=V1,V2,..., got {text!r}; e.g. --sweep "
                    "actor_lr=0.0001,0.001")
            require(field not in values, f"--sweep names {field} twice; give its values once, {field}=V1,V2,...")
            values[field] = [_number(item) for item in listed.split(",")] if listed.strip() else []
        return values

    def wandb_settings(self) -> "WandbSettings | None":
        return WandbSettings(self.wandb_project, self.wandb_entity, self.wandb_group, self.wandb_name) \
            if self.wandb else None


@dataclasses.dataclass(frozen=True)
class WandbSettings:
    project: str = "ebrl"
    entity: str | None = None
    group: str | None = None  # default: the seed group's folder name (none for a single run)
    name: str | None = None  # default: the run directory's name (a group: <folder>/seed_<k>)


TRAIN_HELP = """Train an agent, or continue a run. Besides the options below:

  --algo {{{algos}}}  the algorithm (default s2ac); `ebrl train --algo A --help` lists its own options
  --resume RUN           continue RUN, a run or a seed group, from its last checkpoint (from the start if it has none);
                         the options below then default to the run's values and change it from the checkpoint on
  --no-preset            ignore the preset of the authors' code for (algo, env), which is printed when it applies
  --preset NAME          start from the preset NAME of this algorithm instead (e.g. sac/mujoco on your own task)
  --env-kwargs JSON      keyword arguments of the environment, e.g. '{{"ctrl_cost_weight": 0.05}}'
  --init-from RUN[@best|@STEP]
                         start from RUN's trained agent (networks, target networks, α; its latest checkpoint by
                         default), with a new replay buffer, optimiser state and counters; a seed group starts seed k
                         from seed k of a group RUN; the algorithm and agent options default to RUN's
  --init-optimizer       with --init-from: also carry RUN's optimiser state
  --init-alpha-from-config
                         with --init-from: start α from this run's options instead of RUN's trained α"""


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


@dataclasses.dataclass(frozen=True)
class PlotOptions:
    run_dirs: Annotated[tuple[str, ...], tyro.conf.Positional]
    """One or more runs, seed groups or sweeps; runs of the same algorithm, environment and agent settings are
    averaged (mean ± std over seeds). A sweep's folder alone also gets sweep.md and sweep.csv (per setting, the
    final return: mean ± std and IQM with a 95 % interval over seeds) and sweep_<field>.png (that IQM against each
    swept field)."""
    out: str | None = None
    """Learning-curve file (a sweep's other files beside it); default RUN_DIR/figures/learning_curve.png for a
    single run, group or sweep."""
    episodes: int = 100
    """MultiGoal runs: evaluation episodes behind the trajectory plot and the goal histogram."""
    mode: str | None = None
    """MultiGoal runs: action mode of those episodes and of the actions on the Q-landscapes; default the agent's
    training mode (SAC: sample)."""
    seed: int = 0
    """MultiGoal runs: seed of those episodes."""


@dataclasses.dataclass(frozen=True)
class CompareOptions:
    run_dirs: Annotated[tuple[str, ...], tyro.conf.Positional]
    """MultiGoal runs; seeds of one algorithm and configuration are pooled."""
    out: str = "results/compare"
    """Folder for comparison.png, goals.csv and summary.md."""
    episodes: int = 100
    """Evaluation episodes per run, in each agent's training action mode."""
    env: str | None = None
    """Evaluate on this MultiGoal id instead of the training one (e.g. ebrl/MultiGoal3Obstacle-v0)."""
    seed: int = 0
    """Seed of the evaluation episodes and of the entropy samples."""
    rule: Literal["train", "eval"] = "train"
    """Which action mode to evaluate: train (each agent's training mode: SAC sample, SQL sample, S2AC random
    particle) or eval (its evaluation default: SAC mean, SQL sample, S2AC its --test-selection, random in the
    MultiGoal preset)."""
    overwrite: bool = False
    """Replace results already in --out."""


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
    rule: Literal["train", "eval"] = "train"
    """Which action mode to evaluate: train or eval (see `ebrl compare --help`)."""
    overwrite: bool = False
    """Replace results already in --out."""


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
    """(e): a trained S2AC run, e.g. the main job's (MultiGoal: measured at its probe states; other tasks, e.g.
    MuJoCo: at 4 states drawn from its latest checkpoint's replay)."""
    critic_rules: tuple[str, ...] | None = None
    """(e): only these log-density rules, e.g. trace hutchinson "hutchinson, bound 1" (default: all of
    ebrl.experiments.entropy.CRITIC_RULES)."""
    critic_svgd_steps: int | None = None
    """(e): L, the SVGD steps of the run's sampler, replaced by this (default: the run's)."""
    policy_dims: tuple[int, ...] | None = None
    """(d): only these target dimensions (default: the whole grid, 1 2 3 6 8 17 20 100)."""
    policy_targets: tuple[Literal["gaussian", "mixture"], ...] | None = None
    """(d): only these targets (default: both)."""
    overwrite: bool = False
    """Replace results already in --out."""


@dataclasses.dataclass(frozen=True)
class StudyPlan:
    """What a study trains; two studies with equal plans train the same groups. `train` and `agent` override
    fields of every group's TrainConfig, and of each algorithm's config (`agent[algo]`), over the presets."""

    envs: tuple[str, ...] = PAPER_TASKS
    """Tasks (Gymnasium ids with Box actions)."""
    algos: tuple[str, ...] = ALGOS
    """Algorithms, each with its preset for the task; ALGO@FIELD=VALUE,... is a variant with those fields of the
    algorithm's config changed, an arm of its own (e.g. s2ac@logdet=trace: S2AC with the official entropy estimate)."""
    seeds: tuple[int, ...] = (0, 1, 2, 3, 4)
    """Seeds of every group (a group: one algorithm on one task, its seeds in one program)."""
    steps: int = 1_000_000
    """Environment steps per run."""
    eval_every: int = 5_000
    """Evaluate every run after this many steps (one schedule for all, so the curves share their x values)."""
    eval_episodes: int = 10
    """Episodes per evaluation."""
    train: tyro.conf.Suppress[dict] = dataclasses.field(default_factory=dict)
    agent: tyro.conf.Suppress[dict] = dataclasses.field(default_factory=dict)

    def validate(self) -> None:
        check_study_lists(self.envs, self.algos)
        check_seeds(self.seeds)
        for name in ("steps", "eval_every", "eval_episodes"):
            require_positive(name, getattr(self, name))

    def to_json(self) -> dict:
        """The plan as JSON values (tuples as lists), as plan.json holds it."""
        return json.loads(json.dumps(dataclasses.asdict(self)))

    @classmethod
    def from_json(cls, data: dict) -> "StudyPlan":
        fields = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: as_tuples(v) for k, v in data.items() if k in fields})


def check_study_lists(envs: tuple[str, ...], algos: tuple[str, ...]) -> None:
    """A study's tasks and algorithms (or arms ALGO@...): at least one of each, known algorithms, none twice."""
    require(len(envs) > 0, "envs needs at least one task", "envs")
    require(len(algos) > 0, "algos needs at least one algorithm", "algos")
    for arm in algos:
        algo, _ = parse_arm(arm)
        require(algo in ALGOS, f"algos: unknown algorithm {algo!r}; choose from {', '.join(ALGOS)}", "algos")
    for name, values in (("envs", envs), ("algos", algos)):
        repeated = sorted({v for v in values if values.count(v) > 1})
        require(not repeated, f"{name} lists {', '.join(repeated)} more than once; give each once", name)


def parse_arm(arm: str) -> tuple[str, dict]:
    """An entry of a study's `algos`, "ALGO" or "ALGO@FIELD=VALUE,...": (ALGO, {FIELD: VALUE})."""
    algo, variant, changes = arm.partition("@")
    return algo, parse_changes(changes.split(",") if variant else (), f"algos: {arm!r} is not ALGO@FIELD=VALUE,...; "
                               "write e.g. s2ac@logdet=trace", "algos")


def parse_changes(changes, wrong: str, flag: str) -> dict:
    """FIELD=VALUE texts as {FIELD: VALUE}, each VALUE read as JSON where it is JSON (1, 0.5, null, true, [256, 256])
    and as a string otherwise (trace); ConfigError(wrong, flag) for a text that is not FIELD=VALUE."""
    overrides = {}
    for change in changes:
        name, equals, text = change.partition("=")
        require(bool(equals and name and text), wrong, flag)
        overrides[name.replace("-", "_")] = json_or_text(text)
    return overrides


def json_or_text(text: str):
    """`text` read as JSON where it is JSON (1, 0.5, null, true, [256, 256], lists as tuples), else as it is."""
    try:
        return as_tuples(json.loads(text))
    except json.JSONDecodeError:
        return text


def check_change_types(config_type, changes: dict, flag: str) -> None:
    """ConfigError unless each change has the kind of value its field of `config_type` holds (an int for an int
    field, a number for a float one, true/false for a flag), so that validation compares like with like."""
    defaults = config_type()
    for name, value in changes.items():
        default = getattr(defaults, name, None)
        kinds = {bool: (bool,), int: (int,), float: (int, float), str: (str,)}.get(type(default))
        wrong = kinds is not None and (not isinstance(value, kinds) or (isinstance(value, bool) and bool not in kinds))
        require(not wrong, f"{flag}: {name}={value!r} is not a{'n' if type(default) is int else ''} "
                f"{type(default).__name__} like its default {default!r}", flag)


def _number(text: str) -> float | str:
    """`text` as a float, or as it is when it does not read as one."""
    try:
        return float(text)
    except ValueError:
        return text.strip()


def as_tuples(value):
    """JSON lists back into the tuples the plan and the configs hold, at any depth."""
    if isinstance(value, list):
        return tuple(as_tuples(v) for v in value)
    if isinstance(value, dict):
        return {k: as_tuples(v) for k, v in value.items()}
    return value


@dataclasses.dataclass(frozen=True)
class MujocoOptions:
    plan: tyro.conf.OmitArgPrefixes[StudyPlan] = StudyPlan()  # type: ignore[valid-type]
    """What the study trains: tasks, algorithms and their variants, seeds, budget, evaluations."""
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
    loop: tuple[str, ...] = ()
    """FIELD=VALUE changes of every group's training loop over the presets, e.g. learning_starts=1000
    random_steps=1000 batch_size=64 for a smoke-size study (fields of `ebrl train`'s loop options, but the task, seed,
    steps and evaluations, which the study sets)."""
    progress: bool = True
    """Progress bars (in-process execution)."""

    def study_plan(self) -> StudyPlan:
        """The plan, with `loop`'s changes."""
        return dataclasses.replace(self.plan, train={**self.plan.train, **loop_changes(self.loop)})


def loop_changes(loop: tuple[str, ...]) -> dict:
    """A study's --loop FIELD=VALUE changes of its groups' training loop; ConfigError for a change that is not
    FIELD=VALUE of the loop's config, or of a field the study sets itself."""
    changes = parse_changes(loop, f"loop {' '.join(loop)} is not FIELD=VALUE ...; write e.g. --loop "
                            "learning_starts=1000", "loop")
    settable = {f.name for f in dataclasses.fields(TrainConfig)} - set(STUDY_SETS)
    for field in changes:
        require(field not in STUDY_SETS, f"loop {field}=... is the study's to set; use {STUDY_SETS.get(field)}",
                "loop")
        require(field in settable, f"loop {field}=... names no field of the training loop; choose from "
                f"{', '.join(sorted(settable))}", "loop")
    check_change_types(TrainConfig, changes, "loop")
    return changes


# the TrainConfig fields a study's plan sets, and the flags that set them
STUDY_SETS = {"env": "--envs", "env_kwargs": "--envs (a study trains each task with its default arguments)",
              "seed": "--seeds", "steps": "--steps", "eval_every": "--eval-every", "eval_episodes": "--eval-episodes"}
