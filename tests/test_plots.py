"""Pictures and statistics of a short MultiGoal run: metrics columns, ebrl eval's goal report, ebrl plot's files."""

import csv
import json

import numpy as np
import pytest

from ebrl.cli import main
from ebrl.evaluate import flat_statistics
from ebrl.plots import plot_goal_histogram


@pytest.fixture(scope="module")
def multigoal_run(tmp_path_factory):
    run_dir = tmp_path_factory.mktemp("mg") / "run"
    assert main(["train", "--env", "ebrl/MultiGoal3-v0", "--steps", "300", "--hidden", "16", "--batch-size", "16",
                 "--random-steps", "100", "--learning-starts", "100", "--eval-every", "150", "--eval-episodes", "4",
                 "--no-progress", "--out", str(run_dir)]) == 0
    return run_dir


def test_goal_statistics_are_logged_during_training(multigoal_run):
    with (multigoal_run / "metrics.csv").open() as f:
        rows = list(csv.DictReader(f))
    for mode in ("mean", "sample"):
        hits = [int(rows[-1][f"eval/{mode}/goal_hits_{g}"]) for g in range(3)]
        no_goal = int(rows[-1][f"eval/{mode}/no_goal"])
        assert sum(hits) + no_goal == 4
        assert float(rows[-1][f"eval/{mode}/goal_fraction"]) == sum(hits) / 4


def test_eval_reports_goal_hits(multigoal_run, capsys):
    assert main(["eval", str(multigoal_run), "--episodes", "6", "--mode", "sample", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert len(report["goal_hits"]) == 3 and sum(report["goal_hits"]) + report["no_goal"] == 6
    assert main(["eval", str(multigoal_run), "--episodes", "6"]) == 0
    table = capsys.readouterr().out
    assert "reached a goal" in table and "no goal" in table and "G3" in table


def test_plot_writes_the_multigoal_pictures(multigoal_run):
    assert main(["plot", str(multigoal_run), "--episodes", "5"]) == 0
    for name in ("learning_curve", "trajectories", "q_landscapes", "goal_histogram"):
        assert (multigoal_run / "figures" / f"{name}.png").stat().st_size > 10_000


def test_histogram_function(tmp_path):
    plot_goal_histogram([3, 0, 5], 2, tmp_path / "h.png")
    assert (tmp_path / "h.png").stat().st_size > 5_000


def test_flat_statistics():
    assert flat_statistics({"goal_hits": [1, 2], "no_goal": 3}) == {"goal_hits_0": 1, "goal_hits_1": 2, "no_goal": 3}
    assert np.isclose(flat_statistics({"x": 0.5})["x"], 0.5)
