"""A small custom environment, registered on import, for the tests of `--env module:Id` and `--env-kwargs`."""

import gymnasium as gym
import numpy as np


class ReachTarget(gym.Env):
    """A point on a line moves by its action (in [-1, 1]) and is rewarded −|x − target|; episodes last `horizon`
    steps."""

    def __init__(self, target: float = 0.0, horizon: int = 20):
        self.target, self.horizon = target, horizon
        self.observation_space = gym.spaces.Box(-10.0, 10.0, (2,), np.float32)
        self.action_space = gym.spaces.Box(-1.0, 1.0, (1,), np.float32)

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        self.x, self.t = float(self.np_random.uniform(-1, 1)), 0
        return self._obs(), {}

    def step(self, action):
        self.x = float(np.clip(self.x + 0.1 * float(action[0]), -10, 10))
        self.t += 1
        return self._obs(), -abs(self.x - self.target), False, self.t >= self.horizon, {}

    def _obs(self):
        return np.array([self.x, self.target], np.float32)


gym.register("ebrl-test/ReachTarget-v0", entry_point=ReachTarget)
