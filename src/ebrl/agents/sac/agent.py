"""SAC's configuration, state and update step, assembled into the shared `Agent` interface."""

import dataclasses

import jax
import jax.numpy as jnp
import optax
from flax import struct

from ebrl.agents.common import annealed, critic_updated, ensemble_q_value, gradient_step
from ebrl.agents.sac.losses import make_losses
from ebrl.agents.sac.networks import make_networks, sample_tanh_gaussian
from ebrl.config import require, require_layers, require_positive, require_unit_interval
from ebrl.core import Agent, StateParts, Transition
from ebrl.nets import ACTIVATIONS, Activation

AGENT_MODES = ("mean", "sample")


@dataclasses.dataclass(frozen=True)
class SACConfig:
    """Soft Actor-Critic (Haarnoja et al., 2018) with the usual defaults (SB3, CleanRL)."""

    actor_lr: float = 3e-4
    """Adam learning rate of the actor."""
    critic_lr: float = 3e-4
    """Adam learning rate of the critics."""
    alpha_lr: float = 3e-4
    """Adam learning rate of log α (with autotune-alpha)."""
    hidden: tuple[int, ...] = (256, 256)
    """Hidden layer widths of the actor and of each critic."""
    activation: Activation = "relu"
    """Hidden activation: relu, elu or tanh."""
    n_critics: int = 2
    """Critics in the ensemble; targets use their minimum."""
    gamma: float = 0.99
    """Discount factor."""
    tau: float = 0.005
    """Polyak rate of the target critics: θ̄ ← τθ + (1 − τ)θ̄ after every update."""
    alpha: float = 1.0
    """Initial temperature α (the fixed one with --no-autotune-alpha)."""
    autotune_alpha: bool = True
    """Tune α so that the policy's entropy tracks the target entropy."""
    alpha_final: float | None = None
    """Fine-tuning (the SQL paper's App. D.1): anneal the fixed α (--no-autotune-alpha) log-linearly from its value
    to this over anneal_updates updates, then keep it; None: α constant."""
    anneal_updates: int = 20_000
    """N, the updates over which alpha_final acts (counted from this run's first update)."""
    target_entropy: float | None = None
    """Target entropy H̄; default −|A|."""
    log_std_min: float = -20.0
    """Lower clip of the actor's log standard deviation."""
    log_std_max: float = 2.0
    """Upper clip of the actor's log standard deviation."""

    def validate(self) -> None:
        for name in ("actor_lr", "critic_lr", "alpha_lr", "alpha", "anneal_updates"):
            require_positive(name, getattr(self, name))
        require(self.alpha_final is None or self.alpha_final > 0,
                f"alpha_final must be positive, got {self.alpha_final}", "alpha_final")
        require(self.alpha_final is None or not self.autotune_alpha, "alpha_final anneals a fixed α; add "
                "no_autotune_alpha or drop alpha_final", "alpha_final", "autotune_alpha")
        require_layers("hidden", self.hidden)
        require(self.activation in ACTIVATIONS,
                f"activation must be one of {', '.join(ACTIVATIONS)}, got {self.activation!r}", "activation")
        require(self.n_critics >= 1, f"n_critics must be at least 1, got {self.n_critics}", "n_critics")
        require_unit_interval("gamma", self.gamma)
        require_unit_interval("tau", self.tau)
        require(self.log_std_min < self.log_std_max,
                f"log_std_min ({self.log_std_min}) must be below log_std_max ({self.log_std_max})", "log_std_min",
                "log_std_max")


@struct.dataclass
class SACState:
    actor_params: dict
    critic_params: dict
    target_critic_params: dict
    log_alpha: jax.Array
    actor_opt: optax.OptState
    critic_opt: optax.OptState
    alpha_opt: optax.OptState


@struct.dataclass
class SACHyper:
    """SAC's settings that a sweep varies in one program (ebrl.core): leaves, each a number or a member's value."""

    actor_lr: float
    critic_lr: float
    alpha_lr: float
    gamma: float
    tau: float
    alpha: float
    """The initial α (init only: the state holds log α from then on)."""
    target_entropy: float
    """H̄, the configured one or −|A|."""


SWEEPABLE = tuple(f.name for f in dataclasses.fields(SACHyper))


def make_agent(config: SACConfig, obs_dim: int, act_dim: int) -> Agent:
    networks = make_networks(act_dim, config.hidden, config.activation, config.n_critics, config.log_std_min,
                             config.log_std_max)
    own = SACHyper(actor_lr=config.actor_lr, critic_lr=config.critic_lr, alpha_lr=config.alpha_lr,
                   gamma=config.gamma, tau=config.tau, alpha=config.alpha,
                   target_entropy=-float(act_dim) if config.target_entropy is None else config.target_entropy)

    def init(key: jax.Array, hyper: SACHyper = own) -> SACState:
        actor_key, critic_key = jax.random.split(key)
        obs = jnp.zeros((1, obs_dim))
        actor_params = networks.actor.init(actor_key, obs)
        critic_params = networks.critic.init(critic_key, obs, jnp.zeros((1, act_dim)))
        log_alpha = jnp.log(jnp.asarray(hyper.alpha, jnp.float32))
        return SACState(  # Adam's state does not depend on its learning rate
            actor_params=actor_params,
            critic_params=critic_params,
            target_critic_params=jax.tree.map(jnp.copy, critic_params),  # own buffers, so states can be donated
            log_alpha=log_alpha,
            actor_opt=optax.adam(hyper.actor_lr).init(actor_params),
            critic_opt=optax.adam(hyper.critic_lr).init(critic_params),
            alpha_opt=optax.adam(hyper.alpha_lr).init(log_alpha),
        )

    def act(state: SACState, obs: jax.Array, key: jax.Array, mode: str, hyper: SACHyper = own) -> jax.Array:
        mean, log_std = networks.actor.apply(state.actor_params, obs)
        if mode == "mean":
            return jnp.tanh(mean)
        if mode == "sample":
            return sample_tanh_gaussian(mean, log_std, key)[0]
        raise ValueError(f"SAC has no action mode {mode!r}; use one of {AGENT_MODES}")

    def update(state: SACState, batch: Transition, key: jax.Array, hyper: SACHyper = own) -> tuple[SACState, dict]:
        """Critic step, then actor step on the new critics, then temperature step, then Polyak averaging."""
        critic_loss, actor_loss, alpha_loss = make_losses(networks, hyper.gamma, hyper.target_entropy)
        critic_key, actor_key = jax.random.split(key)
        alpha = annealed(jnp.exp(state.log_alpha), config.alpha_final, state.critic_opt, config.anneal_updates)

        critic_params, critic_opt, c_loss, c_info = gradient_step(
            critic_loss, optax.adam(hyper.critic_lr), state.critic_params, state.critic_opt, state.actor_params,
            state.target_critic_params, alpha, batch, critic_key)
        actor_params, actor_opt, a_loss, mean_log_prob = gradient_step(
            actor_loss, optax.adam(hyper.actor_lr), state.actor_params, state.actor_opt, critic_params, alpha, batch,
            actor_key)

        log_alpha, alpha_opt = state.log_alpha, state.alpha_opt
        if config.autotune_alpha:
            log_alpha, alpha_opt, _, _ = gradient_step(alpha_loss, optax.adam(hyper.alpha_lr), state.log_alpha,
                                                       state.alpha_opt, mean_log_prob, has_aux=False)

        new_state = critic_updated(state, critic_params, hyper.tau, actor_params=actor_params, log_alpha=log_alpha,
                                   actor_opt=actor_opt, critic_opt=critic_opt, alpha_opt=alpha_opt)
        metrics = {"critic_loss": c_loss, "actor_loss": a_loss, "alpha": alpha,
                   "entropy": -mean_log_prob, **c_info}
        return new_state, metrics

    def entropy(state: SACState, obs: jax.Array, key: jax.Array, hyper: SACHyper = own) -> jax.Array:
        """−log π(a|s) at one sampled a per state: an unbiased single-draw estimate of the entropy."""
        mean, log_std = networks.actor.apply(state.actor_params, obs)
        return -sample_tanh_gaussian(mean, log_std, key)[1]

    parts = StateParts(optimizer=("actor_opt", "critic_opt", "alpha_opt"), temperature=("log_alpha",))
    return Agent(init=init, act=act, update=update, q_value=ensemble_q_value(networks.critic), action_modes=AGENT_MODES,
                 train_mode="sample", entropy=entropy, parts=parts, hyper=own)
