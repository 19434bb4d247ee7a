"""S2AC's actor: per state, m particles from the initial distribution, L SVGD steps on Q, tanh squashing, with the
log-density of every particle carried along in closed form (anchor-s2ac.md §1–§2).

    u⁰ ~ q0(·|s)                                 S2AC(φ): N(0, σ_p0² I); S2AC(φ,θ): N(µθ(s), σθ(s)²) truncated at ±3σ
    u^{l+1} = u^l + ε φ(u^l),  g = ∇_u min_k Q_k(s, tanh u)      (ebrl.samplers.svgd_step, "mean-half" bandwidth)
    log q(u^{l+1}) = log q(u^l) − ε Tr J(u^l)      (each particle's own update, self term's Hessian trace from
                                                 one probe: logdet "hutchinson"; the official "trace" omits it)
    a = tanh(u^L),  log q(a|s) = log q(u^L) − Σ_k log(1 − tanh²u_k^L)

The official code feeds the critic the pre-tanh particle u, a point it was never trained on: a bug that ebrl fixes,
kept as the switch score_pre_tanh=True. The official sampler targets exp(Q) rather than exp(Q/α): a design choice,
kept as the default, with score_over_alpha=True as the switch.
"""

import dataclasses

import jax
import jax.numpy as jnp

from ebrl.agents.s2ac.networks import S2ACNetworks
from ebrl.nets import log_one_minus_tanh_sq, min_q
from ebrl.samplers import gaussian_log_density, svgd_sample, truncated_gaussian_sample

SELECTIONS = ("softmax", "max", "random")
TRUNCATION = 3.0  # initial particles of S2AC(φ,θ) lie within µ ± 3σ


@dataclasses.dataclass(frozen=True)
class SamplerSettings:
    variant: str  # "phi" or "phi-theta"
    particles: int
    steps: int
    step_size: float
    bandwidth: str | float
    logdet: str
    step_bound: float | None
    sigma_p0: float
    score_pre_tanh: bool
    score_over_alpha: bool


def make_actor(networks: S2ACNetworks, settings: SamplerSettings, act_dim: int):
    """Returns (sample, select).

    sample(actor_params, critic_params, obs (N, obs_dim), key, alpha) -> actions (N, m, d), log q (N, m);
    select(critic_params, obs (N, obs_dim), actions (N, m, d), key, mode, temperature) -> actions (N, d).
    """
    m = settings.particles

    def initial_particles(actor_params, obs, key):
        if settings.variant == "phi":
            u0 = settings.sigma_p0 * jax.random.normal(key, (m, act_dim))
            return u0, gaussian_log_density(u0, jnp.zeros(act_dim), jnp.full(act_dim, settings.sigma_p0))
        mean, std = networks.initial.apply(actor_params, obs)
        return truncated_gaussian_sample(key, mean, std, m, TRUNCATION, normalise=False)

    def sample_state(actor_params, critic_params, obs, key, alpha):
        u0, log_q0 = initial_particles(actor_params, obs, key)
        score = score_fn(networks, settings, critic_params, obs, alpha)
        u, log_q = svgd_sample(score, u0, log_q0, steps=settings.steps, step_size=settings.step_size,
                               bandwidth=settings.bandwidth, logdet=settings.logdet,
                               step_bound=settings.step_bound, key=jax.random.fold_in(key, 1), unroll=True)
        return jnp.tanh(u), log_q - jnp.sum(log_one_minus_tanh_sq(u), axis=-1)

    def sample(actor_params, critic_params, obs, key, alpha):
        keys = jax.random.split(key, obs.shape[0])
        return jax.vmap(sample_state, in_axes=(None, None, 0, 0, None))(actor_params, critic_params, obs, keys, alpha)

    def select(critic_params, obs, actions, key, mode, temperature):
        """One particle per state: `random` (uniform), `max` (argmax of min Q), `softmax` (P_i ∝ exp(Q_i/τ))."""
        n = obs.shape[0]
        if mode == "random":
            index = jax.random.randint(key, (n,), 0, m)
        else:
            q = particles_min_q(networks, critic_params, obs, actions)
            index = jnp.argmax(q, axis=-1) if mode == "max" else jax.random.categorical(key, q / temperature)
        return jnp.take_along_axis(actions, index[:, None, None], axis=1)[:, 0]

    return sample, select


def score_fn(networks: S2ACNetworks, settings: SamplerSettings, critic_params, obs: jax.Array, alpha):
    """u ↦ ∇_u of the sampler's target at one state (obs (obs_dim,)): (1/α if score_over_alpha) min Q(s, tanh u),
    or of min Q(s, u) with score_pre_tanh (the official code's bug)."""
    scale = 1.0 / alpha if settings.score_over_alpha else 1.0

    def log_target(u):
        action = u if settings.score_pre_tanh else jnp.tanh(u)
        return scale * min_q(networks.critic, critic_params, obs, action)

    return jax.grad(log_target)


def particles_min_q(networks: S2ACNetworks, critic_params, obs: jax.Array, actions: jax.Array) -> jax.Array:
    """min_k Q_k(s, a_i) for obs (N, obs_dim) and particles (N, m, d): (N, m)."""
    obs = jnp.broadcast_to(obs[:, None, :], (*actions.shape[:2], obs.shape[-1]))
    return min_q(networks.critic, critic_params, obs, actions)
