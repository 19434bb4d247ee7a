"""S2AC's objectives (Messaoud et al., ICLR 2024) as the official code computes them (anchor-s2ac.md §2.3–§2.4), and
the amortized variant's sampler objective."""

import jax
import jax.numpy as jnp

from ebrl.agents.s2ac.actor import particles_min_q
from ebrl.agents.s2ac.networks import S2ACNetworks
from ebrl.core import Transition
from ebrl.samplers import bandwidth_sq, squared_distances
from ebrl.samplers.amortized import MIN_BANDWIDTH, amortized_direction, kde_score


def make_losses(networks: S2ACNetworks, sample, gamma: float, target_entropy: float):
    """Returns (critic_loss, actor_loss, alpha_loss, amortizer_loss); `sample` is the actor's sampler
    (ebrl.agents.s2ac.actor)."""

    def critic_loss(critic_params, target_critic_params, actor_params, alpha_critic, alpha_actor,
                    batch: Transition, key):
        """J_Q = Σ_k mean((Q_k(s, a) − y)²) (no ½, as the official code),
        y = r + γ(1 − terminated)·[(1/m) Σ_i min_k Q̄_k(s', a'_i) − α_c·log q(s')], with a'_i and
        log q(s') = (1/m) Σ_i log q(a'_i|s') from the sampler on s' (score from the online critics).

        Aux: (metrics, the particles a'_i (N, m, d), the mean log q over the batch)."""
        next_actions, next_log_q = sample(actor_params, jax.lax.stop_gradient(critic_params), batch.next_obs, key,
                                          alpha_actor)
        next_q = particles_min_q(networks, target_critic_params, batch.next_obs, next_actions).mean(axis=-1)
        soft_value = next_q - alpha_critic * next_log_q.mean(axis=-1)
        target = jax.lax.stop_gradient(batch.reward + gamma * (1.0 - batch.terminated) * soft_value)
        q = networks.critic.apply(critic_params, batch.obs, batch.action)  # (n_critics, N)
        loss = jnp.sum(jnp.mean((q - target) ** 2, axis=-1))
        metrics = {"q_mean": q.mean(), "target_mean": target.mean(), "entropy": -next_log_q.mean()}
        return loss, (metrics, next_actions, next_log_q.mean())

    def actor_loss(actor_params, critic_params, alpha_actor, obs, key):
        """J_θ = mean_s[α_a·log q(s) − (1/m) Σ_i min_k Q_k(s, a_i)], differentiated through the initial samples,
        every SVGD step (second derivatives of Q, through the score) and the log-density terms."""
        actions, log_q = sample(actor_params, critic_params, obs, key, alpha_actor)
        q = particles_min_q(networks, critic_params, obs, actions)
        return jnp.mean(alpha_actor * log_q.mean(axis=-1) - q.mean(axis=-1)), log_q.mean()

    def alpha_loss(log_alpha, mean_log_q):
        """J(α) = −α·(log q + H̄) (as SAC's; not in the official code)."""
        return -jnp.exp(log_alpha) * jax.lax.stop_gradient(mean_log_q + target_entropy)

    def amortizer_loss(amortizer_params, obs, particles, key):
        """ψ's amortized SVGD step (ebrl.samplers.amortized) toward the distribution of the SVGD particles
        (N, m, d) of the states obs: per state, ψ draws 2m actions, the first m fixed and the others updated, and
        the score is that of a Gaussian kernel density estimate of the particles,
        ∇ log Σ_j exp(−‖a − a_j‖²/(2σ²)), σ² by the "mean-half" rule on the particles (floored at 1e-3).
        The surrogate −Σ_i y_i·stop_grad(Δ_i) is summed over states and particles, as Soft Q-Learning's."""
        m = particles.shape[1]
        samples = networks.amortized_sample(amortizer_params, obs, key, 2 * m)
        fixed, updated = jax.lax.stop_gradient(samples[:, :m]), samples[:, m:]

        def direction(fixed_state, updated_state, particles_state):
            sigma_sq = jnp.maximum(bandwidth_sq(squared_distances(particles_state), "mean-half"), MIN_BANDWIDTH)
            return amortized_direction(fixed_state, updated_state, kde_score(fixed_state, particles_state, sigma_sq))

        delta, h = jax.vmap(direction)(fixed, jax.lax.stop_gradient(updated), jax.lax.stop_gradient(particles))
        delta = jax.lax.stop_gradient(delta)
        return -jnp.sum(updated * delta), {"amortizer_bandwidth": h.mean(),
                                          "amortizer_step_norm": jnp.sqrt(jnp.sum(delta**2, -1)).mean()}

    return critic_loss, actor_loss, alpha_loss, amortizer_loss
