"""Gradient samplers of the S2AC entropy study, tracking log-density the way SVGD does.

Each moves every particle independently along a field: x ← x + h φ(x) (+ noise for LD), and updates
log q ← log q − h Tr ∂φ/∂x ("trace", first order) or log q ← log q − log|det(I + h ∂φ/∂x)| ("exact"), the
Jacobian by autodiff (anchor-s2ac.md §5):

- DLD, deterministic Langevin: φ = ∇ log p, h = ε.
- LD, Langevin: the DLD move plus 2√ε·ξ, ξ ~ N(0, noise_var·I) (the study uses noise_var = 0.05). The log-density
  update is that of the drift alone, as in the study; it ignores the entropy the noise adds.
- HMC, the study's two-step leap-frog from zero momentum, written in position space:
  x ← x + ε²·[g(x) + g(x + ½ε² g(x))], i.e. φ(x) = g(x) + g(x + ½ε² g(x)), h = ε². The reference names the variant
  only as "a 2-step leap-frog-like variant"; this is ebrl's reading of it.
"""

from collections.abc import Callable

import jax
import jax.numpy as jnp


def field_step(field: Callable, x: jax.Array, log_q: jax.Array, h: float, logdet: str = "trace"):
    """x ← x + h φ(x) per particle, with the matching log-density update; x (m, d), log_q (m,)."""
    d = x.shape[1]

    def one(xi):
        jac = jax.jacfwd(field)(xi)
        if logdet == "trace":
            change = h * jnp.trace(jac)
        elif logdet == "exact":
            change = jnp.linalg.slogdet(jnp.eye(d, dtype=x.dtype) + h * jac)[1]
        else:
            raise ValueError(f"unknown logdet {logdet!r}; use trace or exact")
        return xi + h * field(xi), change

    new_x, change = jax.vmap(one)(x)
    return new_x, log_q - change


def dld_step(score_fn: Callable, x, log_q, step_size: float, logdet: str = "trace"):
    return field_step(score_fn, x, log_q, step_size, logdet)


def ld_step(score_fn: Callable, x, log_q, step_size: float, key: jax.Array, noise_var: float = 0.05,
            logdet: str = "trace"):
    x, log_q = field_step(score_fn, x, log_q, step_size, logdet)
    noise = 2.0 * jnp.sqrt(step_size * noise_var) * jax.random.normal(key, x.shape, x.dtype)
    return x + noise, log_q


def hmc_step(score_fn: Callable, x, log_q, step_size: float, logdet: str = "trace"):
    half = 0.5 * step_size**2

    def field(xi):
        g = score_fn(xi)
        return g + score_fn(xi + half * g)

    return field_step(field, x, log_q, step_size**2, logdet)


def run_chain(step: Callable, x0: jax.Array, log_q0: jax.Array, steps: int, key: jax.Array | None = None):
    """Apply `step(x, log_q, key) -> (x, log_q)` `steps` times; returns (x, log_q, log_q after every step with
    log_q0 first: (steps + 1, m))."""
    keys = jax.random.split(key if key is not None else jax.random.key(0), steps)

    def body(carry, k):
        x, log_q = step(*carry, k)
        return (x, log_q), log_q

    (x, log_q), path = jax.lax.scan(body, (x0, log_q0), keys)
    return x, log_q, jnp.concatenate([log_q0[None], path])
