import csv

import pytest

from ebrl.cli import main


@pytest.mark.slow
def test_s2ac_learns_multigoal3(tmp_path):
    """The main job (S2AC(φ) with the MultiGoal preset), shortened to 4000 steps with 2×128 critics: its policy,
    a uniformly random particle (the preset's evaluation rule), reaches goals in most of 20 episodes, and more than
    one goal.

    Seeds 0–4 on the 2-vCPU Intel machine: goal fractions 0.95, 0.95, 0.95, 0.95, 0.95; hits (G1, G2, G3)
    (12, 0, 7), (12, 7, 0), (5, 0, 14), (7, 3, 9), (10, 8, 1). Thresholds: 0.75 (four episodes of margin) and
    two goals reached."""
    run_dir = tmp_path / "s2ac"
    assert main(["train", "--steps", "4000", "--critic-hidden", "128", "128", "--eval-every", "4000",
                 "--no-pictures", "--no-progress", "--out", str(run_dir)]) == 0
    with (run_dir / "metrics.csv").open() as f:
        final = list(csv.DictReader(f))[-1]
    hits = [int(final[f"eval/random/goal_hits_{g}"]) for g in range(3)]
    assert float(final["eval/random/goal_fraction"]) >= 0.75, hits
    assert sum(h > 0 for h in hits) >= 2, hits
