"""The evaluation protocol: N episodes run in lockstep on separate environments, one batched action per step."""

import dataclasses
from collections.abc import Callable

import gymnasium as gym
import jax
import numpy as np

from ebrl.envs import environment_calls, environment_statistics, episode_seed, make_env

EVAL_STREAM = 1  # episode_seed stream of evaluation episodes (training episodes use 0)


@dataclasses.dataclass
class EvalResult:
    returns: np.ndarray  # (episodes,)
    lengths: np.ndarray  # (episodes,)
    trajectories: list[np.ndarray]  # per episode, the observations visited: (length + 1, obs_dim)
    statistics: dict  # the environment's own, e.g. MultiGoal's goal hits (see `environment_statistics`)

    def summary(self) -> dict:
        return {"return_mean": float(self.returns.mean()), "return_std": float(self.returns.std()),
                "episodes": len(self.returns), **self.statistics}


def run_episodes(policy: Callable[[np.ndarray, int], np.ndarray], envs: list[gym.Env],
                 seeds: list[int]) -> EvalResult:
    """Run one episode on each env (reset with its seed) in lockstep.

    `policy(obs (n, obs_dim), t) -> actions (n, act_dim)` is called on all n observations every step, finished
    episodes included (their actions are ignored), so that one compiled program serves the whole evaluation.
    """
    n = len(envs)
    env_id = envs[0].spec.id if envs[0].spec is not None else type(envs[0].unwrapped).__name__
    with environment_calls(env_id, "reset"):
        obs = np.stack([np.asarray(env.reset(seed=s)[0], np.float32) for env, s in zip(envs, seeds)])
    returns, lengths = np.zeros(n), np.zeros(n, np.int64)
    trajectories = [[o.copy()] for o in obs]
    final_infos: list[dict] = [{} for _ in range(n)]
    running = np.ones(n, bool)
    t = 0
    while running.any():
        actions = policy(obs, t)
        with environment_calls(env_id, "step"):
            for i in np.flatnonzero(running):
                next_obs, reward, terminated, truncated, info = envs[i].step(actions[i])
                obs[i] = next_obs
                trajectories[i].append(obs[i].copy())
                returns[i] += reward
                lengths[i] += 1
                if terminated or truncated:
                    running[i] = False
                    final_infos[i] = info
        t += 1
    return EvalResult(returns, lengths, [np.stack(t) for t in trajectories],
                      environment_statistics(envs[0], final_infos))


def make_policy(agent, mode: str) -> Callable:
    """A jitted `(state, obs, key, t, hyper=None) -> actions` for `mode`, the per-step key being fold_in(key, t);
    `hyper`: a sweep member's (see ebrl.core), None the agent's own."""

    @jax.jit
    def policy(state, obs, key, t, hyper=None):
        return agent.act(state, obs, jax.random.fold_in(key, t), mode, agent.hyper if hyper is None else hyper)

    return policy


def evaluate(agent, state, envs: list[gym.Env], *, mode: str, seed: int, round_index: int,
             policy: Callable | None = None, hyper=None) -> EvalResult:
    """Evaluate `mode` on len(envs) episodes whose reset seeds depend only on (seed, round_index, episode); `hyper`:
    a sweep member's, None the agent's own."""
    policy = policy or make_policy(agent, mode)
    key = jax.random.fold_in(jax.random.key(seed), round_index)
    seeds = [episode_seed(seed, EVAL_STREAM, round_index, i) for i in range(len(envs))]
    return run_episodes(lambda obs, t: np.asarray(policy(state, obs, key, t, hyper)), envs, seeds)


def evaluate_episodes(agent, state, *, env_id: str, episodes: int, mode: str, seed: int,
                      policy: Callable | None = None, env_kwargs: dict | None = None) -> EvalResult:
    """`evaluate` on `episodes` fresh environments of `env_id` (made with `env_kwargs`), closed afterwards."""
    envs = [make_env(env_id, kwargs=env_kwargs) for _ in range(episodes)]
    try:
        return evaluate(agent, state, envs, mode=mode, seed=seed, round_index=0, policy=policy)
    finally:
        for env in envs:
            env.close()
