"""Pieces every agent's update shares."""

from collections.abc import Callable

import jax
import optax


def gradient_step(loss_fn: Callable, optimizer: optax.GradientTransformation, params, opt_state, *args):
    """One optimiser step on loss_fn(params, *args) -> (loss, aux): returns (params, opt_state, loss, aux)."""
    (loss, aux), grads = jax.value_and_grad(loss_fn, has_aux=True)(params, *args)
    updates, opt_state = optimizer.update(grads, opt_state, params)
    return optax.apply_updates(params, updates), opt_state, loss, aux
