import jax
import jax.numpy as jnp
import numpy as np
import pytest

from ebrl.samplers import truncated_gaussian_sample


@pytest.mark.parametrize("t", [1.0, 3.0])
def test_samples_stay_within_t_sigma(t):
    mean, std = jnp.array([0.5, -1.0, 2.0]), jnp.array([0.1, 1.0, 3.0])
    x, _ = truncated_gaussian_sample(jax.random.key(0), mean, std, 20_000, t=t)
    assert bool(jnp.all(jnp.abs(x - mean) <= t * std * (1 + 1e-6)))
    assert float(jnp.abs(x - mean).max() / (t * std).min()) > 0.9  # the tails are reached, not cut short


def test_log_density_integrates_to_one_in_1d_and_2d():
    t = 2.0
    mean1, std1 = jnp.array([0.3]), jnp.array([0.7])
    grid = np.linspace(float(mean1[0] - t * std1[0]), float(mean1[0] + t * std1[0]), 20_001)
    log_q = truncated_log_density(grid[:, None], mean1, std1, t)
    assert abs(np.trapezoid(np.exp(log_q), grid) - 1.0) < 1e-4
    mean2, std2 = jnp.array([0.0, 1.0]), jnp.array([1.0, 0.5])
    gx = np.linspace(-t, t, 801) * 1.0
    gy = 1.0 + np.linspace(-t, t, 801) * 0.5
    xx, yy = np.meshgrid(gx, gy)
    log_q = truncated_log_density(np.stack([xx.ravel(), yy.ravel()], -1), mean2, std2, t).reshape(xx.shape)
    assert abs(np.trapezoid(np.trapezoid(np.exp(log_q), gx, axis=1), gy) - 1.0) < 1e-3


def truncated_log_density(points, mean, std, t):
    """The sampler's log q at given points: it is the Gaussian log-density plus the normaliser, read off by
    evaluating the sampler's formula through a sample whose value we overwrite (same formula, any point)."""
    from jax.scipy.special import ndtr

    from ebrl.samplers import gaussian_log_density

    mass = ndtr(t) - ndtr(-t)
    return np.asarray(gaussian_log_density(jnp.asarray(points, jnp.float32), mean, std) - len(mean) * jnp.log(mass))


def test_sampler_log_q_matches_the_density_formula_and_the_flag():
    mean, std = jnp.array([0.2, -0.4]), jnp.array([0.5, 2.0])
    x, log_q = truncated_gaussian_sample(jax.random.key(3), mean, std, 50, t=3.0)
    np.testing.assert_allclose(log_q, truncated_log_density(np.asarray(x), mean, std, 3.0), rtol=1e-5)
    _, log_q_raw = truncated_gaussian_sample(jax.random.key(3), mean, std, 50, t=3.0, normalise=False)
    np.testing.assert_allclose(log_q - log_q_raw, -2 * np.log(0.9973002), rtol=1e-4)  # d·(−log(Φ(3) − Φ(−3)))


def test_reparameterised_in_mean_and_std():
    def f(mean, std):
        x, _ = truncated_gaussian_sample(jax.random.key(0), mean, std, 5)
        return x.sum()

    g_mean, g_std = jax.grad(f, argnums=(0, 1))(jnp.array([0.0]), jnp.array([1.0]))
    np.testing.assert_allclose(g_mean, [5.0], rtol=1e-6)  # ∂x/∂µ = 1 per sample
    x, _ = truncated_gaussian_sample(jax.random.key(0), jnp.array([0.0]), jnp.array([1.0]), 5)
    np.testing.assert_allclose(g_std, [float(x.sum())], rtol=1e-5)  # ∂x/∂σ = z
