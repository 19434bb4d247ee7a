"""The training loop: repeatability, exact resume after Ctrl-C (after SIGKILL: tests/test_safety.py), and learning."""

import csv
import json
import os
import signal
import subprocess
import sys
import time

import pytest

from ebrl.commands import main
from ebrl.loop.trainer import TIMING_COLUMNS
from tests.conftest import LONGER
from tests.helpers import train_compiled_optimised


def metrics_without_timing(run_dir):
    with (run_dir / "metrics.csv").open(newline="") as f:
        return [{k: v for k, v in row.items() if k not in TIMING_COLUMNS} for row in csv.DictReader(f)]


@pytest.mark.slow
def test_same_seed_same_metrics(uninterrupted, tmp_path):
    assert main(["train", *LONGER, "--out", str(tmp_path / "again")]) == 0
    rows = metrics_without_timing(uninterrupted)
    assert len(rows) == 8 and rows[-1]["step"] == "1600"
    assert metrics_without_timing(tmp_path / "again") == rows


@pytest.mark.slow
def test_another_seed_gives_other_metrics(uninterrupted, tmp_path):
    assert main(["train", *LONGER, "--seed", "1", "--out", str(tmp_path / "seed1")]) == 0
    assert metrics_without_timing(tmp_path / "seed1") != metrics_without_timing(uninterrupted)


def start_training(run_dir, *extra):
    env = dict(os.environ, PYTHONUNBUFFERED="1", COLUMNS="1000")  # rich wraps at COLUMNS; keep paths on one line
    return subprocess.Popen([sys.executable, "-m", "ebrl", "train", *LONGER, "--out", str(run_dir), *extra],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env)


def wait_for_checkpoint(run_dir, process, timeout=120):
    """Block until the first finished checkpoint exists; returns its step."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        steps = [int(p.name) for p in (run_dir / "checkpoints").glob("*") if p.name.isdigit()]
        if steps:
            return min(steps)
        assert process.poll() is None, process.stdout.read().decode()
        time.sleep(0.02)
    raise TimeoutError("no checkpoint appeared")


@pytest.mark.slow
def test_ctrl_c_checkpoints_and_resume_equals_uninterrupted(uninterrupted, tmp_path):
    run_dir = tmp_path / "interrupted"
    process = start_training(run_dir)
    wait_for_checkpoint(run_dir, process)
    process.send_signal(signal.SIGINT)
    output = process.communicate(timeout=120)[0].decode()
    assert process.returncode == 130, output
    assert "Traceback" not in output and "ebrl train --resume" in output
    saved = max(int(p.name) for p in (run_dir / "checkpoints").glob("*") if p.name.isdigit())
    assert 0 < saved < 1600  # the final checkpoint is where Ctrl-C stopped the run
    assert main(["train", "--resume", str(run_dir)]) == 0
    assert metrics_without_timing(run_dir) == metrics_without_timing(uninterrupted)


def test_resume_can_extend_a_finished_run(tiny_run, tmp_path):
    import shutil

    run_dir = tmp_path / "extended"
    shutil.copytree(tiny_run, run_dir)
    assert main(["train", "--resume", str(run_dir), "--steps", "800"]) == 0
    rows = metrics_without_timing(run_dir)
    assert [row["step"] for row in rows] == ["200", "400", "600", "800"]
    config = json.loads((run_dir / "config.json").read_text())
    assert config["train"]["steps"] == 600 and config["changes"] == [{"step": 600, "train": {"steps": 800}}]


@pytest.mark.slow
def test_a_resume_that_changes_settings_keeps_the_record(tiny_run, tmp_path, capsys):
    """config.json keeps the settings the run started with and lists each change with the step it took effect;
    the spec in effect (read_spec, a later resume, eval) is those settings with the changes applied in order."""
    import shutil

    from ebrl.runs import read_spec

    run_dir = tmp_path / "changed"
    shutil.copytree(tiny_run, run_dir)
    assert main(["train", "--resume", str(run_dir), "--steps", "800", "--critic-lr", "1e-4", "--no-progress"]) == 0
    assert main(["train", "--resume", str(run_dir), "--steps", "1000", "--no-progress"]) == 0
    config, first = (json.loads((d / "config.json").read_text()) for d in (run_dir, tiny_run))
    assert (config["train"], config["agent"]) == (first["train"], first["agent"])
    changes = [{"step": 600, "train": {"steps": 800}, "agent": {"critic_lr": 1e-4}},
               {"step": 800, "train": {"steps": 1000}}]
    assert config["changes"] == changes
    spec = read_spec(run_dir)
    assert spec.agent.critic_lr == 1e-4 and spec.train.steps == 1000
    capsys.readouterr()
    assert main(["eval", str(run_dir), "--episodes", "1", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["changes"] == changes
    assert main(["eval", str(run_dir), "--episodes", "1"]) == 0
    header = " ".join(capsys.readouterr().out.split())
    assert "steps=800 from step 600, critic_lr=0.0001 from step 600, steps=1000 from step 800" in header, header


def test_a_resume_from_before_a_recorded_change_moves_the_change_to_its_step():
    """Falling back to an earlier checkpoint trains again from there with the settings in effect now."""
    from ebrl.runs.spec import record_changes

    changes = [{"step": 400, "agent": {"critic_lr": 1e-4}},
               {"step": 800, "train": {"steps": 1200}, "agent": {"actor_lr": 1e-4}}]
    assert record_changes(changes, 600, {"agent": {"critic_lr": 1e-5}}) == [
        changes[0], {"step": 600, "train": {"steps": 1200}, "agent": {"actor_lr": 1e-4, "critic_lr": 1e-5}}]
    assert record_changes(changes, 800, {}) == changes
    assert record_changes([], 600, {}) == []


def test_eval_json(tiny_run, capsys):
    assert main(["eval", str(tiny_run), "--episodes", "3", "--mode", "sample", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["episodes"] == 3 and report["mode"] == "sample" and report["step"] == 600
    assert len(report["returns"]) == 3 and report["lengths"] == [200, 200, 200]
    assert abs(report["return_mean"] - sum(report["returns"]) / 3) < 1e-9
    assert -200 * 16.3 <= min(report["returns"]) <= max(report["returns"]) <= 0  # Pendulum's reward range


def test_eval_table(tiny_run, capsys):
    assert main(["eval", str(tiny_run), "--episodes", "2"]) == 0
    out = capsys.readouterr().out
    assert "return mean" in out and "mode mean" in out


def test_plot_learning_curves(tiny_run, tmp_path, capsys):
    assert main(["plot", str(tiny_run)]) == 0
    figure = tiny_run / "figures" / "learning_curve.png"
    assert figure.stat().st_size > 10_000
    assert main(["plot", str(tiny_run), str(tiny_run), "--out", str(tmp_path / "two.png")]) == 0
    assert (tmp_path / "two.png").stat().st_size > 10_000


@pytest.mark.slow
def test_sac_solves_pendulum(tmp_path):
    """The canonical sanity check (≥ −250 within 20 000 steps), with SAC's and the loop's defaults, checked at
    10 000 steps (5000 of them learning) to save CI time; the full 20 000-step runs are in docs/results/sac/.

    Seeds 0–4 as one group at 10 000 steps on the 2-vCPU AMD EPYC machine (ebrl 0.4): −179.7, −85.9, −109.5,
    −149.2, −141.9; the threshold is 70 below the worst. Seed 0 alone here, to save CI time (same machine and
    version): −180.2; a group's seed updates as it does alone up to rounding (test_vmapped_seeds_equal_single_seeds),
    which a few thousand steps amplify."""
    out = tmp_path / "pendulum"
    train_compiled_optimised(["--algo", "sac", "--env", "Pendulum-v1", "--steps", "10000", "--seeds", "0",
                              "--no-progress", "--out", str(out)])
    final = metrics_without_timing(out / "seed_0")[-1]
    assert final["step"] == "10000"
    assert float(final["eval/mean/return_mean"]) >= -250


def test_eval_video(tiny_run, tmp_path, monkeypatch):
    """Without a screen, and with nothing on stderr: no os.fork() warning of JAX's (imageio-ffmpeg's preexec_fn
    used to start ffmpeg), no SDL error of pygame's (Pendulum's renderer); no partial file left."""
    import imageio.v2 as imageio

    video = tmp_path / "pendulum.mp4"
    env = {k: v for k, v in os.environ.items()
           if k not in ("DISPLAY", "SDL_VIDEODRIVER", "IMAGEIO_FFMPEG_NO_PREVENT_SIGINT")}
    done = subprocess.run([sys.executable, "-m", "ebrl", "eval", str(tiny_run), "--episodes", "1", "--video",
                           str(video)], capture_output=True, text=True, env=env, timeout=300, check=False)
    assert done.returncode == 0 and done.stderr == "", done.stderr
    monkeypatch.setenv("IMAGEIO_FFMPEG_NO_PREVENT_SIGINT", "1")  # the reader's ffmpeg, from this process, too
    assert imageio.get_reader(video).count_frames() == 201  # the reset frame and 200 steps
    assert [path.name for path in tmp_path.iterdir()] == ["pendulum.mp4"]


def test_ornstein_uhlenbeck_noise_follows_its_recursion():
    """Behaviour = agent action + x_t, x_t = (1 − θ)x_{t−1} + σε_t from x = 0 at the episode's start (checked by
    running the recursion); the noise restarts with each episode."""
    import jax
    import jax.numpy as jnp
    import numpy as np

    from ebrl.config import TrainConfig
    from ebrl.core import Agent
    from ebrl.loop.learner import SeedState, make_learner

    still = Agent(init=lambda key: {}, act=lambda state, obs, key, mode, hyper=None: jnp.zeros((obs.shape[0], 2)),
                  update=None, q_value=None, action_modes=("sample",), train_mode="sample")
    sigma, theta, act_key = 0.05, 0.15, jax.random.key(7)
    learner = make_learner(still, TrainConfig(random_steps=0, ou_sigma=sigma, ou_theta=theta), 3, 2)
    state = SeedState({}, None, act_key, act_key)
    behaviour = jax.jit(learner.behaviour)
    noise_key = jax.random.split(act_key)[1]
    for episode_start in (0, 120):
        x = np.zeros(2)
        for step in range(episode_start, episode_start + 80):
            x = (1.0 - theta) * x + sigma * np.asarray(jax.random.normal(jax.random.fold_in(noise_key, step), (2,)))
            got = np.asarray(behaviour(state, jnp.zeros(3), step, episode_start))
            np.testing.assert_allclose(got, x, atol=2e-6)
    assert np.allclose(behaviour(state, jnp.zeros(3), 5, 0), behaviour(state, jnp.zeros(3), 5, 0))


def test_replay_observations_are_distinct_states_the_run_visited(tiny_run):
    """Pendulum's observation is (cos θ, sin θ, θ'): every state drawn lies on the unit circle in its first two
    coordinates, none repeats, and a run is not asked for more states than its replay holds."""
    import numpy as np

    from ebrl.config import ConfigError
    from ebrl.runs import replay_observations

    states = replay_observations(tiny_run, 50, seed=3)
    assert states.shape == (50, 3)
    np.testing.assert_allclose(states[:, 0] ** 2 + states[:, 1] ** 2, 1.0, atol=1e-5)
    assert len({tuple(row) for row in states.tolist()}) == 50
    np.testing.assert_array_equal(states, replay_observations(tiny_run, 50, seed=3))
    with pytest.raises(ConfigError, match="fewer than the 601 states"):
        replay_observations(tiny_run, 601)
