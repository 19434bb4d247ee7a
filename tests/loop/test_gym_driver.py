"""The Gymnasium driver's simulator snapshots: MuJoCo's integration state, from which a fresh copy steps on
bit-identically; the pickled mjData of ebrl 0.4 still read by the MuJoCo that wrote it, and refused in one line that
names that version by any other."""

import base64
import pickle
import struct
import zlib

import numpy as np
import pytest

from ebrl.config import ConfigError
from ebrl.loop.gym_driver import MUJOCO_STATE, new_env, resumed_env


def rewards_after(env, actions):
    return [env.step(action)[:2] for action in actions]


def stepped(env_id: str, steps: int):
    """The task after `steps` random actions, and 100 more actions to compare copies on."""
    env = new_env(env_id, {})
    env.reset(seed=3)
    actions = np.random.default_rng(0).uniform(-1, 1, (steps + 100, env.action_space.shape[0])).astype(np.float32)
    rewards_after(env, actions[:steps])
    return env, actions[steps:]


def assert_same_continuation(env, resumed, actions):
    for (obs, reward), (obs_again, reward_again) in zip(rewards_after(env, actions), rewards_after(resumed, actions)):
        assert np.array_equal(obs, obs_again) and reward == reward_again


@pytest.mark.parametrize("env_id", ["HalfCheetah-v5", "Swimmer-v5"])
def test_a_copy_resumed_from_a_snapshot_steps_on_bit_identically(env_id):
    env, actions = stepped(env_id, 60)
    snapshot = env.snapshot()
    assert snapshot.startswith(MUJOCO_STATE + ":") and len(snapshot) < 4000  # numbers, not a pickled mjData
    resumed = resumed_env(env_id, {}, reset_seed=99, elapsed=60, snapshot=snapshot, actions=None)
    assert_same_continuation(env, resumed, actions)


def pickled_data(env, version_header: int | None = None) -> str:
    """The snapshot ebrl 0.4 wrote (its mjData pickled), its model header's version replaced if given."""
    data = bytearray(pickle.dumps(env.unwrapped.data))
    if version_header is not None:
        struct.pack_into("<i", data, data.find(struct.pack("<i", 54321)) + 12, version_header)
    return base64.b64encode(zlib.compress(bytes(data))).decode()


def test_the_pickled_snapshot_of_ebrl_0_4_resumes_under_the_mujoco_that_wrote_it():
    env, actions = stepped("HalfCheetah-v5", 40)
    resumed = resumed_env("HalfCheetah-v5", {}, reset_seed=99, elapsed=40, snapshot=pickled_data(env), actions=None)
    assert_same_continuation(env, resumed, actions)


def test_a_pickled_snapshot_of_another_mujoco_is_refused_naming_the_version_to_install():
    env, _ = stepped("HalfCheetah-v5", 10)
    with pytest.raises(ConfigError, match=r"written by MuJoCo 3\.17\.2, .* `pip install mujoco==3\.17\.2`"):
        resumed_env("HalfCheetah-v5", {}, reset_seed=0, elapsed=10, snapshot=pickled_data(env, 3_017_002),
                    actions=None)


def test_a_snapshot_of_another_model_is_refused():
    env, _ = stepped("Swimmer-v5", 10)
    with pytest.raises(ConfigError, match="written for another model"):
        resumed_env("HalfCheetah-v5", {}, reset_seed=0, elapsed=10, snapshot=env.snapshot(), actions=None)
