"""ebrl: energy-based reinforcement learning in JAX (Soft Q-Learning, S2AC, SAC)."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("ebrl")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0.0.0+unknown"

import ebrl.envs  # noqa: F401  (registers the ebrl/MultiGoal* ids with Gymnasium)

_API = ("train", "resume", "preset_spec")


def __getattr__(name: str):
    """`ebrl.train`, `ebrl.resume`, `ebrl.preset_spec` (see ebrl.api), imported on first use."""
    if name in _API:
        import ebrl.api

        return getattr(ebrl.api, name)
    raise AttributeError(f"module 'ebrl' has no attribute {name!r}")
