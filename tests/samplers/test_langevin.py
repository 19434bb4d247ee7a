"""LD, DLD and HMC on a Gaussian target, whose score is linear: g(x) = −P(x − µ), Hessian −P."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from ebrl.samplers import dld_step, hmc_step, ld_step, run_chain

P = np.array([[2.0, 0.5], [0.5, 1.0]])
MU = np.array([1.0, -1.0])
SCORE = lambda x: -jnp.asarray(P, jnp.float32) @ (x - jnp.asarray(MU, jnp.float32))  # noqa: E731
X = jax.random.normal(jax.random.key(0), (5, 2))


@pytest.mark.parametrize("logdet", ["trace", "exact"])
def test_dld_log_density_by_hand(logdet):
    eps = 0.1
    x, log_q = dld_step(SCORE, X, jnp.zeros(5), eps, logdet)
    np.testing.assert_allclose(x, X - eps * (np.asarray(X) - MU) @ P.T, rtol=1e-5)
    change = eps * -np.trace(P) if logdet == "trace" else np.linalg.slogdet(np.eye(2) - eps * P)[1]
    np.testing.assert_allclose(log_q, -change * np.ones(5), rtol=1e-5)


def test_hmc_field_by_hand():
    """φ(x) = g(x) + g(x + ½ε²g(x)): Jacobian −2P + ½ε²P², step h = ε²."""
    eps = 0.5
    _, log_q = hmc_step(SCORE, X, jnp.zeros(5), eps, "trace")
    jac = -2 * P + 0.5 * eps**2 * P @ P
    np.testing.assert_allclose(log_q, -eps**2 * np.trace(jac) * np.ones(5), rtol=1e-5)


def test_ld_adds_noise_but_tracks_the_drift_only():
    eps, n = 0.1, 20_000
    x0 = jnp.zeros((n, 2)) + jnp.asarray(MU, jnp.float32)  # at the mode the drift is zero
    x, log_q = ld_step(SCORE, x0, jnp.zeros(n), eps, jax.random.key(1), noise_var=0.05)
    np.testing.assert_allclose(np.std(np.asarray(x - x0), axis=0), 2 * np.sqrt(eps * 0.05), rtol=0.03)
    np.testing.assert_allclose(log_q, eps * np.trace(P), rtol=1e-5)


def test_run_chain_returns_the_path():
    step = lambda x, log_q, key: dld_step(SCORE, x, log_q, 0.1)  # noqa: E731
    _, log_q, path = run_chain(step, X, jnp.zeros(5), 4)
    assert path.shape == (5, 5)
    np.testing.assert_allclose(path[-1], log_q)
    np.testing.assert_allclose(np.diff(np.asarray(path), axis=0), 0.1 * np.trace(P), rtol=1e-5)
