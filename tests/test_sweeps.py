"""Sweeps: a grid of settings × seeds in one program, each member a run directory as if trained alone; resume,
extension, overwrite, the lock, evaluation, export and loading per member; bad input."""

import json
import shutil

import numpy as np
import pytest

import ebrl
from ebrl.commands import main
from ebrl.results.files import read_csv
from ebrl.runs import RunLock, load_run, read_metrics
from tests.conftest import TINY
from tests.helpers import stamps
from tests.test_cli import fails_cleanly
from tests.test_groups import drop_last_checkpoint, numeric_rows
from tests.test_train import metrics_without_timing

SWEEP = ["--sweep", "actor_lr=0.0003,0.001", "--sweep", "tau=0.005,0.01", "--seeds", "0", "1"]
SETTINGS = ["actor_lr=0.0003,tau=0.005", "actor_lr=0.0003,tau=0.01", "actor_lr=0.001,tau=0.005",
            "actor_lr=0.001,tau=0.01"]
MEMBERS = [f"{setting}/seed_{seed}" for setting in SETTINGS for seed in (0, 1)]


@pytest.fixture(scope="module")
def sweep(tmp_path_factory):
    """A finished tiny SAC sweep on Pendulum: 2 actor learning rates × 2 τ × seeds 0 and 1, 600 steps."""
    out = tmp_path_factory.mktemp("sweep") / "s"
    assert main(["train", *TINY, *SWEEP, "--out", str(out)]) == 0
    return out


@pytest.mark.slow
def test_a_sweep_writes_one_run_directory_per_member_with_its_values(sweep):
    assert sorted(str(p.relative_to(sweep)) for p in sweep.glob("*/seed_*")) == sorted(MEMBERS)
    for member in MEMBERS:
        config = json.loads((sweep / member / "config.json").read_text())
        setting, seed = member.split("/seed_")
        assert {f"{name}={config['agent'][name]!r}" for name in ("actor_lr", "tau")} == set(setting.split(","))
        assert config["train"]["seed"] == int(seed)
        assert [row["step"] for row in read_metrics(sweep / member)] == [200.0, 400.0, 600.0]
    rows = [numeric_rows(sweep / member) for member in MEMBERS]
    assert all(not np.array_equal(rows[0], other) for other in rows[1:])  # every member trains something else


@pytest.mark.slow
def test_a_member_trains_as_its_settings_do_alone(sweep, tiny_run, tmp_path):
    """The member with the default settings and seed 0 against the single run, and the member with actor_lr 0.001,
    τ 0.01, seed 1 against seed 1 of a group with those settings: the same data and keys, only the batched
    arithmetic and the settings as leaves instead of constants differ (float rounding), as for a seed of a group."""
    np.testing.assert_allclose(numeric_rows(sweep / MEMBERS[0]), numeric_rows(tiny_run), rtol=1e-3)
    group = tmp_path / "group"
    assert main(["train", *TINY, "--actor-lr", "0.001", "--tau", "0.01", "--seeds", "0", "1", "--out",
                 str(group)]) == 0
    np.testing.assert_allclose(numeric_rows(sweep / MEMBERS[-1]), numeric_rows(group / "seed_1"), rtol=1e-3)


@pytest.mark.slow
def test_a_resumed_sweep_equals_the_uninterrupted_one_and_extends(sweep, tmp_path):
    """Each member's settings come back from its config.json (checkpoints hold none)."""
    out = tmp_path / "resumed"
    shutil.copytree(sweep, out)
    for setting in SETTINGS:
        drop_last_checkpoint(out / setting, [0, 1])
    assert main(["train", "--resume", str(out), "--no-progress"]) == 0
    for member in MEMBERS:
        assert metrics_without_timing(out / member) == metrics_without_timing(sweep / member)
    assert main(["train", "--resume", str(out), "--steps", "800", "--no-progress"]) == 0
    for member in MEMBERS:
        assert metrics_without_timing(out / member)[:3] == metrics_without_timing(sweep / member)
        assert metrics_without_timing(out / member)[-1]["step"] == "800"
        config = json.loads((out / member / "config.json").read_text())
        assert config["changes"] == [{"step": 600, "train": {"steps": 800}}]


def test_each_member_is_a_run_to_evaluate_export_and_load(sweep, capsys, tmp_path):
    member = sweep / MEMBERS[-1]
    assert load_run(member).agent.hyper.actor_lr == 0.001 and load_run(member).agent.hyper.tau == 0.01
    assert main(["eval", str(member), "--checkpoint", "best", "--episodes", "2", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["step"] in (200, 400, 600)
    assert main(["export", str(member), "--out", str(tmp_path / "policy.jax")]) == 0
    assert ebrl.load(member, checkpoint="best").predict(np.zeros(3)).shape == (1,)
    fails_cleanly(capsys, ["eval", str(sweep)], "is a sweep", MEMBERS[0])


def test_plot_of_a_sweep_writes_its_table_and_a_figure_per_swept_field(sweep, capsys):
    assert main(["plot", str(sweep)]) == 0
    figures = sweep / "figures"
    for name in ("learning_curve.png", "sweep_actor_lr.png", "sweep_tau.png"):
        assert (figures / name).stat().st_size > 10_000
    rows = read_csv(figures / "sweep.csv")
    assert [f"actor_lr={row['actor_lr']},tau={row['tau']}" for row in rows] == SETTINGS
    for row, setting in zip(rows, SETTINGS):
        finals = [read_metrics(sweep / setting / f"seed_{seed}")[-1]["eval/mean/return_mean"] for seed in (0, 1)]
        assert (row["seeds"], row["step"], row["mode"]) == ("0 1", "600", "mean")
        assert float(row["final_mean"]) == pytest.approx(np.mean(finals))
        assert float(row["iqm"]) == pytest.approx(np.mean(finals))  # the IQM of two seeds is their mean
        assert float(row["iqm_low"]) <= float(row["iqm"]) <= float(row["iqm_high"])
    printed = capsys.readouterr().out
    assert "| actor_lr | tau | seeds |" in printed and printed.count("\n| 0.00") == 4


@pytest.mark.slow
def test_every_member_can_start_from_another_run(tiny_run, tmp_path):
    out = tmp_path / "from"
    short = [*TINY[:TINY.index("--steps")], "--steps", "200", *TINY[TINY.index("--steps") + 2:]]
    assert main(["train", *short, "--sweep", "critic_lr=0.0003,0.001", "--init-from", str(tiny_run), "--out",
                 str(out)]) == 0
    for setting in ("critic_lr=0.0003", "critic_lr=0.001"):
        config = json.loads((out / setting / "seed_0" / "config.json").read_text())
        assert config["init_from"]["source"] == str(tiny_run) and config["init_from"]["step"] == 600


@pytest.mark.slow
def test_existing_sweep_is_kept_or_overwritten_and_its_members_locked(sweep, capsys, tmp_path):
    out = tmp_path / "copy"
    shutil.copytree(sweep, out)
    before = stamps(out)
    fails_cleanly(capsys, ["train", *TINY, *SWEEP, "--out", str(out)], "already holds runs", "--resume")
    fails_cleanly(capsys, ["train", "--resume", str(out), "--seeds", "0"], "holds seeds [0, 1]")
    fails_cleanly(capsys, ["train", "--resume", str(out), "--actor-lr", "0.01"], "--actor-lr differ between the "
                  "members")
    with RunLock(out / MEMBERS[3]):
        fails_cleanly(capsys, ["train", "--resume", str(out), "--steps", "800"], "is being trained by another process")
        fails_cleanly(capsys, ["train", *TINY, "--sweep", "actor_lr=0.001", "--out", str(out), "--overwrite"],
                      "is being trained by another process")
    assert stamps(out) == before
    assert main(["train", *TINY, "--sweep", "actor_lr=0.001", "--out", str(out), "--overwrite"]) == 0
    assert sorted(str(p.relative_to(out)) for p in out.rglob("seed_*")) == ["actor_lr=0.001/seed_0"]
    assert [p.name for p in out.iterdir() if "=" in p.name] == ["actor_lr=0.001"]  # the others' folders are gone


@pytest.mark.slow
def test_a_diverging_member_stops_the_sweep_on_its_last_finite_checkpoint(capsys, tmp_path):
    out = tmp_path / "s"
    later = [*TINY[:TINY.index("--learning-starts")], "--learning-starts", "400",
             *TINY[TINY.index("--learning-starts") + 2:]]
    assert main(["train", *later, "--sweep", "critic_lr=0.0003,1000", "--out", str(out)]) == 3
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert "critic_lr=1000.0 seed 0 diverged by step" in err and f"ebrl train --resume {out}`" in err, err
    shutil.rmtree(out / "critic_lr=1000.0")  # as the message says: the other settings continue
    assert main(["train", "--resume", str(out), "--no-progress"]) == 0
    assert read_metrics(out / "critic_lr=0.0003" / "seed_0")[-1]["step"] == 600


@pytest.mark.parametrize("flags, fragments", [
    (["--sweep", "batch_size=16,32"], ["--sweep: batch_size is compiled into the program", "--batch-size V"]),
    (["--sweep", "hidden=16,32"], ["--sweep: hidden is compiled into the program"]),
    (["--sweep", "no_such_lr=0.1"], ["--sweep: sac has no setting 'no_such_lr'", "actor_lr"]),
    (["--sweep", "actor_lr="], ["--sweep: actor_lr has no values"]),
    (["--sweep", "actor_lr=0.001,fast"], ["--sweep: actor_lr takes numbers, got 'fast'"]),
    (["--sweep", "actor_lr=0.001,nan"], ["--sweep: actor_lr takes numbers, got nan"]),
    (["--sweep", "actor_lr=0.001,1e-3"], ["--sweep: actor_lr lists 0.001 more than once"]),
    (["--sweep", "actor_lr"], ["--sweep takes FIELD=V1,V2,..., got 'actor_lr'"]),
    (["--sweep", "actor_lr=0.1", "--sweep", "actor-lr=0.2"], ["--sweep names actor_lr twice"]),
    (["--sweep", "actor_lr=-0.001,0.001"], ["--actor-lr must be positive, got -0.001"]),
    (["--sweep", "gamma=0.9,1.5"], ["--gamma must lie in (0, 1], got 1.5"]),
    (["--algo", "sql", "--sweep", "alpha=0,0.5"], ["alpha=0.0 and alpha=0.5 need different compiled programs"]),
    (["--algo", "sql", "--sweep", "alpha=0.5", "--sweep", "reward_scale=1,2"], ["train the same agent"]),
])
def test_bad_sweep_input_is_one_line_and_writes_nothing(capsys, tmp_path, flags, fragments):
    out = tmp_path / "s"
    fails_cleanly(capsys, ["train", *TINY, *flags, "--out", str(out)], *fragments)
    assert not out.exists()
