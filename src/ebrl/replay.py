"""The replay buffer: a ring of transitions held as device arrays, filled and sampled inside compiled code."""

import jax
import jax.numpy as jnp
from flax import struct

from ebrl.core import Transition


@struct.dataclass
class ReplayBuffer:
    data: Transition  # every field has leading axis `capacity`
    position: jax.Array  # next slot to write, int32
    size: jax.Array  # slots filled, int32


def zeros_transitions(n: int, obs_dim: int, act_dim: int, xp=jnp) -> Transition:
    """n float32 zero transitions, as `xp` arrays (jax.numpy, or NumPy for a host-side staging buffer)."""
    return Transition(obs=xp.zeros((n, obs_dim), xp.float32), action=xp.zeros((n, act_dim), xp.float32),
                      reward=xp.zeros((n,), xp.float32), next_obs=xp.zeros((n, obs_dim), xp.float32),
                      terminated=xp.zeros((n,), xp.float32))


def replay_init(capacity: int, obs_dim: int, act_dim: int) -> ReplayBuffer:
    data = zeros_transitions(capacity, obs_dim, act_dim)
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
