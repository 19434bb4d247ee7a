"""Variational inference by SVGD whose particles carry their log-density: a posterior, its predictive, its ELBO.

The particles start from q₀ = N(θ̂, diag(c·s)²), θ̂ the MAP (Adam on the log-joint, the precisions of a
hierarchical model held at their initial values, then set to their conditional mode) and s the Laplace-diagonal scale
s_k = (−∂²log p(θ)/∂θ_k² + Σ_n (∂ log p(y_n | x_n, θ)/∂θ_k)²)^{-1/2} at θ̂ (prior curvature plus the empirical
Fisher of the likelihood). SVGD runs in the whitened coordinates z = (θ − θ̂)/s, where the posterior is roughly
isotropic so one step size suits every coordinate; the map z ↦ θ is affine with constant log-Jacobian Σ_k log s_k,
so the density tracked in z (`ebrl.samplers.svgd_step`) gives the density in θ exactly:
log q(θ) = log q_z(z) − Σ_k log s_k.

With a mini-batch B of the N data points each step follows the unbiased score of
log p(θ) + (N/|B|) Σ_{n∈B} log p(y_n | x_n, θ); the log-determinant of the step is then that of the step taken.

The ELBO of the particles is E_q[log p(θ, data)] + H(q), both terms estimated over the m particles:
(1/m) Σ_i log p(θ_i, data) − (1/m) Σ_i log q(θ_i), the second the tracked-density entropy estimate
(`ebrl.samplers.policy_samples` checks it against the Monte Carlo entropy of one particle's marginal).
"""

import dataclasses
import math
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import optax
from flax import struct

from ebrl.config import require
from ebrl.samplers import BANDWIDTH_RULES, LOGDETS, svgd_step
from ebrl.vi.models import Model

Data = Any  # features (N, d) and targets (N,) as arrays; None for a model given by its whole log-joint
EXACT_TRACE_MAX_DIM = 64  # above it, the Hessian's trace by one Hutchinson probe (D derivatives per step is too many)


@struct.dataclass
class Posterior:
    """Particles θ_i (m, D) and their log-densities log q(θ_i) (m,)."""

    particles: jax.Array
    log_q: jax.Array


@struct.dataclass
class Start:
    """The whitening of `inference`'s docstring: θ = center + scale ⊙ z, center and scale (D,)."""

    center: jax.Array
    scale: jax.Array


@dataclasses.dataclass(frozen=True)
class SVGDConfig:
    """How SVGD approximates a posterior."""

    particles: int = 100
    """Number of particles m."""
    steps: int = 1000
    """SVGD steps."""
    step_size: float = 0.05
    """Step ε in the whitened coordinates (the particles move by ε·φ, φ an average over the m particles)."""
    batch: int = 0
    """Data points per step's score (0: all of them)."""
    bandwidth: str = "median"
    """Kernel bandwidth rule (ebrl.samplers.BANDWIDTH_RULES); median: Liu & Wang's med²/(2 log(m+1))."""
    logdet: str = "auto"
    """The change-of-variables rule of the tracked density (ebrl.samplers.LOGDETS); auto: the library's default
    trace-self up to D = 64 parameters, hutchinson (one probe of the Hessian's trace) above."""
    init_scale: float = 1.0
    """Spread c of the initial particles around the MAP, in Laplace standard deviations."""
    map_steps: int = 1000
    """Adam steps to the MAP that centres the start."""
    map_learning_rate: float = 0.01
    """Adam's learning rate for the MAP."""

    def validate(self) -> None:
        for name in ("particles", "steps", "step_size", "init_scale", "map_learning_rate"):
            require(getattr(self, name) > 0, f"{name} must be positive, got {getattr(self, name)}", name)
        require(self.particles >= 2, f"particles must be at least 2 (SVGD's repulsion needs pairs), got "
                f"{self.particles}", "particles")
        require(self.batch >= 0, f"batch must be 0 (all data) or positive, got {self.batch}", "batch")
        require(self.map_steps >= 0, f"map_steps must be non-negative, got {self.map_steps}", "map_steps")
        require(self.bandwidth in BANDWIDTH_RULES, f"unknown bandwidth {self.bandwidth!r}; use one of "
                f"{', '.join(BANDWIDTH_RULES)}", "bandwidth")
        require(self.logdet == "auto" or self.logdet in LOGDETS, f"unknown logdet {self.logdet!r}; use auto or one "
                f"of {', '.join(LOGDETS)}", "logdet")

    def logdet_for(self, dim: int) -> str:
        if self.logdet != "auto":
            return self.logdet
        return "trace-self" if dim <= EXACT_TRACE_MAX_DIM else "hutchinson"


def log_joint(model: Model, theta: jax.Array, x: Data, y: Data) -> jax.Array:
    """log p(θ, data) = log p(θ) + Σ_n log p(y_n | x_n, θ), a scalar."""
    if model.log_likelihood is None:
        return model.log_prior(theta)
    return model.log_prior(theta) + jnp.sum(model.log_likelihood(theta, x, y))


def batch_log_joint(model: Model, theta: jax.Array, x: Data, y: Data, n_total: int) -> jax.Array:
    """log p(θ) + (N/|B|) Σ_{n∈B} log p(y_n | x_n, θ) on the batch (x, y): unbiased for log p(θ, data)."""
    if model.log_likelihood is None:
        return model.log_prior(theta)
    return model.log_prior(theta) + n_total / y.shape[0] * jnp.sum(model.log_likelihood(theta, x, y))


def check_model(model: Model, x: Data, y: Data, theta: jax.Array) -> None:
    """`ConfigError` unless log p(θ, data) at θ (D,) is one finite number with a finite gradient."""
    require(theta.shape == (model.dim,), f"the model's starting point has shape {theta.shape}, expected "
            f"({model.dim},): make init return one flat parameter vector of the model's dim", "model")
    if model.log_likelihood is not None and y is not None:
        per_point = jax.eval_shape(model.log_likelihood, theta, x, y).shape
        require(per_point == y.shape[:1], f"log_likelihood returned shape {per_point} for {y.shape[0]} data points, "
                f"expected ({y.shape[0]},): return one log-likelihood per data point", "model")
    prior = jax.eval_shape(model.log_prior, theta).shape
    require(prior == (), f"the log-density returned shape {prior}, expected a scalar: sum it over parameters "
            "(and over data points, for a log-joint)", "model")
    value, grad = jax.jit(jax.value_and_grad(lambda t, x, y: log_joint(model, t, x, y)))(theta, x, y)
    require(bool(np.isfinite(value)), f"the log-joint is {float(value)} at the starting point: check the model and "
            "the data for NaN or inf (e.g. log of zero, unstandardised features)", "model")
    require(bool(np.all(np.isfinite(grad))), "the log-joint's gradient is not finite at the starting point: check "
            "the model for operations without a derivative there (e.g. sqrt(0), log(0))", "model")


def curvature_diagonal(model: Model, theta: jax.Array, x: Data, y: Data) -> jax.Array:
    """−∂²log p(θ)/∂θ_k² + Σ_n (∂ log p(y_n | x_n, θ)/∂θ_k)², clipped at 0 (D,); without a per-point likelihood,
    −∂²log p(θ, data)/∂θ_k² clipped at 0."""
    eye = jnp.eye(model.dim, dtype=theta.dtype)
    prior_hvp = jax.vmap(lambda e: e @ jax.jvp(jax.grad(model.log_prior), (theta,), (e,))[1])(eye)
    curvature = jnp.maximum(-prior_hvp, 0.0)
    if model.log_likelihood is not None:
        likelihood = model.log_likelihood

        def per_point(xn, yn):
            return jax.grad(lambda t: likelihood(t, xn[None], yn[None])[0])(theta)

        curvature = curvature + jnp.sum(jax.vmap(per_point)(x, y) ** 2, axis=0)
    return curvature


def laplace_start(model: Model, x: Data, y: Data, config: SVGDConfig, key: jax.Array) -> Start:
    """The MAP θ̂ by Adam from model.init(key), on mini-batches if config.batch, and the Laplace-diagonal scale.

    With model.map_frozen, by two rounds of `map_steps` each: the other coordinates with those held at init, then
    those (the precisions) with the rest held: their conditional mode given the weights, never the joint collapse."""
    require(model.init is not None, "the model has no init: give Model.init, a function key -> θ (D,)", "model")
    assert model.init is not None
    init_key, batch_key = jax.random.split(key)
    theta0 = jax.jit(model.init)(init_key)
    check_model(model, x, y, theta0)
    n = 0 if y is None else y.shape[0]
    optimiser = optax.adam(config.map_learning_rate)
    frozen = np.isin(np.arange(model.dim), np.asarray(model.map_frozen) % model.dim)
    rounds = [~frozen, frozen] if model.map_frozen else [np.ones(model.dim, bool)]

    @jax.jit
    def ascend(theta, free, key, x, y):
        def step(carry, step_key):
            theta, state = carry
            xb, yb = _batch(x, y, config.batch, step_key)
            grad = jnp.where(free, jax.grad(lambda t: -batch_log_joint(model, t, xb, yb, n))(theta), 0.0)
            updates, state = optimiser.update(grad, state)
            return (optax.apply_updates(theta, updates), state), None

        (theta, _), _ = jax.lax.scan(step, (theta, optimiser.init(theta)), jax.random.split(key, config.map_steps))
        return theta

    @jax.jit
    def scale_at(theta, x, y):
        return 1.0 / jnp.sqrt(jnp.maximum(curvature_diagonal(model, theta, x, y), 1e-6))

    def fit(theta, key):
        for free, round_key in zip(rounds, jax.random.split(key, len(rounds))):
            theta = ascend(theta, free, round_key, x, y)  # one compiled program for every round
        return theta, scale_at(theta, x, y)

    center, scale = fit(theta0, batch_key)
    require(bool(np.all(np.isfinite(center)) & np.all(np.isfinite(scale))), "the MAP search diverged "
            "(non-finite parameters): lower map_learning_rate or check the model", "map_learning_rate")
    return Start(center, scale)


def _batch(x: Data, y: Data, batch: int, key: jax.Array) -> tuple[Data, Data]:
    if y is None or batch == 0 or batch >= y.shape[0]:
        return x, y
    rows = jax.random.choice(key, y.shape[0], (batch,), replace=False)
    return x[rows], y[rows]


def make_svgd(model: Model, x: Data, y: Data, config: SVGDConfig,
              start: Start) -> Callable[[jax.Array], tuple[jax.Array, jax.Array]]:
    """The pure function key -> (particles θ (m, D), log q (m,)) of one SVGD run from the start: jittable and
    vmappable over keys (independent runs, as `ebrl.samplers.policy_samples` needs)."""
    n, dim = (0 if y is None else y.shape[0]), model.dim
    logdet = config.logdet_for(dim)
    log_scale = jnp.sum(jnp.log(start.scale))

    def step(carry, step_key):
        z, log_q = carry
        batch_key, probe_key = jax.random.split(step_key)
        xb, yb = _batch(x, y, config.batch, batch_key)

        def score(zi):
            return start.scale * jax.grad(lambda t: batch_log_joint(model, t, xb, yb, n))(
                start.center + start.scale * zi)

        return svgd_step(score, z, log_q, config.step_size, config.bandwidth, logdet, key=probe_key), None

    def run(key):
        init_key, steps_key = jax.random.split(key)
        z0 = config.init_scale * jax.random.normal(init_key, (config.particles, dim))
        log_q0 = jnp.sum(-0.5 * (z0 / config.init_scale) ** 2 - math.log(config.init_scale)
                         - 0.5 * math.log(2 * math.pi), axis=1)
        (z, log_q), _ = jax.lax.scan(step, (z0, log_q0), jax.random.split(steps_key, config.steps))
        return start.center + start.scale * z, log_q - log_scale

    return run


def svgd(model: Model, x, y, config: SVGDConfig = SVGDConfig(), *, key: jax.Array,
         start: Start | None = None) -> Posterior:
    """The SVGD posterior of `model` given data (x (N, d), y (N,)): particles and their log-densities.

    `start` (from `laplace_start`) is computed when not given; a model given by its whole log-joint
    (`from_log_joint`) takes x = y = None. Raises `ConfigError` for a log-density that is NaN
    or of the wrong shape, and for particles that diverge."""
    config.validate()
    if model.log_likelihood is None:
        x = y = None
    else:
        x, y = jnp.asarray(x), jnp.asarray(y)
    start_key, run_key = jax.random.split(key)
    if start is None:
        start = laplace_start(model, x, y, config, start_key)
    check_model(model, x, y, start.center)
    particles, log_q = jax.jit(make_svgd(model, x, y, config, start))(run_key)
    require_finite(particles, log_q)
    return Posterior(particles, log_q)


def require_finite(particles: jax.Array, log_q: jax.Array) -> None:
    """`ConfigError` when SVGD's particles or their log-densities came out non-finite."""
    bad = int(np.sum(~np.all(np.isfinite(np.asarray(particles)), axis=-1) | ~np.isfinite(np.asarray(log_q))))
    require(bad == 0, f"SVGD diverged: {bad} particles or log-densities are not finite; lower step_size (or raise "
            "batch)", "step_size")


@struct.dataclass
class Elbo:
    """E_q[log p(θ, data)] + H(q) and its two terms, in nats."""

    value: jax.Array
    expected_log_joint: jax.Array
    entropy: jax.Array


def elbo(model: Model, samples: jax.Array, log_q: jax.Array, x, y) -> Elbo:
    """(1/S) Σ_s log p(θ_s, data) − (1/S) Σ_s log q(θ_s) over samples θ_s (S, D) of q, their log q (S,); x and y
    are None for a model given by its whole log-joint."""
    @jax.jit
    def terms(samples, log_q, x, y):
        expected = jnp.mean(jax.vmap(lambda t: log_joint(model, t, x, y))(samples))
        entropy = -jnp.mean(log_q)
        return Elbo(expected + entropy, expected, entropy)

    return terms(samples, log_q, x, y)


def log_predictive(model: Model, samples: jax.Array, x, y) -> jax.Array:
    """log p(y_n | x_n, data) ≈ log (1/S) Σ_s p(y_n | x_n, θ_s) for every point: (n,)."""
    assert model.log_likelihood is not None
    likelihood = model.log_likelihood

    @jax.jit
    def average(samples, x, y):
        per_sample = jax.vmap(lambda t: likelihood(t, x, y))(samples)
        return jax.scipy.special.logsumexp(per_sample, axis=0) - math.log(samples.shape[0])

    return average(samples, x, y)


def predictive_mean(model: Model, samples: jax.Array, x) -> jax.Array:
    """E[y_n | x_n, data] ≈ (1/S) Σ_s mean(θ_s, x_n): (n,); a classifier's p(y = 1 | x, data)."""
    assert model.mean is not None
    mean = model.mean
    return jax.jit(lambda samples, x: jnp.mean(jax.vmap(lambda t: mean(t, x))(samples), axis=0))(samples, x)
