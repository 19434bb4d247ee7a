"""S2AC's actor, losses and action selection against the samplers run state by state, finite differences and
hand-computed values."""

import dataclasses

import flax.linen as nn
import jax
import jax.flatten_util
import jax.numpy as jnp
import numpy as np
import pytest

from ebrl.agents.s2ac import S2ACConfig, make_agent
from ebrl.agents.s2ac.actor import make_actor
from ebrl.agents.s2ac.losses import make_losses
from ebrl.agents.s2ac.networks import S2ACNetworks, make_networks
from ebrl.config import ConfigError
from ebrl.nets import log_one_minus_tanh_sq
from ebrl.samplers import svgd_sample, truncated_gaussian_sample
from tests.helpers import random_batch

TINY = S2ACConfig(particles=4, svgd_steps=3, actor_hidden=(8,), critic_hidden=(8, 8))


def tiny_parts(config, obs_dim=3, act_dim=2):
    networks = make_networks(act_dim, config.actor_hidden, config.critic_hidden, config.activation,
                             config.n_critics)
    sample, select = make_actor(networks, config.sampler_settings(), act_dim)
    actor_params = networks.initial.init(jax.random.key(0), jnp.zeros((1, obs_dim)))
    critic_params = networks.critic.init(jax.random.key(1), jnp.zeros((1, obs_dim)), jnp.zeros((1, act_dim)))
    return networks, sample, select, actor_params, critic_params


@pytest.mark.slow
@pytest.mark.parametrize("variant, pre_tanh, sampler", [("phi", False, {}), ("phi-theta", False, {}),
                                                        ("phi-theta", True, {}),
                                                        ("phi-theta", False, {"logdet": "exact", "step_bound": 0.5}),
                                                        ("phi-theta", False, {"logdet": "trace"})])
def test_batched_log_q_equals_the_sampler_run_state_by_state(variant, pre_tanh, sampler):
    config = dataclasses.replace(TINY, variant=variant, score_pre_tanh=pre_tanh, **sampler)
    networks, sample, _, actor_params, critic_params = tiny_parts(config)
    obs = jax.random.normal(jax.random.key(2), (3, 3))
    key = jax.random.key(3)
    actions, log_q = sample(actor_params, critic_params, obs, key, 0.2)
    for n, state_key in enumerate(jax.random.split(key, 3)):
        if variant == "phi":
            u0 = 0.5 * jax.random.normal(state_key, (4, 2))
            log_q0 = jnp.sum(-0.5 * (u0 / 0.5) ** 2 - jnp.log(0.5) - 0.5 * jnp.log(2 * jnp.pi), axis=-1)
        else:
            mean, std = networks.initial.apply(actor_params, obs[n])
            u0, log_q0 = truncated_gaussian_sample(state_key, mean, std, 4, 3.0, normalise=False)

        def q(u, s=obs[n]):
            return jnp.min(networks.critic.apply(critic_params, s, u if pre_tanh else jnp.tanh(u)))

        u, log_q_state = svgd_sample(jax.grad(q), u0, log_q0, steps=3, step_size=0.1, bandwidth="mean-half",
                                     logdet=config.logdet, key=jax.random.fold_in(state_key, 1),
                                     step_bound=config.step_bound)
        np.testing.assert_allclose(actions[n], jnp.tanh(u), rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(log_q[n], log_q_state - jnp.sum(log_one_minus_tanh_sq(u), -1), rtol=1e-5, atol=1e-6)


class LinearCritic(nn.Module):
    """Q_k(s, a) = c·a + k for critics k = 0, 1: the minimum is c·a, with ∇_a Q = c."""

    @nn.compact
    def __call__(self, obs, action):
        q = action @ jnp.array([2.0, -1.0])
        return jnp.stack([q, q + 1.0])


@pytest.mark.parametrize("pre_tanh", [False, True])
def test_svgd_step_on_a_linear_critic_by_hand(pre_tanh):
    """One SVGD step of two particles, σ = 1: φ(u_i) = ½ Σ_j k_ij [g_j + (u_i − u_j)], k_ij = exp(−‖u_i − u_j‖²/2),
    with the score through the tanh g_j = c ⊙ (1 − tanh² u_j) (the default), or c itself (--score-pre-tanh, the
    official code's ∇_u Q(s, u))."""
    config = dataclasses.replace(TINY, variant="phi", particles=2, svgd_steps=1, bandwidth="1.0",
                                 score_pre_tanh=pre_tanh)
    networks = S2ACNetworks(initial=None, critic=LinearCritic())
    sample, _ = make_actor(networks, config.sampler_settings(), 2)
    key = jax.random.key(0)
    actions, _ = sample({}, {}, jnp.zeros((1, 1)), key, 0.2)
    u0 = np.asarray(0.5 * jax.random.normal(jax.random.split(key, 1)[0], (2, 2)), np.float64)
    c = np.array([2.0, -1.0])
    g = np.broadcast_to(c, u0.shape) if pre_tanh else c * (1.0 - np.tanh(u0) ** 2)
    k = np.exp(-0.5 * np.sum((u0[0] - u0[1]) ** 2))
    phi0 = 0.5 * (g[0] + k * (g[1] + (u0[0] - u0[1])))
    phi1 = 0.5 * (k * (g[0] + (u0[1] - u0[0])) + g[1])
    expected = np.tanh(u0 + 0.1 * np.stack([phi0, phi1]))
    np.testing.assert_allclose(actions[0], expected, rtol=1e-5, atol=1e-6)


@pytest.mark.slow
def test_actor_loss_gradient_against_finite_differences():
    """Through the truncated-Gaussian start, three SVGD steps (second derivatives of Q) and the log-densities; a
    fixed kernel σ, because the adaptive bandwidth is held constant by design (stop_gradient)."""
    with jax.enable_x64(True):
        config = dataclasses.replace(TINY, variant="phi-theta", bandwidth="1.0", logdet="trace")  # differentiated fully
        networks, sample, _, actor_params, critic_params = tiny_parts(config)
        actor_params, critic_params = jax.tree.map(lambda x: x.astype(jnp.float64), (actor_params, critic_params))
        _, actor_loss, *_ = make_losses(networks, sample, 0.99, -2.0)
        obs = jax.random.normal(jax.random.key(2), (3, 3), jnp.float64)
        key = jax.random.key(4)
        grads = jax.grad(lambda p: actor_loss(p, critic_params, 0.2, obs, key)[0])(actor_params)
        flat, unflatten = jax.flatten_util.ravel_pytree(actor_params)
        loss = jax.jit(lambda f: actor_loss(unflatten(f), critic_params, 0.2, obs, key)[0])
        eps = 1e-6
        numeric = np.array([(loss(flat.at[i].add(eps)) - loss(flat.at[i].add(-eps))) / (2 * eps)
                            for i in range(flat.size)])
        np.testing.assert_allclose(jax.flatten_util.ravel_pytree(grads)[0], numeric, rtol=1e-5, atol=1e-8)
        assert np.abs(numeric).max() > 1e-3  # the gradient is not trivially zero


class BiasOnlyCritic(nn.Module):
    """Q_k(s, a) = b_k: two critics with the given constant values."""

    values: tuple[float, ...]

    @nn.compact
    def __call__(self, obs, action):
        values = jnp.asarray(self.values).reshape(-1, *[1] * (action.ndim - 1))
        return jnp.broadcast_to(values, (len(self.values), *action.shape[:-1]))


def test_critic_target_on_a_hand_computed_case():
    """y = r + γ(1 − terminated)·[mean_i min_k Q̄_k(s', a'_i) − α_c·mean_i log q(a'_i|s')]."""
    log_q = jnp.array([[0.5, 1.5], [-1.0, 0.0]])  # two next states, two particles each

    def fake_sample(actor_params, critic_params, obs, key, alpha):
        return jnp.zeros((2, 2, 1)), log_q

    batch = random_batch(jax.random.key(0), n=2, obs_dim=1, act_dim=1)
    batch = dataclasses.replace(batch, reward=jnp.array([1.0, 2.0]), terminated=jnp.array([0.0, 1.0]))
    # targets: min(2, −1) = −1 on every particle; y = r + 0.9·(1 − done)·(−1 − 0.2·mean log q)
    y = np.array([1.0 + 0.9 * (-1.0 - 0.2 * 1.0), 2.0])
    expected = np.mean((1.0 - y) ** 2) + np.mean((3.0 - y) ** 2)
    networks = S2ACNetworks(initial=None, critic=_SwitchingCritic(BiasOnlyCritic((1.0, 3.0)),
                                                                  BiasOnlyCritic((2.0, -1.0))))
    critic_loss, *_ = make_losses(networks, fake_sample, 0.9, -1.0)
    loss, (info, _, _) = critic_loss({"online": True}, {"online": False}, None, 0.2, 0.2, batch, jax.random.key(1))
    np.testing.assert_allclose(info["target_mean"], y.mean(), rtol=1e-6)
    np.testing.assert_allclose(loss, expected, rtol=1e-6)


@dataclasses.dataclass(frozen=True)
class _SwitchingCritic:
    """A critic whose "parameters" say whether to act as the online or the target ensemble."""

    online: BiasOnlyCritic
    target: BiasOnlyCritic

    def apply(self, params, obs, action):
        module = self.online if params["online"] else self.target
        return module.apply({}, obs, action)


class SumCritic(nn.Module):
    """Q(s, a) = Σ_k a_k for both critics."""

    @nn.compact
    def __call__(self, obs, action):
        return jnp.stack([action.sum(-1), action.sum(-1) + 1.0])


def test_action_selection_rules():
    networks = S2ACNetworks(initial=None, critic=SumCritic())
    _, select = make_actor(networks, TINY.sampler_settings(), 1)
    particles = jnp.array([[[0.1], [0.7], [-0.4], [0.3]]])  # one state, Q_i = the particle itself
    n = 20_000
    obs = jnp.zeros((n, 2))
    actions = jnp.broadcast_to(particles, (n, 4, 1))
    assert float(select({}, obs[:1], particles, jax.random.key(0), "max", 1.0)[0, 0]) == pytest.approx(0.7)
    for mode, temperature, expected in (("random", 1.0, np.full(4, 0.25)),
                                        ("softmax", 0.5, jax.nn.softmax(particles[0, :, 0] / 0.5))):
        picked = np.asarray(select({}, obs, actions, jax.random.key(1), mode, temperature))[:, 0]
        frequencies = np.array([(picked == v).mean() for v in np.asarray(particles[0, :, 0])])
        np.testing.assert_allclose(frequencies, expected, atol=0.015)


@pytest.mark.slow
def test_agent_modes_and_updates():
    agent = make_agent(TINY, 3, 2)
    assert agent.action_modes == ("softmax", "max", "random") and agent.train_mode == "random"
    state = agent.init(jax.random.key(0))
    obs = jax.random.normal(jax.random.key(1), (5, 3))
    for mode in agent.action_modes:
        action = agent.act(state, obs, jax.random.key(2), mode)
        assert action.shape == (5, 2) and float(jnp.abs(action).max()) <= 1.0
    new, metrics = jax.jit(agent.update)(state, random_batch(jax.random.key(3)), jax.random.key(4))
    assert {"critic_loss", "actor_loss", "entropy"} <= set(metrics)
    changed = jax.tree.map(lambda a, b: bool(jnp.any(a != b)), state.actor_params, new.actor_params)
    assert all(jax.tree.leaves(changed))
    phi = make_agent(dataclasses.replace(TINY, variant="phi"), 3, 2)
    state = phi.init(jax.random.key(0))
    new, metrics = jax.jit(phi.update)(state, random_batch(jax.random.key(3)), jax.random.key(4))
    assert "actor_loss" not in metrics  # S2AC(φ) trains the critics only


@pytest.mark.slow
def test_autotuned_temperature_moves_both_alphas():
    agent = make_agent(dataclasses.replace(TINY, autotune_alpha=True), 3, 2)
    state, _ = jax.jit(agent.update)(agent.init(jax.random.key(0)), random_batch(jax.random.key(3)),
                                     jax.random.key(4))
    assert float(state.log_alpha_critic) != pytest.approx(np.log(0.2))
    assert float(state.log_alpha_critic) == float(state.log_alpha_actor)


@pytest.mark.parametrize("changes, message", [
    (dict(variant="psi"), "variant must be one of"),
    (dict(particles=1), "particles must be at least 2"),
    (dict(bandwidth="wide"), "bandwidth must be one of"),
    (dict(train_selection="greedy"), "train_selection must be one of"),
    (dict(logdet="slogdet"), "logdet must be one of"),
    (dict(step_bound=1.5), "step_bound must lie in"),
    (dict(step_bound=0.0), "step_bound must lie in"),
])
def test_bad_configuration(changes, message):
    with pytest.raises(ConfigError, match=message):
        dataclasses.replace(TINY, **changes).validate()


@pytest.mark.slow
def test_entropy_estimate_is_minus_the_mean_log_q_of_the_sampler():
    agent = make_agent(TINY, 3, 2)
    state = agent.init(jax.random.key(0))
    obs = jax.random.normal(jax.random.key(1), (4, 3))
    _networks, sample, _, _, _ = tiny_parts(TINY)
    _, log_q = sample(state.actor_params, state.critic_params, obs, jax.random.key(5), 0.2)
    np.testing.assert_allclose(agent.entropy(state, obs, jax.random.key(5)), -log_q.mean(-1), rtol=1e-6)


@pytest.mark.parametrize("changes", [{}, {"score_over_alpha": True, "alpha_actor": 0.25}, {"score_pre_tanh": True}])
def test_the_sampler_score_is_the_gradient_of_the_agents_own_q(changes):
    """agent.sampler_score(state, s)(u) = ∇_u (1/α if score_over_alpha) min Q(s, tanh u) (of min Q(s, u) with
    score_pre_tanh), by autodiff of the agent's q_value at the state's own α."""
    config = dataclasses.replace(TINY, **changes)
    agent = make_agent(config, 3, 2)
    state = agent.init(jax.random.key(0))
    obs, u = jnp.array([0.3, -0.2, 0.5]), jnp.array([0.4, -1.1])
    squash = (lambda v: v) if config.score_pre_tanh else jnp.tanh
    scale = 1.0 / jnp.exp(state.log_alpha_actor) if config.score_over_alpha else 1.0
    expected = jax.grad(lambda v: scale * agent.q_value(state, obs[None], squash(v)[None])[0])(u)
    assert agent.sampler_score is not None
    np.testing.assert_allclose(agent.sampler_score(state, obs)(u), expected, rtol=1e-6)
