"""Soft Q-Learning's objectives (Haarnoja et al., 2017, arXiv:1702.08165) as the authors' code computes them.

Units: the Q-network learns Q̂ = c·Q with c the reward scale (c = 1/α for α > 0, the official parameterisation;
c = 1 in the hard-max limit α = 0), so in network units the temperature β = c·α is 1 (soft) or 0 (hard max).
"""

import math

import jax
import jax.numpy as jnp

from ebrl.agents.sql.networks import SQLNetworks
from ebrl.core import Transition
from ebrl.samplers.amortized import amortized_direction

BARRIER_EPS = 1e-6  # log(1 − a² + ε) keeps the squash barrier finite at |a| = 1


def soft_value(q: jax.Array, temperature: float, act_dim: int) -> jax.Array:
    """V = α·[logsumexp_j(Q_j/α) − log M + d·log 2] over the last axis of M values at uniform samples on [−1, 1]^d.

    The importance-sampled V = α log E_{a~U}[exp(Q(a)/α) / U(a)], U(a) = 2^{−d} (Eq. 10); α = 0 gives max_j Q_j.
    """
    if temperature == 0:
        return jnp.max(q, axis=-1)
    m = q.shape[-1]
    return temperature * (jax.nn.logsumexp(q / temperature, axis=-1) - math.log(m) + act_dim * math.log(2.0))


def make_losses(networks: SQLNetworks, *, gamma: float, temperature: float, act_dim: int, value_particles: int,
                kernel_particles: int, n_fixed: int):
    """Returns (q_loss, sampler_loss) in network units; `temperature` is β (1, or 0 for the hard max)."""

    def q_loss(q_params, target_q_params, batch: Transition, key, reward_scale):
        """J_Q = ½ E[(y − Q̂(s, a))²], y = c·r + γ(1 − terminated)·V̂(s') (Eq. 11), c = `reward_scale`, V̂ by importance
        sampling with one set of M uniform actions shared by the whole batch, on the target network (hard copy), no
        target policy."""
        uniform = jax.random.uniform(key, (1, value_particles, act_dim), minval=-1.0, maxval=1.0)
        next_q = networks.q.apply(target_q_params, batch.next_obs[:, None, :], uniform)  # (N, M)
        next_value = soft_value(next_q, temperature, act_dim)
        target = jax.lax.stop_gradient(reward_scale * batch.reward + gamma * (1.0 - batch.terminated) * next_value)
        q = networks.q.apply(q_params, batch.obs, batch.action)
        return 0.5 * jnp.mean((target - q) ** 2), {"q_mean": q.mean(), "next_value_mean": next_value.mean()}

    def log_target(q_params, obs, action):
        """log p(a|s) = Q̂(s, a) + β·Σ_d log(1 − a_d² + 1e-6) for one (s, a): the official squash barrier."""
        barrier = jnp.sum(jnp.log(1.0 - action**2 + BARRIER_EPS))
        return networks.q.apply(q_params, obs, action) + temperature * barrier

    score_fn = jax.vmap(jax.vmap(jax.grad(log_target, argnums=2), in_axes=(None, None, 0)), in_axes=(None, 0, 0))

    def sampler_loss(sampler_params, q_params, obs, key):
        """Amortised SVGD (Eq. 14): a surrogate whose gradient is −Σ_{n,i} (∂a_{n,i}/∂φ)ᵀ Δ_{n,i}.

        K particles per state from one pass of the sampler; the first Kf are fixed (no gradient, index j), the
        others are updated (index i). Δ is a constant, so the parameters ascend the VJP of the updated particles
        along Δ, summed over states and particles as in the official code.
        """
        actions = networks.sample(sampler_params, obs, key, kernel_particles)  # (N, K, d)
        fixed = jax.lax.stop_gradient(actions[:, :n_fixed])
        updated = actions[:, n_fixed:]
        score = jax.lax.stop_gradient(score_fn(q_params, obs, fixed))
        direction, h = jax.vmap(amortized_direction, in_axes=(0, 0, 0, None))(
            fixed, jax.lax.stop_gradient(updated), score, temperature)
        direction = jax.lax.stop_gradient(direction)
        surrogate = -jnp.sum(updated * direction)
        return surrogate, {"bandwidth": h.mean(), "svgd_norm": jnp.sqrt(jnp.sum(direction**2, -1)).mean()}

    return q_loss, sampler_loss
