"""The on-device driver, for tasks written in JAX (the MultiGoal family; Brax or MJX tasks would fit the same
functions): per chunk, one compiled program runs, for all seeds at once, a `lax.scan` over the chunk's steps
(behaviour action, environment step, reset where an episode ended) and then the learner's store or learn step,
as purejaxrl and rejax do. The environment's state is part of the program's state, so a checkpoint holds it and a
resume continues exactly with nothing replayed.

Episode e of seed k starts from reset(fold_in(fold_in(key(k), RESET_STREAM), e)).
"""

from typing import Any

import jax
import jax.numpy as jnp
from flax import struct

from ebrl.core import Transition
from ebrl.loop.driver import DriverKind, DriverState
from ebrl.loop.learner import Learner

RESET_STREAM = 1_000_003  # fold_in constant of the reset keys, apart from the learner's split keys


@struct.dataclass
class EnvSlot:
    """One seed's training environment inside the program."""

    env: Any  # the task's state
    obs: jax.Array
    episode_return: jax.Array  # float32
    episode_start: jax.Array  # int32, the step at which the current episode began
    episode_index: jax.Array  # int32


def _reset_key(seed):
    return jax.random.fold_in(jax.random.key(seed), RESET_STREAM)


def _init_slot_fn(reset_fn):
    def init_slot(seed) -> EnvSlot:
        env, obs = reset_fn(jax.random.fold_in(_reset_key(seed), 0))
        zero = jnp.zeros((), jnp.int32)
        return EnvSlot(env, obs, jnp.zeros((), jnp.float32), zero, zero)

    return init_slot


def slot_shape(functions):
    """The shape of one seed's EnvSlot, for restoring a checkpoint."""
    return jax.eval_shape(_init_slot_fn(functions[0]), 0)


class JaxDriver:
    """Collect and learn as one compiled call per chunk; `start`, a `snapshot`, continues where that one was
    taken (its device part: the seeds' EnvSlots)."""

    kind: DriverKind = "jax"

    def __init__(self, functions, learner: Learner, seeds: list[int], *, start: DriverState | None = None):
        reset_fn, step_fn = functions
        self.seeds = jnp.asarray(seeds)

        def chunk(state, slot: EnvSlot, seed, step, n: int, learn: bool, updates: int):
            reset_key = _reset_key(seed)

            def one(slot: EnvSlot, i):
                t = step + i
                action = learner.behaviour(state, slot.obs, t, slot.episode_start)
                env, obs, reward, terminated, truncated = step_fn(slot.env, action)
                done = terminated | truncated
                episode_return = slot.episode_return + reward
                index = slot.episode_index + done.astype(jnp.int32)
                reset_env, reset_obs = reset_fn(jax.random.fold_in(reset_key, index))
                def pick(fresh, going):
                    return jnp.where(done, fresh, going)
                next_slot = EnvSlot(jax.tree.map(pick, reset_env, env), pick(reset_obs, obs),
                                    pick(0.0, episode_return), pick(t + 1, slot.episode_start), index)
                new = Transition(slot.obs, action, reward, obs, terminated.astype(jnp.float32))
                return next_slot, (new, done, episode_return)

            slot, (new, done, returns) = jax.lax.scan(one, slot, jnp.arange(n))
            if learn:
                state, metrics = learner.learn(state, new, step + n, updates)
            else:
                state, metrics = learner.store(state, new), {}
            return state, slot, metrics, done, returns

        self.slots = (start.device if start is not None
                      else jax.jit(jax.vmap(_init_slot_fn(reset_fn)))(self.seeds))
        self._chunk = jax.jit(jax.vmap(chunk, in_axes=(0, 0, 0, None, None, None, None)), static_argnums=(4, 5, 6),
                              donate_argnums=(0, 1))

    def chunk(self, states, step: int, n: int, learn: bool, updates: int):
        """As GymDriver.chunk."""
        states, self.slots, metrics, done, returns = self._chunk(states, self.slots, self.seeds, step, n, learn,
                                                                 updates)
        done, returns = jax.device_get((done, returns))
        finished = [[float(r) for r, d in zip(returns[k], done[k]) if d] for k in range(len(done))]
        return states, (metrics if learn else None), finished

    def snapshot(self, step: int) -> DriverState:
        return DriverState("jax", tuple({} for _ in range(len(self.seeds))), self.slots)

    def close(self) -> None:
        pass
