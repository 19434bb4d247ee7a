import pytest

from ebrl.runs import read_metrics
from tests.helpers import train_compiled_optimised


@pytest.mark.slow
def test_sql_learns_multigoal_for_every_seed_of_a_group(tmp_path):
    """With the MultiGoal preset (shortened), a 2-seed group (one program, on-device driver): for every seed,
    stochastic evaluation episodes mostly reach goals, more than one.

    Seeds 0–4 as one group, the same on the 2-vCPU Intel machine (ebrl 0.3) and the 2-vCPU AMD EPYC one (ebrl 0.4):
    goal fractions 1.0, 0.9, 0.8, 0.65, 0.8 of 20 episodes, every seed at all four goals (fewest hits of a goal: 2).
    Thresholds: 0.5 (three episodes below the lowest seed) and three goals reached. Two seeds here, to save CI
    time."""
    out = tmp_path / "sql"
    train_compiled_optimised(["--algo", "sql", "--env", "ebrl/MultiGoal-v0", "--steps", "5000", "--eval-every", "5000",
                              "--eval-episodes", "20", "--no-pictures", "--no-progress", "--seeds", "0", "1",
                              "--out", str(out)])
    for seed in range(2):
        final = read_metrics(out / f"seed_{seed}")[-1]
        hits = [final[f"eval/sample/goal_hits_{g}"] for g in range(4)]
        assert final["step"] == 5000
        assert final["eval/sample/goal_fraction"] >= 0.5, (seed, hits)
        assert sum(h > 0 for h in hits) >= 3, (seed, hits)
