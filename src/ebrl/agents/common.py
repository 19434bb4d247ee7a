"""Pieces every agent's update shares."""

from collections.abc import Callable

import jax
import optax

from ebrl.agents.schedules import log_linear
from ebrl.nets import CriticEnsemble, min_q


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


def critic_updated(state, critic_params, tau, **fields):
    """The end of an actor-critic update on a state with `critic_params` and `target_critic_params`: the new critics,
    their targets Polyak-averaged, θ̄ ← τθ + (1 − τ)θ̄, and the other fields given."""
    return state.replace(critic_params=critic_params,
                         target_critic_params=optax.incremental_update(critic_params, state.target_critic_params, tau),
                         **fields)


def ensemble_q_value(critic: CriticEnsemble) -> Callable[..., jax.Array]:
    """The `q_value` of an agent whose state holds `critic_params`: min_k Q_k(s, a) over the ensemble, (batch,)."""

    def q_value(state, obs: jax.Array, action: jax.Array, hyper=None) -> jax.Array:
        return min_q(critic, state.critic_params, obs, action)

    return q_value


def annealed(alpha: jax.Array, final: float | None, opt_state, duration: int) -> jax.Array:
    """A fixed temperature α under the fine-tuning schedule (the SQL paper's App. D.1): α itself without `final`;
    else α annealed log-linearly to `final` over `duration` updates (schedules.log_linear), the update count read
    from the Adam state `opt_state` (its `count`: the state's fields, and so its checkpoints, stay as they are)."""
    if final is None:
        return alpha
    return log_linear(alpha, final, optax.tree_utils.tree_get(opt_state, "count"), duration)
