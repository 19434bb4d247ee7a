import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from ebrl.samplers import bandwidth_sq, squared_distances
from ebrl.samplers.kernels import median_nonnegative

jax.config.update("jax_enable_x64", False)


@pytest.mark.parametrize("shape", [(1,), (2,), (5,), (3, 3), (8, 8), (100, 100), (7, 5)])
def test_median_without_sorting_equals_numpy_median(shape):
    """Odd and even counts, ties, zeros and values over many orders of magnitude: the same float32 value as NumPy's
    median (which sorts), the two middle values averaged for an even count."""
    rng = np.random.default_rng(shape[0])
    for scale in (1e-6, 1.0, 1e6):
        values = (rng.exponential(size=shape) * scale).astype(np.float32)
        values.flat[:: 3] = 0.0
        values.flat[1:: 4] = values.flat[0]
        assert float(median_nonnegative(jnp.asarray(values))) == np.median(values)


def test_median_keeps_inf_and_nan():
    assert float(median_nonnegative(jnp.array([1.0, np.inf, 2.0]))) == 2.0
    assert float(median_nonnegative(jnp.array([np.inf, np.inf]))) == np.inf
    assert np.isnan(float(median_nonnegative(jnp.array([1.0, np.nan, 2.0]))))


def test_median_bandwidth_of_random_particles():
    """σ² = median(D) / (2 log(m + 1)) over the m² squared distances, D by NumPy in float64."""
    x = np.random.default_rng(1).normal(size=(50, 4))
    d = np.sum((x[:, None] - x[None]) ** 2, axis=-1)
    sigma_sq = jax.jit(lambda x: bandwidth_sq(squared_distances(x), "median"))(jnp.asarray(x, jnp.float32))
    np.testing.assert_allclose(sigma_sq, np.median(d) / (2 * math.log(51)), rtol=1e-5)
