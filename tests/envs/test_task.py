"""`describe_task`: one probe of a task, with what the layers above need of it."""

import re
from pathlib import Path

import numpy as np
import pytest

import ebrl.envs.task as task_module
from ebrl.config import ConfigError
from ebrl.envs.task import describe_task


def test_a_gymnasium_task():
    task = describe_task("Pendulum-v1")
    assert (task.obs_dim, task.act_dim) == (3, 1)
    np.testing.assert_array_equal(task.action_low, [-2.0])
    np.testing.assert_array_equal(task.action_high, [2.0])
    assert task.statistics == () and task.arena is None and task.probe_states is None
    assert task.jax_functions() is None


def test_a_multigoal_task_carries_its_arena_and_functions():
    task = describe_task("ebrl/MultiGoal3-v0")
    assert (task.obs_dim, task.act_dim) == (2, 2)
    assert task.arena is not None and len(task.arena.goals) == 3
    assert task.probe_states is not None and task.probe_states.shape[1] == 2
    assert task.statistics == ("goal_hits_0", "goal_hits_1", "goal_hits_2", "no_goal", "goal_fraction")
    assert task.jax_functions() is not None


def test_one_probe_per_task_and_arguments(monkeypatch):
    task_module._describe.cache_clear()
    built = []
    real = task_module.make_env
    monkeypatch.setattr(task_module, "make_env", lambda *a, **k: built.append(a) or real(*a, **k))
    first = describe_task("Pendulum-v1", {"g": 9.81})
    assert describe_task("Pendulum-v1", {"g": 9.81}) is first
    describe_task("Pendulum-v1", {"g": 3.0})
    assert len(built) == 2


def test_an_unusable_task_is_a_config_error():
    with pytest.raises(ConfigError, match="unknown environment"):
        describe_task("NoSuchTask-v0")


def test_only_drivers_evaluation_and_video_build_environments():
    """Every other layer asks describe_task."""
    source = Path(task_module.__file__).parents[1]
    building = sorted(str(path.relative_to(source)) for path in source.rglob("*.py")
                      if path.parent.name != "envs" and re.search(r"\bmake_env\(", path.read_text()))
    assert building == ["loop/evaluate.py", "loop/gym_driver.py", "runs/load.py"]
