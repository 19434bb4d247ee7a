"""SAC's objectives as pure functions of (parameters, batch, key) (Haarnoja et al., 2018, arXiv:1812.05905)."""

import jax
import jax.numpy as jnp

from ebrl.agents.sac.networks import SACNetworks, sample_tanh_gaussian
from ebrl.core import Transition
from ebrl.nets import min_q


def make_losses(networks: SACNetworks, gamma: float, target_entropy: float):
    """Returns (critic_loss, actor_loss, alpha_loss), closing over the static settings."""

    def policy_sample(actor_params, obs, key):
        mean, log_std = networks.actor.apply(actor_params, obs)
        return sample_tanh_gaussian(mean, log_std, key)

    def critic_loss(critic_params, actor_params, target_critic_params, alpha, batch: Transition, key):
        """J_Q = ½ Σ_i E[(Q_i(s, a) − y)²], y = r + γ(1 − terminated)·(min_i Q̄_i(s', a') − α log π(a'|s')),
        a' ~ π(·|s').

        Eq. (5) of the paper with the clipped double-Q target; truncated episodes bootstrap (terminated = 0).
        """
        next_action, next_log_prob = policy_sample(actor_params, batch.next_obs, key)
        next_q = min_q(networks.critic, target_critic_params, batch.next_obs, next_action)
        soft_value = next_q - alpha * next_log_prob
        target = jax.lax.stop_gradient(batch.reward + gamma * (1.0 - batch.terminated) * soft_value)
        q = networks.critic.apply(critic_params, batch.obs, batch.action)  # (n, batch)
        loss = 0.5 * jnp.sum(jnp.mean((q - target) ** 2, axis=-1))
        return loss, {"q_mean": q.mean(), "target_mean": target.mean()}

    def actor_loss(actor_params, critic_params, alpha, batch: Transition, key):
        """J_π = E_s E_{a~π}[α log π(a|s) − min_i Q_i(s, a)] (Eq. 7, reparameterised); aux: mean log π."""
        action, log_prob = policy_sample(actor_params, batch.obs, key)
        q = min_q(networks.critic, critic_params, batch.obs, action)
        return jnp.mean(alpha * log_prob - q), jnp.mean(log_prob)

    def alpha_loss(log_alpha, mean_log_prob):
        """J(α) = E[−α (log π(a|s) + H̄)] (Eq. 18) with α = exp(log_alpha) and target entropy H̄.

        The paper's α-weighted form (as CleanRL), not SB3's log α-weighted surrogate; both share the fixed point.
        """
        return -jnp.exp(log_alpha) * jax.lax.stop_gradient(mean_log_prob + target_entropy)

    return critic_loss, actor_loss, alpha_loss
