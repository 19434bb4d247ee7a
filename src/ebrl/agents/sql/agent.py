"""Soft Q-Learning's configuration, state and update step, assembled into the shared `Agent` interface."""

import dataclasses

import jax
import jax.numpy as jnp
import optax
from flax import struct

from ebrl.agents.common import gradient_step
from ebrl.agents.schedules import linear_count, log_linear
from ebrl.agents.sql.losses import make_losses
from ebrl.agents.sql.networks import make_networks
from ebrl.config import require, require_layers, require_positive, require_unit_interval
from ebrl.core import Agent, StateParts, Transition

AGENT_MODES = ("sample",)


@dataclasses.dataclass(frozen=True)
class SQLConfig:
    """Soft Q-Learning (Haarnoja et al., 2017) with the defaults of the authors' 2018 code (MuJoCo examples)."""

    q_lr: float = 3e-4
    """Adam learning rate of the soft Q-function."""
    policy_lr: float = 3e-4
    """Adam learning rate of the sampling network."""
    hidden: tuple[int, ...] = (128, 128)
    """Hidden layer widths (ReLU) of the Q-function and of the sampler."""
    gamma: float = 0.99
    """Discount factor."""
    reward_scale: float = 1.0
    """The official temperature knob: rewards are multiplied by it, so it is 1/α. Ignored when --alpha is given."""
    alpha: float | None = None
    """Temperature α of the Boltzmann policy exp(Q/α); sets the reward scale to 1/α. α = 0 is the hard-max limit."""
    value_particles: int = 16
    """M: uniform actions behind the importance-sampled soft value (the paper's K_V = 50)."""
    kernel_particles: int = 16
    """K: sampler particles per state in the SVGD update (MultiGoal: 32)."""
    kernel_update_ratio: float = 0.5
    """Share of the K particles that are updated; the rest are the fixed particles of the kernel sums."""
    target_update_interval: int = 1000
    """Copy the Q-function into its target every this many updates (a hard copy, no Polyak averaging)."""
    alpha_final: float | None = None
    """Fine-tuning (the paper's App. D.1): anneal α log-linearly from its value (alpha, or 1/reward_scale) to this
    over anneal_updates updates, then keep it; None: α constant."""
    noise_draws: int | None = None
    """Fine-tuning: act with the sampler's noise fixed to K draws ξ_1..ξ_K (one picked uniformly per action), their
    number shrunk linearly to 1 over anneal_updates updates, a deterministic policy from then on; None: a fresh ξ
    per action."""
    anneal_updates: int = 20_000
    """N, the updates over which alpha_final and noise_draws act (the paper: 20 epochs of 1000 steps)."""

    def validate(self) -> None:
        for name in ("q_lr", "policy_lr", "reward_scale", "value_particles", "target_update_interval",
                     "anneal_updates"):
            require_positive(name, getattr(self, name))
        require(self.alpha_final is None or self.alpha_final > 0,
                f"alpha_final must be positive, got {self.alpha_final}", "alpha_final")
        require(self.alpha_final is None or self.alpha != 0, "alpha_final anneals a positive α, and alpha 0 is the "
                "hard max; give alpha > 0 or drop alpha_final", "alpha_final", "alpha")
        require(self.noise_draws is None or self.noise_draws >= 1,
                f"noise_draws must be at least 1, got {self.noise_draws}", "noise_draws")
        require_layers("hidden", self.hidden)
        require_unit_interval("gamma", self.gamma)
        require(self.alpha is None or self.alpha >= 0, f"alpha must be non-negative, got {self.alpha}", "alpha")
        n_updated = int(self.kernel_particles * self.kernel_update_ratio)
        require(n_updated >= 1 and self.kernel_particles - n_updated >= 2,
                f"kernel_particles {self.kernel_particles} with kernel_update_ratio {self.kernel_update_ratio} "
                f"leaves {n_updated} updated and {self.kernel_particles - n_updated} fixed particles; "
                "at least 1 updated and 2 fixed are needed", "kernel_particles", "kernel_update_ratio")

    @property
    def network_units(self) -> tuple[float, float]:
        """(c, β): the network learns Q̂ = c·Q, and β = c·α is the temperature in network units (1, or 0)."""
        if self.alpha is None:
            return self.reward_scale, 1.0
        if self.alpha == 0:
            return 1.0, 0.0
        return 1.0 / self.alpha, 1.0


@struct.dataclass
class SQLState:
    q_params: dict
    target_q_params: dict
    sampler_params: dict
    q_opt: optax.OptState
    sampler_opt: optax.OptState
    updates: jax.Array  # gradient updates done so far, int32 (the schedules' counter)


@struct.dataclass
class SQLHyper:
    """Soft Q-Learning's settings that a sweep varies in one program (ebrl.core): leaves, each a number or a member's
    value, but for the temperature in network units, which fixes the program."""

    q_lr: float
    policy_lr: float
    gamma: float
    reward_scale: float
    """c = 1/α (or the configured reward scale): rewards enter the TD target as c·r; the schedule's start."""
    temperature: float = struct.field(pytree_node=False)
    """β = c·α: 1, or 0 for the hard max (another program)."""


SWEEPABLE = ("q_lr", "policy_lr", "gamma", "reward_scale", "alpha")  # α sets the reward scale c = 1/α

NOISE_DRAWS_KEY = 0  # the key of the fixed noise draws ξ_1..ξ_K of noise_draws


def make_agent(config: SQLConfig, obs_dim: int, act_dim: int) -> Agent:
    networks = make_networks(act_dim, config.hidden)
    initial_scale, temperature = config.network_units
    own = SQLHyper(q_lr=config.q_lr, policy_lr=config.policy_lr, gamma=config.gamma, reward_scale=initial_scale,
                   temperature=temperature)
    n_fixed = config.kernel_particles - int(config.kernel_particles * config.kernel_update_ratio)

    def losses(hyper: SQLHyper):
        return make_losses(networks, gamma=hyper.gamma, temperature=hyper.temperature, act_dim=act_dim,
                           value_particles=config.value_particles, kernel_particles=config.kernel_particles,
                           n_fixed=n_fixed)

    draws = (None if config.noise_draws is None
             else jax.random.normal(jax.random.key(NOISE_DRAWS_KEY), (config.noise_draws, act_dim)))

    def reward_scale(updates: jax.Array, hyper: SQLHyper) -> jax.Array:
        """c_t = 1/α_t: α annealed log-linearly to alpha_final over anneal_updates updates, or constant."""
        if config.alpha_final is None:
            return jnp.asarray(hyper.reward_scale, jnp.float32)
        return log_linear(hyper.reward_scale, 1.0 / config.alpha_final, updates, config.anneal_updates)

    def init(key: jax.Array, hyper: SQLHyper = own) -> SQLState:
        q_key, sampler_key = jax.random.split(key)
        obs, action = jnp.zeros((1, obs_dim)), jnp.zeros((1, act_dim))
        q_params = networks.q.init(q_key, obs, action)
        sampler_params = networks.sampler.init(sampler_key, obs, action)
        return SQLState(  # Adam's state does not depend on its learning rate
            q_params=q_params,
            target_q_params=jax.tree.map(jnp.copy, q_params),  # the copy at the start of training
            sampler_params=sampler_params,
            q_opt=optax.adam(hyper.q_lr).init(q_params),
            sampler_opt=optax.adam(hyper.policy_lr).init(sampler_params),
            updates=jnp.zeros((), jnp.int32),
        )

    def act(state: SQLState, obs: jax.Array, key: jax.Array, mode: str, hyper: SQLHyper = own) -> jax.Array:
        """One fresh ξ per action (the sampler has no deterministic mode); with noise_draws, ξ picked uniformly among
        the first K_t of the fixed draws, K_t shrinking linearly to 1."""
        if mode != "sample":
            raise ValueError(f"SQL has no action mode {mode!r}; use one of {AGENT_MODES}")
        if draws is None:
            return networks.sample(state.sampler_params, obs, key, 1)[:, 0]
        count = linear_count(len(draws), state.updates, config.anneal_updates)
        noise = draws[jax.random.randint(key, (obs.shape[0],), 0, count)]
        return networks.sampler.apply(state.sampler_params, obs, noise)

    def update(state: SQLState, batch: Transition, key: jax.Array, hyper: SQLHyper = own) -> tuple[SQLState, dict]:
        """The TD step and the SVGD step, both from the same pre-update parameters (the official code runs them in
        one session call); then the hard target copy when the update count reaches a multiple of the interval."""
        q_loss, sampler_loss = losses(hyper)
        value_key, sampler_key = jax.random.split(key)
        q_params, q_opt, loss, q_info = gradient_step(q_loss, optax.adam(hyper.q_lr), state.q_params, state.q_opt,
                                                      state.target_q_params, batch, value_key,
                                                      reward_scale(state.updates, hyper))
        sampler_params, sampler_opt, _, s_info = gradient_step(sampler_loss, optax.adam(hyper.policy_lr),
                                                               state.sampler_params, state.sampler_opt,
                                                               state.q_params, batch.obs, sampler_key)
        updates = state.updates + 1
        copy = updates % config.target_update_interval == 0
        target_q_params = jax.tree.map(lambda new, old: jnp.where(copy, new, old), q_params, state.target_q_params)
        new_state = SQLState(q_params=q_params, target_q_params=target_q_params,
                             sampler_params=sampler_params,
                             q_opt=q_opt, sampler_opt=sampler_opt, updates=updates)
        return new_state, {"q_loss": loss, **q_info, **s_info}

    def q_value(state: SQLState, obs: jax.Array, action: jax.Array, hyper: SQLHyper = own) -> jax.Array:
        """Q(s, a) in reward units (the network's Q̂ divided by the reward scale)."""
        return networks.q.apply(state.q_params, obs, action) / reward_scale(state.updates, hyper)

    return Agent(init=init, act=act, update=update, q_value=q_value, action_modes=AGENT_MODES,
                 train_mode="sample", parts=StateParts(optimizer=("q_opt", "sampler_opt"), counters=("updates",)),
                 hyper=own)
