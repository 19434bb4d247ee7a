"""Seed groups: one program trains several seeds; resume, drivers and bad input."""

import csv
import shutil
import signal

import numpy as np
import pytest

from ebrl.commands import main
from tests.conftest import TINY
from tests.helpers import stamps
from tests.test_cli import fails_cleanly
from tests.test_train import LONGER, metrics_without_timing, start_training, wait_for_checkpoint

SEEDS = ["--seeds", "0", "1", "2"]
MULTIGOAL = [*TINY[:TINY.index("--env")], "--env", "ebrl/MultiGoal3-v0", *TINY[TINY.index("--env") + 2:],
             "--no-pictures"]


@pytest.fixture(scope="module")
def group(tmp_path_factory):
    """A finished 3-seed tiny SAC group on Pendulum (Gymnasium driver), 1600 steps."""
    out = tmp_path_factory.mktemp("group") / "g"
    assert main(["train", *LONGER, *SEEDS, "--out", str(out)]) == 0
    return out


def numeric_rows(run_dir):
    with (run_dir / "metrics.csv").open(newline="") as f:
        return np.array([[float(v) for k, v in row.items() if k not in ("time_s", "sps") and v != ""]
                         for row in csv.DictReader(f)])


@pytest.mark.slow
def test_a_group_writes_one_run_directory_per_seed(group):
    runs = sorted(p.name for p in group.iterdir())
    assert runs == ["seed_0", "seed_1", "seed_2"]
    rows = [metrics_without_timing(group / run) for run in runs]
    assert [[row["step"] for row in r] for r in rows] == [[str(200 * i) for i in range(1, 9)]] * 3
    assert rows[0] != rows[1] != rows[2]  # the seeds differ
    import json

    assert [json.loads((group / run / "config.json").read_text())["train"]["seed"] for run in runs] == [0, 1, 2]


def test_a_seed_in_a_group_trains_as_it_does_alone(group, tiny_run):
    """Seed 0 of the group and the single run with seed 0 (600 of the group's 1600 steps) see the same data and
    keys; only the batched arithmetic differs (float rounding), so their metrics agree closely."""
    np.testing.assert_allclose(numeric_rows(group / "seed_0")[:3], numeric_rows(tiny_run), rtol=1e-3)


@pytest.mark.slow
def test_group_resume_after_sigkill_equals_uninterrupted(group, tmp_path):
    out = tmp_path / "killed"
    process = start_training(out, *SEEDS)
    for seed in range(3):
        wait_for_checkpoint(out / f"seed_{seed}", process)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert main(["train", "--resume", str(out), "--no-progress"]) == 0
    for seed in range(3):
        assert metrics_without_timing(out / f"seed_{seed}") == metrics_without_timing(group / f"seed_{seed}")


@pytest.mark.slow
def test_group_ctrl_c_checkpoints_and_resume_equals_uninterrupted(group, tmp_path):
    out = tmp_path / "interrupted"
    process = start_training(out, *SEEDS)
    wait_for_checkpoint(out / "seed_2", process)
    process.send_signal(signal.SIGINT)
    output = process.communicate(timeout=120)[0].decode()
    assert process.returncode == 130 and "Traceback" not in output, output
    assert f"ebrl train --resume {out}" in " ".join(output.split()), output  # rich may wrap the line
    assert main(["train", "--resume", str(out), "--seeds", "0", "1", "2", "--no-progress"]) == 0
    for seed in range(3):
        assert metrics_without_timing(out / f"seed_{seed}") == metrics_without_timing(group / f"seed_{seed}")


def drop_last_checkpoint(out, seeds):
    """Delete each seed's newest checkpoint: the state of a group killed just before it wrote them."""
    for seed in seeds:
        checkpoints = out / f"seed_{seed}" / "checkpoints"
        shutil.rmtree(checkpoints / str(max(int(p.name) for p in checkpoints.iterdir() if p.name.isdigit())))


@pytest.mark.slow
@pytest.mark.parametrize("env", ["HalfCheetah-v5", "ebrl/MultiGoal3-v0"])
def test_resume_without_replay_is_exact(env, tmp_path):
    """HalfCheetah's episodes, cut to 300 steps (evaluations are cheaper), still outlast the 200 steps between
    checkpoints, which fall mid-episode: resume writes the saved simulator state back; MultiGoal3 trains with the
    on-device driver, whose checkpoints hold the environment."""
    episodes = ["--env-kwargs", '{"max_episode_steps": 300}'] if env == "HalfCheetah-v5" else []
    flags = [*TINY[:TINY.index("--env")], "--env", env, *TINY[TINY.index("--env") + 2:], "--steps", "400",
             "--seeds", "0", "1", "--no-pictures", *episodes]
    full, resumed = tmp_path / "full", tmp_path / "resumed"
    assert main(["train", *flags, "--out", str(full)]) == 0
    shutil.copytree(full, resumed)
    drop_last_checkpoint(resumed, [0, 1])
    assert main(["train", "--resume", str(resumed), "--no-progress"]) == 0
    for seed in (0, 1):
        assert metrics_without_timing(resumed / f"seed_{seed}") == metrics_without_timing(full / f"seed_{seed}")


@pytest.mark.slow
def test_the_on_device_driver_equals_the_gymnasium_driver(tmp_path):
    """On MultiGoal3 both drivers draw the same actions from the same keys and step the same dynamics (NumPy in
    Gymnasium, jax.numpy on the device): equal metrics up to float rounding."""
    flags = [*MULTIGOAL, "--seeds", "0", "1"]
    assert main(["train", *flags, "--driver", "jax", "--out", str(tmp_path / "jax")]) == 0
    assert main(["train", *flags, "--driver", "gym", "--vector", "async", "--out", str(tmp_path / "gym")]) == 0
    for seed in (0, 1):
        jax_rows = numeric_rows(tmp_path / "jax" / f"seed_{seed}")
        gym_rows = numeric_rows(tmp_path / "gym" / f"seed_{seed}")
        assert jax_rows.shape == gym_rows.shape == (3, jax_rows.shape[1])
        np.testing.assert_allclose(jax_rows, gym_rows, rtol=1e-4)


def test_plot_of_a_group_averages_its_seeds(group):
    from ebrl.runs import expand_runs

    assert expand_runs([group]) == [group / f"seed_{k}" for k in range(3)]
    assert main(["plot", str(group)]) == 0
    assert (group / "figures" / "learning_curve.png").stat().st_size > 10_000


@pytest.mark.parametrize("flags, fragments", [
    (["--seeds", "0", "1", "0"], ["--seeds lists 0 more than once"]),
    (["--seed", "1", "--seeds", "0", "1"], ["--seed and --seeds exclude each other"]),
    (["--seeds", *map(str, range(64)), "--buffer-size", "2000000000", "--steps", "2000000000"],
     ["replay buffers of 64 seed(s) need", "GiB", "--buffer-size"]),
    (["--seeds", "0", "1", "--driver", "jax"], ["--driver jax needs", "Pendulum-v1 has no JAX implementation"]),
    (["--seeds", "0", "--driver", "cuda"], ["invalid value for --driver"]),
])
def test_bad_group_input_is_one_line(capsys, tmp_path, flags, fragments):
    out = tmp_path / "g"
    fails_cleanly(capsys, ["train", *TINY, *flags, "--out", str(out)], *fragments)
    assert not out.exists()


def test_existing_group_is_kept(capsys, group):
    before = stamps(group)
    fails_cleanly(capsys, ["train", *LONGER, *SEEDS, "--out", str(group)], "already holds runs", "--resume")
    fails_cleanly(capsys, ["train", "--resume", str(group), "--seeds", "0", "1"], "holds seeds [0, 1, 2]")
    fails_cleanly(capsys, ["train", "--resume", str(group)], "already at step 1600")
    assert stamps(group) == before


def test_continue_reuses_a_finished_group_and_refuses_other_settings(group, capsys):
    import dataclasses

    import ebrl
    from ebrl.config import ConfigError
    from ebrl.runs import read_spec

    spec = read_spec(group / "seed_0")
    before = stamps(group)
    results = ebrl.train(spec, seeds=[0, 1, 2], out=group, existing="continue")
    assert [(r.seed, r.last_row["step"]) for r in results] == [(0, 1600), (1, 1600), (2, 1600)]
    assert stamps(group) == before  # reused, not retrained
    other = dataclasses.replace(spec, agent=dataclasses.replace(spec.agent, actor_lr=1e-4))
    with pytest.raises(ConfigError, match="holds a run with other settings"):
        ebrl.train(other, seeds=[0, 1, 2], out=group, existing="continue")
    with pytest.raises(ConfigError, match=r"holds a group with seeds \[0, 1, 2\], not \[0, 1\]"):
        ebrl.train(spec, seeds=[0, 1], out=group, existing="continue")
    fails_cleanly(capsys, ["eval", str(group)], "is a group of seeds [0, 1, 2]", "seed_0")
    assert stamps(group) == before


@pytest.mark.slow
def test_a_group_killed_while_its_seeds_wrote_a_checkpoint_resumes(group, tmp_path):
    """Seeds 0 and 1 saved step 1600, seed 2 only orbax's temporary folder: the group resumes from 1400, drops the
    1600 checkpoints it will write again, and ends equal to the uninterrupted group."""
    out = tmp_path / "partial"
    shutil.copytree(group, out)
    checkpoints = out / "seed_2" / "checkpoints"
    shutil.rmtree(checkpoints / "1600")
    (checkpoints / "1600.orbax-checkpoint-tmp-1").mkdir()
    assert main(["train", "--resume", str(out), "--no-progress"]) == 0
    for seed in range(3):
        assert metrics_without_timing(out / f"seed_{seed}") == metrics_without_timing(group / f"seed_{seed}")
        assert sorted(p.name for p in (out / f"seed_{seed}" / "checkpoints").iterdir() if p.name.isdigit()) == \
            ["1400", "1600"]
