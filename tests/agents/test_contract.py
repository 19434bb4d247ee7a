"""The agent contract every registered algorithm keeps: init, act and update are pure functions of their inputs,
so that S seeds vmapped into one compiled program equal S single-seed calls (the batched learner relies on it)."""

import functools

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from ebrl.agents import ALGORITHMS
from ebrl.agents.s2ac import S2ACConfig
from ebrl.agents.sac import SACConfig
from ebrl.agents.sql import SQLConfig
from tests.helpers import random_batch

TINY_CONFIGS = {
    "sac": SACConfig(hidden=(16, 16)),
    "sql": SQLConfig(hidden=(16, 16), kernel_particles=4, value_particles=4),
    "s2ac": S2ACConfig(particles=4, svgd_steps=2, actor_hidden=(8,), critic_hidden=(8, 8), amortizer_hidden=(8,),
                       amortize=True),
}
SEEDS = 3


def test_every_algorithm_has_a_tiny_config():
    assert set(TINY_CONFIGS) == set(ALGORITHMS)


@pytest.mark.parametrize("algo", sorted(TINY_CONFIGS))
def test_vmapped_seeds_equal_single_seeds(algo):
    agent = ALGORITHMS[algo].make_agent(TINY_CONFIGS[algo], 3, 2)
    keys = jax.random.split(jax.random.key(0), SEEDS)
    batches = jax.vmap(random_batch)(jax.random.split(jax.random.key(1), SEEDS))
    update_keys = jax.random.split(jax.random.key(2), SEEDS)
    states = jax.vmap(agent.init)(keys)
    new_states, metrics = jax.jit(jax.vmap(agent.update))(states, batches, update_keys)
    obs = jax.random.normal(jax.random.key(3), (SEEDS, 5, 3))
    actions = {mode: jax.jit(jax.vmap(lambda s, o, k, mode=mode: agent.act(s, o, k, mode)))(new_states, obs,
                                                                                            update_keys)
               for mode in agent.action_modes}
    single_update = jax.jit(agent.update)
    def close(a, b):
        np.testing.assert_allclose(a, b, rtol=2e-5, atol=2e-6)

    for i in range(SEEDS):
        seed_i = functools.partial(_index, i)
        state = agent.init(keys[i])
        jax.tree.map(np.testing.assert_array_equal, state, jax.tree.map(seed_i, states))
        batch = jax.tree.map(seed_i, batches)
        new_state, single_metrics = single_update(state, batch, update_keys[i])
        jax.tree.map(close, new_state, jax.tree.map(seed_i, new_states))
        jax.tree.map(close, single_metrics, jax.tree.map(seed_i, metrics))
        for mode, batched in actions.items():
            close(agent.act(new_state, obs[i], update_keys[i], mode), batched[i])
        assert jnp.all(jnp.abs(actions[agent.train_mode]) <= 1.0)


def _index(i, leaf):
    return leaf[i]


@pytest.mark.parametrize("algo", sorted(TINY_CONFIGS))
def test_state_parts_name_fields_of_the_state_and_every_optimiser_state(algo):
    """What a run started from another run's state keeps of its own (ebrl.core.started_from) is named right."""
    agent = ALGORITHMS[algo].make_agent(TINY_CONFIGS[algo], 3, 2)
    fields = set(type(agent.init(jax.random.key(0))).__dataclass_fields__)
    parts = agent.parts
    assert {*parts.optimizer, *parts.counters, *parts.temperature} <= fields
    assert {name for name in fields if name.endswith("_opt")} == set(parts.optimizer)
    assert all("alpha" in name for name in parts.temperature)
