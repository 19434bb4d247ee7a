import dataclasses

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from ebrl.agents.sql import SQLConfig, make_agent
from ebrl.config import ConfigError
from tests.helpers import random_batch

CONFIG = SQLConfig(hidden=(16, 16), kernel_particles=8, value_particles=8)


def test_target_network_is_copied_on_schedule():
    """Hard copy after updates 3 and 6 with an interval of 3; in between the target stays as it was."""
    agent = make_agent(dataclasses.replace(CONFIG, target_update_interval=3), 3, 2)
    state = agent.init(jax.random.key(0))
    update = jax.jit(agent.update)
    leaf = lambda params: np.asarray(jax.tree.leaves(params)[0])  # noqa: E731
    np.testing.assert_array_equal(leaf(state.target_q_params), leaf(state.q_params))  # the copy at the start
    copied = leaf(state.q_params)
    for n in range(1, 8):
        state, _ = update(state, random_batch(jax.random.key(n)), jax.random.key(100 + n))
        if n % 3 == 0:
            copied = leaf(state.q_params)
        np.testing.assert_array_equal(leaf(state.target_q_params), copied)
        assert (n % 3 == 0) == np.array_equal(leaf(state.target_q_params), leaf(state.q_params))
    assert int(state.updates) == 7


def test_temperature_as_alpha_or_reward_scale():
    assert SQLConfig(reward_scale=0.1).network_units == (0.1, 1.0)
    assert SQLConfig(reward_scale=0.1, alpha=0.5).network_units == (2.0, 1.0)  # --alpha wins
    assert SQLConfig(alpha=0.0).network_units == (1.0, 0.0)  # the hard-max limit, rewards unscaled


def test_equal_temperatures_give_the_same_update():
    """reward_scale = 1/α is the official parameterisation of α: both spellings train identically."""
    batch, key = random_batch(jax.random.key(1)), jax.random.key(2)
    states = []
    for config in (dataclasses.replace(CONFIG, reward_scale=4.0), dataclasses.replace(CONFIG, alpha=0.25)):
        agent = make_agent(config, 3, 2)
        states.append(jax.jit(agent.update)(agent.init(jax.random.key(0)), batch, key)[0])
    for a, b in zip(jax.tree.leaves(states[0]), jax.tree.leaves(states[1])):
        np.testing.assert_array_equal(a, b)


def test_actions_are_fresh_samples_in_the_box_and_q_is_in_reward_units():
    agent = make_agent(dataclasses.replace(CONFIG, reward_scale=0.1), 3, 2)
    state = agent.init(jax.random.key(0))
    obs = jax.random.normal(jax.random.key(1), (5, 3))
    first, second = (agent.act(state, obs, jax.random.key(k), "sample") for k in (2, 3))
    assert first.shape == (5, 2) and not np.allclose(first, second) and float(jnp.abs(first).max()) < 1.0
    with pytest.raises(ValueError, match="no action mode"):
        agent.act(state, obs, jax.random.key(2), "mean")
    from ebrl.agents.sql.networks import make_networks
    raw = make_networks(2, CONFIG.hidden).q.apply(state.q_params, obs, first)
    np.testing.assert_allclose(agent.q_value(state, obs, first), raw / 0.1, rtol=1e-6)


@pytest.mark.parametrize("changes, message", [
    (dict(kernel_particles=2), "at least 1 updated and 2 fixed"),
    (dict(alpha=-1.0), "alpha must be non-negative"),
    (dict(reward_scale=0.0), "reward_scale must be positive"),
    (dict(hidden=()), "hidden needs one or more"),
])
def test_bad_configuration(changes, message):
    with pytest.raises(ConfigError, match=message):
        dataclasses.replace(CONFIG, **changes).validate()
