import csv

import pytest

from ebrl.cli import main


@pytest.mark.slow
def test_s2ac_learns_multigoal3(tmp_path):
    """The main job (S2AC(φ) with the MultiGoal preset), shortened to 4000 steps with 2×128 critics: the default
    evaluation rule (softmax over the particles) reaches goals in most episodes."""
    run_dir = tmp_path / "s2ac"
    assert main(["train", "--steps", "4000", "--critic-hidden", "128", "128", "--eval-every", "4000",
                 "--no-pictures", "--no-progress", "--out", str(run_dir)]) == 0
    with (run_dir / "metrics.csv").open() as f:
        final = list(csv.DictReader(f))[-1]
    assert float(final["eval/softmax/goal_fraction"]) >= 0.7, final
