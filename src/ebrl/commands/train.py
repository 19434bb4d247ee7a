"""train an agent: ebrl train --algo sac --env Pendulum-v1 --steps 20000 --seed 0 --out runs/x; several seeds in
    one program: --seeds 0 1 2 3 --out runs/g; several settings too: --sweep actor_lr=1e-4,1e-3 --out runs/s;
    presets of the authors' code apply by (algo, env), --no-preset drops them; continue a run: ebrl train --resume
    runs/x [--steps N]; start from another run's agent: --init-from runs/x"""

import dataclasses
import json
from pathlib import Path
from typing import Literal

import tyro
from rich.console import Console

from ebrl.commands.parsing import parse
from ebrl.config import ConfigError, TrainConfig, WandbSettings, require

PICTURE_EPISODES = 100  # evaluation episodes behind the pictures drawn at the end of a MultiGoal run


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

    def wandb_settings(self) -> WandbSettings | None:
        return WandbSettings(self.wandb_project, self.wandb_entity, self.wandb_group, self.wandb_name) \
            if self.wandb else None


def _number(text: str) -> float | str:
    """`text` as a float, or as it is when it does not read as one."""
    try:
        return float(text)
    except ValueError:
        return text.strip()


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


def run(args: list[str]) -> int:
    from ebrl.agents import ALGORITHMS
    from ebrl.console import ConsoleObserver
    from ebrl.presets import describe, preset_defaults
    from ebrl.runs import RunSpec, expand_runs, read_spec, resume, train
    from ebrl.runs.spec import InitFrom

    choice, args = parse(TrainChoice, args, "ebrl train", unknown=True)
    require(choice.init_from is not None or not (choice.init_optimizer or choice.init_alpha_from_config),
            "--init-optimizer and --init-alpha-from-config go with --init-from RUN; add it or drop them")
    init = None if choice.init_from is None else dataclasses.replace(InitFrom.parse(choice.init_from),
                                                                     optimizer=choice.init_optimizer,
                                                                     alpha_from_config=choice.init_alpha_from_config)
    if choice.resume is not None:
        for flag, given in (("--env-kwargs", choice.env_kwargs), ("--preset", choice.preset),
                            ("--init-from", choice.init_from)):
            require(given is None, f"{flag} cannot change when a run resumes; start a new run instead")
        saved = read_spec(expand_runs([Path(choice.resume)])[0])
        require(choice.algo in (None, saved.algo), f"{choice.resume} is a {saved.algo} run; drop --algo {choice.algo} "
                "to resume it")
        algo, base, preset = saved.algo, (saved.train, saved.agent), None
    else:
        require(choice.preset is None or not choice.no_preset, "--preset and --no-preset exclude each other; give one")
        source = None if init is None else read_spec(expand_runs([Path(init.run)])[0])
        algo = choice.algo or (source.algo if source is not None else "s2ac")
        require(algo in ALGORITHMS, f"unknown algorithm {algo!r}; choose one of {', '.join(ALGORITHMS)}")
        env = choice.env or (source.train.env if source is not None else TrainConfig().env)
        preset = chosen_preset(choice, algo, env)
        base = preset_defaults(algo, preset)
        if source is not None and source.algo == algo:  # the networks the source trained, and its α
            task = {} if choice.env else {"env": env, "env_kwargs": source.train.env_kwargs}  # the source's task
            base = (dataclasses.replace(base[0], **task), source.agent)
    chosen = {k: v for k, v in (("env", choice.env), ("seed", choice.seed)) if v is not None}
    if choice.env_kwargs is not None:
        chosen["env_kwargs"] = choice.env_kwargs_object()
    train_cfg = dataclasses.replace(base[0], **chosen)
    options_type = tyro.conf.OmitArgPrefixes[dataclasses.make_dataclass(  # type: ignore[misc,valid-type]  # made at run time
        "TrainOptions", [("train", TrainConfig), ("agent", ALGORITHMS[algo].config_type), ("run", RunOptions)],
        frozen=True)]
    prog = "ebrl train --resume RUN_DIR" if choice.resume else f"ebrl train --algo {algo}"
    options = parse(options_type, args, prog, options_type(train_cfg, base[1], RunOptions()),
                    TRAIN_HELP.format(algos=",".join(sorted(ALGORITHMS))))
    run, console = options.run, Console(stderr=True)
    require(run.seeds is None or choice.seed is None, "--seed and --seeds exclude each other; give one run's seed "
            "with --seed, or a group's with --seeds 0 1 2")
    wandb = run.wandb_settings()
    sweep = run.sweep_values()
    if choice.resume is not None:
        for flag, given in (("--out", run.out), ("--overwrite", run.overwrite), ("--driver", run.driver != "auto")):
            require(not given, f"{flag} does not apply to --resume (the run stays where it is, with its driver)")
        require(sweep is None, "--sweep does not apply to --resume (a sweep continues with the members it has)")
        changes = [{f.name: getattr(new, f.name) for f in dataclasses.fields(new) if getattr(new, f.name) != getattr(
            old, f.name)} for new, old in ((options.train, saved.train), (options.agent, saved.agent))]
        results = resume(choice.resume, seeds=run.seeds, vector=run.vector, train=changes[0], agent=changes[1],
                         observers=[ConsoleObserver(console, progress=run.progress)], wandb=wandb)
        out = Path(choice.resume)
    else:
        note = f"{describe(preset)}; flags override it, --no-preset drops it" if preset is not None else None
        results = train(RunSpec(algo, options.train, options.agent), run.seeds, run.out, sweep=sweep,
                        existing="overwrite" if run.overwrite else "error", driver=run.driver, vector=run.vector,
                        observers=[ConsoleObserver(console, progress=run.progress, note=note)], wandb=wandb,
                        init_from=init)
        depth = 2 if sweep else 1 if run.seeds is not None else 0  # OUT/<setting>/seed_<k>, OUT/seed_<k>, OUT
        out = Path(run.out) if run.out else results[0].run_dir.parents[depth - 1] if depth else results[0].run_dir
    return _report(results, out, run.pictures, console)


def chosen_preset(choice: TrainChoice, algo: str, env: str):
    """The preset --preset names, none with --no-preset, else the preset of (algo, env) if there is one."""
    from ebrl.presets import find_preset, named_preset

    return (named_preset(algo, choice.preset) if choice.preset is not None
            else None if choice.no_preset else find_preset(algo, env))


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
                      f"{summary}; run directory {result.run_dir}", soft_wrap=True)  # a whole line in a log
        spec = result.trained.spec if result.trained else read_spec(result.run_dir)
        if pictures and is_multigoal(spec.train.env, spec.train.env_kwargs):
            run = result.trained or load_run(result.run_dir)  # a reused finished group is read back
            for path in multigoal_pictures(run, result.run_dir / "figures", PICTURE_EPISODES, run.agent.train_mode):
                console.print(f"wrote {path}")
    return 0
