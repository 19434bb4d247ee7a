"""The truth of a sampler's entropy: the estimators against known entropies, and the random-particle policy's
samples against a sampler whose marginal is known in closed form."""

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from ebrl.samplers import (
    gaussian_fit_entropy,
    gaussian_log_density,
    knn_entropy,
    policy_samples,
    squashed_knn_entropy,
    svgd_sample,
)


def gaussian_entropy(stds: np.ndarray) -> float:
    return float(0.5 * len(stds) * math.log(2 * math.pi * math.e) + np.sum(np.log(stds)))


def test_nearest_neighbour_entropy_of_known_distributions():
    rng = np.random.default_rng(0)
    gaussian = np.mean([knn_entropy(rng.normal(size=(1000, 2))) for _ in range(5)])
    assert abs(gaussian - (1.0 + math.log(2.0 * math.pi))) < 0.05  # N(0, I) in 2-D: 2.838 nats
    uniform = np.mean([knn_entropy(rng.uniform(-1, 1, size=(1000, 2))) for _ in range(5)])
    assert abs(uniform - math.log(4.0)) < 0.05
    narrow = knn_entropy(0.01 * rng.normal(size=(1000, 1)))
    assert abs(narrow - (0.5 * math.log(2 * math.pi * math.e) + math.log(0.01))) < 0.1
    assert knn_entropy(np.zeros((10, 2))) == -math.inf


@pytest.mark.slow
@pytest.mark.parametrize("d, k, low, high", [(1, 1, -0.03, 0.03), (3, 1, -0.05, 0.03), (6, 1, -0.09, 0.0),
                                              (8, 4, -0.08, 0.01), (17, 1, 0.15, 0.45)])
def test_nearest_neighbour_bias_at_the_dimensions_used(d, k, low, high):
    """20 000 draws of N(0, diag s²), s² in [0.5, 2], at MuJoCo's action dimensions (Hopper 3, HalfCheetah 6, Ant
    8, Humanoid 17): the estimate's error lies in [low, high] nats. Measured over 3 draws each (k = 1): −0.00 at
    d = 1, −0.01 at 3, −0.05 at 6, −0.04 at 8, but +0.29 at 17 and +0.57 at 20, where 20 000 samples are too few for
    it; the Gaussian fit is exact to sampling error at every d."""
    rng = np.random.default_rng(d)
    stds = np.sqrt(rng.uniform(0.5, 2.0, size=d))
    samples = rng.normal(size=(20_000, d)) * stds
    truth = gaussian_entropy(stds)
    assert low < knn_entropy(samples, k) - truth < high
    assert abs(gaussian_fit_entropy(samples) - truth) < 0.02 + 0.002 * d


@pytest.mark.parametrize("d", [2, 20, 100])
def test_the_gaussian_fit_is_unbiased_from_few_samples(d):
    """1000 samples: the plain ½ log det(2πe Σ̂) would be low by about d(d + 1)/(4N), 2.5 nats at d = 100."""
    rng = np.random.default_rng(d)
    stds = np.sqrt(rng.uniform(0.5, 2.0, size=d))
    errors = [gaussian_fit_entropy(rng.normal(size=(1000, d)) * stds) - gaussian_entropy(stds) for _ in range(5)]
    assert abs(np.mean(errors)) < 0.1


@pytest.mark.parametrize("d, spread, std", [(2, 1.5, 0.6), (6, 2.0, 0.5), (6, 0.0, 1.0)])
def test_the_entropy_of_squashed_samples(d, spread, std):
    """a = tanh(u), u ~ N(µ, std² I), µ ~ U(−spread, spread)^d: H(a) = H(u) + E Σ log(1 − tanh² u_k), the
    expectation by Gauss–Hermite quadrature per dimension. `squashed_knn_entropy` is within 0.1 nats of it from
    20 000 float32 actions; nearest neighbours on a itself overstate it at d = 6 (measured +0.18 to +0.44 over 3 draws
    each)."""
    rng = np.random.default_rng(d)
    means, stds = rng.uniform(-spread, spread, d), np.full(d, std)
    nodes, weights = np.polynomial.hermite_e.hermegauss(80)
    log_jacobian = sum(np.sum(weights * np.log1p(-np.tanh(m + s * nodes) ** 2)) for m, s in zip(means, stds))
    truth = gaussian_entropy(stds) + log_jacobian / math.sqrt(2 * math.pi)
    actions = np.tanh(rng.normal(size=(20_000, d)) * stds + means).astype(np.float32)
    assert abs(squashed_knn_entropy(actions) - truth) < 0.1
    if d == 6:
        assert knn_entropy(actions) - truth > 0.15
    assert squashed_knn_entropy(np.ones((10, d), np.float32)) == -math.inf  # saturated: u is lost


def test_policy_samples_of_a_sampler_with_a_known_marginal():
    """Zero SVGD steps: each particle is a draw of the initial N(µ, diag s²), so the random-particle policy has that
    entropy, and the estimate −mean log q is its Monte Carlo estimate; both agree with the closed form."""
    mean, stds = jnp.array([1.0, -2.0, 0.5]), jnp.array([0.5, 1.0, 2.0])

    def run(key):
        x0 = mean + stds * jax.random.normal(key, (10, 3))
        return svgd_sample(lambda x: -x, x0, gaussian_log_density(x0, mean, stds), steps=0, step_size=0.1)

    samples, estimate = policy_samples(run, jax.random.key(0), 20_000)
    truth = gaussian_entropy(np.asarray(stds))
    assert samples.shape == (20_000, 3)
    np.testing.assert_allclose(samples.mean(axis=0), mean, atol=0.05)
    assert abs(gaussian_fit_entropy(samples) - truth) < 0.03
    assert abs(knn_entropy(samples) - truth) < 0.06
    assert abs(estimate - truth) < 0.01


@pytest.mark.slow
@pytest.mark.parametrize("d, steps, m", [(2, 10, 10), (6, 10, 10), (17, 3, 10), (6, 10, 32)])
def test_exact_tracks_the_policy_entropy_of_svgd_on_gaussians(d, steps, m):
    """On N(µ, diag s²), particles from N(0, 6I), ε = 0.1: `exact`, `trace-self` and `hutchinson` are within the issue's
    0.15 + 0.01·d of the policy's entropy (the Gaussian fit of one particle from each of 2000 independent runs), while
    the official `trace` overstates it by more (it leaves out the self term's volume change)."""
    key_mean, key_var, key_run = jax.random.split(jax.random.key(d + steps), 3)
    mean = jax.random.uniform(key_mean, (d,), minval=-1.0, maxval=1.0)
    variances = jax.random.uniform(key_var, (d,), minval=0.5, maxval=2.0)
    stds0 = jnp.full(d, math.sqrt(6.0))
    errors = {}
    for logdet in ("trace", "trace-self", "hutchinson", "exact"):
        def run(key, logdet=logdet):
            x0 = stds0 * jax.random.normal(key, (m, d))
            return svgd_sample(lambda x: -(x - mean) / variances, x0, gaussian_log_density(x0, jnp.zeros(d), stds0),
                               steps=steps, step_size=0.1, logdet=logdet, key=jax.random.fold_in(key, 1))

        samples, estimate = policy_samples(run, key_run, 2000)
        errors[logdet] = estimate - gaussian_fit_entropy(samples)
    assert abs(errors["exact"]) < 0.15 + 0.01 * d
    assert abs(errors["trace-self"]) < 0.15 + 0.01 * d
    assert abs(errors["hutchinson"] - errors["trace-self"]) < 1e-3  # a diagonal Hessian: the probe is exact
    assert errors["trace"] > errors["exact"] + 0.1


@pytest.mark.slow
@pytest.mark.parametrize("d, steps", [(2, 10), (3, 30)])
def test_self_term_rules_track_the_policy_entropy_of_svgd_on_a_mixture(d, steps):
    """A 4-component mixture of N(µ_k, diag s²), means in [−3, 3]^d (Hessians of log p not diagonal, so the one
    Rademacher probe of `hutchinson` is not exact), particles from N(0, 6I), m = 10, ε = 0.1: `trace-self` and
    `hutchinson` are within 0.15 + 0.01·d of the policy's entropy, the nearest-neighbour estimate of one particle from
    each of 4000 independent runs (bias below 0.05 nats at these d); the official `trace` overstates it by more.
    Over four draws of the mixture each: self-term errors within ±0.08, `trace` above them by 0.10–0.25 (d = 2, L = 10)
    and 0.34–0.75 (d = 3, L = 30)."""
    key_mean, key_var, key_run = jax.random.split(jax.random.key(10 * d + steps), 3)
    means = 3.0 * jax.random.uniform(key_mean, (4, d), minval=-1.0, maxval=1.0)
    stds = jnp.sqrt(jax.random.uniform(key_var, (d,), minval=0.5, maxval=2.0))
    stds0 = jnp.full(d, math.sqrt(6.0))

    def score(x):
        return jax.grad(lambda y: jax.nn.logsumexp(-0.5 * jnp.sum(((y - means) / stds) ** 2, axis=-1)))(x)

    errors = {}
    for logdet in ("trace", "trace-self", "hutchinson"):
        def run(key, logdet=logdet):
            x0 = stds0 * jax.random.normal(key, (10, d))
            return svgd_sample(score, x0, gaussian_log_density(x0, jnp.zeros(d), stds0), steps=steps, step_size=0.1,
                               logdet=logdet, key=jax.random.fold_in(key, 1))

        samples, estimate = policy_samples(run, key_run, 4000)
        errors[logdet] = estimate - knn_entropy(samples)
    assert abs(errors["trace-self"]) < 0.15 + 0.01 * d
    assert abs(errors["hutchinson"]) < 0.15 + 0.01 * d
    assert errors["trace"] > errors["trace-self"] + 0.05
