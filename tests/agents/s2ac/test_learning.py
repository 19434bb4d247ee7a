import pytest

from ebrl.runs import read_metrics
from tests.helpers import train_compiled_optimised


@pytest.mark.slow
def test_s2ac_learns_multigoal3_for_every_seed_of_a_group(tmp_path):
    """The main job (S2AC(φ) with the MultiGoal preset), shortened to 4000 steps with 2×128 critics, as a 2-seed
    group (one program, on-device driver): for every seed, its policy, a uniformly random particle (the preset's
    evaluation rule), reaches goals in most of 20 episodes, and more than one goal.

    Seeds 0–4 as one group, the same on the 2-vCPU Intel machine (ebrl 0.3) and the 2-vCPU AMD EPYC one (ebrl 0.4):
    goal fractions 0.95, 0.9, 1.0, 0.9, 0.95; hits (G1, G2, G3) (12, 0, 7), (11, 7, 0), (4, 0, 16), (7, 2, 9),
    (10, 8, 1). Thresholds: 0.75 (three episodes of margin) and two goals reached. Two seeds here, to save CI
    time."""
    out = tmp_path / "s2ac"
    train_compiled_optimised(["--steps", "4000", "--critic-hidden", "128", "128", "--eval-every", "4000",
                              "--no-pictures", "--no-progress", "--seeds", "0", "1", "--out", str(out)])
    for seed in range(2):
        final = read_metrics(out / f"seed_{seed}")[-1]
        hits = [final[f"eval/random/goal_hits_{g}"] for g in range(3)]
        assert final["step"] == 4000
        assert final["eval/random/goal_fraction"] >= 0.75, (seed, hits)
        assert sum(h > 0 for h in hits) >= 2, (seed, hits)
