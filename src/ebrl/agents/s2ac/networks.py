"""S2AC's function approximators: the twin critics, for S2AC(φ,θ) the network of the initial distribution, and for
the amortized variant the sampler network ψ."""

import dataclasses
from collections.abc import Sequence

import flax.linen as nn
import jax
import jax.numpy as jnp

from ebrl.nets import MLP, CriticEnsemble

STD_MIN, STD_MAX = 0.1, 1.0  # the clamp of σθ(s) in the official code
LOG_STD_MIN, LOG_STD_MAX = -20.0, 2.0


class InitialDistribution(nn.Module):
    """obs (batch, obs_dim) -> µθ(s), σθ(s) (batch, act_dim) of the SVGD sampler's Gaussian start.

    An ELU trunk (ELU after every hidden layer) with linear heads; log σ clamped to [−20, 2], then σ to [0.1, 1]
    (official `MLPSquashedGaussian`, which despite its name does not squash).
    """

    hidden: Sequence[int]
    act_dim: int

    @nn.compact
    def __call__(self, obs: jax.Array) -> tuple[jax.Array, jax.Array]:
        mean, log_std = jnp.split(MLP(self.hidden, 2 * self.act_dim, "elu")(obs), 2, axis=-1)
        std = jnp.exp(jnp.clip(log_std, LOG_STD_MIN, LOG_STD_MAX))
        return mean, jnp.clip(std, STD_MIN, STD_MAX)


class Amortizer(nn.Module):
    """ψ: a = tanh(f(s, ξ)), obs (..., obs_dim) and noise ξ ~ N(0, I) (..., act_dim) -> actions (..., act_dim), a
    ReLU MLP on the concatenation; trained to reproduce the SVGD particles (losses.amortizer_loss)."""

    hidden: Sequence[int]
    act_dim: int

    @nn.compact
    def __call__(self, obs: jax.Array, noise: jax.Array) -> jax.Array:
        obs = jnp.broadcast_to(obs, (*noise.shape[:-1], obs.shape[-1]))
        return jnp.tanh(MLP(self.hidden, self.act_dim, "relu")(jnp.concatenate([obs, noise], axis=-1)))


@dataclasses.dataclass(frozen=True)
class S2ACNetworks:
    initial: InitialDistribution
    critic: CriticEnsemble
    amortizer: Amortizer | None = None

    def amortized_sample(self, params, obs: jax.Array, key: jax.Array, n: int) -> jax.Array:
        """n actions per state from ψ: obs (N, obs_dim) -> (N, n, act_dim), one fresh ξ per action."""
        noise = jax.random.normal(key, (obs.shape[0], n, self.amortizer.act_dim))
        return self.amortizer.apply(params, obs[:, None, :], noise)


def make_networks(act_dim: int, actor_hidden: Sequence[int], critic_hidden: Sequence[int], activation: str,
                  n_critics: int, amortizer_hidden: Sequence[int] | None = None) -> S2ACNetworks:
    """`amortizer_hidden` None: no ψ."""
    amortizer = None if amortizer_hidden is None else Amortizer(tuple(amortizer_hidden), act_dim)
    return S2ACNetworks(initial=InitialDistribution(tuple(actor_hidden), act_dim),
                        critic=CriticEnsemble(tuple(critic_hidden), n_critics, activation), amortizer=amortizer)
