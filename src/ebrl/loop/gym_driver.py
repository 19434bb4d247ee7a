"""The Gymnasium driver: S copies of a task in one Gymnasium vector environment, one per seed, stepped together with
one batched behaviour call per step (one host-device transfer each way for all seeds).

Episodes of seed k reset with the seed episode_seed(k, TRAIN_STREAM, episode index), so a seed's data does not depend
on the group it trains in. Resume is exact without replaying the past: a checkpoint holds each copy's current
observation and return and, for MuJoCo tasks, the simulator's integration state (`mj_getState` with
mjSTATE_INTEGRATION: time, positions, velocities, controls, warm start; a few hundred numbers that any MuJoCo version
reads, and from which stepping on is bit-identical); other tasks, whose state Gymnasium does not expose, are restored
by replaying their unfinished episode from its reset seed (at most one episode per seed).
"""

import base64
import copy
import functools
import pickle
import struct
import zlib

import gymnasium as gym
import jax
import jax.numpy as jnp
import numpy as np

from ebrl.config import ConfigError
from ebrl.core import Transition
from ebrl.envs import environment_calls, episode_seed, make_env
from ebrl.envs.task import Task
from ebrl.loop.driver import DriverKind, DriverState
from ebrl.loop.learner import TRAIN_STREAM, BatchedLearner
from ebrl.replay import zeros_transitions

VECTOR_MODES = ("sync", "async")
MUJOCO_STATE = "mujoco-state"
"""A snapshot's prefix: "mujoco-state:SPEC:BASE64", SPEC the mjtState bit mask, BASE64 the float64 state vector.
Snapshots without it are the pickled mjData that ebrl 0.4 wrote, which only the MuJoCo that wrote it reads."""


def _mujoco_env(env: gym.Env):
    from gymnasium.envs.mujoco.mujoco_env import MujocoEnv

    return env.unwrapped if isinstance(env.unwrapped, MujocoEnv) else None


def _time_limit(env: gym.Env):
    while isinstance(env, gym.Wrapper):
        if isinstance(env, gym.wrappers.TimeLimit):
            return env
        env = env.env
    return None


class ResumableEnv(gym.Wrapper):
    """A training environment that can hand out its exact state (`snapshot`) where the task exposes it."""

    def exposes_state(self) -> bool:
        return _mujoco_env(self.env) is not None

    def snapshot(self) -> str | None:
        """The simulator's integration state as "mujoco-state:SPEC:BASE64"; None where the task exposes none."""
        mujoco_env = _mujoco_env(self.env)
        if mujoco_env is None:
            return None
        import mujoco

        spec = int(mujoco.mjtState.mjSTATE_INTEGRATION)
        state = np.empty(mujoco.mj_stateSize(mujoco_env.model, spec))
        mujoco.mj_getState(mujoco_env.model, mujoco_env.data, state, spec)
        return f"{MUJOCO_STATE}:{spec}:{base64.b64encode(state.tobytes()).decode()}"


def _restore_mujoco(mujoco_env, snapshot: str) -> None:
    """Write a snapshot's simulator state into a freshly reset MuJoCo task; ConfigError if it cannot be read."""
    import mujoco

    if snapshot.startswith(MUJOCO_STATE + ":"):
        _, spec_text, encoded = snapshot.split(":", 2)
        spec, state = int(spec_text), np.frombuffer(base64.b64decode(encoded), np.float64)
        size = mujoco.mj_stateSize(mujoco_env.model, spec)
        if state.size != size:
            raise ConfigError(f"the checkpoint's simulator state has {state.size} numbers where this model has "
                              f"{size}: it was written for another model; resume it with the task it trained on")
        mujoco.mj_setState(mujoco_env.model, mujoco_env.data, state, spec)
        return
    data = zlib.decompress(base64.b64decode(snapshot))
    try:
        saved = pickle.loads(data)
    except ValueError as exc:  # MuJoCo reads only its own version's pickled mjData
        version = _pickled_mujoco_version(data)
        wrote, fix = (version, version) if version else ("of another version", "VERSION, the version that wrote it")
        raise ConfigError(f"the checkpoint's simulator state is a pickled mjData written by MuJoCo {wrote}, which "
                          f"MuJoCo {mujoco.mj_versionString()} cannot read ({exc}); resume it after "
                          f"`pip install mujoco=={fix}`") from exc
    mujoco.mj_copyData(mujoco_env.data, mujoco_env.model, saved)


def _pickled_mujoco_version(data: bytes) -> str | None:
    """The MuJoCo version in a pickled mjData's model header, the fourth int32 from its ID 54321 (4000000 for
    4.0.0: major·10⁶ + minor·10³ + patch), or None where it is not of that form."""
    at = data.find(struct.pack("<i", 54321))
    header = struct.unpack_from("<i", data, at + 12)[0] if 0 <= at <= len(data) - 16 else 0
    return f"{header // 10**6}.{header // 1000 % 1000}.{header % 1000}" if header >= 10**6 else None


def resumed_env(env_id: str, env_kwargs: dict, reset_seed: int, elapsed: int, snapshot: str | None,
                actions: list | None) -> gym.Env:
    """A new copy of the task in the state a checkpoint recorded: reset with the episode's seed, then either the
    saved simulator state written over (and the time limit's counter set), or the episode's actions replayed."""
    env = make_env(env_id, kwargs=env_kwargs)
    env.reset(seed=reset_seed)
    if snapshot is not None:
        _restore_mujoco(_mujoco_env(env), snapshot)
        time_limit = _time_limit(env)
        if time_limit is not None:
            time_limit._elapsed_steps = elapsed
    else:
        for action in actions or []:
            env.step(np.asarray(action, np.float32))
    return ResumableEnv(env)


def new_env(env_id: str, env_kwargs: dict) -> gym.Env:
    return ResumableEnv(make_env(env_id, kwargs=env_kwargs))


class GymDriver:
    """Collects chunks from the vector environment and hands them to the batched learner; `start`, a
    `snapshot`, continues where that one was taken."""

    kind: DriverKind = "gym"

    def __init__(self, task: Task, learner: BatchedLearner, seeds: list[int], *, vector: str = "sync",
                 start: DriverState | None = None):
        env_id, env_kwargs = task.env_id, task.env_kwargs
        self.learner, self.seeds, self.n, self.env_id = learner, seeds, len(seeds), env_id
        vector_type = (functools.partial(gym.vector.AsyncVectorEnv, context="spawn")  # fork would copy JAX threads
                       if vector == "async" else gym.vector.SyncVectorEnv)
        disabled = gym.vector.AutoresetMode.DISABLED  # resets are the driver's, with per-episode seeds
        saved = start.host if start is not None else None
        if saved is None:
            self.env = vector_type([functools.partial(new_env, env_id, env_kwargs)] * self.n, autoreset_mode=disabled)
            self.episode_index = np.zeros(self.n, np.int64)
            with environment_calls(env_id, "reset"):
                obs, _ = self.env.reset(seed=[self._reset_seed(k) for k in range(self.n)])
            self.obs = np.asarray(obs, np.float32)
            self.episode_return = np.zeros(self.n)
            self.episode_start = np.zeros(self.n, np.int64)
            self.episode_actions: list[list | None] = [[] for _ in range(self.n)]
        else:
            self.episode_index = np.array([s["episode_index"] for s in saved], np.int64)
            self.obs = np.array([s["obs"] for s in saved], np.float32)
            self.episode_return = np.array([s["episode_return"] for s in saved])
            self.episode_start = np.array([s["episode_start"] for s in saved], np.int64)
            self.episode_actions = [s["episode_actions"] for s in saved]
            fns = [functools.partial(resumed_env, env_id, env_kwargs, self._reset_seed(k),
                                     s["step"] - s["episode_start"], s["snapshot"], s["episode_actions"])
                   for k, s in enumerate(saved)]
            self.env = vector_type(fns, autoreset_mode=disabled)
        self.records_actions = not self.env.call("exposes_state")[0]  # no exposed state: keep actions to replay
        if not self.records_actions:
            self.episode_actions = [None] * self.n
        self.staged: Transition | None = None
        self.obs_dim, self.act_dim = task.obs_dim, task.act_dim

    def _reset_seed(self, k: int) -> int:
        return episode_seed(self.seeds[k], TRAIN_STREAM, int(self.episode_index[k]))

    def chunk(self, states, step: int, n: int, learn: bool, updates: int):
        """Step every copy n times with the behaviour policy, then store the transitions (and, if `learn`, run
        n × updates updates per seed) in one compiled call. Returns (states, metrics or None, finished returns
        per seed)."""
        learner = self.learner
        if self.staged is None or self.staged.reward.shape[1] != n:  # host-side, filled step by step
            self.staged = jax.tree.map(lambda x: np.zeros((self.n, *x.shape), x.dtype),
                                       zeros_transitions(n, self.obs_dim, self.act_dim, np))
        staged = self.staged
        finished: list[list[float]] = [[] for _ in range(self.n)]
        for i in range(n):
            actions = np.asarray(learner.behaviour(states, self.obs, step + i, self.episode_start))
            with environment_calls(self.env_id, "step"):
                next_obs, reward, terminated, truncated, _ = self.env.step(actions)
            next_obs = np.asarray(next_obs, np.float32)
            staged.obs[:, i], staged.action[:, i], staged.reward[:, i] = self.obs, actions, reward
            staged.next_obs[:, i], staged.terminated[:, i] = next_obs, terminated
            self.episode_return += reward
            for recorded, action in zip(self.episode_actions, actions):
                if recorded is not None:  # None where the task's state is exposed instead
                    recorded.append(action.tolist())
            self.obs = next_obs
            done = np.logical_or(terminated, truncated)
            if done.any():
                for ended in np.flatnonzero(done):
                    finished[ended].append(float(self.episode_return[ended]))
                    self.episode_index[ended] += 1
                    self.episode_return[ended], self.episode_start[ended] = 0.0, step + i + 1
                    if self.records_actions:
                        self.episode_actions[ended] = []
                seeds = [self._reset_seed(k) if done[k] else None for k in range(self.n)]
                with environment_calls(self.env_id, "reset"):
                    reset_obs, _ = self.env.reset(seed=seeds, options={"reset_mask": done})
                self.obs = np.where(done[:, None], np.asarray(reset_obs, np.float32), self.obs)
        new = jax.tree.map(jnp.asarray, staged)
        if not learn:
            return learner.store(states, new), None, finished
        states, metrics = learner.learn(states, new, step + n, updates)
        return states, metrics, finished

    def snapshot(self, step: int) -> DriverState:
        """Per seed, what `GymDriver(..., start=...)` needs to continue exactly, as JSON."""
        snapshots = self.env.call("snapshot")
        return DriverState("gym", tuple(
            {"step": step, "episode_index": int(self.episode_index[k]), "obs": self.obs[k].tolist(),
             "episode_return": float(self.episode_return[k]), "episode_start": int(self.episode_start[k]),
             "episode_actions": copy.deepcopy(self.episode_actions[k]), "snapshot": snapshots[k]}
            for k in range(self.n)))

    def close(self) -> None:
        self.env.close()
