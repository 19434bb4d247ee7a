import jax
import jax.numpy as jnp
import numpy as np

from ebrl.agents.sac.networks import sample_tanh_gaussian, tanh_gaussian_log_prob
from ebrl.nets import CriticEnsemble, log_one_minus_tanh_sq


def normal_log_pdf(u, mean, std):
    return -0.5 * ((u - mean) / std) ** 2 - np.log(std) - 0.5 * np.log(2 * np.pi)


def test_log_prob_matches_numerical_change_of_variables():
    """log π(a) = log N(u) − log|det ∂tanh(u)/∂u|, the Jacobian by central differences in float64."""
    mean, log_std = np.array([0.3, -1.2, 0.0]), np.array([-0.5, 0.2, 1.0])
    u = np.array([0.7, -2.5, 3.1])
    eps = 1e-6
    jac = np.stack([(np.tanh(u + eps * e) - np.tanh(u - eps * e)) / (2 * eps) for e in np.eye(3)], axis=1)
    expected = normal_log_pdf(u, mean, np.exp(log_std)).sum() - np.log(abs(np.linalg.det(jac)))
    got = tanh_gaussian_log_prob(jnp.asarray(u), jnp.asarray(mean), jnp.asarray(log_std))
    np.testing.assert_allclose(got, expected, rtol=1e-5)


def test_squashed_density_integrates_to_one():
    """∫ π(a) da over (−1, 1) = 1 for a 1-D tanh-Gaussian, with a = tanh(u) on a fine grid."""
    a = np.linspace(-1 + 1e-7, 1 - 1e-7, 400_001)
    u = np.arctanh(a)
    log_p = np.asarray(jax.vmap(lambda x: tanh_gaussian_log_prob(x[None], jnp.array([0.4]), jnp.array([0.3])))(
        jnp.asarray(u, jnp.float32)), np.float64)
    assert abs(np.trapezoid(np.exp(log_p), a) - 1.0) < 2e-3


def test_log_one_minus_tanh_sq_is_stable_in_the_tails():
    u = np.array([-30.0, -5.0, 0.0, 2.0, 30.0])
    expected = np.log(4.0) - 2 * np.abs(u) - 2 * np.log1p(np.exp(-2 * np.abs(u)))  # exact identity, float64
    np.testing.assert_allclose(log_one_minus_tanh_sq(jnp.asarray(u)), expected, rtol=1e-6)


def test_sample_is_reparameterised_and_in_bounds():
    mean, log_std = jnp.zeros((1000, 2)), jnp.full((1000, 2), 1.0)
    actions, log_prob = sample_tanh_gaussian(mean, log_std, jax.random.key(0))
    assert actions.shape == (1000, 2) and log_prob.shape == (1000,)
    assert float(jnp.abs(actions).max()) <= 1.0  # tanh can round to ±1 in float32 ...
    assert bool(jnp.isfinite(log_prob).all())  # ... and the log-probability stays finite there
    grad = jax.grad(lambda m: sample_tanh_gaussian(m, log_std, jax.random.key(0))[0].sum())(mean)
    assert float(jnp.abs(grad).sum()) > 0


def test_critic_ensemble_members_are_independent():
    critic = CriticEnsemble((8,), n=3)
    params = critic.init(jax.random.key(0), jnp.zeros((1, 2)), jnp.zeros((1, 1)))
    q = critic.apply(params, jnp.ones((5, 2)), jnp.ones((5, 1)))
    assert q.shape == (3, 5)
    assert len(set(np.round(np.asarray(q[:, 0]), 6))) == 3
