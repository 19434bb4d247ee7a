import math

import numpy as np

from ebrl.agents.sac import SACConfig
from ebrl.agents.sql import SQLConfig
from ebrl.config import TrainConfig
from ebrl.runs import RunSpec
from ebrl.studies.multigoal.study import group_labels, left_share


def test_group_labels_name_what_differs():
    specs = {f"run{i}": RunSpec("sql", TrainConfig(seed=i % 2), SQLConfig(alpha=alpha))
             for i, alpha in enumerate([0.5, 0.5, 10.0])}
    specs["sac"] = RunSpec("sac", TrainConfig(), SACConfig())
    labels = group_labels(specs)
    assert labels == {"run0": "sql (alpha=0.5)", "run1": "sql (alpha=0.5)", "run2": "sql (alpha=10.0)", "sac": "sac"}


def test_experiment_plans_use_the_presets_and_one_budget():
    from ebrl.studies.multigoal.study import plan

    groups = {group.name: group for group in plan("s2ac-fig2", 6000, 2)}
    assert sorted(groups) == ["s2ac", "sac", "sql"]
    assert {group.seeds for group in groups.values()} == {(0, 1)}
    assert {group.spec.train.steps for group in groups.values()} == {6000}
    assert {group.spec.train.env for group in groups.values()} == {"ebrl/MultiGoal3-v0"}
    assert groups["s2ac"].spec.agent.variant == "phi" and groups["s2ac"].spec.agent.svgd_steps == 10
    assert groups["sql"].spec.agent.reward_scale == 0.1 and groups["sql"].spec.train.batch_size == 64
    assert groups["sac"].spec.train.random_steps == 1000
    sweep = plan("sql-temperature", 20000, 1)
    assert [group.spec.agent.alpha for group in sweep] == [0.0, 0.5, 1.0, 10.0]


def test_left_share_and_its_exact_interval():
    """Clopper-Pearson at the edges has a closed form: 0 of n gives [0, 1 − 0.025^(1/n)], n of n gives
    [0.025^(1/n), 1]; only goals with x < 0 count as left."""
    goals = np.array([[5.0, 0.0], [-4.0, 3.0], [-4.0, -3.0]])
    left, reached, low, high = left_share([10, 0, 0], goals)
    assert (left, reached, low) == (0, 10, 0.0) and math.isclose(high, 1 - 0.025 ** 0.1, rel_tol=1e-6)
    left, reached, low, high = left_share([0, 4, 6], goals)
    assert (left, reached, high) == (10, 10, 1.0) and math.isclose(low, 0.025 ** 0.1, rel_tol=1e-6)
    assert left_share([3, 4, 3], goals)[:2] == (7, 10) and math.isnan(left_share([0, 0, 0], goals)[2])
