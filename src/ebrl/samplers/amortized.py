"""Amortised SVGD (Wang & Liu 2016; Soft Q-Learning, Haarnoja et al. 2017, Eq. 13–14): a network x = f(ξ) whose
samples are pushed along the SVGD direction, so that one network call replaces a particle chain.

For one state, Kf fixed samples x_j (no gradient) drive Ku updated samples y_i:

    Δ(y_i) = (1/Kf) Σ_j [κ(x_j, y_i)·∇ log p(x_j) + β·∇_{x_j}κ(x_j, y_i)]
    κ(x, y) = exp(−‖x − y‖²/h),   h = max(lower median of the Kf×Ku squared distances / log Kf, 1e-3)

and the network's parameters ascend Σ_i (∂y_i/∂φ)ᵀ Δ(y_i), i.e. descend the surrogate −Σ_i y_i·stop_grad(Δ_i).
The bandwidth rule and the 1e-3 floor are those of the Soft Q-Learning code (anchor-sql.md §2.3).
"""

import math

import jax
import jax.numpy as jnp

MIN_BANDWIDTH = 1e-3


def lower_median(x: jax.Array) -> jax.Array:
    """The lower median of all entries: sorted(x)[(n − 1) // 2] (the official top_k rule)."""
    flat = jnp.sort(x.ravel())
    return flat[(flat.size - 1) // 2]


def median_kernel(fixed: jax.Array, updated: jax.Array) -> tuple[jax.Array, jax.Array, jax.Array]:
    """κ(x_j, y_i) and ∇_{x_j}κ = −2(x_j − y_i)/h·κ: fixed x (Kf, d), updated y (Ku, d) -> κ (Kf, Ku),
    ∇κ (Kf, Ku, d), h (no gradient)."""
    diff = fixed[:, None, :] - updated[None, :, :]
    sq_dists = jnp.sum(diff * diff, axis=-1)
    h = jax.lax.stop_gradient(jnp.maximum(lower_median(sq_dists) / math.log(fixed.shape[0]), MIN_BANDWIDTH))
    kappa = jnp.exp(-sq_dists / h)
    return kappa, -2.0 * diff / h * kappa[..., None], h


def amortized_direction(fixed: jax.Array, updated: jax.Array, score: jax.Array, repulsion: float = 1.0):
    """Δ(y_i) of the module docstring for one state; `score` (Kf, d) is ∇ log p at the fixed samples and
    `repulsion` is β. Returns Δ (Ku, d) and h."""
    kappa, grad_kappa, h = median_kernel(fixed, updated)
    attraction = jnp.einsum("ji,jd->id", kappa, score)
    return (attraction + repulsion * grad_kappa.sum(axis=0)) / fixed.shape[0], h


def kde_score(x: jax.Array, centres: jax.Array, sigma_sq: jax.Array) -> jax.Array:
    """∇_x log Σ_j exp(−‖x − c_j‖²/(2σ²)) = Σ_j w_j (c_j − x)/σ², w = softmax_j(−‖x − c_j‖²/(2σ²)): the score of
    a Gaussian kernel density estimate with centres c (m, d), at points x (n, d) -> (n, d)."""
    diff = centres[None, :, :] - x[:, None, :]
    weights = jax.nn.softmax(-jnp.sum(diff * diff, axis=-1) / (2.0 * sigma_sq), axis=-1)
    return jnp.einsum("nj,njd->nd", weights, diff) / sigma_sq
