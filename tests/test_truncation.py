"""What the loop stores at the end of an episode: termination cuts the bootstrap, a time limit does not."""

import gymnasium as gym
import jax
import numpy as np
import pytest

from ebrl.agents.sac import SACConfig, make_agent
from ebrl.api import RowsInMemory, Trainer, describe_task
from ebrl.config import TrainConfig


class Counter(gym.Env):
    """obs = [t]; terminates when t reaches `end` (if set); Gymnasium's TimeLimit truncates at 5 steps."""

    observation_space = gym.spaces.Box(-np.inf, np.inf, (1,), np.float32)
    action_space = gym.spaces.Box(-2.0, 2.0, (1,), np.float32)

    def __init__(self, end=None):
        self.end = end

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        self.t = 0
        return np.array([0.0], np.float32), {}

    def step(self, action):
        self.t += 1
        return np.array([self.t], np.float32), 1.0, self.end is not None and self.t >= self.end, False, {}


gym.register("ebrl-test/Terminates-v0", entry_point=Counter, kwargs={"end": 3}, max_episode_steps=5)
gym.register("ebrl-test/TimeLimit-v0", entry_point=Counter, max_episode_steps=5)


@pytest.mark.parametrize("env_id, flags, next_obs", [
    ("ebrl-test/Terminates-v0", [0, 0, 1, 0, 0, 1], [1, 2, 3, 1, 2, 3]),
    ("ebrl-test/TimeLimit-v0", [0, 0, 0, 0, 0, 0], [1, 2, 3, 4, 5, 1]),
])
def test_stored_flags_and_final_observations(env_id, flags, next_obs):
    config = TrainConfig(env=env_id, steps=6, chunk=3, batch_size=2, random_steps=6, learning_starts=100,
                         eval_every=6, eval_episodes=1, checkpoint_every=6)
    task = describe_task(env_id)
    trainer = Trainer(task, make_agent(SACConfig(hidden=(8,)), task.obs_dim, task.act_dim), config, [0])
    trainer.run(RowsInMemory())
    data = trainer.states.replay.data
    data = jax.tree.map(lambda column: column[0], data)  # the one seed
    np.testing.assert_array_equal(data.terminated, flags)
    np.testing.assert_array_equal(data.next_obs[:, 0], next_obs)  # the true last observation, not the reset one
    np.testing.assert_array_equal(data.obs[:, 0], np.array(next_obs) - 1)
