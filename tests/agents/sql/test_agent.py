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


@pytest.mark.slow
def test_an_annealed_alpha_trains_as_the_constant_alpha_of_its_update_count():
    """With alpha_final, update t trains as the constant α_t = α_0^(1 − t/N)·α_N^(t/N) does: α_0 = 1/4 (reward scale
    4), α_N = 1/64, N = 10, t = 5 give α_5 = 1/16."""
    annealed = make_agent(dataclasses.replace(CONFIG, reward_scale=4.0, alpha_final=1 / 64, anneal_updates=10), 3, 2)
    constant = make_agent(dataclasses.replace(CONFIG, reward_scale=16.0), 3, 2)
    state = annealed.init(jax.random.key(0)).replace(updates=jnp.asarray(5, jnp.int32))
    batch, key = random_batch(jax.random.key(1)), jax.random.key(2)
    updated = [jax.jit(agent.update)(state, batch, key)[0] for agent in (annealed, constant)]
    jax.tree.map(lambda a, b: np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-7), *updated)
    obs, actions = batch.obs[:4], batch.action[:4]
    np.testing.assert_allclose(annealed.q_value(state, obs, actions), constant.q_value(state, obs, actions), rtol=1e-5)
    np.testing.assert_allclose(annealed.q_value(state.replace(updates=jnp.asarray(50)), obs, actions),
                               make_agent(dataclasses.replace(CONFIG, alpha=1 / 64), 3, 2).q_value(state, obs, actions),
                               rtol=1e-5)  # after N updates, α stays at alpha_final


def test_noise_draws_shrink_to_one_fixed_draw():
    """noise_draws K = 3: at first every state's actions take at most 3 values over many keys; after N updates one,
    the sampler at the first fixed draw."""
    agent = make_agent(dataclasses.replace(CONFIG, noise_draws=3, anneal_updates=10), 3, 2)
    state = agent.init(jax.random.key(0))
    obs = jax.random.normal(jax.random.key(1), (4, 3))

    def actions(updates):
        at = state.replace(updates=jnp.asarray(updates, jnp.int32))
        return np.stack([agent.act(at, obs, jax.random.key(k), "sample") for k in range(40)])  # (40, 4, 2)

    first = actions(0)
    assert all(1 < len(np.unique(first[:, i], axis=0)) <= 3 for i in range(4))
    last = actions(10)
    assert all(len(np.unique(last[:, i], axis=0)) == 1 for i in range(4))
    from ebrl.agents.sql.agent import NOISE_DRAWS_KEY
    from ebrl.agents.sql.networks import make_networks
    draw = jax.random.normal(jax.random.key(NOISE_DRAWS_KEY), (3, 2))[0]
    expected = make_networks(2, CONFIG.hidden).sampler.apply(state.sampler_params, obs, jnp.tile(draw, (4, 1)))
    np.testing.assert_allclose(last[0], expected, rtol=1e-6)


@pytest.mark.parametrize("changes, message", [
    (dict(alpha=0.0, alpha_final=0.01), "alpha 0 is the hard max"),
    (dict(alpha_final=0.0), "alpha_final must be positive"),
    (dict(noise_draws=0), "noise_draws must be at least 1"),
    (dict(kernel_particles=2), "at least 1 updated and 2 fixed"),
    (dict(alpha=-1.0), "alpha must be non-negative"),
    (dict(reward_scale=0.0), "reward_scale must be positive"),
    (dict(hidden=()), "hidden needs one or more"),
])
def test_bad_configuration(changes, message):
    with pytest.raises(ConfigError, match=message):
        dataclasses.replace(CONFIG, **changes).validate()
