"""`ebrl export`: the policy as a jax.export file that a process without ebrl loads and runs, acting as
`ebrl eval` does."""

import json
import subprocess
import sys

import jax
import numpy as np
import pytest

from ebrl.commands import main
from ebrl.envs import episode_seed
from ebrl.loop.evaluate import EVAL_STREAM
from ebrl.runs import load_run
from tests.test_cli import fails_cleanly

# Runs in a fresh interpreter in which importing ebrl fails: JAX, NumPy and Gymnasium only.
WITHOUT_EBRL = """
import json, sys
sys.modules["ebrl"] = None
import gymnasium as gym, jax, numpy as np
path, obs_path, env_id, reset_seed, eval_seed = sys.argv[1:6]
policy = jax.export.deserialize(open(path, "rb").read())
obs = np.load(obs_path)
batch = np.asarray(policy.call(obs, np.array([7, 11], np.uint32)))
env = gym.make(env_id)
o, _ = env.reset(seed=int(reset_seed))
key, total, t, done = jax.random.fold_in(jax.random.key(int(eval_seed)), 0), 0.0, 0, False
while not done:
    step_key = jax.random.key_data(jax.random.fold_in(key, t))
    action = np.asarray(policy.call(np.asarray(o, np.float32)[None], step_key))[0]
    o, reward, terminated, truncated, _ = env.step(action)
    total, t, done = total + reward, t + 1, terminated or truncated
print(json.dumps({"batch": batch.tolist(), "return": total}))
"""

S2AC_TINY = ["--algo", "s2ac", "--env", "Pendulum-v1", "--steps", "300", "--actor-hidden", "16", "16",
             "--critic-hidden", "16", "16", "--particles", "4", "--svgd-steps", "2", "--batch-size", "32",
             "--random-steps", "100", "--learning-starts", "100", "--eval-every", "300", "--checkpoint-every", "300",
             "--eval-episodes", "1", "--no-progress"]


@pytest.mark.slow
@pytest.mark.parametrize("algo, mode", [("sac", "mean"), ("s2ac", "softmax")])
def test_an_exported_policy_runs_without_ebrl_and_acts_as_ebrl_eval(capsys, tiny_run, tmp_path, algo, mode):
    run_dir = tiny_run
    if algo == "s2ac":  # the SVGD chain and the softmax selection inside the exported program
        run_dir = tmp_path / "s2ac"
        assert main(["train", *S2AC_TINY, "--out", str(run_dir)]) == 0
    policy_file = tmp_path / "policy.jax"
    assert main(["export", str(run_dir), "--out", str(policy_file), "--mode", mode]) == 0
    description = json.loads((tmp_path / "policy.jax.json").read_text())
    assert (description["mode"], description["obs_dim"], description["act_dim"]) == (mode, 3, 1)
    obs = np.random.default_rng(0).normal(size=(5, 3)).astype(np.float32)
    np.save(tmp_path / "obs.npy", obs)
    capsys.readouterr()
    assert main(["eval", str(run_dir), "--episodes", "1", "--mode", mode, "--json", "--seed", "4"]) == 0
    evaluated = json.loads(capsys.readouterr().out)
    reset_seed = episode_seed(4, EVAL_STREAM, 0, 0)
    done = subprocess.run([sys.executable, "-c", WITHOUT_EBRL, str(policy_file), str(tmp_path / "obs.npy"),
                           "Pendulum-v1", str(reset_seed), "4"], capture_output=True, text=True, cwd=tmp_path,
                          timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    run = load_run(run_dir)
    unit = run.agent.act(run.state, obs, jax.random.wrap_key_data(np.array([7, 11], np.uint32)), mode)
    np.testing.assert_allclose(result["batch"], 2.0 * np.asarray(unit), rtol=1e-5, atol=1e-6)  # Pendulum: [-2, 2]
    assert result["return"] == pytest.approx(evaluated["return_mean"], rel=1e-4)


def test_export_refuses_to_overwrite_and_unknown_modes(capsys, tiny_run, tmp_path):
    existing = tmp_path / "policy.jax"
    existing.write_text("keep")
    fails_cleanly(capsys, ["export", str(tiny_run), "--out", str(existing)], "exists", "--overwrite")
    assert existing.read_text() == "keep"
    fails_cleanly(capsys, ["export", str(tiny_run), "--out", str(tmp_path / "p.jax"), "--mode", "max"],
                  "--mode 'max' is not an action mode of sac")
