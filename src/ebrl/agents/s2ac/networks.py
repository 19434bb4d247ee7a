"""S2AC's function approximators: the twin critics and, for S2AC(φ,θ), the network of the initial distribution."""

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


@dataclasses.dataclass(frozen=True)
class S2ACNetworks:
    initial: InitialDistribution
    critic: CriticEnsemble


def make_networks(act_dim: int, actor_hidden: Sequence[int], critic_hidden: Sequence[int], activation: str,
                  n_critics: int) -> S2ACNetworks:
    return S2ACNetworks(initial=InitialDistribution(tuple(actor_hidden), act_dim),
                        critic=CriticEnsemble(tuple(critic_hidden), n_critics, activation))
