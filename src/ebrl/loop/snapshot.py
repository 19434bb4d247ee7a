"""The loop's snapshot and a run's checkpoints, both ways: a GroupSnapshot cut into one checkpoint per seed (the
agent, the replay buffer's filled part, the loop's host state as JSON, the JAX driver's environment), and the seeds'
restored checkpoints stacked back into the snapshot a resumed group starts from."""

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np

from ebrl.config import TrainConfig
from ebrl.core import Agent, Transition
from ebrl.envs.task import Task
from ebrl.loop.driver import DriverState
from ebrl.loop.jax_driver import slot_shape
from ebrl.loop.learner import SeedState, replay_capacity, seed_keys, seed_slice, stack_seeds
from ebrl.loop.trainer import GroupSnapshot, SeedLog
from ebrl.replay import ReplayBuffer, replay_init

TRANSITION_FIELDS = tuple(f.name for f in dataclasses.fields(Transition))
HOST_ONLY = ("driver", "environment")  # the loop item's entries that are not the SeedLog's


def seed_checkpoint(snapshot: GroupSnapshot, k: int) -> dict:
    """Seed k's checkpoint items: agent, replay, loop (its SeedLog, the driver's kind and host state) and, with the
    JAX driver, env."""
    driver = snapshot.driver
    loop = {**dataclasses.asdict(snapshot.logs[k]), "driver": driver.kind, "environment": driver.host[k]}
    env = {} if driver.device is None else {"env": seed_slice(driver.device, k)}
    return {"agent": seed_slice(snapshot.states.agent, k),
            "replay": replay_to_host(seed_slice(snapshot.states.replay, k)), "loop": loop, **env}


def checkpoint_shapes(agent: Agent, task: Task, kind: str) -> dict:
    """What to restore of a seed's checkpoint written with driver `kind`: each item's abstract pytree (None: as
    saved)."""
    shapes = {"agent": jax.eval_shape(agent.init, jax.random.key(0)), "replay": None, "loop": None}
    if kind == "jax":
        shapes["env"] = slot_shape(task.jax_functions())
    return shapes


def group_snapshot(step: int, saved: list, *, task: Task, cfg: TrainConfig, seeds: list[int]) -> GroupSnapshot:
    """The snapshot at `step` of the group whose seeds' restored checkpoints are `saved` (seed_checkpoint's items,
    in the order of `seeds`); the replay buffers in rings of this configuration's capacity."""
    kind = saved[0].loop["driver"]
    replays = [replay_from_host(s.replay, replay_capacity(cfg), task.obs_dim, task.act_dim) for s in saved]
    _, act_keys, update_keys = jax.vmap(seed_keys)(jnp.asarray(seeds))
    states = SeedState(stack_seeds([s.agent for s in saved]), stack_seeds(replays), act_keys, update_keys)
    logs = tuple(SeedLog(**{k: v for k, v in s.loop.items() if k not in HOST_ONLY}) for s in saved)
    driver = DriverState(kind, tuple(s.loop["environment"] for s in saved),
                         stack_seeds([s["env"] for s in saved]) if kind == "jax" else None)
    return GroupSnapshot(step, states, logs, driver)


def replay_to_host(buffer: ReplayBuffer) -> dict:
    """The filled part of the buffer only, so a checkpoint grows with the data, not with the capacity."""
    size = int(buffer.size)
    data = {name: np.asarray(getattr(buffer.data, name)[:size]) for name in TRANSITION_FIELDS}
    return {"data": data, "position": np.asarray(buffer.position), "size": np.asarray(buffer.size)}


def replay_from_host(saved: dict, capacity: int, obs_dim: int, act_dim: int) -> ReplayBuffer:
    """The saved ring in a ring of `capacity` slots, laid out as that ring would hold the same transitions.

    A ring of capacity C = min(buffer size, steps) that saw t transitions holds slots [0, min(t, C)) and writes
    next at t mod C. The saved ring's capacity is not stored; with size s and position p, its transitions in the
    order they came are roll(data, −p) (p = s if it never wrapped). A larger ring (a finished run extended with
    --steps) gets them at [0, s) and writes next at s, as the ring of the longer run would at this step; an equal
    one (s = C: full in both) keeps the saved layout, which uniform sampling by slot index depends on.
    """
    empty = replay_init(capacity, obs_dim, act_dim)
    size, position = int(saved["size"]), int(saved["position"])
    data = {name: np.asarray(saved["data"][name]) for name in TRANSITION_FIELDS}
    if size < capacity and position != size:  # a wrapped ring moved into a larger one
        data = {name: np.roll(values, -position, axis=0) for name, values in data.items()}
        position = size
    stored = Transition(**{name: getattr(empty.data, name).at[:size].set(data[name]) for name in TRANSITION_FIELDS})
    return ReplayBuffer(stored, jnp.asarray(position, jnp.int32), jnp.asarray(size, jnp.int32))
