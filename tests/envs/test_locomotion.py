"""The locomotion tasks' rewards against hand computations from MuJoCo's positions, and their direction statistics."""

import json
import math

import gymnasium as gym
import numpy as np
import pytest

from ebrl.config import ConfigError
from ebrl.envs import environment_statistics, make_env
from ebrl.envs.locomotion import TASKS, displacement_statistics
from ebrl.envs.task import describe_task

pytest.importorskip("mujoco")

STEPS = 5


def _rollout(env_id: str, position, **kwargs):
    """(reward, hand-computed velocity (2,), action, info, Ant's other terms) per step of a few random actions;
    `position(env)` reads the root's planar position as the task computes its velocity from it."""
    env = gym.make(env_id, **kwargs)
    env.reset(seed=0)
    env.action_space.seed(0)
    steps = []
    for _ in range(STEPS):
        before = np.array(position(env.unwrapped), float)
        action = env.action_space.sample()
        _, reward, _, _, info = env.step(action)
        velocity = (np.array(position(env.unwrapped), float) - before) / env.unwrapped.dt
        steps.append((reward, np.append(velocity, 0.0)[:2], action, info, _ant_other_terms(env.unwrapped, action)))
    return steps


def _qpos_xy(env):
    return env.data.qpos[:2]


def _qpos_x(env):
    return env.data.qpos[:1]


def _torso_xy(env):
    return env.data.body("torso").xpos[:2]


def _ant_other_terms(env, action) -> float:
    """Ant-v5's terms besides the forward one, as its documentation states them: healthy reward 1 (while the torso
    height lies in [0.2, 1]), control cost 0.5·‖a‖², contact cost 5e-4·Σ clip(cfrc_ext, −1, 1)²."""
    if not hasattr(env, "contact_forces"):
        return math.nan
    healthy = 1.0 if 0.2 <= env.data.qpos[2] <= 1.0 else 0.0
    contact = 5e-4 * np.sum(np.clip(env.data.cfrc_ext, -1.0, 1.0) ** 2)
    return healthy - 0.5 * np.sum(np.square(action)) - contact


def test_swimmer_any_direction_is_the_absolute_x_speed_minus_control_cost():
    for reward, v, action, _, _ in _rollout("ebrl/SwimmerAnyDirection-v0", _qpos_xy):
        np.testing.assert_allclose(reward, abs(v[0]) - 1e-4 * np.sum(np.square(action)), rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize(("env_id", "speed"), [("ebrl/HalfCheetahAnyDirection-v0", abs),
                                                ("ebrl/HalfCheetahForward-v0", lambda vx: vx),
                                                ("ebrl/HalfCheetahBackward-v0", lambda vx: -vx)])
def test_half_cheetah_speed_minus_control_cost(env_id, speed):
    for reward, v, action, info, _ in _rollout(env_id, _qpos_x):
        np.testing.assert_allclose(reward, speed(v[0]) - 0.1 * np.sum(np.square(action)), rtol=1e-6, atol=1e-9)
        np.testing.assert_allclose(info["reward_forward"], speed(v[0]), rtol=1e-6, atol=1e-9)


def test_forward_reward_weight_scales_the_speed_term():
    for reward, v, action, _, _ in _rollout("ebrl/HalfCheetahAnyDirection-v0", _qpos_x, forward_reward_weight=2.0):
        np.testing.assert_allclose(reward, 2.0 * abs(v[0]) - 0.1 * np.sum(np.square(action)), rtol=1e-6, atol=1e-9)


def test_ant_any_direction_is_the_horizontal_speed_plus_ants_other_terms():
    for reward, v, _, _, other in _rollout("ebrl/AntAnyDirection-v0", _torso_xy):
        np.testing.assert_allclose(reward, np.hypot(*v) + other, rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("angle", [0.0, 90.0, 225.0])
def test_ant_direction_is_the_velocity_along_the_angle(angle):
    u = np.array([math.cos(math.radians(angle)), math.sin(math.radians(angle))])
    for reward, v, _, _, other in _rollout("ebrl/AntDirection-v0", _torso_xy, angle=angle):
        np.testing.assert_allclose(reward, v @ u + other, rtol=1e-6, atol=1e-9)


def test_ant_direction_at_angle_zero_is_ant_v5():
    ours, theirs = gym.make("ebrl/AntDirection-v0"), gym.make("Ant-v5")
    ours.reset(seed=3), theirs.reset(seed=3)
    for action in np.random.default_rng(0).uniform(-1, 1, (STEPS, 8)):
        assert ours.step(action)[1] == pytest.approx(theirs.step(action)[1], rel=1e-9, abs=1e-12)


@pytest.mark.parametrize("env_id", sorted(TASKS))
def test_displacement_is_the_root_position_minus_its_position_at_reset(env_id):
    env = gym.make(env_id)
    env.reset(seed=1)
    planar = "Ant" in env_id
    start = env.unwrapped.data.qpos[:2].copy()
    path, before = 0.0, start.copy()
    for _ in range(STEPS):
        info = env.step(env.action_space.sample())[4]
        after = env.unwrapped.data.qpos[:2].copy()
        path += math.hypot(*(after - before)) if planar else abs(after[0] - before[0])
        before = after
    position = env.unwrapped.data.qpos[:2]
    assert info["x_displacement"] == pytest.approx(position[0] - start[0])
    assert ("y_displacement" in info) == planar
    if planar:
        assert info["y_displacement"] == pytest.approx(position[1] - start[1])
    assert info["path_length"] == pytest.approx(path)  # the distance travelled, step by step


def test_angle_is_refused_on_a_task_without_a_direction():
    with pytest.raises(ConfigError, match="angle"):
        make_env("ebrl/AntAnyDirection-v0", kwargs={"angle": 90})


def test_displacement_statistics_count_directions_and_heading_bins():
    infos = [{"x_displacement": 2.0, "y_displacement": 0.3},  # 8.5°: bin 0
             {"x_displacement": -1.0, "y_displacement": 0.1},  # 174°: bin 4
             {"x_displacement": 0.5, "y_displacement": -1.0},  # −63°: bin 7 (−45° ± 22.5°)
             {"x_displacement": -1.0, "y_displacement": -1.1}]  # −132°: bin 5 (225°)
    stats = displacement_statistics(infos, planar=True)
    assert stats["x_positive"] == 0.5 and stats["x_negative"] == 0.5
    assert stats["heading"] == [0.25, 0, 0, 0, 0.25, 0.25, 0, 0.25]
    assert displacement_statistics(infos, planar=False) == {"x_positive": 0.5, "x_negative": 0.5}


def test_straightness_is_the_mean_of_net_displacement_over_path_length():
    infos = [{"x_displacement": 3.0, "path_length": 3.0},  # one way throughout: 1
             {"x_displacement": -1.0, "path_length": 4.0},  # back and forth: 1/4
             {"x_displacement": 0.0, "path_length": 0.0}]  # did not move: 0
    assert displacement_statistics(infos, planar=False, straightness=True)["straightness"] == pytest.approx(
        (1 + 0.25 + 0) / 3)
    planar = [{"x_displacement": 3.0, "y_displacement": 4.0, "path_length": 10.0}]  # ‖(3, 4)‖ = 5 over 10
    assert displacement_statistics(planar, planar=True, straightness=True)["straightness"] == pytest.approx(0.5)
    assert displacement_statistics([], planar=False, straightness=True)["straightness"] == 0.0


def test_the_statistics_reach_the_evaluation_through_make_env_and_the_task():
    env = make_env("ebrl/HalfCheetahBackward-v0")  # RescaleAction around the task's own wrapper
    env.reset(seed=0)
    info = env.step(np.zeros(6))[4]
    assert environment_statistics(env, [info, info]).keys() == {"x_positive", "x_negative", "straightness"}
    assert describe_task("ebrl/AntAnyDirection-v0").statistics == (
        "x_positive", "x_negative", *[f"heading_{k}" for k in range(8)], "straightness")
    assert describe_task("HalfCheetah-v5").statistics == ()  # Gymnasium's own tasks keep their columns


@pytest.mark.slow
def test_a_run_reports_the_directions_in_metrics_and_in_ebrl_eval(tmp_path, capsys):
    from ebrl.commands import main

    out = tmp_path / "run"
    assert main(["train", "--algo", "sac", "--env", "ebrl/AntAnyDirection-v0", "--env-kwargs",
                 '{"max_episode_steps": 20}', "--hidden", "16", "16", "--batch-size", "16", "--random-steps", "100",
                 "--learning-starts", "100", "--steps", "200", "--eval-every", "100", "--checkpoint-every", "100",
                 "--eval-episodes", "4", "--no-progress", "--out", str(out)]) == 0
    with (out / "metrics.csv").open() as f:
        header = f.readline().strip().split(",")
    assert {"eval/mean/x_positive", "eval/mean/x_negative", "eval/sample/heading_7",
            "eval/sample/straightness"} <= set(header)
    capsys.readouterr()
    assert main(["eval", str(out), "--episodes", "8", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["x_positive"] + report["x_negative"] == 1.0 and sum(report["heading"]) == pytest.approx(1.0)
    assert 0 < report["straightness"] <= 1
    assert main(["eval", str(out), "--episodes", "2"]) == 0
    printed = capsys.readouterr().out
    assert "x > 0" in printed and "315°" in printed and "straightness" in printed
