"""The training loop's configuration and the user-facing errors raised, before any work starts, by validation."""

import dataclasses
import json
import re
from collections.abc import Sequence
from typing import Annotated

import tyro


class ConfigError(ValueError):
    """A mistake in what the user asked for; the message names the problem and the fix, and the configuration
    fields it speaks of by their Python names (`fields`), which the command line shows as its flags."""

    def __init__(self, message: str, *fields: str):
        super().__init__(message)
        self.fields = fields

    def with_flags(self) -> str:
        """The message with each field written as its command-line flag: actor_lr -> --actor-lr."""
        message = str(self)
        for field in sorted(self.fields, key=len, reverse=True):
            message = re.sub(rf"(?<![\w/-]){re.escape(field)}(?![\w/])", "--" + field.replace("_", "-"), message,
                             count=1)  # the field's first mention; paths and values later in the message stay
        return message


def require(condition: bool, message: str, *fields: str) -> None:
    """Raise `ConfigError(message, *fields)` unless `condition` holds."""
    if not condition:
        raise ConfigError(message, *fields)


def require_positive(name: str, value: float) -> None:
    require(value > 0, f"{name} must be positive, got {value}", name)


def require_non_negative(name: str, value: float) -> None:
    require(value >= 0, f"{name} must be non-negative, got {value}", name)


MAX_EPISODES = 10_000  # an evaluation runs its episodes at once, each on an environment of its own


def require_episodes(name: str, value: int) -> None:
    """Evaluation episodes: at least one, at most MAX_EPISODES."""
    require_positive(name, value)
    require(value <= MAX_EPISODES, f"{name} ({value}) is more than an evaluation runs at once (one environment per "
            f"episode); give at most {MAX_EPISODES}", name)


def require_unit_interval(name: str, value: float, *, closed_at_zero: bool = False) -> None:
    """Require value in (0, 1] (or [0, 1] with closed_at_zero)."""
    low_ok = value >= 0 if closed_at_zero else value > 0
    interval = "[0, 1]" if closed_at_zero else "(0, 1]"
    require(low_ok and value <= 1, f"{name} must lie in {interval}, got {value}", name)


def require_layers(name: str, widths: tuple[int, ...]) -> None:
    require(len(widths) > 0 and all(w > 0 for w in widths),
            f"{name} needs one or more positive layer widths, got {list(widths)}", name)


# How `ebrl train --help` shows env_kwargs (the command line reads the flag itself, as JSON, before tyro does).
JSON_OBJECT = tyro.constructors.PrimitiveConstructorSpec(
    nargs=1, metavar="JSON", instance_from_str=lambda args: json.loads(args[0]),
    is_instance=lambda value: isinstance(value, dict), str_from_instance=lambda value: [json.dumps(value)])


@dataclasses.dataclass(frozen=True)
class TrainConfig:
    """What the training loop does, independent of the algorithm: the science of a run, nothing of where it is
    written or how it is shown (two runs with equal TrainConfig and agent config train the same thing)."""

    env: str = "ebrl/MultiGoal3-v0"
    """Gymnasium id of a task with a continuous (Box) action space; `module:Id` imports `module` first (which
    registers Id), e.g. my_package.envs:MyEnv-v0. Constructor arguments: --env-kwargs '{"key": value}'."""
    env_kwargs: Annotated[dict, JSON_OBJECT] = dataclasses.field(default_factory=dict)
    """Keyword arguments of the environment's constructor (gymnasium.make(env, **env_kwargs)), for training and
    evaluation alike."""
    steps: int = 20_000
    """Environment steps to train for."""
    seed: int = 0
    """Seed of every random choice in the run (same seed, same machine: same metrics.csv)."""
    buffer_size: int = 1_000_000
    """Replay buffer capacity (transitions)."""
    batch_size: int = 256
    """Transitions per gradient update."""
    random_steps: int = 5_000
    """Uniformly random actions for the first steps, as warm-up exploration."""
    learning_starts: int = 5_000
    """Gradient updates begin once this many steps have been collected."""
    updates_per_step: int = 1
    """Gradient updates per environment step (update-to-data ratio)."""
    ou_sigma: float = 0.0
    """Ornstein-Uhlenbeck exploration noise added to the agent's training actions: its σ (0 = off)."""
    ou_theta: float = 0.15
    """Mean reversion θ of the Ornstein-Uhlenbeck noise."""
    chunk: int = 50
    """Environment steps between compiled calls; each call runs chunk × updates-per-step updates."""
    eval_every: int = 5_000
    """Evaluate (every action mode of the agent) after this many steps, and at the end."""
    eval_episodes: int = 10
    """Episodes per evaluation, on environments separate from the training one."""
    checkpoint_every: int = 5_000
    """Write a resumable checkpoint after this many steps, and at the end."""

    def validate(self) -> None:
        for name in ("steps", "buffer_size", "batch_size", "updates_per_step", "chunk", "eval_every",
                     "eval_episodes", "checkpoint_every"):
            require_positive(name, getattr(self, name))
        for name in ("random_steps", "learning_starts"):
            require(getattr(self, name) >= 0, f"{name} must be non-negative, got {getattr(self, name)}", name)
        require(self.learning_starts <= self.steps,
                f"steps ({self.steps}) ends before learning_starts ({self.learning_starts}): the agent would never "
                "be updated; raise the former or lower the latter", "steps", "learning_starts")
        require(self.batch_size <= self.buffer_size,
                f"batch_size ({self.batch_size}) is larger than buffer_size ({self.buffer_size}); "
                "lower the batch or enlarge the buffer", "batch_size", "buffer_size")
        require(self.ou_sigma >= 0, f"ou_sigma must be non-negative, got {self.ou_sigma}", "ou_sigma")
        require(0 < self.ou_theta < 1, f"ou_theta must lie in (0, 1), got {self.ou_theta}", "ou_theta")
        require(self.seed >= 0, f"seed must be non-negative, got {self.seed}", "seed")
        require(isinstance(self.env_kwargs, dict) and all(isinstance(k, str) for k in self.env_kwargs),
                f"env_kwargs must be a JSON object with string keys, got {self.env_kwargs!r}", "env_kwargs")


def check_seeds(seeds: Sequence[int]) -> list[int]:
    """`seeds` as a list; ConfigError unless they are distinct non-negative integers, at least one."""
    seeds = list(seeds)
    require(len(seeds) > 0, "seeds needs at least one seed", "seeds")
    require(all(isinstance(s, int) and s >= 0 for s in seeds), f"seeds must be non-negative integers, got {seeds}",
            "seeds")
    duplicates = sorted({s for s in seeds if seeds.count(s) > 1})
    require(not duplicates, f"seeds lists {', '.join(map(str, duplicates))} more than once; give each seed once",
            "seeds")
    return seeds


ALGORITHM_NAMES = ("sac", "sql", "s2ac")
"""The algorithms by name, for what must not import JAX (a command's --help); ebrl.agents.ALGORITHMS has them all."""


@dataclasses.dataclass(frozen=True)
class WandbSettings:
    project: str = "ebrl"
    entity: str | None = None
    group: str | None = None  # default: the seed group's folder name (none for a single run)
    name: str | None = None  # default: the run directory's name (a group: <folder>/seed_<k>)


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


def as_tuples(value):
    """JSON lists back into the tuples the plan and the configs hold, at any depth."""
    if isinstance(value, list):
        return tuple(as_tuples(v) for v in value)
    if isinstance(value, dict):
        return {k: as_tuples(v) for k, v in value.items()}
    return value
