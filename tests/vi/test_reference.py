"""NumPyro's methods see the density ebrl's SVGD does: mean-field VI on a Gaussian posterior against its closed form
(loc = the posterior mean, scale = 1/√Λ_kk, Λ the posterior precision)."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from ebrl.vi import Start
from ebrl.vi.reference import mean_field
from tests.vi.test_inference import NOISE_VAR, PRIOR_VAR, data, linear_regression

pytest.importorskip("numpyro")


def test_mean_field_on_a_gaussian_posterior():
    x, y, mean, _ = data()
    precision = np.eye(2) / PRIOR_VAR + x.T @ x / NOISE_VAR
    start = Start(jnp.zeros(2), jnp.ones(2))
    loc, scale = mean_field(linear_regression(2), x, y, start, steps=2000, learning_rate=0.005, key=jax.random.key(0))
    np.testing.assert_allclose(loc, mean, atol=0.05)  # one-draw ELBO gradients: Adam ends near, not at, the optimum
    np.testing.assert_allclose(scale, 1 / np.sqrt(np.diag(precision)), rtol=0.15)
