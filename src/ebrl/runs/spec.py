"""What a run trains (config.json): RunSpec, the preset-based spec of the command line, the members of a seed group
or a sweep, what may change on resume."""

import dataclasses
import importlib.metadata
import itertools
import math
import numbers
import types
import typing
from collections.abc import Mapping, Sequence
from typing import Any

import jax

import ebrl
from ebrl.agents import ALGORITHMS
from ebrl.config import TrainConfig, require
from ebrl.envs.task import describe_task
from ebrl.presets import find_preset, preset_defaults

LEGACY_TRAIN_FIELDS = ("out", "overwrite", "progress", "pictures")  # I/O options kept in config.json before 0.3
FIXED_ON_RESUME = ("env", "seed", "buffer_size")
VERSION_KEYS = ("ebrl_version", "jax_version", "gymnasium_version", "mujoco_version")  # what config.json records of
# the code that ran (mujoco_version null where MuJoCo is not installed): not settings
SECTIONS = ("train", "agent")  # the parts of config.json that hold settings, and of each of its "changes"


CHECKPOINTS = ("latest", "best")  # besides a step


@dataclasses.dataclass(frozen=True)
class InitFrom:
    """Start a new run from another run's trained agent state (its networks, target networks and α), with its own
    replay buffer, counters and, unless `optimizer`, optimiser state (ebrl.runs.init)."""

    run: str
    """The source: a run directory, or a seed group, whose seed k each seed k of this run starts from."""
    checkpoint: str = "latest"
    """The source's checkpoint: latest, best or a step that has one."""
    optimizer: bool = False
    """Also carry the source's optimiser state (Adam's moments and step counts)."""
    alpha_from_config: bool = False
    """Start α from this run's configuration instead of the source's trained α (where the state holds α)."""

    @staticmethod
    def parse(text: str) -> "InitFrom":
        """RUN, RUN@best, RUN@latest or RUN@STEP."""
        run, _, checkpoint = text.rpartition("@")
        if run and (checkpoint in CHECKPOINTS or checkpoint.isdigit()):
            return InitFrom(run, checkpoint)
        return InitFrom(text)


@dataclasses.dataclass(frozen=True)
class RunSpec:
    """The contents of config.json."""

    algo: str
    train: TrainConfig
    agent: Any  # the algorithm's config dataclass
    init: InitFrom | None = None
    """The run this one started from, if any (config.json's init_from, which also records the source's step and the
    SHA-256 of its agent state)."""

    def to_json(self) -> dict:
        return {"algo": self.algo, "train": dataclasses.asdict(self.train), "agent": dataclasses.asdict(self.agent),
                **({"init_from": dataclasses.asdict(self.init)} if self.init is not None else {}),
                **code_versions()}

    @staticmethod
    def from_json(data: dict) -> "RunSpec":
        """The spec in effect now: config.json's settings (as first trained) with each of its "changes" applied in
        order (see `record_changes`)."""
        config_type = ALGORITHMS[data["algo"]].config_type
        agent = dict(data["agent"])
        train = {k: v for k, v in data["train"].items() if k not in LEGACY_TRAIN_FIELDS}
        if "score_through_tanh" in agent:  # S2AC runs written before ebrl 0.2, whose default was the pre-tanh score
            agent["score_pre_tanh"] = not agent.pop("score_through_tanh")
        for change in data.get("changes", []):
            train.update(change.get("train", {}))
            agent.update(change.get("agent", {}))
        init = data.get("init_from")  # the request, beside which config.json records the source's step and hash
        requested = None if init is None else InitFrom(**{f.name: init[f.name] for f in dataclasses.fields(InitFrom)})
        return RunSpec(data["algo"], _from_dict(TrainConfig, train), _from_dict(config_type, agent), requested)


def code_versions() -> dict[str, str | None]:
    """config.json's VERSION_KEYS: ebrl's, JAX's, and the installed Gymnasium's and MuJoCo's (None if absent)."""
    return {"ebrl_version": ebrl.__version__, "jax_version": jax.__version__,
            "gymnasium_version": _installed_version("gymnasium"), "mujoco_version": _installed_version("mujoco")}


def _installed_version(distribution: str) -> str | None:
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return None


def _from_dict(cls, values: dict):
    """Rebuild a config dataclass from JSON, turning lists back into the tuples the fields hold; TypeError naming
    the field if a value is not of the field's type."""
    hints = typing.get_type_hints(cls)
    for name, value in values.items():
        if name in hints and not _is_of_type(value, hints[name]):
            raise TypeError(f"{name} is {value!r}, which is not of its type {_type_name(hints[name])}")
    return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in values.items()})


def _is_of_type(value, annotation) -> bool:
    """Whether a JSON value fits a config field's annotation (bool, int, float, str, dict, tuple[X, ...],
    Literal[...], unions with None)."""
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin in (types.UnionType, typing.Union):
        return any(_is_of_type(value, arg) for arg in args)
    if origin is tuple:
        return isinstance(value, list | tuple) and all(_is_of_type(item, args[0]) for item in value)
    if origin is typing.Literal:
        return value in args
    if annotation is float:
        return isinstance(value, int | float) and not isinstance(value, bool)
    if annotation is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if origin is not None:
        return isinstance(value, origin)
    return not isinstance(annotation, type) or isinstance(value, annotation)  # None's type is NoneType


def _type_name(annotation) -> str:
    plain = typing.get_origin(annotation) is None
    return str(getattr(annotation, "__name__", annotation)) if plain else str(annotation)


def preset_spec(algo: str, env_id: str, *, seed: int = 0, steps: int | None = None, train: dict | None = None,
                agent: dict | None = None) -> RunSpec:
    """The RunSpec `ebrl train --algo A --env E` builds (the preset of (algo, env) applied, if any), plus overrides."""
    train_cfg, agent_cfg = preset_defaults(algo, find_preset(algo, env_id))
    overrides = {**(train or {}), "env": env_id, "seed": seed, **({"steps": steps} if steps is not None else {})}
    return RunSpec(algo, dataclasses.replace(train_cfg, **overrides), dataclasses.replace(agent_cfg, **(agent or {})))


def seed_specs(spec: RunSpec, seeds: list[int]) -> list[RunSpec]:
    """`spec` once per seed (what each run directory of a group records)."""
    return [dataclasses.replace(spec, train=dataclasses.replace(spec.train, seed=seed)) for seed in seeds]


Setting = dict[str, float]  # a sweep's values of the agent fields it varies


def sweep_settings(algo: str, sweep: Mapping[str, Sequence[float]]) -> list[Setting]:
    """The settings of the grid `sweep` ({field: values}), every combination, the first field varying slowest.
    ConfigError for a field that is not the algorithm's, one that sets shapes or control flow (ebrl tune's
    business), no values, a value that is not a finite number, a value given twice."""
    require(len(sweep) > 0, "sweep needs a field and its values, e.g. actor_lr=0.0001,0.001", "sweep")
    algorithm = ALGORITHMS[algo]
    agent_fields = {f.name for f in dataclasses.fields(algorithm.config_type)}
    train_fields = {f.name for f in dataclasses.fields(TrainConfig)}
    for field, values in sweep.items():
        require(field in agent_fields | train_fields, f"sweep: {algo} has no setting {field!r}; it sweeps "
                f"{', '.join(algorithm.sweepable)}", "sweep")
        require(field in algorithm.sweepable, f"sweep: {field} is compiled into the program (it sets shapes, "
                f"control flow or a network), so a sweep cannot vary it; search it with ebrl tune (--space "
                f"{field}=...), or train a group per value (--{field.replace('_', '-')} V)", "sweep")
        require(len(values) > 0, f"sweep: {field} has no values; give them as {field}=V1,V2", "sweep")
        for value in values:
            require(isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isfinite(value),
                    f"sweep: {field} takes numbers, got {value!r}; give them as {field}=V1,V2", "sweep")
        repeated = sorted({float(v) for v in values if sum(float(w) == float(v) for w in values) > 1})
        require(not repeated, f"sweep: {field} lists {', '.join(map(repr, repeated))} more than once; give each "
                "value once", "sweep")
    return [dict(zip(sweep, map(float, values))) for values in itertools.product(*sweep.values())]


def setting_spec(spec: RunSpec, setting: Setting) -> RunSpec:
    """`spec` with the agent fields of a sweep's setting."""
    return dataclasses.replace(spec, agent=dataclasses.replace(spec.agent, **setting))


def swept_fields(specs: Sequence[RunSpec]) -> list[str]:
    """The agent fields whose values differ between `specs` (a sweep's members), in the config's order."""
    return [f.name for f in dataclasses.fields(specs[0].agent)
            if any(getattr(s.agent, f.name) != getattr(specs[0].agent, f.name) for s in specs)]


def setting_of(spec: RunSpec, fields: Sequence[str]) -> Setting:
    """The values of `fields` in `spec`'s agent config (a member's setting)."""
    return {name: getattr(spec.agent, name) for name in fields}


def spec_changes(old: RunSpec, new: RunSpec) -> dict[str, dict]:
    """{"train": {field: new value}, "agent": {...}} for the fields `new` changes (sections without one left out)."""
    sections = {"train": (old.train, new.train), "agent": (old.agent, new.agent)}
    changed = {section: {f.name: getattr(b, f.name) for f in dataclasses.fields(b) if getattr(a, f.name) !=
                         getattr(b, f.name)} for section, (a, b) in sections.items()}
    return {section: fields for section, fields in changed.items() if fields}


def record_changes(changes: list[dict], step: int, changed: dict[str, dict]) -> list[dict]:
    """config.json's "changes" after a resume from the checkpoint at `step` that changes `changed` (see
    `spec_changes`): each entry {"step": S, "train": {...}, "agent": {...}} holds the settings that took effect at
    step S. Entries after `step` (a resume from an earlier checkpoint trains that part again) take effect at `step`
    now, merged below `changed`."""
    kept = [change for change in changes if change["step"] <= step]
    entry: dict = {"step": step}
    for change in [change for change in changes if change["step"] > step] + [changed]:
        for section in SECTIONS:
            if change.get(section):
                entry[section] = {**entry.get(section, {}), **change[section]}
    return [*kept, entry] if len(entry) > 1 else kept


def describe_changes(changes: list[dict]) -> str:
    """One phrase for config.json's "changes": "critic_lr=0.0001 from step 5000, steps=20000 from step 10000"."""
    return ", ".join(f"{name}={value} from step {change['step']}" for change in changes
                     for section in SECTIONS for name, value in change.get(section, {}).items())


def changed_spec(saved: RunSpec, train: dict, agent: dict) -> RunSpec:
    """`saved` with the changes a resumed run may take: ConfigError for a change of task, seed or replay capacity,
    or one that changes the shapes of the agent's state (its networks)."""
    fixed = [name for name in FIXED_ON_RESUME if name in train and train[name] != getattr(saved.train, name)]
    require(not fixed, f"{', '.join(fixed)} cannot change when a run resumes; start a new run instead", *fixed)
    changed = dataclasses.replace(saved, train=dataclasses.replace(saved.train, **train),
                                  agent=dataclasses.replace(saved.agent, **agent))
    if agent:
        task = describe_task(saved.train.env, saved.train.env_kwargs)
        make = ALGORITHMS[saved.algo].make_agent
        shapes = [jax.eval_shape(make(spec.agent, task.obs_dim, task.act_dim).init, jax.random.key(0))
                  for spec in (saved, changed)]
        require(shapes[0] == shapes[1],  # the same pytree of ShapeDtypeStructs
                f"{', '.join(agent)} would change the agent's networks, which a checkpoint cannot continue; start "
                "a new run instead", *agent)
    return changed
