"""Cost of the SVGD sampler against the network it samples from.

    python benchmarks/svgd_cost.py

Times, jitted, median over repeats: `svgd_sample` for 256 states × 10 particles × 5 steps in d = 6 (the S2AC
actor's shape on HalfCheetah), whose score is ∇_a Q(s, a) of a 2×256 ReLU MLP on (s, a), s ∈ R^17; next to one
forward + backward pass (gradient with respect to the parameters) of that MLP on the same 2560 (s, a) points.
"""

import dataclasses
import time

import jax
import jax.numpy as jnp
import numpy as np
import tyro

from ebrl.nets import QFunction
from ebrl.samplers import svgd_sample


@dataclasses.dataclass(frozen=True)
class Options:
    states: int = 256
    particles: int = 10
    steps: int = 5
    act_dim: int = 6
    obs_dim: int = 17
    repeats: int = 50
    logdet: str = "trace"


def median_seconds(f, *args, repeats: int) -> float:
    jax.block_until_ready(f(*args))
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        jax.block_until_ready(f(*args))
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def main(o: Options) -> None:
    q = QFunction((256, 256))
    k = jax.random.split(jax.random.key(0), 3)
    obs = jax.random.normal(k[0], (o.states, o.obs_dim))
    x0 = jax.random.normal(k[1], (o.states, o.particles, o.act_dim))
    params = q.init(k[2], obs[:1], x0[0, :1])

    @jax.jit
    def sample(params, obs, x0):
        def per_state(s, x):
            score = jax.grad(lambda a: q.apply(params, s[None], a[None])[0])
            return svgd_sample(score, x, jnp.zeros(o.particles), steps=o.steps, step_size=0.1, logdet=o.logdet)

        return jax.vmap(per_state)(obs, x0)

    points_obs = jnp.repeat(obs, o.particles, axis=0)
    points_act = x0.reshape(-1, o.act_dim)

    @jax.jit
    def forward_backward(params, s, a):
        return jax.grad(lambda p: q.apply(p, s, a).sum())(params)

    t_svgd = median_seconds(sample, params, obs, x0, repeats=o.repeats)
    t_mlp = median_seconds(forward_backward, params, points_obs, points_act, repeats=o.repeats)
    print(f"svgd_sample ({o.states} states × {o.particles} particles × {o.steps} steps, d = {o.act_dim}, "
          f"logdet {o.logdet}): {t_svgd * 1e3:.2f} ms")
    print(f"MLP forward + backward on {o.states * o.particles} points: {t_mlp * 1e3:.2f} ms")
    print(f"ratio: {t_svgd / t_mlp:.2f} (the sampler makes {o.steps} score evaluations, each a forward pass and a "
          "backward pass to the input, which skips the weight gradients of a training backward pass)")


if __name__ == "__main__":
    main(tyro.cli(Options))
