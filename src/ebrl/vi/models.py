"""Models as a log-prior and a log-likelihood per data point over one flat parameter vector θ (D,).

    log p(θ, data) = log p(θ) + Σ_n log p(y_n | x_n, θ)

Positive parameters (precisions) live on the log scale, their log-Jacobian inside the log-prior, so θ is
unconstrained and every method (SVGD, NUTS, mean-field VI) sees the same density over the same coordinates.
"""

import dataclasses
import math
from collections.abc import Callable

import jax
import jax.numpy as jnp


@dataclasses.dataclass(frozen=True)
class Model:
    """A Bayesian model over θ (dim,).

    `log_prior(θ) -> ()`; `log_likelihood(θ, x (n, d), y (n,)) -> (n,)`, one term per data point (None: log_prior is
    the whole log-joint, the data inside it, and nothing is mini-batched); `mean(θ, x) -> (n,)`, the model's
    prediction E[y | x, θ] (for a classifier, p(y = 1 | x, θ)); `init(key) -> θ`, a starting point;
    `map_frozen`, coordinates of θ (the log-precisions of a hierarchical model) that the MAP search which starts
    SVGD holds at init while it fits the rest, and then fits alone: the joint mode over weights and their
    precision is the degenerate w = 0, λ → ∞ (on Boston's network, log λ = 8.2 and every prediction the training
    mean), and a free noise precision lets the network overfit its way to a sharp γ."""

    dim: int
    log_prior: Callable[[jax.Array], jax.Array]
    log_likelihood: Callable[[jax.Array, jax.Array, jax.Array], jax.Array] | None = None
    mean: Callable[[jax.Array, jax.Array], jax.Array] | None = None
    init: Callable[[jax.Array], jax.Array] | None = None
    map_frozen: tuple[int, ...] = ()


def from_log_joint(log_joint: Callable[[jax.Array], jax.Array], dim: int) -> Model:
    """A model given as its whole log-joint θ (dim,) -> log p(θ, data), the data closed over."""
    return Model(dim, log_joint)


def log_gamma_on_log_scale(log_value: jax.Array, shape: float, rate: float) -> jax.Array:
    """log density of u = log τ for τ ~ Gamma(shape, rate): a log τ − b τ + a log b − log Γ(a)
    (the Gamma density times the Jacobian dτ/du = τ)."""
    return shape * log_value - rate * jnp.exp(log_value) + shape * math.log(rate) - math.lgamma(shape)


def log_normal_precision(w: jax.Array, log_precision: jax.Array) -> jax.Array:
    """Σ_k log N(w_k; 0, 1/τ) with τ = exp(log_precision)."""
    return 0.5 * w.size * (log_precision - math.log(2 * math.pi)) - 0.5 * jnp.exp(log_precision) * jnp.sum(w * w)


def logistic_regression(features: int, prior_shape: float = 1.0, prior_rate: float = 0.01) -> Model:
    """Bayesian logistic regression with the hierarchical prior of the SVGD paper (Liu & Wang 2016, §5; their code
    `bayesian_logistic_regression.py`): θ = (w (features), b, log α), p(y = 1 | x) = σ(wᵀx + b),
    w, b ~ N(0, 1/α), α ~ Gamma(prior_shape, rate prior_rate) = Gamma(1, 0.01)."""

    def unpack(theta):
        return theta[:features], theta[features], theta[features + 1]

    def log_prior(theta):
        w, b, log_alpha = unpack(theta)
        return (log_gamma_on_log_scale(log_alpha, prior_shape, prior_rate)
                + log_normal_precision(jnp.append(w, b), log_alpha))

    def log_likelihood(theta, x, y):
        w, b, _ = unpack(theta)
        logits = x @ w + b
        return -jax.nn.softplus(-(2.0 * y - 1.0) * logits)

    def mean(theta, x):
        w, b, _ = unpack(theta)
        return jax.nn.sigmoid(x @ w + b)

    def init(key):
        return jnp.concatenate([jax.random.normal(key, (features + 1,)) * 0.1, jnp.zeros(1)])

    return Model(features + 2, log_prior, log_likelihood, mean, init, map_frozen=(features + 1,))


def bayesian_neural_network(features: int, hidden: int = 50, prior_shape: float = 1.0,
                            prior_rate: float = 0.1) -> Model:
    """The one-hidden-layer regression network of the SVGD paper and PBP (Liu & Wang 2016 §5, code
    `bayesian_nn.py`; Hernández-Lobato & Adams 2015): f(x) = w₂ᵀ relu(W₁ᵀx + b₁) + b₂, y ~ N(f(x), 1/γ),
    every weight ~ N(0, 1/λ), γ, λ ~ Gamma(1, rate 0.1). θ = (W₁ (features·hidden), b₁, w₂, b₂, log γ, log λ),
    targets standardised."""
    n_w1 = features * hidden

    def unpack(theta):
        w1 = theta[:n_w1].reshape(features, hidden)
        b1 = theta[n_w1:n_w1 + hidden]
        w2 = theta[n_w1 + hidden:n_w1 + 2 * hidden]
        b2 = theta[n_w1 + 2 * hidden]
        return w1, b1, w2, b2, theta[-2], theta[-1]

    def mean(theta, x):
        w1, b1, w2, b2, _, _ = unpack(theta)
        return jax.nn.relu(x @ w1 + b1) @ w2 + b2

    def log_prior(theta):
        *_, log_gamma, log_lambda = unpack(theta)
        return (log_gamma_on_log_scale(log_gamma, prior_shape, prior_rate)
                + log_gamma_on_log_scale(log_lambda, prior_shape, prior_rate)
                + log_normal_precision(theta[:-2], log_lambda))

    def log_likelihood(theta, x, y):
        log_gamma = theta[-2]
        residual = y - mean(theta, x)
        return 0.5 * (log_gamma - math.log(2 * math.pi)) - 0.5 * jnp.exp(log_gamma) * residual * residual

    def init(key):
        # The SVGD paper's start: weights of scale 1/√(fan-in + 1), unit noise and weight precisions.
        k1, k2 = jax.random.split(key)
        w1 = jax.random.normal(k1, (n_w1,)) / math.sqrt(features + 1)
        w2 = jax.random.normal(k2, (hidden,)) / math.sqrt(hidden + 1)
        return jnp.concatenate([w1, jnp.zeros(hidden), w2, jnp.zeros(3)])

    dim = n_w1 + 2 * hidden + 3
    return Model(dim, log_prior, log_likelihood, mean, init, map_frozen=(dim - 2, dim - 1))
