"""Helpers shared by the tests."""

import os
import subprocess
import sys

import jax
import jax.flatten_util
import jax.numpy as jnp
import numpy as np

from ebrl.core import Transition


def random_batch(key, n=32, obs_dim=3, act_dim=2) -> Transition:
    """A batch of random transitions, actions in [−1, 1], none terminated."""
    k = jax.random.split(key, 4)
    return Transition(obs=jax.random.normal(k[0], (n, obs_dim)),
                      action=jax.random.uniform(k[1], (n, act_dim), minval=-1),
                      reward=jax.random.normal(k[2], (n,)), next_obs=jax.random.normal(k[3], (n, obs_dim)),
                      terminated=jnp.zeros(n))


def numpy_amortized_direction(fixed: np.ndarray, updated: np.ndarray, scores: np.ndarray) -> np.ndarray:
    """Δ_i = (1/Kf) Σ_j [κ(x_j, y_i) s_j − 2(x_j − y_i)/h·κ(x_j, y_i)], κ = exp(−‖x − y‖²/h), h = max(lower median of
    the squared distances / log Kf, 1e-3), written out particle by particle: fixed x (Kf, d), updated y (Ku, d)."""
    sq = np.array([[np.sum((x - y) ** 2) for y in updated] for x in fixed])
    h = max(np.sort(sq.ravel())[(sq.size - 1) // 2] / np.log(len(fixed)), 1e-3)
    direction = np.zeros_like(updated)
    for i, y in enumerate(updated):
        for j, x in enumerate(fixed):
            kappa = np.exp(-np.sum((x - y) ** 2) / h)
            direction[i] += (kappa * scores[j] - 2.0 * (x - y) / h * kappa) / len(fixed)
    return direction


def surrogate_gradient_by_finite_differences(params, outputs_of, direction: np.ndarray) -> np.ndarray:
    """−Σ direction·∂outputs/∂θ for every parameter θ (flattened), ∂outputs/∂θ by central differences of the NumPy
    function outputs_of(params): the gradient of an amortized SVGD surrogate, computed without autodiff."""
    flat, unflatten = jax.flatten_util.ravel_pytree(params)
    flat = np.asarray(flat)
    expected = np.zeros_like(flat)
    for p in range(flat.size):
        step = np.zeros_like(flat)
        step[p] = 1e-6
        plus = outputs_of(jax.tree.map(np.asarray, unflatten(flat + step)))
        minus = outputs_of(jax.tree.map(np.asarray, unflatten(flat - step)))
        expected[p] = -np.sum(direction * (plus - minus) / 2e-6)
    return expected


def stamps(folder) -> dict:
    """Modification times of everything a run folder holds, except the lock file that every `ebrl train` on it
    takes (to see whether a command changed a run)."""
    return {p: p.stat().st_mtime_ns for p in folder.rglob("*") if p.name != ".lock"}


def train_compiled_optimised(args: list[str]) -> None:
    """`ebrl train ARGS` in a subprocess whose XLA compiles with its default optimisations: a learning test trains
    for minutes, where the tests' unoptimised compilation (conftest.py) would cost more run time than it saves."""
    flags = " ".join(f for f in os.environ.get("XLA_FLAGS", "").split() if "optimization_level" not in f)
    done = subprocess.run([sys.executable, "-m", "ebrl", "train", *args], env={**os.environ, "XLA_FLAGS": flags},
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
