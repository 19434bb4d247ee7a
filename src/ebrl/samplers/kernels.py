"""The RBF kernel k(x, y) = exp(−‖x − y‖² / (2σ²)) and the rules that set its bandwidth σ from the particles."""

import math

import jax
import jax.numpy as jnp

BANDWIDTH_RULES = ("median", "mean", "mean-half")


def squared_distances(x: jax.Array) -> jax.Array:
    """D_ij = ‖x_i − x_j‖² for particles x (m, d): (m, m), zero diagonal."""
    diff = x[:, None, :] - x[None, :, :]
    return jnp.sum(diff * diff, axis=-1)


def bandwidth_sq(sq_dists: jax.Array, rule: str | float) -> jax.Array:
    """σ² from the m² squared distances D (diagonal included), with no gradient (anchor-s2ac.md §1.4).

    "median": median(D) / (2 log(m + 1)); "mean": mean(D) / (2 log(m + 1)); "mean-half" (the official default):
    mean(D) / (4 log(m + 1)); a float is σ itself. The median of an even count averages the two middle values.
    """
    if not isinstance(rule, str):
        return jnp.asarray(float(rule) ** 2, sq_dists.dtype)
    m = sq_dists.shape[0]
    log_term = 2.0 * math.log(m + 1)
    if rule == "median":
        sigma_sq = jnp.median(sq_dists) / log_term
    elif rule == "mean":
        sigma_sq = jnp.mean(sq_dists) / log_term
    elif rule == "mean-half":
        sigma_sq = jnp.mean(sq_dists) / (2.0 * log_term)
    else:
        raise ValueError(f"unknown bandwidth rule {rule!r}; use one of {BANDWIDTH_RULES} or a float σ")
    return jax.lax.stop_gradient(sigma_sq)


def rbf(sq_dists: jax.Array, sigma_sq: jax.Array) -> jax.Array:
    """k = exp(−D / (2σ²)), elementwise."""
    return jnp.exp(-sq_dists / (2.0 * sigma_sq))
