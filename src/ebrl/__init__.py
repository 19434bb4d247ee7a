"""ebrl: energy-based reinforcement learning in JAX (Soft Q-Learning, S2AC, SAC)."""

# The one place the version is written: pyproject.toml reads it (tool.setuptools.dynamic), and config.json records
# it. An editable install's metadata keeps the version of its first install, so it is not read from there.
__version__ = "0.4.0"

import ebrl.envs  # noqa: F401  (registers the ebrl/MultiGoal* ids with Gymnasium)

_API = {"train": "ebrl.api", "resume": "ebrl.api", "preset_spec": "ebrl.api", "load": "ebrl.policy",
        "Policy": "ebrl.policy"}


def __getattr__(name: str):
    """`ebrl.train`, `ebrl.resume`, `ebrl.preset_spec` (see ebrl.api) and `ebrl.load` (ebrl.policy), imported on
    first use: `import ebrl` stays quick for the command line."""
    if name in _API:
        import importlib

        return getattr(importlib.import_module(_API[name]), name)
    raise AttributeError(f"module 'ebrl' has no attribute {name!r}")
