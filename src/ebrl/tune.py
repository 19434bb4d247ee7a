"""Hyperparameter tuning on Optuna (`ebrl tune`): every trial a seed group, any field of the algorithm's config or of
the training loop searchable, shape-changing ones included (a sweep, `ebrl train --sweep`, varies only the
continuous fields that keep one compiled program).

A trial's score is the mean over its seeds of the evaluation return (the agent's default action mode); the score at
each evaluation is reported to Optuna's median pruner, which stops a trial below the median of the trials before it
at the same step (after `prune_after` steps); a trial that diverges is pruned, not fatal. The sampler is TPE
(multivariate, seeded). The study lives in an SQLite file (OUT/optuna.db by default) with heartbeats: the same
command again continues a killed tuning (a trial that was running is failed and not counted), and several processes
given the same storage share one study, up to `trials` finished trials in all. The trials' runs are OUT/trial_<n>.
At the end, OUT/tune.md (the best settings, every trial, the parameter importances), trials.csv and best.json.
"""

import dataclasses
import json
import math
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ebrl.config import ConfigError, TrainConfig, check_change_types, json_or_text, require
from ebrl.loop.trainer import Observer
from ebrl.runs.spec import VERSION_KEYS

KINDS = ("float", "log", "int", "choice")
TUNE_SETS = ("env", "env_kwargs", "seed", "steps")  # the loop fields a tuning fixes for every trial
REPORT_FILE, TRIALS_FILE, BEST_FILE, STORAGE_FILE = "tune.md", "trials.csv", "best.json", "optuna.db"
HEARTBEAT_S = 10  # a trial whose process stopped beating for 2 × this is failed by the next process


@dataclasses.dataclass(frozen=True)
class Dimension:
    """One searched field: "float" or "log" (uniform in x or in log x on [low, high]), "int" (an integer in [low,
    high]), or "choice" (one of `choices`)."""

    field: str
    kind: str
    low: float = 0.0  # of a range
    high: float = 0.0
    choices: tuple = ()

    @staticmethod
    def parse(text: str) -> "Dimension":
        """FIELD=float:LOW:HIGH, FIELD=log:LOW:HIGH, FIELD=int:LOW:HIGH or FIELD=choice:A|B|... (each choice read
        as JSON where it is JSON: 64, [256, 256], true, and as text otherwise: relu)."""
        usage = (f"--space {text!r} is not FIELD=KIND:...; write e.g. actor_lr=log:1e-4:1e-2, gamma=float:0.9:0.999, "
                 "particles=int:4:32 or activation=choice:relu|tanh")
        name, equals, rule = text.partition("=")
        kind, _, values = rule.partition(":")
        require(bool(equals and name.strip() and values) and kind in KINDS, usage)
        field = name.strip().replace("-", "_")
        if kind == "choice":
            choices = tuple(json_or_text(v.strip()) for v in values.split("|"))
            require(len(choices) >= 2, f"--space {field}: give two choices or more, e.g. {field}=choice:A|B")
            return Dimension(field, kind, choices=choices)
        bounds = values.split(":")
        try:
            low, high = (float(b) for b in bounds)
        except ValueError:
            raise ConfigError(usage) from None
        require(low < high, f"--space {field}: the low bound {low:g} must be below the high one {high:g}")
        require(kind != "log" or low > 0, f"--space {field}: a log range needs a positive low bound, got {low:g}")
        require(kind != "int" or (low.is_integer() and high.is_integer()),
                f"--space {field}: an int range needs whole bounds, got {low:g}:{high:g}")
        return Dimension(field, kind, low, high)

    def values(self) -> list:
        """The values the checks try: both bounds, or every choice."""
        if self.kind == "choice":
            return list(self.choices)
        return [int(self.low), int(self.high)] if self.kind == "int" else [self.low, self.high]

    def suggest(self, trial) -> Any:
        if self.kind == "choice":
            index = trial.suggest_categorical(self.field, list(range(len(self.choices))))
            return self.choices[index]
        if self.kind == "int":
            return trial.suggest_int(self.field, int(self.low), int(self.high))
        return trial.suggest_float(self.field, self.low, self.high, log=self.kind == "log")


def read_space(flags: tuple[str, ...], file: str | None) -> list[Dimension]:
    """The search space from --space flags and a JSON file ({"FIELD": "KIND:...", ...}); ConfigError for a space that
    names no field or names one twice."""
    texts = list(flags)
    if file is not None:
        try:
            content = json.loads(Path(file).read_text())
        except (OSError, json.JSONDecodeError) as exc:
            raise ConfigError(f"--space-file {file} cannot be read as JSON ({exc}); give a file such as "
                              '{"actor_lr": "log:1e-4:1e-2"}') from None
        require(isinstance(content, dict), f"--space-file {file} must hold a JSON object of FIELD: \"KIND:...\"")
        texts += [f"{field}={rule}" for field, rule in content.items()]
    space = [Dimension.parse(text) for text in texts]
    require(len(space) > 0, "the search space names no field; give one with --space, e.g. --space "
            "actor_lr=log:1e-4:1e-2")
    repeated = sorted({d.field for d in space if [e.field for e in space].count(d.field) > 1})
    require(not repeated, f"the search space names {', '.join(repeated)} twice; give each field once")
    return space


def trial_spec(spec, values: dict):
    """`spec` with the trial's values: each field of the algorithm's config or of the training loop."""
    loop = {f.name for f in dataclasses.fields(TrainConfig)}
    train = {k: v for k, v in values.items() if k in loop}
    agent = {k: v for k, v in values.items() if k not in loop}
    return dataclasses.replace(spec, train=dataclasses.replace(spec.train, **train),
                               agent=dataclasses.replace(spec.agent, **agent))


def check_space(spec, space: list[Dimension], n_seeds: int) -> None:
    """Every check before any work: each field exists and is not one the tuning fixes, and the configuration is
    valid at every bound and choice (ConfigError naming the field and the value)."""
    from ebrl.runs import check_spec

    agent_fields = {f.name for f in dataclasses.fields(spec.agent)}
    loop_fields = {f.name for f in dataclasses.fields(TrainConfig)} - set(TUNE_SETS)
    for dimension in space:
        field = dimension.field
        require(field not in TUNE_SETS, f"--space {field}: the task, seeds and budget are the same for every trial; "
                f"set them with --env, --seeds and --steps")
        require(field in agent_fields | loop_fields, f"--space {field}: not a field of {spec.algo}'s config or of the "
                f"training loop; choose from {', '.join(sorted(agent_fields | loop_fields))}")
        for value in dimension.values():
            check_change_types(type(spec.agent) if field in agent_fields else TrainConfig, {field: value}, "space")
            try:
                check_spec(trial_spec(spec, {field: value}), n_seeds)
            except ConfigError as error:
                raise ConfigError(f"--space {field}={value!r}: {error}") from None


class TrialReporter(Observer):
    """An observer of a trial's seed group: the mean over seeds of each evaluation's return goes to the trial, and
    the trial stops (optuna.TrialPruned) where the pruner says so."""

    def __init__(self, trial, n_seeds: int):
        self.trial, self.n_seeds = trial, n_seeds
        self.rows: dict[int, dict[int, float]] = {}  # step -> seed index -> return
        self.scores: list[tuple[int, float]] = []

    def on_row(self, seed_index: int, row: dict) -> None:
        import optuna

        column = next((k for k in row if k.startswith("eval/") and k.endswith("/return_mean")), None)
        if column is None:
            return
        step = int(row["step"])
        self.rows.setdefault(step, {})[seed_index] = float(row[column])
        if len(self.rows[step]) == self.n_seeds:
            score = sum(self.rows[step].values()) / self.n_seeds
            self.scores.append((step, score))
            self.trial.report(score, step)
            if self.trial.should_prune():
                raise optuna.TrialPruned(f"pruned at step {step} with {score:.2f}")


def require_optuna():
    try:
        import optuna
    except ImportError:
        raise ConfigError("ebrl tune needs Optuna; install it with pip install 'ebrl[tune]'") from None
    return optuna


def run_tuning(spec, space: list[Dimension], seeds: list[int], out: Path, *, trials: int, storage: str | None = None,
               study_name: str = "ebrl-tune", prune_after: int | None = None, sampler_seed: int = 0,
               log: Callable = print) -> list[Path]:
    """Tune `space` over `spec` (every other setting as in `spec`) until `trials` trials have finished (completed or
    pruned) in the study, and write the report. Returns the files written."""
    from ebrl.loop.trainer import TrainingDiverged
    from ebrl.runs import make_dir, train

    optuna = require_optuna()
    require(trials >= 1, f"trials must be at least 1, got {trials}", "trials")
    check_space(spec, space, len(seeds))
    out = Path(out)
    require(not out.exists() or out.is_dir(), f"out {out} is a file; choose a directory", "out")
    make_dir(out)
    url = storage or f"sqlite:///{(out / STORAGE_FILE).resolve()}"
    with warnings.catch_warnings():  # heartbeats are an experimental feature of Optuna's
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        database = optuna.storages.RDBStorage(url, heartbeat_interval=HEARTBEAT_S, grace_period=2 * HEARTBEAT_S)
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    warmup = spec.train.steps // 3 if prune_after is None else prune_after
    study = optuna.create_study(
        storage=database, study_name=study_name, direction="maximize", load_if_exists=True,
        sampler=optuna.samplers.TPESampler(seed=sampler_seed, multivariate=True, n_startup_trials=min(10, trials)),
        pruner=optuna.pruners.MedianPruner(n_startup_trials=min(5, trials), n_warmup_steps=warmup))
    _check_same_tuning(study, spec, space, seeds)
    finished = (optuna.trial.TrialState.COMPLETE, optuna.trial.TrialState.PRUNED)

    def objective(trial) -> float:
        values = {d.field: d.suggest(trial) for d in space}
        reporter = TrialReporter(trial, len(seeds))
        log(f"trial {trial.number}: {', '.join(f'{k}={v}' for k, v in values.items())}")
        try:
            train(trial_spec(spec, values), seeds, out / f"trial_{trial.number}", existing="overwrite",
                  observers=[reporter])
        except TrainingDiverged as diverged:
            raise optuna.TrialPruned(f"diverged: {diverged.what}") from None
        return reporter.scores[-1][1]

    if sum(t.state in finished for t in study.get_trials(deepcopy=False)) < trials:
        study.optimize(objective, callbacks=[optuna.study.MaxTrialsCallback(trials, states=finished)])
    return write_report(study, spec, space, seeds, out)


def _check_same_tuning(study, spec, space: list[Dimension], seeds: list[int]) -> None:
    """A study continued must search the same space over the same training; else one line, nothing trained."""
    settings = {k: v for k, v in spec.to_json().items() if k not in VERSION_KEYS}
    described = json.loads(json.dumps({"spec": settings, "space": [dataclasses.asdict(d) for d in space],
                                       "seeds": list(seeds)}))
    saved = study.user_attrs.get("tuning")
    if saved is None:
        study.set_user_attr("tuning", described)
        return
    differing = " and ".join(k for k in described if saved.get(k) != described[k])
    require(not differing, f"the study {study.study_name} in this storage tunes something else (another {differing})"
            "; repeat its command to continue it, or choose another --out or --study-name", "out")


def write_report(study, spec, space: list[Dimension], seeds: list[int], out: Path) -> list[Path]:
    """tune.md (best settings, every trial, parameter importances), trials.csv and best.json."""
    import csv

    import optuna

    trials = study.get_trials(deepcopy=False)
    complete = [t for t in trials if t.state == optuna.trial.TrialState.COMPLETE]
    fields = [d.field for d in space]
    by_field = {d.field: d for d in space}

    def value_of(trial, field):
        raw = trial.params.get(field)
        return by_field[field].choices[raw] if raw is not None and by_field[field].kind == "choice" else raw

    written = [out / TRIALS_FILE, out / BEST_FILE, out / REPORT_FILE]
    with open(written[0], "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["trial", "state", "score", "last_step", *fields])
        for t in trials:
            last, score = _last_score(t)
            writer.writerow([t.number, t.state.name, "" if score is None else score, "" if last is None else last,
                             *[json.dumps(value_of(t, k)) for k in fields]])
    best = max(complete, key=lambda t: t.value) if complete else None
    try:  # fANOVA needs two completed trials whose values differ
        importances = optuna.importance.get_param_importances(study) if len(complete) >= 2 else {}
    except (RuntimeError, ValueError):
        importances = {}
    best_values = {k: value_of(best, k) for k in fields} if best else {}
    written[1].write_text(json.dumps({"algo": spec.algo, "env": spec.train.env, "seeds": list(seeds),
                                      "steps": spec.train.steps, "best_trial": best.number if best else None,
                                      "best_score": best.value if best else None, "best_values": best_values,
                                      "importances": importances}, indent=1) + "\n")
    counts = {state: sum(t.state.name == state for t in trials) for state in ("COMPLETE", "PRUNED", "FAIL", "RUNNING")}
    lines = [f"# Tuning {spec.algo} on {spec.train.env}", "",
             (f"{len(trials)} trials ({', '.join(f'{n} {s.lower()}' for s, n in counts.items() if n)}), each seeds "
              f"{', '.join(map(str, seeds))} for {spec.train.steps:,} steps; score: the mean over seeds of the "
              "evaluation return (default action mode); TPE sampler, median pruner."), ""]
    if best is not None:
        flags = " ".join(f"--{k.replace('_', '-')} {_flag_value(v)}" for k, v in best_values.items())
        lines += ["## Best", "", f"Trial {best.number}, score {best.value:.2f}: "
                  f"{', '.join(f'{k}={v}' for k, v in best_values.items())}.", "",
                  f"Train it: `ebrl train --algo {spec.algo} --env {spec.train.env} {flags}` (with the tuning's other "
                  "flags).", ""]
    if importances:
        lines += ["## Parameter importances (fANOVA)", "", "| field | importance |", "|---|---|"]
        lines += [f"| {k} | {v:.2f} |" for k, v in importances.items()] + [""]
    lines += ["## Trials", "", f"| trial | state | score | last step | {' | '.join(fields)} |",
              "|---|---|---|---|" + "---|" * len(fields)]
    for t in sorted(trials, key=lambda t: (t.value is None, -(t.value or 0))):
        last, score = _last_score(t)
        shown = "" if score is None or not math.isfinite(score) else f"{score:.2f}"
        lines.append(f"| {t.number} | {t.state.name.lower()} | {shown} | {last if last is not None else ''} | "
                     + " | ".join(str(value_of(t, k)) for k in fields) + " |")
    written[2].write_text("\n".join(lines) + "\n")
    return written


def _last_score(trial) -> tuple[int | None, float | None]:
    """(the last step it reported, its score): the value of a completed trial, else its last reported score."""
    last = max(trial.intermediate_values) if trial.intermediate_values else None
    score = trial.value if trial.value is not None else None if last is None else trial.intermediate_values[last]
    return last, score


def _flag_value(value) -> str:
    return " ".join(map(str, value)) if isinstance(value, tuple) else str(value)
