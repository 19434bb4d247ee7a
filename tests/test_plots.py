"""Pictures and statistics of a short MultiGoal run: metrics columns, ebrl eval's goal report, ebrl plot's files."""

import csv
import json

import numpy as np
import pytest

from ebrl.commands import main
from ebrl.envs import flat_statistics
from ebrl.plots import plot_goal_histogram


@pytest.fixture(scope="module")
def multigoal_run(tmp_path_factory):
    """The main job (S2AC on MultiGoal3 with its preset), shrunk: it ends by drawing its pictures."""
    run_dir = tmp_path_factory.mktemp("mg") / "run"
    assert main(["train", "--steps", "300", "--critic-hidden", "16", "16", "--svgd-steps", "2", "--batch-size", "16",
                 "--random-steps", "100", "--learning-starts", "100", "--eval-every", "150", "--eval-episodes", "4",
                 "--no-progress", "--out", str(run_dir)]) == 0
    for name in ("trajectories", "q_landscapes", "goal_histogram"):
        assert (run_dir / "figures" / f"{name}.png").stat().st_size > 10_000
    return run_dir


@pytest.mark.slow
def test_goal_statistics_are_logged_during_training(multigoal_run):
    with (multigoal_run / "metrics.csv").open() as f:
        rows = list(csv.DictReader(f))
    for mode in ("softmax", "max", "random"):
        hits = [int(rows[-1][f"eval/{mode}/goal_hits_{g}"]) for g in range(3)]
        no_goal = int(rows[-1][f"eval/{mode}/no_goal"])
        assert sum(hits) + no_goal == 4
        assert float(rows[-1][f"eval/{mode}/goal_fraction"]) == sum(hits) / 4


def test_eval_reports_goal_hits(multigoal_run, capsys):
    assert main(["eval", str(multigoal_run), "--episodes", "6", "--mode", "random", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert len(report["goal_hits"]) == 3 and sum(report["goal_hits"]) + report["no_goal"] == 6
    assert main(["eval", str(multigoal_run), "--episodes", "6"]) == 0
    table = capsys.readouterr().out
    assert "reached a goal" in table and "no goal" in table and "G3" in table


@pytest.mark.slow
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


@pytest.mark.slow
def test_compare_on_the_obstacle_layout(multigoal_run, tiny_run, tmp_path, capsys):
    out = tmp_path / "cmp"
    assert main(["compare", str(multigoal_run), "--episodes", "4", "--env", "ebrl/MultiGoal3Obstacle-v0",
                 "--out", str(out)]) == 0
    summary = (out / "summary.md").read_text()
    assert "reached_no_contact" in summary and "H(-3.5,-2.5)" in summary and "| s2ac | 1 |" in summary
    assert "own entropy estimates" in summary
    assert (out / "comparison.png").stat().st_size > 10_000
    with (out / "goals.csv").open() as f:
        row = next(csv.DictReader(f))
    assert sum(int(row[k]) for k in ("G1", "G2", "G3", "no_goal")) == 4
    assert sum(int(row[k]) for k in ("reached_no_contact", "reached_after_contact", "failed_after_contact")) \
        <= 4
    capsys.readouterr()
    assert main(["compare", str(multigoal_run), "--out", str(out)]) == 2
    assert "already holds a comparison" in capsys.readouterr().err
    assert main(["compare", str(tiny_run), "--out", str(tmp_path / "other")]) == 2
    assert "needs MultiGoal runs" in capsys.readouterr().err


@pytest.mark.slow
def test_the_policy_entropy_on_a_trained_critic(multigoal_run):
    """Part (e) of the entropy study at every probe state of the run's task: the random-particle policy's entropy
    (actions in [−1, 1]², so at most log 4 up to the estimator's bias) beside each rule's estimate."""
    import math

    from ebrl.envs.layouts import S2AC_PROBES
    from ebrl.studies.entropy.study import study_e

    rows = study_e(multigoal_run, chains=1000, runs=50, fold_runs=10,
                   rules=("trace", "hutchinson", "exact", "joint", "trace, bound 1"))
    assert [row["state"] for row in rows] == [f"({x:g}, {y:g})" for x, y in S2AC_PROBES]
    for row in rows:
        assert row["step"] == 300 and -5.0 < row["policy"] < math.log(4.0) + 0.05
        for rule in ("trace", "hutchinson", "exact", "joint"):
            assert math.isfinite(row[rule]) and row[f"{rule} error"] == row[rule] - row["policy"]
        bounded = "trace, bound 1"  # another policy: its error is against its own entropy
        assert -5.0 < row[f"{bounded} policy"] < math.log(4.0) + 0.05
        assert row[f"{bounded} error"] == row[bounded] - row[f"{bounded} policy"]
        assert 0.0 <= row["folded_steps"] <= 1.0 and row["step_norm"] > 0


@pytest.mark.slow
def test_part_e_with_other_svgd_steps_equals_a_run_configured_with_them(multigoal_run, tmp_path):
    """`svgd_steps` (--critic-svgd-steps) measures the run's critic with L SVGD steps: the rows of a copy of the run
    whose config.json names that L instead of the run's 2."""
    import shutil

    from ebrl.studies.entropy.study import study_e

    copy = tmp_path / "run"
    shutil.copytree(multigoal_run, copy)
    config = json.loads((copy / "config.json").read_text())
    assert config["agent"]["svgd_steps"] == 2
    config["agent"]["svgd_steps"] = 5
    (copy / "config.json").write_text(json.dumps(config))
    sizes = {"chains": 300, "runs": 20, "fold_runs": 4, "rules": ("hutchinson",)}
    rows = study_e(multigoal_run, svgd_steps=5, **sizes)
    assert [row["svgd_steps"] for row in rows] == [5] * len(rows)
    assert rows == study_e(copy, **sizes)
