"""The agent contract every registered algorithm keeps: init, act and update are pure functions of their inputs,
so that S seeds vmapped into one compiled program equal S single-seed calls (the batched learner relies on it)."""

import dataclasses
import functools

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from ebrl.agents import ALGORITHMS
from ebrl.agents.s2ac import S2ACConfig
from ebrl.agents.sac import SACConfig
from ebrl.agents.sql import SQLConfig
from ebrl.config import ALGORITHM_NAMES, ConfigError
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


@pytest.mark.slow
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


SWEPT = {  # base config, and every field of the algorithm's sweepable changed at once
    "sac": (TINY_CONFIGS["sac"], dict(actor_lr=1e-3, critic_lr=2e-3, alpha_lr=3e-3, gamma=0.9, tau=0.05, alpha=0.3,
                                      target_entropy=-0.5)),
    "sql": (TINY_CONFIGS["sql"], dict(q_lr=1e-3, policy_lr=2e-3, gamma=0.9, alpha=0.25)),
    "sql-reward-scale": (TINY_CONFIGS["sql"], dict(reward_scale=4.0)),
    "s2ac": (dataclasses.replace(TINY_CONFIGS["s2ac"], autotune_alpha=True),
             dict(actor_lr=1e-4, critic_lr=2e-4, alpha_lr=3e-3, amortizer_lr=4e-3, gamma=0.9, tau=0.05,
                  alpha_critic=0.3, alpha_actor=0.3, target_entropy=-0.5, svgd_step_size=0.3, softmax_temperature=0.5)),
    "s2ac-phi": (dataclasses.replace(TINY_CONFIGS["s2ac"], variant="phi"),
                 dict(sigma_p0=0.2, alpha_critic=0.4, alpha_actor=0.1, svgd_step_size=0.05)),
}


def test_the_names_the_commands_offer_are_the_registrys():
    """config.ALGORITHM_NAMES (what --help and a study's plan list without importing JAX) is the registry's keys."""
    assert sorted(ALGORITHM_NAMES) == sorted(ALGORITHMS)


def test_the_sweeps_cover_every_sweepable_field():
    for algo, algorithm in ALGORITHMS.items():
        assert set(algorithm.sweepable) == {name for key, (_, changes) in SWEPT.items() if key.split("-")[0] == algo
                                            for name in changes}


@pytest.mark.slow
@pytest.mark.parametrize("case", sorted(SWEPT))
def test_a_sweep_in_one_program_equals_each_setting_alone(case):
    """Two settings vmapped with their Hypers as leaves (ebrl.core) init, update and act as each configuration does
    with its values compiled in: every sweepable field reaches the agent through its Hyper, and none changes the
    state's structure (checkpoints stay as they are)."""
    algo = case.split("-")[0]
    base, changes = SWEPT[case]
    configs = [base, dataclasses.replace(base, **changes)]
    agents = [ALGORITHMS[algo].make_agent(config, 3, 2) for config in configs]
    program = agents[0]
    hypers = jax.tree.map(lambda *values: jnp.asarray(values, jnp.float32), *[agent.hyper for agent in agents])
    keys = jnp.stack([jax.random.key(0)] * 2)
    batches = jax.vmap(random_batch)(jnp.stack([jax.random.key(1)] * 2))
    states = jax.jit(jax.vmap(program.init))(keys, hypers)
    new_states, metrics = jax.jit(jax.vmap(program.update))(states, batches, keys, hypers)
    obs = jax.random.normal(jax.random.key(3), (5, 3))
    actions = {mode: jax.jit(jax.vmap(lambda s, k, h, mode=mode: program.act(s, obs, k, mode, h)))(new_states, keys,
                                                                                                   hypers)
               for mode in program.action_modes}
    assert jax.tree.structure(states) == jax.tree.structure(jax.vmap(agents[1].init)(keys))

    def close(a, b):
        np.testing.assert_allclose(a, b, rtol=2e-5, atol=2e-6)

    for i, agent in enumerate(agents):
        member = functools.partial(_index, i)
        state = jax.jit(agent.init)(keys[i])
        jax.tree.map(close, state, jax.tree.map(member, states))
        new_state, alone = jax.jit(agent.update)(state, jax.tree.map(member, batches), keys[i])
        jax.tree.map(close, new_state, jax.tree.map(member, new_states))
        jax.tree.map(close, alone, jax.tree.map(member, metrics))
        for mode, swept in actions.items():
            close(jax.jit(functools.partial(agent.act, obs=obs, mode=mode))(new_state, key=keys[i]), swept[i])
    differs = jax.tree.map(lambda leaf: not np.allclose(leaf[0], leaf[1]), new_states)
    assert any(jax.tree.leaves(differs))  # the settings train different agents


ANNEALED = {"sac": ("log_alpha",), "s2ac": ("log_alpha_critic", "log_alpha_actor")}  # the fixed temperatures


@pytest.mark.parametrize("algo", sorted(ANNEALED))
def test_an_annealed_alpha_trains_as_the_constant_alpha_of_its_update_count(algo):
    """With alpha_final, update t trains as the constant α_t = α_0^(1 − t/N)·α_N^(t/N) does, t read from the critics'
    Adam count: α_0 = 1/4, α_N = 1/64, N = 10, t = 5 give α_5 = 1/16; from t = N on, α_N. Without alpha_final α
    stays α_0; with autotune-alpha, alpha_final is refused."""
    import optax

    config = dataclasses.replace(TINY_CONFIGS[algo], autotune_alpha=False, alpha_final=1 / 64, anneal_updates=10)
    agent = ALGORITHMS[algo].make_agent(config, 3, 2)
    plain = ALGORITHMS[algo].make_agent(dataclasses.replace(config, alpha_final=None), 3, 2)
    batch, key = random_batch(jax.random.key(1)), jax.random.key(2)

    def at(updates, alpha):
        state = agent.init(jax.random.key(0)).replace(**{f: jnp.log(jnp.float32(alpha)) for f in ANNEALED[algo]})
        return state.replace(critic_opt=optax.tree_utils.tree_set(state.critic_opt, count=jnp.asarray(updates)))

    for updates, alpha in ((5, 1 / 16), (10, 1 / 64), (50, 1 / 64)):
        annealed, annealed_metrics = jax.jit(agent.update)(at(updates, 0.25), batch, key)
        constant, constant_metrics = jax.jit(plain.update)(at(updates, alpha), batch, key)
        np.testing.assert_allclose([annealed_metrics["alpha"], constant_metrics["alpha"]], alpha, rtol=1e-5)
        jax.tree.map(lambda a, b: np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-7),
                     annealed.replace(**dict.fromkeys(ANNEALED[algo], 0.0)),
                     constant.replace(**dict.fromkeys(ANNEALED[algo], 0.0)))
    np.testing.assert_allclose(jax.jit(plain.update)(at(5, 0.25), batch, key)[1]["alpha"], 0.25, rtol=1e-6)
    with pytest.raises(ConfigError, match="alpha_final anneals"):
        dataclasses.replace(config, autotune_alpha=True).validate()
