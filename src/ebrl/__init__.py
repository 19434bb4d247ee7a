"""ebrl: energy-based reinforcement learning in JAX (Soft Q-Learning, S2AC, SAC)."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("ebrl")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0.0.0+unknown"

import ebrl.envs  # noqa: E402,F401  (registers the ebrl/MultiGoal* ids with Gymnasium)
