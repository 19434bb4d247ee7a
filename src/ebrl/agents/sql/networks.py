"""Soft Q-Learning's networks as in the authors' code: MLPs whose first layer sums one weight matrix per input.

`Q(s, a)` and the sampler `a = tanh(f(s, ξ))` both use it (anchor-sql.md §1.3, §2.1). Every weight is Glorot-uniform
(per input block, so each block has its own fan-in) and every bias starts at zero. Inputs broadcast against each
other on the leading axes: obs (N, 1, Do) with actions (N, M, Da) evaluates the obs block once per state.
"""

import dataclasses
from collections.abc import Sequence

import flax.linen as nn
import jax
import jax.numpy as jnp

from ebrl.nets import ACTIVATIONS

glorot = nn.initializers.glorot_uniform()


class SplitInputMLP(nn.Module):
    """y = W_out·act(... act(Σ_k W_k x_k + b)) + b_out over inputs x_k that broadcast together."""

    hidden: Sequence[int]
    out: int
    activation: str = "relu"

    @nn.compact
    def __call__(self, *inputs: jax.Array) -> jax.Array:
        act = ACTIVATIONS[self.activation]
        first = sum(nn.Dense(self.hidden[0], use_bias=False, kernel_init=glorot)(x) for x in inputs)
        x = act(first + self.param("bias", nn.initializers.zeros, (self.hidden[0],)))
        for width in self.hidden[1:]:
            x = act(nn.Dense(width, kernel_init=glorot)(x))
        return nn.Dense(self.out, kernel_init=glorot)(x)


class SoftQFunction(nn.Module):
    """Q(s, a) -> shape of the broadcast leading axes."""

    hidden: Sequence[int]

    @nn.compact
    def __call__(self, obs: jax.Array, action: jax.Array) -> jax.Array:
        return SplitInputMLP(self.hidden, 1)(obs, action)[..., 0]


class SamplingNetwork(nn.Module):
    """The amortised SVGD sampler: a = tanh(f(s, ξ)), ξ ~ N(0, I) of the action's dimension (an input, not a
    Gaussian policy: the density of a is implicit)."""

    hidden: Sequence[int]
    act_dim: int

    @nn.compact
    def __call__(self, obs: jax.Array, noise: jax.Array) -> jax.Array:
        return jnp.tanh(SplitInputMLP(self.hidden, self.act_dim)(obs, noise))


@dataclasses.dataclass(frozen=True)
class SQLNetworks:
    q: SoftQFunction
    sampler: SamplingNetwork

    def sample(self, params, obs: jax.Array, key: jax.Array, n: int) -> jax.Array:
        """n actions per state: obs (N, Do) -> (N, n, Da), one fresh ξ per action."""
        noise = jax.random.normal(key, (obs.shape[0], n, self.sampler.act_dim))
        return self.sampler.apply(params, obs[:, None, :], noise)


def make_networks(act_dim: int, hidden: Sequence[int]) -> SQLNetworks:
    return SQLNetworks(q=SoftQFunction(tuple(hidden)), sampler=SamplingNetwork(tuple(hidden), act_dim))
