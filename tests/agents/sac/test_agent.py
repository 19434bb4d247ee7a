import dataclasses

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from ebrl.agents.sac import SACConfig, make_agent
from ebrl.nets import CriticEnsemble
from tests.helpers import random_batch

CONFIG = SACConfig(hidden=(16, 16))


def test_polyak_update_of_the_target_critics():
    """θ̄' = τ·θ' + (1 − τ)·θ̄, with θ' the critic parameters after this update's gradient step."""
    agent = make_agent(dataclasses.replace(CONFIG, tau=0.1), 3, 2)
    state = agent.init(jax.random.key(0))
    state = dataclasses.replace(state, target_critic_params=jax.tree.map(lambda p: p + 1.0, state.critic_params))
    new, _ = jax.jit(agent.update)(state, random_batch(jax.random.key(1)), jax.random.key(2))
    expected = jax.tree.map(lambda c, t: 0.1 * c + 0.9 * t, new.critic_params, state.target_critic_params)
    for got, want in zip(jax.tree.leaves(new.target_critic_params), jax.tree.leaves(expected)):
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-7)


def test_fixed_alpha_stays_fixed_and_autotuned_alpha_moves():
    batch, key = random_batch(jax.random.key(1)), jax.random.key(2)
    fixed = make_agent(dataclasses.replace(CONFIG, alpha=0.2, autotune_alpha=False), 3, 2)
    state, _ = jax.jit(fixed.update)(fixed.init(jax.random.key(0)), batch, key)
    np.testing.assert_allclose(jnp.exp(state.log_alpha), 0.2, rtol=1e-6)
    tuned = make_agent(CONFIG, 3, 2)
    state, metrics = jax.jit(tuned.update)(tuned.init(jax.random.key(0)), batch, key)
    assert float(state.log_alpha) != 0.0 and float(metrics["alpha"]) == 1.0


def test_action_modes():
    agent = make_agent(CONFIG, 3, 2)
    state = agent.init(jax.random.key(0))
    obs = jax.random.normal(jax.random.key(1), (5, 3))
    mean_a = agent.act(state, obs, jax.random.key(2), "mean")
    np.testing.assert_array_equal(mean_a, agent.act(state, obs, jax.random.key(3), "mean"))  # deterministic
    sampled = agent.act(state, obs, jax.random.key(2), "sample")
    assert sampled.shape == (5, 2) and not np.allclose(sampled, mean_a)
    assert float(jnp.abs(sampled).max()) <= 1.0
    with pytest.raises(ValueError, match="no action mode"):
        agent.act(state, obs, jax.random.key(2), "softmax")


def test_q_value_is_the_ensemble_minimum():
    agent = make_agent(CONFIG, 3, 2)
    state = agent.init(jax.random.key(0))
    batch = random_batch(jax.random.key(1), n=4)
    q = agent.q_value(state, batch.obs, batch.action)
    all_q = CriticEnsemble((16, 16), 2).apply(state.critic_params, batch.obs, batch.action)  # (2, batch)
    np.testing.assert_allclose(q, all_q.min(axis=0), rtol=1e-6)


def test_entropy_estimate_agrees_with_a_nearest_neighbour_estimate():
    """−log π(a|s) averaged over draws against the Kozachenko-Leonenko estimate from sampled actions."""
    from ebrl.samplers import knn_entropy

    agent = make_agent(CONFIG, 3, 2)
    state = agent.init(jax.random.key(0))
    obs = jnp.broadcast_to(jax.random.normal(jax.random.key(1), (3,)), (4000, 3))
    own = float(agent.entropy(state, obs, jax.random.key(2)).mean())
    knn = knn_entropy(np.asarray(agent.act(state, obs, jax.random.key(3), "sample"), np.float64))
    assert abs(own - knn) < 0.1, (own, knn)
