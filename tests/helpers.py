"""Helpers shared by the tests."""

import jax
import jax.numpy as jnp

from ebrl.core import Transition


def random_batch(key, n=32, obs_dim=3, act_dim=2) -> Transition:
    """A batch of random transitions, actions in [−1, 1], none terminated."""
    k = jax.random.split(key, 4)
    return Transition(obs=jax.random.normal(k[0], (n, obs_dim)), action=jax.random.uniform(k[1], (n, act_dim), minval=-1),
                      reward=jax.random.normal(k[2], (n,)), next_obs=jax.random.normal(k[3], (n, obs_dim)),
                      terminated=jnp.zeros(n))
