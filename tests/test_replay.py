import jax
import jax.numpy as jnp
import numpy as np

from ebrl.core import Transition
from ebrl.replay import replay_add, replay_init, replay_sample


def transitions(values):
    v = jnp.asarray(values, jnp.float32)
    return Transition(obs=v[:, None], action=v[:, None], reward=v, next_obs=v[:, None], terminated=jnp.zeros_like(v))


def test_ring_overwrites_the_oldest():
    buffer = replay_init(4, 1, 1)
    buffer = replay_add(buffer, transitions([1, 2, 3]))
    assert int(buffer.size) == 3 and int(buffer.position) == 3
    buffer = replay_add(buffer, transitions([4, 5, 6]))
    assert int(buffer.size) == 4 and int(buffer.position) == 2
    np.testing.assert_array_equal(buffer.data.reward, [5, 6, 3, 4])


def test_sample_draws_only_filled_slots_uniformly():
    buffer = replay_add(replay_init(100, 1, 1), transitions([7, 8, 9]))
    batch = replay_sample(buffer, jax.random.key(0), 30_000)
    values, counts = np.unique(np.asarray(batch.reward), return_counts=True)
    np.testing.assert_array_equal(values, [7, 8, 9])
    assert np.all(np.abs(counts / 30_000 - 1 / 3) < 0.02)
    np.testing.assert_array_equal(batch.obs[:, 0], batch.reward)  # fields of one transition stay together
