"""S2AC's configuration, state and update step, assembled into the shared `Agent` interface."""

import dataclasses
from typing import Any, Literal, get_args

import jax
import jax.numpy as jnp
import optax
from flax import struct

from ebrl.agents.common import annealed, critic_updated, ensemble_q_value, gradient_step
from ebrl.agents.s2ac.actor import SELECTIONS, SamplerSettings, make_actor, score_fn
from ebrl.agents.s2ac.losses import make_losses
from ebrl.agents.s2ac.networks import make_networks
from ebrl.config import require, require_layers, require_positive, require_unit_interval
from ebrl.core import Agent, StateParts, Transition
from ebrl.nets import ACTIVATIONS, Activation
from ebrl.samplers import BANDWIDTH_RULES, LOGDETS, LogDet

Variant = Literal["phi", "phi-theta"]
VARIANTS: tuple[str, ...] = get_args(Variant)
AMORTIZED = "amortized"  # the action mode of ψ


@dataclasses.dataclass(frozen=True)
class S2ACConfig:
    """S2AC, the Stein Soft Actor-Critic (Messaoud et al., ICLR 2024), with the official code's defaults."""

    variant: Variant = "phi-theta"
    """phi: particles start from a fixed N(0, σ_p0²), only the critics learn (official svgd_nonparam);
    phi-theta: they start from a learned N(µθ(s), σθ(s)²) trained through the SVGD chain (svgd_p0_pram)."""
    particles: int = 10
    """m: SVGD particles per state."""
    svgd_steps: int = 5
    """L: SVGD steps per action."""
    svgd_step_size: float = 0.1
    """ε: SVGD step size."""
    bandwidth: str = "mean-half"
    """Kernel bandwidth rule (median, mean, mean-half) or a fixed σ, e.g. 3.0."""
    logdet: LogDet = "hutchinson"
    """Log-density update: hutchinson (the first-order trace of each particle's own update, its Hessian term from one
    random probe), trace-self (that Hessian trace exact, d derivatives), trace (the official code's closed form,
    which leaves the self term out and overstates the policy's entropy), exact, exact-excluded or joint (autodiff
    log-dets); see docs/samplers.md."""
    step_bound: float | None = None
    """Bound every SVGD step to ε' = min(ε, b / max_i ‖J_i‖_F), J_i a particle's own Jacobian (MET-SVGD, b = 1), so
    that each step stays an invertible change of variables; None: the fixed ε (official)."""
    sigma_p0: float = 0.5
    """S2AC(φ): standard deviation of the initial particles."""
    score_pre_tanh: bool = False
    """Feed the critic the unbounded pre-tanh particle u in the SVGD score, ∇_u Q(s, u), as the official code does
    (a bug: the critic is trained on actions tanh u only). Default: the score through the tanh, ∇_u Q(s, tanh u)."""
    score_over_alpha: bool = False
    """Sample from exp(Q/α_a); the official sampler targets exp(Q)."""
    train_selection: str = "random"
    """Action mode while training, i.e. the particle that acts: random, max (argmax Q) or softmax (P ∝ exp(Q/τ));
    or amortized."""
    test_selection: str = "softmax"
    """Action mode of evaluation by default (every mode is evaluated and logged)."""
    amortize: bool = False
    """S2AC(φ,θ,ψ) (or (φ,ψ)): also train a sampler network ψ(s, ξ) to reproduce the SVGD particles, and offer the
    action mode `amortized`, one network call instead of the SVGD chain. ψ only acts: it enters neither the critic
    target nor the actor loss."""
    amortizer_hidden: tuple[int, ...] = (256, 256)
    """Hidden widths of ψ (ReLU)."""
    amortizer_lr: float = 1e-3
    """Adam learning rate of ψ."""
    softmax_temperature: float = 1.0
    """τ of the softmax action mode."""
    alpha_critic: float = 0.2
    """α_c, the temperature of the critic target (the initial α with autotune-alpha)."""
    alpha_actor: float = 0.2
    """α_a, the temperature of the actor loss (equal to α_c with autotune-alpha)."""
    autotune_alpha: bool = False
    """Tune one α = α_c = α_a so that the estimated entropy tracks target-entropy (not in the official code)."""
    alpha_final: float | None = None
    """Fine-tuning (the SQL paper's App. D.1): anneal both fixed temperatures log-linearly from their values to this
    over anneal_updates updates, then keep it; None: constant."""
    anneal_updates: int = 20_000
    """N, the updates over which alpha_final acts (counted from this run's first update)."""
    target_entropy: float | None = None
    """Target entropy with autotune-alpha; default −|A|."""
    alpha_lr: float = 3e-4
    """Adam learning rate of log α."""
    actor_lr: float = 1e-3
    """Adam learning rate of the initial distribution (phi-theta)."""
    critic_lr: float = 1e-3
    """Adam learning rate of the critics."""
    actor_hidden: tuple[int, ...] = (256, 256, 256)
    """Hidden widths of the initial-distribution network (ELU)."""
    critic_hidden: tuple[int, ...] = (256, 256)
    """Hidden widths of each critic."""
    activation: Activation = "elu"
    """Critic activation; smooth (elu, tanh) since the actor differentiates the critic's gradient."""
    n_critics: int = 2
    """Critics in the ensemble; min over them everywhere."""
    gamma: float = 0.99
    """Discount factor."""
    tau: float = 0.005
    """Polyak rate of the target critics."""

    def validate(self) -> None:
        require(self.variant in VARIANTS, f"variant must be one of {', '.join(VARIANTS)}, got {self.variant!r}",
                "variant")
        require(self.particles >= 2, f"particles must be at least 2, got {self.particles}", "particles")
        for name in ("svgd_steps", "svgd_step_size", "sigma_p0", "softmax_temperature", "alpha_critic",
                     "alpha_actor", "alpha_lr", "actor_lr", "critic_lr", "amortizer_lr", "anneal_updates"):
            require_positive(name, getattr(self, name))
        require(self.alpha_final is None or self.alpha_final > 0,
                f"alpha_final must be positive, got {self.alpha_final}", "alpha_final")
        require(self.alpha_final is None or not self.autotune_alpha, "alpha_final anneals fixed temperatures; drop "
                "autotune_alpha or alpha_final", "alpha_final", "autotune_alpha")
        require(self.bandwidth in BANDWIDTH_RULES or _is_positive_number(self.bandwidth),
                f"bandwidth must be one of {', '.join(BANDWIDTH_RULES)} or a positive σ, got {self.bandwidth!r}",
                "bandwidth")
        require(self.step_bound is None or 0 < self.step_bound <= 1,
                f"step_bound must lie in (0, 1], got {self.step_bound}", "step_bound")
        require(self.logdet in LOGDETS, f"logdet must be one of {', '.join(LOGDETS)}, got {self.logdet!r}", "logdet")
        modes = self.action_modes()
        for name in ("train_selection", "test_selection"):
            value = getattr(self, name)
            require(value != AMORTIZED or self.amortize, f"{name} amortized needs amortize", name, "amortize")
            require(value in modes, f"{name} must be one of {', '.join(modes)}, got {value!r}", name)
        require_layers("actor_hidden", self.actor_hidden)
        require_layers("amortizer_hidden", self.amortizer_hidden)
        require_layers("critic_hidden", self.critic_hidden)
        require(self.activation in ACTIVATIONS,
                f"activation must be one of {', '.join(ACTIVATIONS)}, got {self.activation!r}", "activation")
        require(self.n_critics >= 1, f"n_critics must be at least 1, got {self.n_critics}", "n_critics")
        require_unit_interval("gamma", self.gamma)
        require_unit_interval("tau", self.tau)

    def action_modes(self) -> tuple[str, ...]:
        """The modes of `act`, the evaluation default first."""
        available = (*SELECTIONS, AMORTIZED) if self.amortize else SELECTIONS
        return (self.test_selection, *[mode for mode in available if mode != self.test_selection])

    def sampler_settings(self) -> SamplerSettings:
        bandwidth = self.bandwidth if self.bandwidth in BANDWIDTH_RULES else float(self.bandwidth)
        return SamplerSettings(self.variant, self.particles, self.svgd_steps, self.svgd_step_size, bandwidth,
                               self.logdet, self.step_bound, self.sigma_p0, self.score_pre_tanh, self.score_over_alpha)


def _is_positive_number(text: str) -> bool:
    try:
        return float(text) > 0
    except ValueError:
        return False


@struct.dataclass
class S2ACState:
    actor_params: dict  # the initial-distribution network (unused by S2AC(φ))
    critic_params: dict
    target_critic_params: dict
    log_alpha_critic: jax.Array
    log_alpha_actor: jax.Array
    actor_opt: optax.OptState
    critic_opt: optax.OptState
    alpha_opt: optax.OptState
    amortizer_params: dict  # ψ; empty without amortize
    amortizer_opt: optax.OptState


@struct.dataclass
class S2ACHyper:
    """S2AC's settings that a sweep varies in one program (ebrl.core): leaves, each a number or a member's value."""

    actor_lr: float
    critic_lr: float
    alpha_lr: float
    amortizer_lr: float
    gamma: float
    tau: float
    alpha_critic: float
    """The initial α_c (init only: the state holds log α_c from then on); likewise alpha_actor."""
    alpha_actor: float
    target_entropy: float
    """H̄ of autotune-alpha, the configured one or −|A|."""
    svgd_step_size: float
    sigma_p0: float
    softmax_temperature: float


SWEEPABLE = tuple(f.name for f in dataclasses.fields(S2ACHyper))


def make_agent(config: S2ACConfig, obs_dim: int, act_dim: int) -> Agent:
    networks = make_networks(act_dim, config.actor_hidden, config.critic_hidden, config.activation,
                             config.n_critics, config.amortizer_hidden if config.amortize else None)
    own = S2ACHyper(**{name: getattr(config, name) for name in SWEEPABLE if name != "target_entropy"},
                    target_entropy=-float(act_dim) if config.target_entropy is None else config.target_entropy)
    settings = config.sampler_settings()
    learns_initial = config.variant == "phi-theta"
    modes = config.action_modes()

    def actor(hyper: S2ACHyper):
        """(sample, select) of ebrl.agents.s2ac.actor with the member's step size ε and σ_p0."""
        return make_actor(networks, dataclasses.replace(settings, step_size=hyper.svgd_step_size,
                                                        sigma_p0=hyper.sigma_p0), act_dim)

    def init(key: jax.Array, hyper: S2ACHyper = own) -> S2ACState:
        actor_key, critic_key = jax.random.split(key)
        obs, action = jnp.zeros((1, obs_dim)), jnp.zeros((1, act_dim))
        actor_params = networks.initial.init(actor_key, obs)
        critic_params = networks.critic.init(critic_key, obs, action)
        log_alpha_critic = jnp.log(jnp.asarray(hyper.alpha_critic, jnp.float32))
        amortizer_params: Any = {}
        if config.amortize:  # a key of its own, so that the other networks start as without ψ
            amortizer_params = networks.amortizer.init(jax.random.fold_in(key, 1), obs, action)
        return S2ACState(  # Adam's state does not depend on its learning rate
            actor_params=actor_params,
            critic_params=critic_params,
            target_critic_params=jax.tree.map(jnp.copy, critic_params),
            log_alpha_critic=log_alpha_critic,
            log_alpha_actor=jnp.log(jnp.asarray(hyper.alpha_actor, jnp.float32)),
            actor_opt=optax.adam(hyper.actor_lr).init(actor_params),
            critic_opt=optax.adam(hyper.critic_lr).init(critic_params),
            alpha_opt=optax.adam(hyper.alpha_lr).init(log_alpha_critic),
            amortizer_params=amortizer_params,
            amortizer_opt=optax.adam(hyper.amortizer_lr).init(amortizer_params),
        )

    def temperatures(state: S2ACState) -> tuple[jax.Array, jax.Array]:
        """(α_c, α_a) at the state's update count: the state's, annealed where alpha_final is set."""
        alpha_critic, alpha_actor = (annealed(jnp.exp(log_alpha), config.alpha_final, state.critic_opt,
                                              config.anneal_updates)
                                     for log_alpha in (state.log_alpha_critic, state.log_alpha_actor))
        return alpha_critic, alpha_actor

    def act(state: S2ACState, obs: jax.Array, key: jax.Array, mode: str, hyper: S2ACHyper = own) -> jax.Array:
        if mode not in modes:
            raise ValueError(f"S2AC has no action mode {mode!r}; use one of {modes}")
        if mode == AMORTIZED:
            return networks.amortized_sample(state.amortizer_params, obs, key, 1)[:, 0]
        sample, select = actor(hyper)
        sample_key, select_key = jax.random.split(key)
        actions, _ = sample(state.actor_params, state.critic_params, obs, sample_key, temperatures(state)[1])
        return select(state.critic_params, obs, actions, select_key, mode, hyper.softmax_temperature)

    def update(state: S2ACState, batch: Transition, key: jax.Array,
               hyper: S2ACHyper = own) -> tuple[S2ACState, dict]:
        """Critic step; then, for S2AC(φ,θ), an actor step on the new critics; with amortize, ψ's step toward the
        particles the critic target drew at s'; then the temperature step (autotune-alpha) and Polyak averaging of
        the target critics."""
        critic_loss, actor_loss, alpha_loss, amortizer_loss = make_losses(networks, actor(hyper)[0], hyper.gamma,
                                                                          hyper.target_entropy)
        critic_key, actor_key = jax.random.split(key)
        alpha_critic, alpha_actor = temperatures(state)
        critic_params, critic_opt, c_loss, (info, next_particles, mean_log_q) = gradient_step(
            critic_loss, optax.adam(hyper.critic_lr), state.critic_params, state.critic_opt,
            state.target_critic_params, state.actor_params, alpha_critic, alpha_actor, batch, critic_key)
        metrics = {"critic_loss": c_loss, "alpha": alpha_critic, **info}

        actor_params, actor_opt = state.actor_params, state.actor_opt
        if learns_initial:
            actor_params, actor_opt, metrics["actor_loss"], mean_log_q = gradient_step(
                actor_loss, optax.adam(hyper.actor_lr), state.actor_params, state.actor_opt, critic_params,
                alpha_actor, batch.obs, actor_key)

        amortizer_params, amortizer_opt = state.amortizer_params, state.amortizer_opt
        if config.amortize:
            amortizer_params, amortizer_opt, _, amortizer_info = gradient_step(
                amortizer_loss, optax.adam(hyper.amortizer_lr), state.amortizer_params, state.amortizer_opt,
                batch.next_obs, next_particles, jax.random.fold_in(key, 2))
            metrics.update(amortizer_info)

        log_alpha_critic, log_alpha_actor, alpha_opt = state.log_alpha_critic, state.log_alpha_actor, state.alpha_opt
        if config.autotune_alpha:
            log_alpha_critic, alpha_opt, _, _ = gradient_step(alpha_loss, optax.adam(hyper.alpha_lr),
                                                               state.log_alpha_critic, state.alpha_opt, mean_log_q,
                                                               has_aux=False)
            log_alpha_actor = log_alpha_critic

        new_state = critic_updated(state, critic_params, hyper.tau, actor_params=actor_params,
                                   log_alpha_critic=log_alpha_critic, log_alpha_actor=log_alpha_actor,
                                   actor_opt=actor_opt, critic_opt=critic_opt, alpha_opt=alpha_opt,
                                   amortizer_params=amortizer_params, amortizer_opt=amortizer_opt)
        return new_state, metrics

    def entropy(state: S2ACState, obs: jax.Array, key: jax.Array, hyper: S2ACHyper = own) -> jax.Array:
        """The closed-form estimate H(s) = −(1/m) Σ_i log q(a_i|s) of one sampler run."""
        _, log_q = actor(hyper)[0](state.actor_params, state.critic_params, obs, key, temperatures(state)[1])
        return -log_q.mean(axis=-1)

    def sampler_score(state: S2ACState, obs: jax.Array, hyper: S2ACHyper = own):
        """u ↦ ∇_u of the SVGD target at one state (ebrl.agents.s2ac.actor.score_fn), at the actor's α."""
        return score_fn(networks, settings, state.critic_params, obs, temperatures(state)[1])

    parts = StateParts(optimizer=("actor_opt", "critic_opt", "alpha_opt", "amortizer_opt"),
                       temperature=("log_alpha_critic", "log_alpha_actor"))
    return Agent(init=init, act=act, update=update, q_value=ensemble_q_value(networks.critic), action_modes=modes,
                 train_mode=config.train_selection, entropy=entropy, sampler_score=sampler_score, parts=parts,
                 hyper=own)
