"""A task: what ebrl needs to know of an environment id, probed once (one environment built and closed) and passed
down, instead of every layer building an environment to read a dimension."""

import dataclasses
import functools
import json

import numpy as np

from ebrl.envs import action_bounds, environment_statistics, flat_statistics, make_env, space_dims
from ebrl.envs.multigoal import MultiGoalEnv, MultiGoalParams
from ebrl.envs.multigoal import jax_functions as multigoal_functions


@dataclasses.dataclass(frozen=True, eq=False)
class Task:
    """An environment id with its keyword arguments, and what a probe of it found."""

    env_id: str
    env_kwargs: dict
    obs_dim: int
    act_dim: int
    action_low: np.ndarray
    """(act_dim,) float32: the bounds to which the agents' actions in [-1, 1] are rescaled."""
    action_high: np.ndarray
    statistics: tuple[str, ...]
    """Names of the scalar episode statistics the environment computes (MultiGoal: goal_hits_0, ..., no_goal)."""
    arena: MultiGoalParams | None
    """The MultiGoal family's layout, else None."""
    probe_states: np.ndarray | None
    """The MultiGoal family's probe states, (n, 2), else None."""

    def jax_functions(self):
        """The task as pure JAX functions `(reset, step)` where ebrl has them (the MultiGoal family), else None."""
        return multigoal_functions(self.arena) if self.arena is not None else None

    def make(self, render_mode: str | None = None):
        """A new environment of the task (a gymnasium.Env, actions in [-1, 1])."""
        return make_env(self.env_id, render_mode, kwargs=self.env_kwargs)


def describe_task(env_id: str, env_kwargs: dict | None = None) -> Task:
    """The task of `env_id` built with `env_kwargs`; ConfigError (from make_env) for one ebrl cannot train on. One
    probe per id and arguments in a process."""
    return _describe(env_id, json.dumps(env_kwargs or {}, sort_keys=True))


@functools.cache
def _describe(env_id: str, kwargs_json: str) -> Task:
    kwargs = json.loads(kwargs_json)
    env = make_env(env_id, kwargs=kwargs)
    try:
        obs_dim, act_dim = space_dims(env)
        low, high = action_bounds(env)
        statistics = tuple(flat_statistics(environment_statistics(env, [])))
        unwrapped = env.unwrapped
        if isinstance(unwrapped, MultiGoalEnv):
            return Task(env_id, kwargs, obs_dim, act_dim, low, high, statistics, unwrapped.params,
                        np.asarray(unwrapped.probe_states))
        return Task(env_id, kwargs, obs_dim, act_dim, low, high, statistics, None, None)
    finally:
        env.close()
