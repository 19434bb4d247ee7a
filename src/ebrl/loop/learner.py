"""The learner: what one seed does, as pure functions of its state, written once and vmapped over seeds.

Per seed, the state is a `SeedState` pytree (agent state, replay buffer, the two keys every random choice of the
loop derives from, and in a sweep the member's hyperparameters); a group of S seeds is the same pytree with a leading
axis S on every leaf. Every random choice is a pure function of the seed and a counter: the behaviour action at step
t uses fold_in(act_key, t), the updates of the chunk that ends at step t use fold_in(update_key, t).

A sweep is a group whose members differ in their settings too: each member's `hyper` (the agent's Hyper, see
ebrl.core) enters every agent function as an argument, so that one program trains them all. Without it (None), the
agent's own configuration is compiled in as constants.
"""

import dataclasses
import math
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
from flax import struct

from ebrl.config import TrainConfig
from ebrl.core import Agent, Transition
from ebrl.replay import ReplayBuffer, replay_add, replay_init, replay_sample

TRAIN_STREAM = 0  # episode_seed stream of training episodes


@struct.dataclass
class SeedState:
    agent: Any
    replay: ReplayBuffer
    act_key: jax.Array
    update_key: jax.Array
    hyper: Any = None
    """The member's Hyper in a sweep; None: the agent's own. Not checkpointed: each member's config.json holds it."""


def seed_keys(seed) -> tuple[jax.Array, jax.Array, jax.Array]:
    """(init_key, act_key, update_key) of a seed."""
    init_key, act_key, update_key = jax.random.split(jax.random.key(seed), 3)
    return init_key, act_key, update_key


def ou_noise_fn(act_dim: int, sigma: float, theta: float) -> Callable | None:
    """`(noise_key, step, episode_start) -> x_t` of the Ornstein-Uhlenbeck process x_t = (1 − θ)·x_{t−1} + σ·ε_t,
    x = 0 before the episode's first step, or None when σ = 0.

    Written as the sum x_t = σ·Σ_k (1 − θ)^k·ε_{t−k} over the episode's steps, truncated where (1 − θ)^k < 1e-6,
    with ε_t = normal(fold_in(noise_key, t)): the noise needs no state, and a resumed run draws the same noise.
    """
    if sigma <= 0:
        return None
    window = min(1000, math.ceil(math.log(1e-6) / math.log1p(-theta)))

    def noise(noise_key, step, episode_start):
        lags = jnp.arange(window)
        eps = jax.vmap(lambda lag: jax.random.normal(jax.random.fold_in(noise_key, step - lag), (act_dim,)))(lags)
        weights = jnp.where(step - lags >= episode_start, (1.0 - theta) ** lags, 0.0)
        return sigma * weights @ eps

    return noise


@dataclasses.dataclass(frozen=True)
class Learner:
    """Per-seed pure functions; `batched(learner)` gives their compiled, seed-vmapped forms."""

    init: Callable[[jax.Array, Any], SeedState]  # (seed (int32 scalar), hyper or None) -> state
    behaviour: Callable[[SeedState, jax.Array, jax.Array, jax.Array], jax.Array]  # (state, obs, step, episode_start)
    store: Callable[[SeedState, Transition], SeedState]
    learn: Callable[[SeedState, Transition, jax.Array, int], tuple[SeedState, dict]]  # (state, new, step, updates)


def replay_capacity(cfg: TrainConfig) -> int:
    """Slots of a seed's replay ring: min(buffer size, steps), since a larger ring would never be filled."""
    return min(cfg.buffer_size, cfg.steps)


def make_learner(agent: Agent, cfg: TrainConfig, obs_dim: int, act_dim: int) -> Learner:
    """The learner of one seed:

    - behaviour(state, obs (obs_dim,), step, episode_start) -> action: uniform on [-1, 1]^d before `random_steps`,
      else the agent's training mode, plus Ornstein-Uhlenbeck noise when `ou_sigma` > 0;
    - store(state, new): the new transitions into the replay ring;
    - learn(state, new, step, n): store, then n agent updates on uniform minibatches in one `lax.scan`; returns the
      mean of each update metric.
    """
    capacity = replay_capacity(cfg)
    noise = ou_noise_fn(act_dim, cfg.ou_sigma, cfg.ou_theta)

    def hyper_of(state: SeedState):
        return agent.hyper if state.hyper is None else state.hyper

    def init(seed, hyper=None) -> SeedState:
        init_key, act_key, update_key = seed_keys(seed)
        agent_state = agent.init(init_key, agent.hyper if hyper is None else hyper)
        return SeedState(agent_state, replay_init(capacity, obs_dim, act_dim), act_key, update_key, hyper)

    def behaviour(state: SeedState, obs, step, episode_start):
        act_key, noise_key = jax.random.split(state.act_key)
        key = jax.random.fold_in(act_key, step)

        def policy_action():
            action = agent.act(state.agent, obs[None], key, agent.train_mode, hyper_of(state))[0]
            return action if noise is None else jnp.clip(action + noise(noise_key, step, episode_start), -1.0, 1.0)

        return jax.lax.cond(step < cfg.random_steps,
                            lambda: jax.random.uniform(key, (act_dim,), minval=-1.0, maxval=1.0), policy_action)

    def store(state: SeedState, new: Transition) -> SeedState:
        return dataclasses.replace(state, replay=replay_add(state.replay, new))

    def learn(state: SeedState, new: Transition, step, n_updates: int):
        replay = replay_add(state.replay, new)

        def one_update(agent_state, update_key):
            sample_key, agent_key = jax.random.split(update_key)
            return agent.update(agent_state, replay_sample(replay, sample_key, cfg.batch_size), agent_key,
                                hyper_of(state))

        keys = jax.random.split(jax.random.fold_in(state.update_key, step), n_updates)
        agent_state, metrics = jax.lax.scan(one_update, state.agent, keys)
        return dataclasses.replace(state, agent=agent_state, replay=replay), jax.tree.map(jnp.mean, metrics)

    return Learner(init, behaviour, store, learn)


@dataclasses.dataclass(frozen=True)
class BatchedLearner:
    """The learner's functions over a leading seed axis, compiled; states are donated where they are replaced."""

    init: Callable  # (seeds (S,), hypers (leading axis S) or None) -> states
    behaviour: Callable  # (states, obs (S, obs_dim), step, episode_starts (S,)) -> actions (S, act_dim)
    store: Callable  # (states, new (S, n, ...)) -> states
    learn: Callable  # (states, new, step, n_updates) -> states, metrics {name: (S,)}


def batched(learner: Learner) -> BatchedLearner:
    return BatchedLearner(
        init=jax.jit(jax.vmap(learner.init)),
        behaviour=jax.jit(jax.vmap(learner.behaviour, in_axes=(0, 0, None, 0))),
        store=jax.jit(jax.vmap(learner.store), donate_argnums=0),
        learn=jax.jit(jax.vmap(learner.learn, in_axes=(0, 0, None, None)), static_argnums=3, donate_argnums=0),
    )


def seed_slice(tree, k: int):
    """Seed k's part of a batched pytree."""
    return jax.tree.map(lambda leaf: leaf[k], tree)


def stack_seeds(trees: list):
    """The batched pytree of per-seed pytrees."""
    return jax.tree.map(lambda *leaves: jnp.stack(leaves), *trees)
