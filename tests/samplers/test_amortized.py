"""The amortized SVGD pieces against hand-computed values and finite differences."""

import math

import jax.numpy as jnp
import numpy as np
import pytest

from ebrl.samplers.amortized import kde_score, lower_median, median_kernel


def test_kernel_bandwidth_on_hand_computed_distances():
    fixed = jnp.array([[0.0, 0.0], [1.0, 0.0], [0.0, 2.0]])
    updated = jnp.array([[0.0, 1.0], [3.0, 0.0]])
    # squared distances, fixed x updated: [[1, 9], [2, 4], [1, 13]]; sorted 1 1 2 4 9 13, lower median 2
    kappa, grad, h = median_kernel(fixed, updated)
    assert float(lower_median(jnp.array([[1.0, 9.0], [2.0, 4.0], [1.0, 13.0]]))) == 2.0
    np.testing.assert_allclose(h, 2.0 / math.log(3.0), rtol=1e-6)
    np.testing.assert_allclose(kappa[1, 1], math.exp(-4.0 / (2.0 / math.log(3.0))), rtol=1e-6)
    # ∇_x exp(−‖x − y‖²/h) at x = (1, 0), y = (3, 0): −2(x − y)/h·κ
    np.testing.assert_allclose(grad[1, 1], -2.0 * np.array([-2.0, 0.0]) / h * kappa[1, 1], rtol=1e-5)
    # the floor: coincident particles give h = 1e-3, not 0
    assert float(median_kernel(jnp.zeros((2, 2)), jnp.zeros((2, 2)))[2]) == pytest.approx(1e-3)


def test_kde_score_against_finite_differences():
    """∇ log Σ_j exp(−‖x − c_j‖²/(2σ²)) by central differences of the log-sum in NumPy."""
    rng = np.random.default_rng(0)
    centres, points, sigma_sq = rng.normal(size=(5, 3)), rng.normal(size=(4, 3)), 0.7

    def log_kde(x):
        return np.log(np.sum(np.exp(-np.sum((x - centres) ** 2, -1) / (2 * sigma_sq))))

    eps = 1e-6
    numeric = np.array([[(log_kde(x + eps * e) - log_kde(x - eps * e)) / (2 * eps) for e in np.eye(3)]
                        for x in points])
    got = kde_score(jnp.asarray(points), jnp.asarray(centres), jnp.asarray(sigma_sq))
    np.testing.assert_allclose(got, numeric, rtol=1e-4, atol=1e-5)
    # one centre: the Gaussian score (c − x)/σ²
    np.testing.assert_allclose(kde_score(jnp.zeros((1, 2)), jnp.ones((1, 2)), 0.5), [[2.0, 2.0]], rtol=1e-6)
