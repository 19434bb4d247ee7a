"""The replay buffer: a ring of transitions held as device arrays, filled and sampled inside compiled code."""

import jax
import jax.numpy as jnp
from flax import struct

from ebrl.agents import Transition


@struct.dataclass
class ReplayBuffer:
    data: Transition  # every field has leading axis `capacity`
    position: jax.Array  # next slot to write, int32
    size: jax.Array  # slots filled, int32


def replay_init(capacity: int, obs_dim: int, act_dim: int) -> ReplayBuffer:
    data = Transition(
        obs=jnp.zeros((capacity, obs_dim), jnp.float32),
        action=jnp.zeros((capacity, act_dim), jnp.float32),
        reward=jnp.zeros((capacity,), jnp.float32),
        next_obs=jnp.zeros((capacity, obs_dim), jnp.float32),
        terminated=jnp.zeros((capacity,), jnp.float32),
    )
    return ReplayBuffer(data, jnp.zeros((), jnp.int32), jnp.zeros((), jnp.int32))


def capacity(buffer: ReplayBuffer) -> int:
    return buffer.data.reward.shape[0]


def replay_add(buffer: ReplayBuffer, transitions: Transition) -> ReplayBuffer:
    """Write n transitions at slots (position + 0..n−1) mod capacity, overwriting the oldest."""
    cap = capacity(buffer)
    n = transitions.reward.shape[0]
    slots = (buffer.position + jnp.arange(n)) % cap
    data = jax.tree.map(lambda store, new: store.at[slots].set(new), buffer.data, transitions)
    return ReplayBuffer(data, (buffer.position + n) % cap, jnp.minimum(buffer.size + n, cap))


def replay_sample(buffer: ReplayBuffer, key: jax.Array, batch_size: int) -> Transition:
    """Uniform sample with replacement among the filled slots."""
    idx = jax.random.randint(key, (batch_size,), 0, buffer.size)
    return jax.tree.map(lambda store: store[idx], buffer.data)
