"""`ebrl tune`: the search space, trials scored from their runs' metrics, a diverging trial pruned, a tuning that
continues in its storage, the pruner stopping a trial, and bad input."""

import csv
import json
import signal
import subprocess
import sys
import time

import optuna
import pytest

from ebrl import tune
from ebrl.commands import main
from ebrl.runs import read_metrics
from ebrl.tune import Dimension, TrialReporter
from tests.test_cli import fails_cleanly

TRIAL = ["--algo", "sac", "--env", "Pendulum-v1", "--steps", "400", "--eval-every", "200", "--eval-episodes", "1",
         "--random-steps", "100", "--learning-starts", "100", "--batch-size", "16", "--chunk", "50", "--hidden", "16",
         "16", "--seeds", "0", "1"]


def test_the_space_reads_ranges_and_choices():
    assert Dimension.parse("actor_lr=log:1e-4:1e-2") == Dimension("actor_lr", "log", 1e-4, 1e-2)
    assert Dimension.parse("particles=int:4:32").values() == [4, 32]
    hidden = Dimension.parse("hidden=choice:[64,64]|[256,256]")
    assert hidden.choices == ((64, 64), (256, 256))
    assert Dimension.parse("activation=choice:relu|tanh").choices == ("relu", "tanh")


class FakeTrial:
    def __init__(self, prune_at: int):
        self.prune_at, self.reported = prune_at, []

    def report(self, value, step):
        self.reported.append((step, value))

    def should_prune(self):
        return self.reported[-1][0] >= self.prune_at


def test_the_score_is_the_mean_over_seeds_and_the_pruner_stops_the_trial():
    reporter = TrialReporter(FakeTrial(prune_at=400), n_seeds=2)
    reporter.on_row(0, {"step": 200, "eval/mean/return_mean": -10.0, "eval/sample/return_mean": 5.0})
    assert reporter.scores == []  # one seed of two
    reporter.on_row(1, {"step": 200, "eval/mean/return_mean": -20.0})
    assert reporter.trial.reported == [(200, -15.0)]
    reporter.on_row(0, {"step": 300, "loss": 1.0})  # a row without evaluation
    reporter.on_row(0, {"step": 400, "eval/mean/return_mean": 1.0})
    with pytest.raises(optuna.TrialPruned, match=r"step 400 with 2\.00"):
        reporter.on_row(1, {"step": 400, "eval/mean/return_mean": 3.0})


@pytest.mark.slow
def test_a_tuning_scores_its_trials_from_their_runs_and_continues(tmp_path, capsys):
    out = tmp_path / "tune"
    space = ["--space", "actor_lr=log:1e-4:1e-2", "--space", "hidden=choice:[8,8]|[16,16]"]
    assert main(["tune", *TRIAL, *space, "--trials", "2", "--out", str(out)]) == 0
    assert main(["tune", *TRIAL, *space, "--trials", "3", "--out", str(out)]) == 0  # one more trial
    assert sorted(p.name for p in out.glob("trial_*")) == ["trial_0", "trial_1", "trial_2"]
    with open(out / "trials.csv") as f:
        rows = list(csv.DictReader(f))
    assert [row["state"] for row in rows] == ["COMPLETE"] * 3
    for row in rows:
        finals = [read_metrics(out / f"trial_{row['trial']}" / f"seed_{k}")[-1]["eval/mean/return_mean"]
                  for k in (0, 1)]
        assert float(row["score"]) == pytest.approx(sum(finals) / 2)
        config = json.loads((out / f"trial_{row['trial']}" / "seed_0" / "config.json").read_text())
        assert config["agent"]["actor_lr"] == pytest.approx(json.loads(row["actor_lr"]))
        assert config["agent"]["hidden"] == json.loads(row["hidden"])
    best = json.loads((out / "best.json").read_text())
    assert best["best_score"] == max(float(row["score"]) for row in rows)
    assert set(best["importances"]) == {"actor_lr", "hidden"}
    assert "## Best" in (out / "tune.md").read_text()
    capsys.readouterr()
    fails_cleanly(capsys, ["tune", *TRIAL, "--space", "critic_lr=log:1e-4:1e-2", "--trials", "4", "--out", str(out)],
                  "tunes something else (another space)")


@pytest.mark.slow
def test_a_killed_tuning_continues_with_the_same_command(tmp_path, monkeypatch):
    """Killed during its second trial, the tuning continues: the trial it was running is failed (its heartbeat
    stopped) and not counted, and the study ends with the trials asked for."""
    out = tmp_path / "tune"
    command = ["tune", *TRIAL, "--space", "actor_lr=log:1e-4:1e-2", "--trials", "3", "--out", str(out)]
    process = subprocess.Popen([sys.executable, "-m", "ebrl", *command], stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 300
    while not (out / "trial_1" / "seed_0" / "config.json").exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    process.send_signal(signal.SIGKILL)
    process.wait()
    monkeypatch.setattr(tune, "HEARTBEAT_S", 1)  # the killed trial's heartbeat is older than 2 s by now
    time.sleep(2)
    assert main(command) == 0
    with open(out / "trials.csv") as f:
        states = {int(row["trial"]): row["state"] for row in csv.DictReader(f)}
    assert states[1] == "FAIL" and sorted(states.values()) == ["COMPLETE", "COMPLETE", "COMPLETE", "FAIL"]


@pytest.mark.slow
def test_a_diverging_trial_is_pruned_not_fatal(tmp_path):
    out = tmp_path / "tune"
    assert main(["tune", *TRIAL, "--space", "critic_lr=choice:1e9|2e9", "--trials", "2", "--out", str(out)]) == 0
    with open(out / "trials.csv") as f:
        assert [row["state"] for row in csv.DictReader(f)] == ["PRUNED", "PRUNED"]


@pytest.mark.parametrize("space, fragments", [
    ([], ["the search space names no field; give one with --space"]),
    (["--space", "actor_lr=1e-4:1e-2"], ["is not FIELD=KIND:..."]),
    (["--space", "actor_lr=log:0:1"], ["a log range needs a positive low bound"]),
    (["--space", "actor_lr=float:1:0.5"], ["the low bound 1 must be below the high one 0.5"]),
    (["--space", "widths=int:1:4"], ["--space widths: not a field of sac's config or of the training loop"]),
    (["--space", "steps=int:100:200"], ["the task, seeds and budget are the same for every trial"]),
    (["--space", "batch_size=int:0:16"], ["--space batch_size=0:", "batch_size"]),
    (["--space", "hidden=choice:[16]"], ["give two choices or more"]),
    (["--space", "gamma=log:0.9:0.99", "--space", "gamma=float:0.9:0.99"], ["names gamma twice"]),
])
def test_bad_input_is_one_line_and_writes_nothing(tmp_path, capsys, space, fragments):
    out = tmp_path / "tune"
    fails_cleanly(capsys, ["tune", *TRIAL, *space, "--out", str(out)], *fragments)
    assert not out.exists()
