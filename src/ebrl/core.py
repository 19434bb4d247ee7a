"""The agent interface shared by every algorithm, with no algorithm in it (the loop, the replay buffer and the run
directory import this, not the agents).

An agent is a bundle of pure functions over one state pytree (see docs/architecture.md):

    state = agent.init(key)
    actions = agent.act(state, obs, key, mode)          # obs (batch, obs_dim) -> actions (batch, act_dim) in [-1, 1]
    state, metrics = agent.update(state, batch, key)    # one gradient step on a Transition batch
    q = agent.q_value(state, obs, actions)              # (batch,), min over the critic ensemble

Every function also takes, as its last argument, `hyper`: the agent's Hyper, the continuous settings that change
neither shapes nor control flow (learning rates, γ, τ, temperatures, step sizes), by default `agent.hyper`, the
configuration's values compiled in as constants. A sweep passes each member's Hyper as leaves of the program, so that
one compiled program trains several settings (DESIGN.md, "Hyperparameters as leaves"); a Hyper's fields that fix the
program (`struct.field(pytree_node=False)`) must be equal across the members.
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
class StateParts:
    """The fields of an agent's state that a run started from another run's state (`started_from`) does not take
    over by default; the others (networks, target networks) it takes as they are."""

    optimizer: tuple[str, ...] = ()
    """Optimiser states (Adam's moments and step counts): this run's own, unless the source's are carried."""
    counters: tuple[str, ...] = ()
    """Update counters: always this run's own (they restart at 0)."""
    temperature: tuple[str, ...] = ()
    """log α, where the state holds it: the source's, unless this run's configuration is asked for."""


def started_from(own, source, parts: StateParts, *, optimizer: bool = False, temperature: bool = True):
    """The agent state of a run that starts from `source`, another run's state of the same shapes: `source`'s fields,
    except those that stay `own` (this run's init): the counters, the optimiser states unless `optimizer`, the
    temperature unless `temperature`. Works on single and on seed-batched states alike."""
    kept = [*parts.counters, *(() if optimizer else parts.optimizer), *(() if temperature else parts.temperature)]
    return source.replace(**{name: getattr(own, name) for name in kept})


@dataclasses.dataclass(frozen=True)
class Agent:
    init: Callable[..., Any]  # (key, hyper=hyper) -> state
    act: Callable[..., jax.Array]  # (state, obs, key, mode, hyper=hyper) -> actions
    update: Callable[..., tuple[Any, dict[str, jax.Array]]]  # (state, batch, key, hyper=hyper) -> state, metrics
    q_value: Callable[..., jax.Array]  # (state, obs, actions, hyper=hyper) -> q
    action_modes: tuple[str, ...]
    """Names accepted by `act`; evaluation reports every mode, the first is the default of `ebrl eval`."""
    train_mode: str
    """The mode used to act while collecting training data."""
    entropy: Callable[..., jax.Array] | None = None
    """The agent's own single-draw estimate of its policy's entropy, (state, obs, key) -> (batch,), where it has one."""
    sampler_score: Callable[..., Callable[[jax.Array], jax.Array]] | None = None
    """Where the policy is a sampler of a target density: (state, obs (obs_dim,), hyper=hyper) -> the score
    u ↦ ∇_u log p(u|s) its particles follow at that state, at the state's own temperature."""
    parts: StateParts = StateParts()
    """What the state's fields are, for a run that starts from another run's state (`started_from`)."""
    hyper: Any = None
    """The configuration's Hyper (Python numbers), every function's default `hyper`."""

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
    sweepable: tuple[str, ...] = ()
    """The config fields that only set the agent's Hyper: a sweep varies them in one compiled program."""
