"""`ebrl <command>`: a thin command line over the library. Each command parses its options (ebrl.options) with tyro,
builds the observers and calls ebrl.runs or an experiment; the library is imported per command (`ebrl --help` loads
no JAX). User mistakes end in one line on stderr, `error: <what is wrong>; <what to do>`, and exit code 2, before any
work."""

import dataclasses
import json
import os
import sys
import textwrap
from pathlib import Path

import tyro
from rich.console import Console
from rich.table import Table

from ebrl.config import ConfigError, TrainConfig, require, require_episodes, require_non_negative
from ebrl.options import (
    TRAIN_HELP,
    TUNE_HELP,
    CompareOptions,
    EntropyOptions,
    EvalOptions,
    ExportOptions,
    MujocoOptions,
    MultiGoalOptions,
    PlotOptions,
    RunOptions,
    TrainChoice,
    TuneOptions,
    parse,
)

PICTURE_EPISODES = 100  # evaluation episodes behind the pictures drawn at the end of a MultiGoal run
AFTER_INTERRUPT = {  # what a command interrupted at once (a second Ctrl-C, or one before any training) leaves to do
    "train": "; a run that started keeps its last checkpoint: continue it with `ebrl train --resume RUN`",
    "multigoal": "; run the same command again to continue", "mujoco": "; run the same command again to continue",
    "finetune": "; run the same command again to continue"}


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    try:
        return _run(argv)
    except BrokenPipeError:  # the reader of our output left (`ebrl train --help | head`)
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no second error when Python flushes
        return 141
    except KeyboardInterrupt:  # the first Ctrl-C of a training stops it at a checkpoint (ebrl.loop.trainer.Interrupt)
        print(f"interrupted{AFTER_INTERRUPT.get(argv[0] if argv else '', '')}", file=sys.stderr)
        return 130


def _run(argv: list[str]) -> int:
    if not argv or argv[0] in ("-h", "--help"):
        print(usage())
        return 0 if argv else 2
    if argv[0] not in COMMANDS:
        return _fail(f"unknown command {argv[0]!r}; use one of {', '.join(COMMANDS)} (see `ebrl --help`)")
    from ebrl.envs import EnvironmentFailed
    from ebrl.loop.trainer import TrainingDiverged  # JAX: loaded once a command runs, not for `ebrl --help`

    try:
        return COMMANDS[argv[0]](argv[1:])
    except ConfigError as exc:
        return _fail(exc.with_flags())
    except TrainingDiverged as exc:
        from ebrl.runs.layout import sweep_groups

        if exc.last_checkpoint is None:
            kept = ("the run stopped before its first checkpoint: train it again (--overwrite), e.g. with a smaller "
                    "learning rate")
        elif exc.where is not None and sweep_groups(exc.where):  # its swept settings cannot change on resume
            kept = (f"the sweep stopped and kept its last finite checkpoint (step {exc.last_checkpoint}): remove the "
                    f"diverged setting's folder from {exc.where} and continue the others with `ebrl train --resume "
                    f"{exc.where}`")
        else:
            kept = (f"the run stopped and kept its last finite checkpoint (step {exc.last_checkpoint}): continue it "
                    f"with `ebrl train --resume {exc.where}`, e.g. with a smaller learning rate (--critic-lr ...)")
        print(f"error: {exc.what}; {kept}", file=sys.stderr)
        return 3
    except EnvironmentFailed as exc:
        if os.environ.get("EBRL_DEBUG"):
            raise
        print(f"error: {exc}; fix the environment (EBRL_DEBUG=1 shows where it raised)", file=sys.stderr)
        return 1


def usage() -> str:
    """The commands, each with its docstring."""
    lines = [textwrap.fill(" ".join((command.__doc__ or "").split()), 118, initial_indent=f"  {name:<10}",
                           subsequent_indent=" " * 12, break_on_hyphens=False) for name, command in COMMANDS.items()]
    return "usage: ebrl <command> [options]\n\ncommands:\n" + "\n".join(lines) + "\n\n`ebrl <command> --help` lists " \
        "every option."


def _fail(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return 2


# ------------------------------------------------------------------------------------------------ train


def train_command(args: list[str]) -> int:
    """train an agent: ebrl train --algo sac --env Pendulum-v1 --steps 20000 --seed 0 --out runs/x; several seeds in
    one program: --seeds 0 1 2 3 --out runs/g; several settings too: --sweep actor_lr=1e-4,1e-3 --out runs/s;
    presets of the authors' code apply by (algo, env), --no-preset drops them; continue a run: ebrl train --resume
    runs/x [--steps N]; start from another run's agent: --init-from runs/x"""
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
        preset = _chosen_preset(choice, algo, env)
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


def _chosen_preset(choice: TrainChoice, algo: str, env: str):
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


# ------------------------------------------------------------------------------------------------ eval, export, plot


def eval_command(args: list[str]) -> int:
    """evaluate a run: ebrl eval runs/x --episodes 10 [--mode mean] [--checkpoint best] [--json]"""
    from ebrl.runs import describe_changes, evaluate_run

    options = parse(EvalOptions, args, "ebrl eval")
    require_episodes("episodes", options.episodes)
    require_non_negative("seed", options.seed)
    require(options.video is None or options.video.endswith(".mp4"),
            f"--video needs a .mp4 file name, got {options.video!r}")
    report = evaluate_run(Path(options.run_dir), episodes=options.episodes, mode=options.mode, seed=options.seed,
                          video=options.video, checkpoint=options.checkpoint)
    if options.json:
        print(json.dumps(report))
        return 0
    console = Console()
    changed = f"; changed on resume: {describe_changes(report['changes'])}" if report["changes"] else ""
    console.print(_table(f"{report['algo']} on {report['env']}, step {report['step']}, mode {report['mode']}{changed}",
                         {"episodes": report["episodes"], "return mean": f"{report['return_mean']:.2f}",
                          "return std": f"{report['return_std']:.2f}", "min": f"{min(report['returns']):.2f}",
                          "max": f"{max(report['returns']):.2f}"}))
    if "goal_hits" in report:
        hits = {f"G{g + 1}": hits for g, hits in enumerate(report["goal_hits"])}
        console.print(_table("episodes ending at each goal", {**hits, "no goal": report["no_goal"],
                                                              "reached a goal": f"{report['goal_fraction']:.0%}"}))
    if "x_positive" in report:
        console.print(_table("episodes by the sign of their displacement along x",
                             {"x > 0": f"{report['x_positive']:.0%}", "x < 0": f"{report['x_negative']:.0%}"}))
    if "heading" in report:
        console.print(_table("episodes by the direction of their displacement (within ±22.5°)",
                             {f"{45 * k}°": f"{share:.0%}" for k, share in enumerate(report["heading"])}))
    if options.video:
        console.print(f"video written to {options.video}")
    return 0


def _table(title: str, row: dict) -> Table:
    table = Table(title=title)
    for column in row:
        table.add_column(column, justify="right")
    table.add_row(*map(str, row.values()))
    return table


def export_command(args: list[str]) -> int:
    """the policy as a file JAX alone runs: ebrl export runs/x --out policy.jax [--mode mean] [--checkpoint best]"""
    from ebrl.export import write_policy
    from ebrl.runs import make_dir

    options = parse(ExportOptions, args, "ebrl export")
    out = Path(options.out)
    require(not out.is_dir(), f"--out {out} is a folder; give the policy's file name, e.g. --out {out / 'policy.jax'}")
    require(not out.exists() or options.overwrite, f"{out} exists; pass --overwrite to replace it or choose another "
            "--out")
    make_dir(out.parent)
    for path in write_policy(Path(options.run_dir), out, options.mode, options.checkpoint):
        print(f"wrote {path}")
    return 0


def plot_command(args: list[str]) -> int:
    """learning curves: ebrl plot runs/x [runs/g ...] [--out curves.png] (a group: mean ± std over seeds); a sweep's
    folder also gets its table of final returns per setting and a figure of return against each swept field"""
    from ebrl.experiments.sweep_report import TABLE_FILE, write_sweep_report
    from ebrl.plots import is_multigoal, multigoal_pictures, plot_learning_curves
    from ebrl.runs import expand_runs, load_run, read_spec
    from ebrl.runs.layout import sweep_groups

    options = parse(PlotOptions, args, "ebrl plot")
    require(len(options.run_dirs) > 0, "ebrl plot needs the runs or seed groups to draw, e.g. ebrl plot runs/x")
    require_non_negative("seed", options.seed)
    given = [Path(p) for p in options.run_dirs]
    run_dirs = expand_runs(given)
    specs = [read_spec(run_dir) for run_dir in run_dirs]
    require(options.out is not None or len(given) == 1, "several runs need --out FILE for their common figure")
    require_episodes("episodes", options.episodes)
    out = Path(options.out) if options.out else given[0] / "figures" / "learning_curve.png"
    plot_learning_curves(run_dirs, out)
    written = [out]
    if len(run_dirs) == 1 and is_multigoal(specs[0].train.env, specs[0].train.env_kwargs):
        run = load_run(run_dirs[0])
        mode = run.agent.check_mode(options.mode or run.agent.train_mode, run.spec.algo)
        written += multigoal_pictures(run, run_dirs[0] / "figures", options.episodes, mode, options.seed)
    if len(given) == 1 and sweep_groups(given[0]):
        figures = out.parent if options.out else given[0] / "figures"
        return _print_written([*written, *write_sweep_report(given[0], figures)], figures / TABLE_FILE)
    for path in written:
        print(f"wrote {path}")
    return 0


# ------------------------------------------------------------------------------------------------ experiments


def compare_command(args: list[str]) -> int:
    """MultiGoal runs side by side (goal hits, trajectories, entropy at the probe states): ebrl compare runs/sac_*
    runs/sql_* --out results/mg [--env ebrl/MultiGoal3Obstacle-v0]"""
    from ebrl.experiments.multigoal import compare

    options = parse(CompareOptions, args, "ebrl compare")
    return _print_written(compare(options, Console(stderr=True)), Path(options.out) / "summary.md")


def multigoal_command(args: list[str]) -> int:
    """the papers' MultiGoal experiments, trained and compared: ebrl multigoal s2ac-fig2 --out results/fig2
    --n-seeds 3 --steps 6000; ebrl multigoal sql-temperature --out results/sql-temperature"""
    from ebrl.experiments.multigoal import run_experiment

    return _print_written(run_experiment(parse(MultiGoalOptions, args, "ebrl multigoal"), Console(stderr=True)))


def entropy_command(args: list[str]) -> int:
    """the S2AC entropy study (figures and tables): ebrl entropy --out docs/results/entropy"""
    from ebrl.experiments.entropy import run_command

    return _print_written(run_command(parse(EntropyOptions, args, "ebrl entropy"), log=Console(stderr=True).print))


def mujoco_command(args: list[str]) -> int:
    """the S2AC paper's MuJoCo study (IQM, intervals, curves, run time), here or on a Ray cluster: ebrl mujoco --envs
    Hopper-v5 Walker2d-v5 --algos sac sql s2ac --seeds 0 1 2 --steps 1000000 --out results/mujoco [--workers 2 |
    --ray auto]"""
    from ebrl.experiments.mujoco import run_study

    options = parse(MujocoOptions, args, "ebrl mujoco")
    console = Console(stderr=True)
    if not run_study(options.study_plan(), Path(options.out), workers=options.workers, ray=options.ray, console=console,
                     cpus_per_group=options.cpus_per_group, gpus_per_group=options.gpus_per_group,
                     retries=options.retries, progress=options.progress):
        console.print(f"interrupted; run the same command again to continue the study in {options.out}")
        return 130
    return _print_written([], Path(options.out) / "summary.md")


def finetune_command(args: list[str]) -> int:
    """maximum-entropy pretraining, then fine-tuning (the SQL paper's initializer claim): pretrain SQL and SAC on an
    undirected task, fine-tune each seed on directed ones beside training from scratch: ebrl finetune --out
    results/finetune [--pretrain-env ebrl/HalfCheetahAnyDirection-v0 --envs ebrl/HalfCheetahForward-v0
    ebrl/HalfCheetahBackward-v0 --pretrain-steps 30000 --steps 20000]"""
    from ebrl.experiments.finetune import FinetuneOptions, run_study

    options = parse(FinetuneOptions, args, "ebrl finetune")
    console = Console(stderr=True)
    if not run_study(options.study_plan(), Path(options.out), console=console, progress=options.progress):
        console.print(f"interrupted; run the same command again to continue the study in {options.out}")
        return 130
    return _print_written([], Path(options.out) / "summary.md")


def tune_command(args: list[str]) -> int:
    """tune settings with Optuna, each trial a seed group, shape-changing fields too: ebrl tune --algo s2ac --env
    Pendulum-v1 --space svgd_step_size=log:0.01:1 --space particles=int:4:32 --trials 20 --seeds 0 1 --steps 10000
    --out runs/tune [any ebrl train option]; the same command continues a killed tuning"""
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
    base = preset_defaults(algo, _chosen_preset(choice, algo, env))
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
    return _print_written(written, written[-1])


def vi_command(args: list[str]) -> int:
    """SVGD as variational inference on data, beside NumPyro's NUTS, SVGD and mean-field VI: ebrl vi --datasets
    heart boston --splits 20 --out results/vi [--overwrite]"""
    from ebrl.vi.cli import VIOptions, run_command

    return _print_written(run_command(parse(VIOptions, args, "ebrl vi"), args, log=Console(stderr=True).print))


def _print_written(paths: list[Path], summary: Path | None = None) -> int:
    for path in paths:
        print(f"wrote {path}")
    if summary is not None:
        print(summary.read_text())
    return 0


COMMANDS = {"train": train_command, "eval": eval_command, "export": export_command, "plot": plot_command,
            "compare": compare_command, "multigoal": multigoal_command, "entropy": entropy_command,
            "mujoco": mujoco_command, "finetune": finetune_command, "tune": tune_command,
            "vi": vi_command}

if __name__ == "__main__":
    sys.exit(main())
