"""SQL's soft value, kernel and SVGD direction against hand-computed and independent NumPy values."""

import math

import jax
import jax.flatten_util
import jax.numpy as jnp
import numpy as np
import pytest

from ebrl.agents.sql.losses import make_losses, soft_value
from ebrl.agents.sql.networks import make_networks
from tests.helpers import numpy_amortized_direction, surrogate_gradient_by_finite_differences


def toy_q_1d(a):
    return 3.0 * np.sin(2.0 * a[..., 0]) + a[..., 0] ** 2


def toy_q_2d(a):
    return 2.0 * np.cos(3.0 * a[..., 0]) * a[..., 1] - (a[..., 0] - 0.3) ** 2


@pytest.mark.parametrize("q_fn, dim", [(toy_q_1d, 1), (toy_q_2d, 2)])
@pytest.mark.parametrize("alpha", [0.5, 2.0])
def test_soft_value_matches_a_numerical_integral(q_fn, dim, alpha):
    """α log ∫_{[−1,1]^d} exp(Q(a)/α) da by the trapezoidal rule, against the estimate from 4·10⁵ uniform samples."""
    grid = np.linspace(-1.0, 1.0, 2001 if dim == 1 else 801)
    mesh = np.stack(np.meshgrid(*[grid] * dim, indexing="ij"), axis=-1)
    integrand = np.exp(q_fn(mesh) / alpha)
    for _ in range(dim):
        integrand = np.trapezoid(integrand, grid, axis=0)
    exact = alpha * math.log(float(integrand))
    samples = np.asarray(jax.random.uniform(jax.random.key(0), (400_000, dim), minval=-1.0, maxval=1.0))
    estimate = soft_value(jnp.asarray(q_fn(samples))[None], alpha, dim)[0]
    assert abs(float(estimate) - exact) < 0.01


def test_soft_value_at_zero_temperature_is_the_max():
    q = jnp.array([[1.0, 4.0, -2.0, 3.5], [0.0, -1.0, 2.0, 1.9]])
    np.testing.assert_array_equal(soft_value(q, 0.0, 2), [4.0, 2.0])
    # the limit: α[logsumexp(q/α) − log M + d log 2] -> max as α -> 0
    np.testing.assert_allclose(soft_value(q, 1e-3, 2), [4.0, 2.0], atol=2e-3)
    np.testing.assert_allclose(soft_value(q, 1e-5, 2), [4.0, 2.0], atol=2e-5)


def numpy_mlp(params, obs, other, squash):
    """The SplitInputMLP forward pass with one hidden layer, written out in NumPy."""
    p = params["params"]["SplitInputMLP_0"] if "SplitInputMLP_0" in params["params"] else params["params"]
    hidden = np.maximum(obs @ p["Dense_0"]["kernel"] + other @ p["Dense_1"]["kernel"] + p["bias"], 0.0)
    out = hidden @ p["Dense_2"]["kernel"] + p["Dense_2"]["bias"]
    return np.tanh(out) if squash else out[..., 0]


@pytest.mark.slow
def test_svgd_parameter_gradient_against_numpy_finite_differences():
    """The sampler's gradient is −Σ_{n,i} (∂a_{n,i}/∂φ)ᵀ Δ_{n,i}; here Δ (score by finite differences of Q and the
    barrier, kernel, bandwidth) and ∂a/∂φ (finite differences of the NumPy sampler) are computed independently.
    In float64: the barrier's 1 − a² loses digits in float32 where tanh saturates."""
    with jax.enable_x64(True):
        check_svgd_parameter_gradient()


def check_svgd_parameter_gradient():
    obs_dim, act_dim, n_states, k, n_fixed = 2, 2, 3, 6, 3
    networks = make_networks(act_dim, (5,))
    q_params = networks.q.init(jax.random.key(0), jnp.zeros((1, obs_dim)), jnp.zeros((1, act_dim)))
    s_params = networks.sampler.init(jax.random.key(1), jnp.zeros((1, obs_dim)), jnp.zeros((1, act_dim)))
    q_params, s_params = jax.tree.map(lambda x: np.asarray(x, np.float64), (q_params, s_params))
    obs = np.asarray(jax.random.normal(jax.random.key(2), (n_states, obs_dim)), np.float64)
    key = jax.random.key(3)
    _, sampler_loss = make_losses(networks, gamma=0.99, temperature=1.0, act_dim=act_dim,
                                  value_particles=4, kernel_particles=k, n_fixed=n_fixed)
    grads, _ = jax.grad(sampler_loss, has_aux=True)(s_params, q_params, jnp.asarray(obs), key)

    noise = np.asarray(jax.random.normal(key, (n_states, k, act_dim)), np.float64)

    def actions_of(params):
        return numpy_mlp(params, obs[:, None, :], noise, squash=True)  # (N, K, d)

    def log_p(s, a):
        return numpy_mlp(q_params, s, a, squash=False) + np.sum(np.log(1.0 - a**2 + 1e-6))

    actions = actions_of(s_params)
    direction = np.zeros((n_states, k - n_fixed, act_dim))
    eps = 1e-5
    for n in range(n_states):
        fixed, updated = actions[n, :n_fixed], actions[n, n_fixed:]
        scores = np.array([[(log_p(obs[n], a + eps * e) - log_p(obs[n], a - eps * e)) / (2 * eps)
                            for e in np.eye(act_dim)] for a in fixed])
        direction[n] = numpy_amortized_direction(fixed, updated, scores)

    expected = surrogate_gradient_by_finite_differences(s_params, lambda p: actions_of(p)[:, n_fixed:], direction)
    got = np.asarray(jax.flatten_util.ravel_pytree(grads)[0])
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-8)
