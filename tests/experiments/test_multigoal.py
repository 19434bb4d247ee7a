import math

import numpy as np

from ebrl.agents.sac import SACConfig
from ebrl.agents.sql import SQLConfig
from ebrl.config import TrainConfig
from ebrl.experiments.multigoal import group_labels, knn_entropy
from ebrl.runs import RunSpec


def test_nearest_neighbour_entropy_of_known_distributions():
    rng = np.random.default_rng(0)
    gaussian = np.mean([knn_entropy(rng.normal(size=(1000, 2))) for _ in range(5)])
    assert abs(gaussian - (1.0 + math.log(2.0 * math.pi))) < 0.05  # N(0, I) in 2-D: 2.838 nats
    uniform = np.mean([knn_entropy(rng.uniform(-1, 1, size=(1000, 2))) for _ in range(5)])
    assert abs(uniform - math.log(4.0)) < 0.05
    narrow = knn_entropy(0.01 * rng.normal(size=(1000, 1)))
    assert abs(narrow - (0.5 * math.log(2 * math.pi * math.e) + math.log(0.01))) < 0.1
    assert knn_entropy(np.zeros((10, 2))) == -math.inf


def test_group_labels_name_what_differs():
    specs = {f"run{i}": RunSpec("sql", TrainConfig(seed=i % 2), SQLConfig(alpha=alpha))
             for i, alpha in enumerate([0.5, 0.5, 10.0])}
    specs["sac"] = RunSpec("sac", TrainConfig(), SACConfig())
    labels = group_labels(specs)
    assert labels == {"run0": "sql (alpha=0.5)", "run1": "sql (alpha=0.5)", "run2": "sql (alpha=10.0)", "sac": "sac"}
