"""SAC's losses on stub networks whose outputs are known, against values computed by hand."""

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from ebrl.agents.sac.losses import make_losses
from ebrl.core import Transition


@dataclasses.dataclass(frozen=True)
class StubActor:
    """mean = params['m'] · 1, log_std = params['s'] · 1 for every observation."""

    act_dim: int

    def apply(self, params, obs):
        ones = jnp.ones((obs.shape[0], self.act_dim))
        return params["m"] * ones, params["s"] * ones


@dataclasses.dataclass(frozen=True)
class StubCritic:
    """Q_i(s, a) = w_i · (Σ s + Σ a) + b_i, two members."""

    def apply(self, params, obs, action):
        x = obs.sum(-1) + action.sum(-1)
        return params["w"][:, None] * x[None] + params["b"][:, None]


@dataclasses.dataclass(frozen=True)
class StubNetworks:
    actor: StubActor
    critic: StubCritic


GAMMA, TARGET_ENTROPY = 0.9, -1.0
NETS = StubNetworks(StubActor(1), StubCritic())
ACTOR = {"m": jnp.float32(0.5), "s": jnp.float32(-1.0)}  # pre-tanh Gaussian N(0.5, e^−2)
CRITIC = {"w": jnp.array([1.0, 2.0]), "b": jnp.array([0.0, -1.0])}
TARGET = {"w": jnp.array([0.5, 1.0]), "b": jnp.array([0.1, 0.2])}
BATCH = Transition(obs=jnp.array([[1.0], [2.0]]), action=jnp.array([[0.0], [-0.5]]), reward=jnp.array([1.0, -2.0]),
                   next_obs=jnp.array([[0.0], [3.0]]), terminated=jnp.array([0.0, 1.0]))


def policy_by_hand(key, n):
    """a = tanh(u), u = 0.5 + e^−1·ε, log π(a) = −ε²/2 + 1 − ½log 2π − log(1 − a²), with the sampler's ε."""
    eps = np.asarray(jax.random.normal(key, (n, 1)), np.float64)[:, 0]
    a = np.tanh(0.5 + np.exp(-1.0) * eps)
    return a, -0.5 * eps**2 + 1.0 - 0.5 * np.log(2 * np.pi) - np.log(1 - a**2)


def test_critic_loss_by_hand():
    key, alpha = jax.random.key(0), 0.2
    a_next, log_pi = policy_by_hand(key, 2)
    s_next = np.array([0.0, 3.0])
    q_next = np.minimum(0.5 * (s_next + a_next) + 0.1, 1.0 * (s_next + a_next) + 0.2)
    y = np.array([1.0, -2.0]) + GAMMA * np.array([1.0, 0.0]) * (q_next - alpha * log_pi)  # row 1 terminated
    x = np.array([1.0 + 0.0, 2.0 - 0.5])  # Σs + Σa of the stored transitions
    q = np.stack([1.0 * x + 0.0, 2.0 * x - 1.0])  # (members, batch)
    expected = 0.5 * np.sum(np.mean((q - y) ** 2, axis=1))
    critic_loss, _, _ = make_losses(NETS, GAMMA, TARGET_ENTROPY)
    loss, info = critic_loss(CRITIC, ACTOR, TARGET, alpha, BATCH, key)
    np.testing.assert_allclose(loss, expected, rtol=1e-5)
    np.testing.assert_allclose(info["target_mean"], y.mean(), rtol=1e-5)


@pytest.mark.parametrize("terminated, bootstraps", [(1.0, False), (0.0, True)])
def test_termination_cuts_the_bootstrap_and_truncation_keeps_it(terminated, bootstraps):
    """A time-limit truncation is stored with terminated = 0: its target still includes γ·V(s')."""
    key = jax.random.key(1)
    critic_loss, _, _ = make_losses(NETS, GAMMA, TARGET_ENTROPY)
    batch = Transition(obs=jnp.array([[0.0]]), action=jnp.array([[0.0]]), reward=jnp.array([3.0]),
                       next_obs=jnp.array([[5.0]]), terminated=jnp.array([terminated]))
    _, info = critic_loss(CRITIC, ACTOR, TARGET, 0.0, batch, key)
    a_next, _ = policy_by_hand(key, 1)
    next_value = min(0.5 * (5.0 + a_next[0]) + 0.1, 1.0 * (5.0 + a_next[0]) + 0.2)
    expected = 3.0 + GAMMA * next_value if bootstraps else 3.0
    np.testing.assert_allclose(info["target_mean"], expected, rtol=1e-5)


def test_actor_loss_by_hand():
    key, alpha = jax.random.key(2), 0.3
    a, log_pi = policy_by_hand(key, 2)
    obs = np.array([1.0, 2.0])
    q_min = np.minimum(1.0 * (obs + a) + 0.0, 2.0 * (obs + a) - 1.0)
    _, actor_loss, _ = make_losses(NETS, GAMMA, TARGET_ENTROPY)
    loss, mean_log_prob = actor_loss(ACTOR, CRITIC, alpha, BATCH, key)
    np.testing.assert_allclose(loss, np.mean(alpha * log_pi - q_min), rtol=1e-5)
    np.testing.assert_allclose(mean_log_prob, log_pi.mean(), rtol=1e-5)


def test_alpha_loss_and_its_gradient():
    """J = −α(log π + H̄); dJ/dlog α = −α(log π + H̄): α grows when the entropy −log π is below H̄."""
    _, _, alpha_loss = make_losses(NETS, GAMMA, TARGET_ENTROPY)
    log_alpha, mean_log_prob = jnp.log(0.5), 2.0  # entropy −2 < H̄ = −1
    np.testing.assert_allclose(alpha_loss(log_alpha, mean_log_prob), -0.5 * (2.0 - 1.0), rtol=1e-6)
    grad = jax.grad(alpha_loss)(log_alpha, mean_log_prob)
    np.testing.assert_allclose(grad, -0.5, rtol=1e-6)  # gradient descent raises log α
