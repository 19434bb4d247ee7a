"""A trained policy in Python, as Stable-Baselines3 users know it:

    import ebrl
    policy = ebrl.load("runs/cheetah", checkpoint="best")
    action = policy.predict(observation)                  # (obs_dim,) -> (act_dim,)
    actions = policy.predict(observations, mode="sample")  # (batch, obs_dim) -> (batch, act_dim)

Actions are in the task's bounds: the agent's [-1, 1]^d rescaled, as in training and `ebrl eval`.
"""

import dataclasses
from pathlib import Path

import jax
import numpy as np

from ebrl.config import ConfigError
from ebrl.loop.evaluate import make_policy
from ebrl.runs import LoadedRun, load_run


@dataclasses.dataclass(repr=False)
class Policy:
    """A run's agent at one checkpoint. Stochastic modes draw call n's actions with fold_in(key(seed), n), so a
    Policy loaded with the same seed repeats its actions; `predict(..., key=...)` draws with a key of yours."""

    run: LoadedRun
    seed: int = 0
    _calls: int = 0
    _compiled: dict = dataclasses.field(default_factory=dict)

    @property
    def action_modes(self) -> tuple[str, ...]:
        """The modes `predict` takes; the first is the default (the agent's evaluation mode)."""
        return tuple(self.run.agent.action_modes)

    def __repr__(self) -> str:
        """One line: Policy(sac on Pendulum-v1, step 600, modes mean, sample; seed 0)."""
        spec = self.run.spec
        return (f"Policy({spec.algo} on {spec.train.env}, step {self.run.step}, modes {', '.join(self.action_modes)}; "
                f"seed {self.seed})")

    def predict(self, observations, mode: str | None = None, key: jax.Array | None = None) -> np.ndarray:
        """Actions in the task's bounds for one observation (obs_dim,) or a batch (batch, obs_dim)."""
        mode = self.run.agent.check_mode(mode, self.run.spec.algo)
        observations = np.asarray(observations, np.float32)
        batch = observations[None] if observations.ndim == 1 else observations
        if batch.ndim != 2 or batch.shape[1] != self.run.obs_dim:
            raise ConfigError(f"observations of {self.run.spec.train.env} have shape ({self.run.obs_dim},), or "
                              f"(batch, {self.run.obs_dim}) for a batch; got {observations.shape}")
        if key is None:
            key = jax.random.fold_in(jax.random.key(self.seed), self._calls)
            self._calls += 1
        if mode not in self._compiled:
            self._compiled[mode] = make_policy(self.run.agent, mode)
        unit = np.asarray(self._compiled[mode](self.run.state, batch, key, 0))
        low, high = self.run.action_low, self.run.action_high
        actions = low + (unit + 1.0) * 0.5 * (high - low)
        return actions[0] if observations.ndim == 1 else actions


def load(run_dir: str | Path, checkpoint: str | int = "latest", seed: int = 0) -> Policy:
    """The policy of a run at `checkpoint`: "latest", "best" (its best evaluation) or a step that has a checkpoint
    (300 or "300"); ConfigError if the run or the checkpoint cannot be read."""
    return Policy(load_run(Path(run_dir), checkpoint), seed)
