"""Schedules of the fine-tuning in the Soft Q-Learning paper (App. D.1, anchor-sql.md §2.5): pure functions of an
update counter t, constant after N updates."""

import math

import jax
import jax.numpy as jnp


def log_linear(start: float | jax.Array, end: float, t: jax.Array, duration: int) -> jax.Array:
    """x_t = exp(log x_0 + min(t/N, 1)·(log x_N − log x_0)): x_0 = `start` at t = 0, x_N = `end` from t = N on, the
    geometric interpolation between them (α annealed log-linearly). `start` may be a sweep member's value (an
    array); a number's logarithm is taken in double precision."""
    fraction = jnp.minimum(t / duration, 1.0)
    log_start = math.log(start) if isinstance(start, int | float) else jnp.log(start)
    return jnp.exp(log_start + fraction * (math.log(end) - log_start))


def linear_count(start: int, t: jax.Array, duration: int) -> jax.Array:
    """K_t = round(K − (K − 1)·min(t/N, 1)), int32: K = `start` at t = 0, shrinking linearly to 1 at t = N."""
    return jnp.round(start - (start - 1) * jnp.minimum(t / duration, 1.0)).astype(jnp.int32)
