"""SAC's function approximators: a tanh-squashed Gaussian actor and a twin-critic ensemble."""

import dataclasses
from collections.abc import Sequence

import flax.linen as nn
import jax
import jax.numpy as jnp

from ebrl.nets import MLP, CriticEnsemble, log_one_minus_tanh_sq

LOG_2PI = jnp.log(2.0 * jnp.pi)


class GaussianActor(nn.Module):
    """obs (batch, obs_dim) -> mean, log_std (batch, act_dim) of the pre-tanh Gaussian; log_std clipped."""

    hidden: Sequence[int]
    act_dim: int
    activation: str = "relu"
    log_std_min: float = -20.0
    log_std_max: float = 2.0

    @nn.compact
    def __call__(self, obs: jax.Array) -> tuple[jax.Array, jax.Array]:
        out = MLP(self.hidden, 2 * self.act_dim, self.activation)(obs)
        mean, log_std = jnp.split(out, 2, axis=-1)
        return mean, jnp.clip(log_std, self.log_std_min, self.log_std_max)


def tanh_gaussian_log_prob(u: jax.Array, mean: jax.Array, log_std: jax.Array) -> jax.Array:
    """log π(a) of a = tanh(u), u ~ N(mean, exp(log_std)²), summed over the last axis.

    Change of variables (SAC paper, appendix C): log π(a) = Σ_k [log N(u_k; µ_k, σ_k) − log(1 − tanh(u_k)²)].
    """
    z = (u - mean) / jnp.exp(log_std)
    gaussian = -0.5 * z**2 - log_std - 0.5 * LOG_2PI
    return jnp.sum(gaussian - log_one_minus_tanh_sq(u), axis=-1)


def sample_tanh_gaussian(mean: jax.Array, log_std: jax.Array, key: jax.Array) -> tuple[jax.Array, jax.Array]:
    """Reparameterised a = tanh(µ + σ·ε), ε ~ N(0, I); returns actions and their log-probabilities."""
    u = mean + jnp.exp(log_std) * jax.random.normal(key, mean.shape)
    return jnp.tanh(u), tanh_gaussian_log_prob(u, mean, log_std)


@dataclasses.dataclass(frozen=True)
class SACNetworks:
    actor: GaussianActor
    critic: CriticEnsemble


def make_networks(act_dim: int, hidden: Sequence[int], activation: str, n_critics: int, log_std_min: float,
                  log_std_max: float) -> SACNetworks:
    """The observation size is inferred by Flax at init."""
    return SACNetworks(
        actor=GaussianActor(tuple(hidden), act_dim, activation, log_std_min, log_std_max),
        critic=CriticEnsemble(tuple(hidden), n_critics, activation),
    )
