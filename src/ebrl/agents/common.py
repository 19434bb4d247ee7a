"""Pieces every agent's update shares."""

from collections.abc import Callable

import jax
import optax


def gradient_step(loss_fn: Callable, optimizer: optax.GradientTransformation, params, opt_state, *args,
                  has_aux: bool = True):
    """One optimiser step on loss_fn(params, *args), which returns (loss, aux), or the loss alone without has_aux.

    Returns (params, opt_state, loss, aux), aux None without has_aux.
    """
    if has_aux:
        (loss, aux), grads = jax.value_and_grad(loss_fn, has_aux=True)(params, *args)
    else:
        loss, grads = jax.value_and_grad(loss_fn)(params, *args)
        aux = None
    updates, opt_state = optimizer.update(grads, opt_state, params)
    return optax.apply_updates(params, updates), opt_state, loss, aux
