import gymnasium as gym
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

import ebrl  # noqa: F401  (registers the ids)
from ebrl.envs import multigoal
from ebrl.envs.multigoal import MultiGoalState, wall_contact

IDS = ["ebrl/MultiGoal-v0", "ebrl/MultiGoal3-v0", "ebrl/MultiGoal3Obstacle-v0"]


def env_at(env_id, position, **kwargs):
    env = gym.make(env_id, **kwargs).unwrapped
    env.reset(seed=0)
    env.position = np.asarray(position, np.float32)
    return env


@pytest.mark.parametrize("env_id", IDS)
def test_gymnasium_env_checker(env_id):
    check_env(gym.make(env_id).unwrapped)


def test_step_and_reward_by_hand():
    env = env_at("ebrl/MultiGoal3-v0", (0.0, 0.0))
    obs, reward, terminated, truncated, info = env.step(np.array([0.5, 0.0]))
    np.testing.assert_allclose(obs, [0.5, 0.0])
    # nearest goal G1 = (5, 0) at distance 4.5: r = −30·0.25 − 4.5²
    assert reward == pytest.approx(-30 * 0.25 - 4.5**2)
    assert (terminated, truncated, info["goal"]) == (False, False, -1)


def test_action_is_clipped_before_moving_and_before_the_cost():
    env = env_at("ebrl/MultiGoal3-v0", (0.0, 0.0))
    obs, reward, *_ = env.step(np.array([3.0, -0.5]))
    np.testing.assert_allclose(obs, [1.0, -0.5])
    assert reward == pytest.approx(-30 * (1.0 + 0.25) - (4.0**2 + 0.5**2))


def test_position_is_clipped_at_the_boundary():
    env = env_at("ebrl/MultiGoal3-v0", (6.5, -6.8))
    obs, reward, *_ = env.step(np.array([1.0, -1.0]))
    np.testing.assert_allclose(obs, [7.0, -7.0])
    assert reward == pytest.approx(-30 * 2.0 - (2.0**2 + 7.0**2))  # G1 = (5, 0) is nearest


def test_goal_exactly_at_the_radius_is_not_reached_and_inside_it_is():
    env = env_at("ebrl/MultiGoal-v0", (3.5, 0.0))  # SQL's goals, radius 1
    _, reward, terminated, _, info = env.step(np.array([0.5, 0.0]))  # distance exactly 1.0
    assert (terminated, info["goal"]) == (False, -1) and reward == pytest.approx(-7.5 - 1.0)
    _, reward, terminated, truncated, info = env.step(np.array([0.5, 0.0]))  # distance 0.5
    assert (terminated, truncated, info["goal"]) == (True, False, 0)
    assert reward == pytest.approx(-7.5 - 0.25 + 10.0)


def test_goal_indices_follow_the_documented_order():
    env = env_at("ebrl/MultiGoal3-v0", (-3.6, -2.6))
    info = env.step(np.array([-0.3, -0.3]))[4]
    assert info["goal"] == 2  # G3 = (−4, −3)


def test_truncation_after_thirty_steps():
    env = gym.make("ebrl/MultiGoal3-v0")
    env.reset(seed=0)
    for t in range(1, 31):
        _, _, terminated, truncated, _ = env.step(np.zeros(2, np.float32))
        assert not terminated and truncated == (t == 30)


def test_constructor_keywords_give_other_variants():
    env = gym.make("ebrl/MultiGoal-v0", goal_radius=0.5, init_sigma=0.0, horizon=5).unwrapped
    obs, _ = env.reset(seed=3)
    np.testing.assert_array_equal(obs, [0.0, 0.0])
    assert env.params.goal_radius == 0.5 and env.params.horizon == 5 and len(env.params.goals) == 4


WALL = np.array([[[-2.0, 0.0], [0.0, 2.0]]])


@pytest.mark.parametrize("start, end, contact", [
    ((-1.0, 0.0), (-1.0, 2.0), True),     # crosses the middle
    ((0.0, 3.0), (0.0, 1.0), True),       # passes through the endpoint (0, 2)
    ((-3.0, 0.0), (-2.0, 0.0), True),     # ends on the endpoint (−2, 0)
    ((-1.0, 0.0), (-1.0, 1.0), True),     # ends on the wall
    ((-2.0, 0.0), (-1.0, 1.0), True),     # starts on it and moves along it
    ((-3.0, -1.0), (-1.5, 0.5), True),    # collinear, enters from beyond the endpoint
    ((-1.0, 1.0), (-0.5, 0.5), False),    # starts on it and leaves it
    ((-1.0, 1.0), (-1.0, 1.0), False),    # starts on it and does not move
    ((1.0, 3.0), (2.0, 4.0), False),      # on the wall's line, beyond its end
    ((-2.0, 1.0), (-1.0, 2.0), False),    # parallel, one unit off
    ((0.1, 3.0), (0.1, 1.0), False),      # passes just right of the endpoint
    ((-1.0, 0.0), (-1.0, 0.9), False),    # stops short of it
])
@pytest.mark.parametrize("xp", [np, jnp])
def test_wall_contact_cases(xp, start, end, contact):
    got = wall_contact(xp, xp.asarray(start, xp.float32), xp.asarray(end, xp.float32), xp.asarray(WALL))
    assert bool(got) == contact


def test_a_move_into_the_wall_is_cancelled_and_reported():
    env = env_at("ebrl/MultiGoal3Obstacle-v0", (-1.0, 0.0))
    obs, _, _, _, info = env.step(np.array([0.0, 1.0]))  # would end on the wall at (−1, 1)
    np.testing.assert_array_equal(obs, [-1.0, 0.0])
    assert info["wall_contact"] and info["wall_contacts"] == 1
    obs, _, _, _, info = env.step(np.array([1.0, 0.0]))  # free move
    np.testing.assert_array_equal(obs, [0.0, 0.0])
    assert not info["wall_contact"] and info["wall_contacts"] == 1


@pytest.mark.parametrize("env_id", IDS)
def test_pure_jax_step_matches_the_gymnasium_class(env_id):
    env = gym.make(env_id).unwrapped
    params = env.params
    jax_step = jax.jit(lambda state, action: multigoal.step(params, state, action))
    rng = np.random.default_rng(0)
    for episode in range(20):
        obs, _ = env.reset(seed=episode)
        state = MultiGoalState(jnp.asarray(obs), jnp.int32(0), jnp.int32(0))
        done = False
        while not done:
            action = rng.uniform(-1.5, 1.5, 2).astype(np.float32)  # beyond the bounds: clipping is exercised
            obs, reward, terminated, truncated, info = env.step(action)
            state, j_obs, j_reward, j_term, j_trunc, j_goal, j_contact = jax_step(state, jnp.asarray(action))
            np.testing.assert_allclose(j_obs, obs, atol=1e-5)
            assert float(j_reward) == pytest.approx(reward, rel=1e-5, abs=1e-4)
            assert (bool(j_term), bool(j_trunc), bool(j_contact)) == (terminated, truncated, info["wall_contact"])
            assert int(j_goal) == info["goal"]
            assert int(state.wall_contacts) == info["wall_contacts"]
            done = terminated or truncated


def test_pure_jax_reset_and_vmap():
    params = gym.make("ebrl/MultiGoal-v0").unwrapped.params
    states = jax.vmap(lambda k: multigoal.reset(params, k))(jax.random.split(jax.random.key(0), 4000))
    assert abs(float(states.position.std()) - 0.1) < 0.005  # s0 ~ N(0, 0.1² I)
    stepped = jax.vmap(lambda s: multigoal.step(params, s, jnp.array([1.0, 0.0])))(states)[0]
    np.testing.assert_allclose(stepped.position - states.position, np.tile([1.0, 0.0], (4000, 1)), atol=1e-6)
    three = gym.make("ebrl/MultiGoal3-v0").unwrapped.params
    np.testing.assert_array_equal(multigoal.reset(three, jax.random.key(1)).position, [0.0, 0.0])


def test_render_rgb_array():
    env = gym.make("ebrl/MultiGoal3Obstacle-v0", render_mode="rgb_array")
    env.reset(seed=0)
    env.step(np.array([1.0, 0.0], np.float32))
    frame = env.render()
    assert frame.ndim == 3 and frame.shape[2] == 3 and frame.dtype == np.uint8 and frame.std() > 0
    env.close()
