"""The GPU-scaling benchmark runs on a CPU too (a smoke run with tiny networks) and reports consistent figures."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).parents[1] / "benchmarks"


@pytest.mark.slow
def test_gpu_scaling_runs_and_its_aggregates_are_seeds_times_the_per_seed_rate(tmp_path):
    out = tmp_path / "scaling.json"
    done = subprocess.run([sys.executable, str(BENCHMARKS / "gpu_scaling.py"), "--tiny", "--algos", "sac",
                           "--seed-counts", "1", "2", "--groups", "1", "--group-seeds", "1", "--warmup", "50",
                           "--interval", "50", "--intervals", "1", "--out", str(out)],
                          check=False, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    results = json.loads(out.read_text())
    assert results["backend"] == "cpu" and results["env"] == "Hopper-v5"
    assert [(row["algo"], row["seeds"]) for row in results["programs"]] == [("sac", 1), ("sac", 2)]
    for row in results["programs"]:
        assert row["per_seed"] > 0 and abs(row["aggregate"] - row["seeds"] * row["per_seed"]) < 1e-9
    assert [(row["groups"], row["seeds_per_group"]) for row in results["shared"]] == [(1, 1)]
    assert results["shared"][0]["aggregate"] > 0
    assert "sac: 2 seeds / 1 seed(s), aggregate:" in done.stdout
