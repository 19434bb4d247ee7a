"""Environments: `make_env` for any Gymnasium id with a Box action space, actions rescaled to [-1, 1]."""

import contextlib
import difflib
import functools
import sys

import gymnasium as gym
import numpy as np
from gymnasium.wrappers import RescaleAction

from ebrl.config import ConfigError


def make_env(env_id: str, render_mode: str | None = None, kwargs: dict | None = None) -> gym.Env:
    """`gym.make(env_id, **kwargs)` with the action space rescaled to [-1, 1]^d; raises ConfigError for unusable
    ids. An id `module:Id` imports `module` first (from the working directory too), as Gymnasium does."""
    if ":" in env_id:
        _import_env_module(env_id)
    _quiet_known_mujoco_warnings()
    try:
        options: dict = {**(kwargs or {}), **({} if render_mode is None else {"render_mode": render_mode})}
        env = gym.make(env_id, **options)
    except TypeError as exc:
        raise ConfigError(f"{env_id} does not take the arguments {kwargs} ({exc}); check env_kwargs",
                          "env_kwargs") from None
    except gym.error.Error as exc:
        close = difflib.get_close_matches(env_id, list(gym.registry.keys()), n=3)
        hint = (f"did you mean {', '.join(close)}?" if close else
                'list the ids with `python -c "import gymnasium; gymnasium.pprint_registry()"`')
        raise ConfigError(f"unknown environment {env_id!r} ({type(exc).__name__}); {hint}") from None
    action_space, obs_space = env.action_space, env.observation_space
    if not isinstance(action_space, gym.spaces.Box):
        env.close()
        raise ConfigError(f"{env_id} has a {type(action_space).__name__} action space; ebrl's agents need a "
                          "continuous (Box) action space, e.g. Pendulum-v1 or HalfCheetah-v5")
    if not (np.all(np.isfinite(action_space.low)) and np.all(np.isfinite(action_space.high))):
        env.close()
        raise ConfigError(f"{env_id} has unbounded actions; ebrl needs finite bounds to rescale them to [-1, 1]")
    if not isinstance(obs_space, gym.spaces.Box) or len(obs_space.shape) != 1:
        env.close()
        raise ConfigError(f"{env_id} has observations of type {obs_space}; ebrl needs a flat Box observation, "
                          "e.g. wrap it with gymnasium.wrappers.FlattenObservation and register the result")
    unit = np.ones(action_space.shape, np.float32)
    return RescaleAction(env, -unit, unit)


def _import_env_module(env_id: str) -> None:
    """Import the module of a `module:Id` environment id, which registers Id; ConfigError if it cannot be."""
    import importlib
    import os

    module = env_id.split(":", 1)[0]
    if os.getcwd() not in sys.path:
        sys.path.append(os.getcwd())  # as `python -m` would: the user's own module, next to where they run
    try:
        importlib.import_module(module)
    except ImportError as exc:
        raise ConfigError(f"cannot import {module!r}, the module of env {env_id} ({exc}); install it, or run "
                          "from the folder that holds it", "env") from None
    except Exception as exc:  # the user's module failed while it ran: one line, in their terms
        raise ConfigError(f"importing {module!r}, the module of env {env_id}, raised {type(exc).__name__}: {exc}; "
                          f"fix the module (python -c 'import {module}' shows the traceback)", "env") from None


# Gymnasium's own HalfCheetah model uses this compiler attribute, which MuJoCo 4 deprecates: once per model built,
# nothing the user can act on (ebrl builds several copies of a task per command).
KNOWN_MUJOCO_WARNINGS = ("compiler attribute 'settotalmass' is deprecated",)


@functools.cache
def _quiet_known_mujoco_warnings() -> None:
    """Print MuJoCo's warnings as it does (WARNING: ... on stderr), except KNOWN_MUJOCO_WARNINGS; a handler the
    user installed is kept."""
    try:
        import mujoco
    except ImportError:
        return
    if mujoco.get_mju_user_warning() is not None:
        return

    def warn(message: str) -> None:
        if not message.startswith(KNOWN_MUJOCO_WARNINGS):
            print(f"WARNING: {message}", file=sys.stderr)

    mujoco.set_mju_user_warning(warn)


def space_dims(env: gym.Env) -> tuple[int, int]:
    """(obs_dim, act_dim) of an env made by `make_env`."""
    obs_shape, act_shape = env.observation_space.shape, env.action_space.shape
    assert obs_shape is not None and act_shape is not None  # make_env accepts Box spaces only
    return int(obs_shape[0]), int(act_shape[0])


def action_bounds(env: gym.Env) -> tuple[np.ndarray, np.ndarray]:
    """(low, high), float32 (act_dim,): the task's action bounds, to which make_env rescales [-1, 1]."""
    assert isinstance(env, RescaleAction)
    inner = env.env.action_space
    return np.asarray(inner.low, np.float32), np.asarray(inner.high, np.float32)  # type: ignore[attr-defined]


class EnvironmentFailed(RuntimeError):
    """The environment's own code raised while ebrl reset or stepped it; its error is the `__cause__`."""


@contextlib.contextmanager
def environment_calls(env_id: str, call: str):
    """Errors raised inside as EnvironmentFailed, naming the environment and the call (reset, step), so that they
    are told apart from ebrl's own."""
    try:
        yield
    except Exception as error:
        raise EnvironmentFailed(f"environment {env_id} raised {type(error).__name__} in {call}: {error}") from error


def episode_seed(*path: int) -> int:
    """A reset seed that is a pure function of integers (run seed, stream, indices): runs repeat and resume exactly."""
    return int(np.random.SeedSequence(list(path)).generate_state(1)[0])


def environment_statistics(env: gym.Env, final_infos: list[dict]) -> dict:
    """Statistics an environment computes from its episodes' last `info` dicts, through an optional
    `episode_statistics(final_infos) -> dict` method of the env or of one of its wrappers (MultiGoal: goal hits;
    the locomotion tasks: the directions of their displacement); else none."""
    try:
        method = env.get_wrapper_attr("episode_statistics")
    except AttributeError:
        return {}
    return method(final_infos)


def flat_statistics(statistics: dict) -> dict[str, float]:
    """Lists become numbered scalars (goal_hits → goal_hits_0, goal_hits_1, ...), for CSV columns."""
    flat: dict[str, float] = {}
    for name, value in statistics.items():
        if isinstance(value, list):
            flat |= {f"{name}_{i}": v for i, v in enumerate(value)}
        else:
            flat[name] = value
    return flat


from ebrl.envs.layouts import register as _register_multigoal  # noqa: E402  (after make_env: no cycle)
from ebrl.envs.locomotion import register as _register_locomotion  # noqa: E402

_register_multigoal()
_register_locomotion()
