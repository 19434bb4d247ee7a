"""S2AC(φ,θ,ψ): ψ's training direction against NumPy, ψ against the SVGD particles on a fixed critic, and ψ kept out
of the critic and actor updates."""

import dataclasses

import flax.linen as nn
import jax
import jax.flatten_util
import jax.numpy as jnp
import numpy as np
import optax
import pytest

from ebrl.agents.s2ac import S2ACConfig, make_agent
from ebrl.agents.s2ac.actor import make_actor
from ebrl.agents.s2ac.losses import make_losses
from ebrl.agents.s2ac.networks import Amortizer, InitialDistribution, S2ACNetworks
from tests.helpers import numpy_amortized_direction, random_batch, surrogate_gradient_by_finite_differences


class TwoModeCritic(nn.Module):
    """Q(s, a) = −8·min(‖a − c₁‖², ‖a − c₂‖²) (and +0.1 for the second critic): two modes of equal height."""

    @nn.compact
    def __call__(self, obs, action):
        d1 = jnp.sum((action - jnp.array([0.6, 0.3])) ** 2, -1)
        d2 = jnp.sum((action - jnp.array([-0.5, -0.4])) ** 2, -1)
        q = -8.0 * jnp.minimum(d1, d2)
        return jnp.stack([q, q + 0.1])


def numpy_amortizer(params, obs, noise):
    """ψ with one hidden ReLU layer, written out in NumPy: tanh(W₂ relu(W₁ [s, ξ] + b₁) + b₂)."""
    p = params["params"]["MLP_0"]
    x = np.concatenate([np.broadcast_to(obs, (*noise.shape[:-1], obs.shape[-1])), noise], axis=-1)
    hidden = np.maximum(x @ p["Dense_0"]["kernel"] + p["Dense_0"]["bias"], 0.0)
    return np.tanh(hidden @ p["Dense_1"]["kernel"] + p["Dense_1"]["bias"])


def test_amortizer_gradient_against_numpy():
    """ψ's gradient is −Σ_{n,i} (∂y_{n,i}/∂ψ)ᵀ Δ_{n,i}, Δ_i = (1/m) Σ_j [κ(x_j, y_i) ∇log q̂(x_j) + ∇_{x_j}κ(x_j, y_i)],
    q̂ the Gaussian kernel density estimate of the particles (σ² = mean of their squared distances / (4 log(m+1))),
    κ = exp(−‖x − y‖²/h), h = lower median / log m; Δ and ∂y/∂ψ (finite differences) computed here in NumPy."""
    with jax.enable_x64(True):
        obs_dim, d, n_states, m = 2, 2, 3, 4
        networks = S2ACNetworks(initial=None, critic=None, amortizer=Amortizer((5,), d))
        params = networks.amortizer.init(jax.random.key(1), jnp.zeros((1, obs_dim)), jnp.zeros((1, d)))
        params = jax.tree.map(lambda x: np.asarray(x, np.float64), params)
        obs = np.asarray(jax.random.normal(jax.random.key(2), (n_states, obs_dim)), np.float64)
        particles = np.asarray(jax.random.uniform(jax.random.key(3), (n_states, m, d), minval=-1, maxval=1),
                               np.float64)
        key = jax.random.key(4)
        *_, amortizer_loss = make_losses(networks, None, 0.99, -2.0)
        grads, _ = jax.grad(amortizer_loss, has_aux=True)(params, jnp.asarray(obs), jnp.asarray(particles), key)

        noise = np.asarray(jax.random.normal(key, (n_states, 2 * m, d)), np.float64)
        samples = numpy_amortizer(params, obs[:, None, :], noise)
        direction = np.zeros((n_states, m, d))
        for n in range(n_states):
            centres = particles[n]
            sigma_sq = max(np.mean([np.sum((a - b) ** 2) for a in centres for b in centres]) / (4 * np.log(m + 1)),
                           1e-3)

            def log_kde(x, centres=centres, sigma_sq=sigma_sq):
                return np.log(np.sum(np.exp(-np.sum((x - centres) ** 2, -1) / (2 * sigma_sq))))

            fixed, updated = samples[n, :m], samples[n, m:]
            eps = 1e-6
            scores = np.array([[(log_kde(x + eps * e) - log_kde(x - eps * e)) / (2 * eps) for e in np.eye(d)]
                               for x in fixed])
            direction[n] = numpy_amortized_direction(fixed, updated, scores)

        expected = surrogate_gradient_by_finite_differences(
            params, lambda p: numpy_amortizer(p, obs[:, None, :], noise)[:, m:], direction)
        got = np.asarray(jax.flatten_util.ravel_pytree(grads)[0])
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-8)
        assert np.abs(expected).max() > 1e-3


def energy_distance(x: np.ndarray, y: np.ndarray) -> float:
    """2E‖X − Y‖ − E‖X − X'‖ − E‖Y − Y'‖ between two samples (V-statistics)."""
    def mean_distance(a, b):
        return np.mean(np.sqrt(np.sum((a[:, None] - b[None]) ** 2, -1)))
    return float(2 * mean_distance(x, y) - mean_distance(x, x) - mean_distance(y, y))


@pytest.mark.slow
def test_amortized_samples_approach_the_svgd_particles_on_a_fixed_critic():
    """On a two-mode critic, ψ trained by its amortized SVGD step (fresh particles of the S2AC(φ) chain at every
    step) moves from an energy distance of about 0.34 to the particles' distribution to about 0.02 (measured on
    this machine; 0.0002 between two independent particle sets). The rest is by design: ψ's target is the
    particles smoothed by the kernel density estimate, itself at about 0.02 from the particles. Thresholds: below
    0.05 from the particles, a tenth of where ψ started, with both modes populated as in the particles."""
    settings = S2ACConfig(variant="phi", particles=10, svgd_steps=10).sampler_settings()
    networks = S2ACNetworks(initial=InitialDistribution((8,), 2), critic=TwoModeCritic(),
                            amortizer=Amortizer((64, 64), 2))
    sample, _ = make_actor(networks, settings, 2)
    *_, amortizer_loss = make_losses(networks, sample, 0.99, -2.0)
    obs = jnp.zeros((32, 1))
    params = networks.amortizer.init(jax.random.key(0), obs, jnp.zeros((32, 2)))
    optimizer = optax.adam(1e-3)

    @jax.jit
    def train(params):
        def step(carry, key):
            params, opt_state = carry
            particles, _ = sample({}, {}, obs, jax.random.fold_in(key, 0), 0.2)
            grads, _ = jax.grad(amortizer_loss, has_aux=True)(params, obs, particles, jax.random.fold_in(key, 1))
            updates, opt_state = optimizer.update(grads, opt_state)
            return (optax.apply_updates(params, updates), opt_state), None

        (params, _), _ = jax.lax.scan(step, (params, optimizer.init(params)), jax.random.split(jax.random.key(1),
                                                                                              1000))
        return params

    def psi_samples(params):
        return np.asarray(networks.amortized_sample(params, jnp.zeros((1, 1)), jax.random.key(7), 1000)[0])

    particles = np.asarray(sample({}, {}, jnp.zeros((100, 1)), jax.random.key(100), 0.2)[0]).reshape(-1, 2)
    before = energy_distance(psi_samples(params), particles)
    after = psi_samples(train(params))
    assert np.abs(after).max() <= 1.0
    assert energy_distance(after, particles) < min(0.05, before / 10), (before, energy_distance(after, particles))
    np.testing.assert_allclose((after[:, 0] > 0).mean(), (particles[:, 0] > 0).mean(), atol=0.1)


@pytest.mark.slow
def test_psi_only_acts():
    """With and without ψ, one update from the same networks gives the same critics, initial distribution and
    targets (ψ enters neither the critic target nor the actor loss); the amortized mode is one network call."""
    tiny = S2ACConfig(particles=4, svgd_steps=3, actor_hidden=(8,), critic_hidden=(8, 8), amortizer_hidden=(8,))
    plain, amortized = make_agent(tiny, 3, 2), make_agent(dataclasses.replace(tiny, amortize=True), 3, 2)
    assert amortized.action_modes == ("softmax", "max", "random", "amortized")
    state, state_psi = plain.init(jax.random.key(0)), amortized.init(jax.random.key(0))
    batch = random_batch(jax.random.key(3))
    new, _ = jax.jit(plain.update)(state, batch, jax.random.key(4))
    new_psi, metrics = jax.jit(amortized.update)(state_psi, batch, jax.random.key(4))
    for field in ("critic_params", "target_critic_params", "actor_params"):
        jax.tree.map(np.testing.assert_array_equal, getattr(new, field), getattr(new_psi, field))
    changed = jax.tree.map(lambda a, b: bool(jnp.any(a != b)), state_psi.amortizer_params, new_psi.amortizer_params)
    assert all(jax.tree.leaves(changed)) and "amortizer_step_norm" in metrics
    action = amortized.act(new_psi, jnp.ones((5, 3)), jax.random.key(5), "amortized")
    noise = jax.random.normal(jax.random.key(5), (5, 1, 2))
    expected = Amortizer((8,), 2).apply(new_psi.amortizer_params, jnp.ones((5, 1, 3)), noise)[:, 0]
    np.testing.assert_allclose(action, expected, rtol=1e-6)
