"""The agent interface shared by every algorithm, with no algorithm in it (the loop, the replay buffer and the run
directory import this, not the agents).

An agent is a bundle of pure functions over one state pytree (see docs/architecture.md):

    state = agent.init(key)
    actions = agent.act(state, obs, key, mode)          # obs (batch, obs_dim) -> actions (batch, act_dim) in [-1, 1]
    state, metrics = agent.update(state, batch, key)    # one gradient step on a Transition batch
    q = agent.q_value(state, obs, actions)              # (batch,), min over the critic ensemble
"""

import dataclasses
from collections.abc import Callable
from typing import Any

import jax
from flax import struct

from ebrl.config import ConfigError


@struct.dataclass
class Transition:
    """A batch of transitions; `terminated` is 1.0 only where the episode ended without a time limit."""

    obs: jax.Array  # (batch, obs_dim)
    action: jax.Array  # (batch, act_dim), in [-1, 1]
    reward: jax.Array  # (batch,)
    next_obs: jax.Array  # (batch, obs_dim)
    terminated: jax.Array  # (batch,)


@dataclasses.dataclass(frozen=True)
class Agent:
    init: Callable[[jax.Array], Any]
    act: Callable[[Any, jax.Array, jax.Array, str], jax.Array]
    update: Callable[[Any, Transition, jax.Array], tuple[Any, dict[str, jax.Array]]]
    q_value: Callable[[Any, jax.Array, jax.Array], jax.Array]
    action_modes: tuple[str, ...]
    """Names accepted by `act`; evaluation reports every mode, the first is the default of `ebrl eval`."""
    train_mode: str
    """The mode used to act while collecting training data."""
    entropy: Callable[[Any, jax.Array, jax.Array], jax.Array] | None = None
    """The agent's own single-draw estimate of its policy's entropy, (state, obs, key) -> (batch,), where it has one."""

    def check_mode(self, mode: str | None, algo: str) -> str:
        """The action mode to use: `mode`, or the first of `action_modes`; ConfigError if the agent (of algorithm
        `algo`) has no such mode."""
        mode = mode or self.action_modes[0]
        if mode not in self.action_modes:
            raise ConfigError(f"mode {mode!r} is not an action mode of {algo}; choose one of "
                              f"{', '.join(self.action_modes)}", "mode")
        return mode


@dataclasses.dataclass(frozen=True)
class Algorithm:
    name: str
    config_type: type
    make_agent: Callable[[Any, int, int], Agent]
