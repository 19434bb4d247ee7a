"""`ebrl.load(RUN).predict(observations)`: a run's policy in Python, actions in the task's bounds."""

import json
import shutil

import gymnasium as gym
import jax
import numpy as np
import pytest

import ebrl
from ebrl.commands import main
from ebrl.config import ConfigError
from ebrl.envs import episode_seed
from ebrl.loop.evaluate import EVAL_STREAM
from ebrl.runs import read_metrics
from tests.test_train import metrics_without_timing


def test_predict_plays_the_episode_ebrl_eval_plays_in_the_raw_environment(tiny_run, capsys):
    """Pendulum's torque lies in [−2, 2]: the actions of predict step gymnasium.make("Pendulum-v1") itself, with
    no rescaling of ebrl's, and the episode's return is the one `ebrl eval` reports."""
    assert main(["eval", str(tiny_run), "--episodes", "1", "--mode", "mean", "--json"]) == 0
    expected = json.loads(capsys.readouterr().out)["return_mean"]
    policy = ebrl.load(tiny_run)
    env = gym.make("Pendulum-v1")
    obs, _ = env.reset(seed=episode_seed(0, EVAL_STREAM, 0, 0))
    total, done = 0.0, False
    while not done:
        action = policy.predict(obs, mode="mean")
        assert action.shape == (1,) and -2.0 <= action[0] <= 2.0
        obs, reward, terminated, truncated, _ = env.step(action)
        total, done = total + float(reward), terminated or truncated
    assert total == pytest.approx(expected, rel=1e-4)


def test_predict_takes_one_observation_or_a_batch(tiny_run):
    policy = ebrl.load(tiny_run)
    batch = np.random.default_rng(0).normal(size=(5, 3)).astype(np.float32)
    actions = policy.predict(batch)  # SAC's default mode: mean
    assert actions.shape == (5, 1)
    unit = np.asarray(policy.run.agent.act(policy.run.state, batch, jax.random.key(0), "mean"))
    np.testing.assert_allclose(actions, 2.0 * unit, rtol=1e-6, atol=1e-6)  # [−1, 1] → [−2, 2]
    np.testing.assert_allclose(policy.predict(batch[2]), actions[2], rtol=1e-6)
    assert policy.action_modes == ("mean", "sample")
    fresh = ebrl.load(tiny_run)
    first, second = fresh.predict(batch, mode="sample"), fresh.predict(batch, mode="sample")
    assert not np.allclose(first, second)  # a new draw per call ...
    np.testing.assert_allclose(ebrl.load(tiny_run).predict(batch, mode="sample"), first)  # ... repeated per seed
    assert not np.allclose(ebrl.load(tiny_run, seed=1).predict(batch, mode="sample"), first)
    with pytest.raises(ConfigError, match=r"have shape \(3,\), or \(batch, 3\) for a batch; got \(5, 4\)"):
        policy.predict(np.zeros((5, 4)))
    with pytest.raises(ConfigError, match="'softmax' is not an action mode of sac"):
        policy.predict(batch, mode="softmax")


def test_a_policy_prints_as_one_line(tiny_run):
    assert repr(ebrl.load(tiny_run, seed=3)) == "Policy(sac on Pendulum-v1, step 600, modes mean, sample; seed 3)"


def test_load_best_takes_the_best_evaluation(tiny_run):
    rows = read_metrics(tiny_run)
    best = max(rows, key=lambda row: row["eval/mean/return_mean"])["step"]
    assert ebrl.load(tiny_run, checkpoint="best").run.step == best
    assert ebrl.load(tiny_run, checkpoint="400").run.step == 400
    assert ebrl.load(tiny_run, checkpoint=400).run.step == 400  # a step as an int, as the README writes it


def test_a_run_killed_before_its_first_checkpoint_restarts_from_its_config(tiny_run, tmp_path, capsys):
    run_dir = tmp_path / "early"
    shutil.copytree(tiny_run, run_dir)
    shutil.rmtree(run_dir / "checkpoints")
    shutil.rmtree(run_dir / "best")
    assert main(["train", "--resume", str(run_dir), "--no-progress", "--no-pictures"]) == 0
    assert "no checkpoint to continue from; training it again from step 0" in " ".join(capsys.readouterr().err.split())
    assert metrics_without_timing(run_dir) == metrics_without_timing(tiny_run)
