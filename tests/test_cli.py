"""Bad input: one line on stderr naming the problem and the fix, exit code 2, nothing written or destroyed."""

import shutil
import subprocess
import sys

import gymnasium as gym
import numpy as np
import pytest

from ebrl.commands import main
from tests.conftest import TINY
from tests.helpers import stamps


def fails_cleanly(capsys, argv, *fragments):
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and "\n" not in err, err
    for fragment in fragments:
        assert fragment in err, err
    return err


@pytest.mark.parametrize("argv, fragments", [
    (["train", "--env", "NoSuchEnv-v0"], ["unknown environment 'NoSuchEnv-v0'"]),
    (["train", "--env", "NoSuchEnv-v0", "--steps", "600"], ["unknown environment 'NoSuchEnv-v0'"]),  # before budget
    (["mujoco", "--envs", "NoSuch-v0", "--steps", "600"], ["unknown environment 'NoSuch-v0'"]),
    (["train", "--env", "Pendulum-v0"], ["did you mean", "Pendulum-v1"]),
    (["train", "--env", "CartPole-v1"], ["Discrete action space", "Box"]),
    (["train", "--actor-lr", "0"], ["--actor-lr must be positive"]),
    (["train", "--critic-lr", "-1e-3"], ["--critic-lr must be positive"]),
    (["train", "--batch-size", "512", "--buffer-size", "256"], ["--batch-size (512) is larger than --buffer-size"]),
    (["train", "--gamma", "1.5"], ["--gamma must lie in (0, 1]"]),
    (["train", "--critic-hidden", "0"], ["--critic-hidden needs one or more positive layer widths"]),
    (["train", "--algo", "sac", "--hidden", "0"], ["--hidden needs one or more positive layer widths"]),
    (["train", "--algo", "sql", "--alpha", "-1"], ["--alpha must be non-negative"]),
    (["train", "--variant", "psi"], ["invalid value for --variant: psi"]),
    (["train", "--ou-sigma", "-0.3"], ["--ou-sigma must be non-negative"]),
    (["train", "--no-such-flag", "3"], ["unknown option '--no-such-flag'", "--help"]),
    (["train", "--steps", "many"], ["invalid value for --steps: many"]),
    (["train", "--algo", "ppo"], ["unknown algorithm 'ppo'"]),
    (["frobnicate"], ["unknown command 'frobnicate'"]),
    (["eval", "does/not/exist"], ["does not exist"]),
    (["plot", "does/not/exist"], ["does not exist"]),
    (["entropy", "--parts", "e", "--critic-rules", "trace"], ["part e needs --critic"]),
    (["entropy", "--parts", "e", "--critic", "x", "--critic-rules", "tr"], ["unknown critic rules ['tr']"]),
    (["entropy", "--parts", "a", "e", "--critic", "no/run"], ["run directory no/run does not exist"]),
    (["entropy", "--parts", "e", "--critic", "x", "--critic-svgd-steps", "0"],
     ["--critic-svgd-steps must be positive"]),
])
def test_bad_input_is_one_line(capsys, tmp_path, argv, fragments):
    out = tmp_path / "run"
    fails_cleanly(capsys, [*argv, "--out", str(out)] if argv[0] in ("train", "entropy", "mujoco") else argv,
                  *fragments)
    assert not out.exists()  # refused before any work


@pytest.mark.slow
def test_the_entropy_study_refuses_a_critic_that_is_not_s2ac_before_any_part(capsys, tiny_run, tmp_path):
    out = tmp_path / "entropy"
    fails_cleanly(capsys, ["entropy", "--parts", "a", "e", "--critic", str(tiny_run), "--out", str(out)],
                  "is a sac run; part (e) needs an S2AC run")
    assert not out.exists()


def test_resume_of_a_missing_directory(capsys, tmp_path):
    fails_cleanly(capsys, ["train", "--resume", str(tmp_path / "nothing")], "does not exist")


def test_resume_of_a_directory_that_is_not_a_run(capsys, tmp_path):
    fails_cleanly(capsys, ["train", "--resume", str(tmp_path)], "not an ebrl run directory")


def test_existing_run_is_never_overwritten_without_the_flag(capsys, tiny_run):
    before = stamps(tiny_run)
    fails_cleanly(capsys, ["train", *TINY, "--out", str(tiny_run)], "already holds a run", "--resume", "--overwrite")
    assert stamps(tiny_run) == before


@pytest.mark.parametrize("extra", [[], ["--steps", "400"], ["--steps", "600"]])
def test_resume_of_a_finished_run_needs_more_steps(capsys, tiny_run, extra):
    before = stamps(tiny_run)
    fails_cleanly(capsys, ["train", "--resume", str(tiny_run), *extra], "already at step 600", "--steps N")
    assert stamps(tiny_run) == before


def test_corrupt_checkpoint_is_reported_and_kept(capsys, tiny_run, tmp_path):
    """A run written before ebrl kept checksums (none to check): orbax's own error, in one line."""
    run = tmp_path / "copy"
    shutil.copytree(tiny_run, run, ignore=shutil.ignore_patterns("sha256.json"))
    latest = max((p for p in (run / "checkpoints").iterdir() if p.name.isdigit()), key=lambda p: int(p.name))
    for path in (latest / "agent").rglob("*"):
        if path.is_file() and path.stat().st_size > 0:
            path.write_bytes(b"garbage")
    files_before = sorted(p.relative_to(run) for p in run.rglob("*"))
    fails_cleanly(capsys, ["train", "--resume", str(run), "--steps", "800"], "corrupt", "delete that step's folder")
    assert sorted(p.relative_to(run) for p in run.rglob("*")) == files_before


def test_bad_eval_options(capsys, tiny_run):
    fails_cleanly(capsys, ["eval", str(tiny_run), "--episodes", "abc"], "invalid value for --episodes: abc")
    fails_cleanly(capsys, ["eval", str(tiny_run), "--episodes", "0"], "--episodes must be positive")
    fails_cleanly(capsys, ["eval", str(tiny_run), "--video", "out.gif"], "needs a .mp4 file name")
    fails_cleanly(capsys, ["eval", "--episodes", "3"], "missing or misplaced arguments", "ebrl eval --help")


def test_inputs_that_ended_in_a_traceback_or_a_blank_figure_are_one_line(capsys, tiny_run, tmp_path):
    folder = tmp_path / "folder"
    folder.mkdir()
    fails_cleanly(capsys, ["export", str(tiny_run), "--out", str(folder), "--overwrite"], "is a folder",
                  f"--out {folder / 'policy.jax'}")
    fails_cleanly(capsys, ["compare", "--out", str(tmp_path / "compared")], "needs the MultiGoal runs")
    fails_cleanly(capsys, ["plot", "--out", str(tmp_path / "empty.png")], "needs the runs or seed groups")
    fails_cleanly(capsys, ["eval", str(tiny_run), "--seed", "-1"], "--seed must be non-negative, got -1")
    fails_cleanly(capsys, ["eval", str(tiny_run), "--episodes", "99999999999999999999"], "give at most 10000")
    assert [p.name for p in tmp_path.iterdir()] == ["folder"] and not any(folder.iterdir())


def test_unknown_eval_mode(capsys, tiny_run):
    fails_cleanly(capsys, ["eval", str(tiny_run), "--mode", "softmax"], "--mode 'softmax' is not an action mode of sac",
                  "mean, sample")


def test_the_command_line_starts_without_jax():
    """`ebrl --help` and a mistyped flag answer without loading JAX (a second of start-up): the CLI imports the
    library per command, and `import ebrl` registers the MultiGoal ids without importing their JAX module."""
    code = "import sys; from ebrl.commands import main; main(['--help']); assert 'jax' not in sys.modules, 'jax loaded'"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "ebrl train" in done.stdout


def test_no_arguments_prints_usage(capsys):
    assert main([]) == 2
    assert "ebrl train" in capsys.readouterr().out


def test_help_lists_the_algorithm_flags(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["train", "--algo", "sac", "--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    for flag in ("--env", "--steps", "--seed", "--out", "--actor-lr", "--tau", "--autotune-alpha",
                 "--algo {s2ac,sac,sql}", "--resume RUN", "--no-preset", "--env-kwargs JSON", "--seeds"):
        assert flag in out, flag


def test_bad_multigoal_experiment(capsys, tmp_path):
    fails_cleanly(capsys, ["multigoal", "fig9", "--out", str(tmp_path / "x")], "unknown experiment 'fig9'",
                  "s2ac-fig2")
    fails_cleanly(capsys, ["multigoal", "s2ac-fig2", "--n-seeds", "0"], "--n-seeds must be positive")
    fails_cleanly(capsys, ["multigoal", "s2ac-fig2", "--rule", "best"], "invalid value for --rule: best")
    assert not (tmp_path / "x").exists()


def test_config_errors_name_the_field_in_python_and_the_flag_on_the_command_line(capsys, tmp_path):
    import dataclasses

    import ebrl
    from ebrl.agents.sac import SACConfig
    from ebrl.config import ConfigError

    with pytest.raises(ConfigError, match=r"^actor_lr must be positive, got -1.0$"):
        SACConfig(actor_lr=-1.0).validate()
    spec = ebrl.preset_spec("sac", "Pendulum-v1", train={"batch_size": 64, "buffer_size": 32})
    with pytest.raises(ConfigError, match=r"^batch_size \(64\) is larger than buffer_size \(32\)"):
        ebrl.train(dataclasses.replace(spec, agent=SACConfig()), out=tmp_path / "run")
    fails_cleanly(capsys, ["train", "--algo", "sac", "--actor-lr", "-1", "--out", str(tmp_path / "a")],
                  "--actor-lr must be positive, got -1.0")
    fails_cleanly(capsys, ["train", "--algo", "sac", "--batch-size", "64", "--buffer-size", "32", "--out",
                           str(tmp_path / "b")], "--batch-size (64) is larger than --buffer-size (32)")
    assert not (tmp_path / "run").exists() and not (tmp_path / "a").exists()


@pytest.mark.slow
def test_a_corrupt_array_in_a_checkpoint_prints_one_line_and_nothing_after(tiny_run, tmp_path):
    """orbax's other reads of a corrupt checkpoint finish after the failed restore, on an asyncio loop it has closed;
    their tracebacks (`Event loop is closed`) used to follow the one-line error in most tries. (A run written before
    ebrl kept checksums: with them, the damaged step is passed over before orbax reads it.)"""
    import subprocess
    import sys

    run = tmp_path / "copy"
    shutil.copytree(tiny_run, run, ignore=shutil.ignore_patterns("sha256.json"))
    for path in (run / "checkpoints" / "600" / "agent").glob("ocdbt.process_0/d/*"):
        path.write_bytes(b"garbage")
    for argv in (["eval", str(run)], ["train", "--resume", str(run), "--steps", "800"]) * 2:
        done = subprocess.run([sys.executable, "-m", "ebrl", *argv], check=False, capture_output=True, text=True,
                              timeout=120)
        assert done.returncode == 2
        assert done.stderr.startswith("error: the checkpoint at step 600") and done.stderr.count("\n") == 1, \
            done.stderr


class StepRaises(gym.Env):
    """A task whose simulator fails at its first step."""

    observation_space = gym.spaces.Box(-1.0, 1.0, (3,), np.float32)
    action_space = gym.spaces.Box(-1.0, 1.0, (1,), np.float32)

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        return np.zeros(3, np.float32), {}

    def step(self, action):
        raise FloatingPointError("the simulator blew up")


def test_an_environment_that_raises_is_named_in_one_line(capsys, tmp_path, monkeypatch):
    """Training and evaluation alike; EBRL_DEBUG=1 lets the error through, with the environment's traceback."""
    from ebrl.envs import EnvironmentFailed
    from ebrl.loop.evaluate import run_episodes

    env_id = "ebrl-test/StepRaises-v0"
    if env_id not in gym.registry:
        gym.register(env_id, entry_point=StepRaises, max_episode_steps=50)
    argv = [*TINY, "--out", str(tmp_path / "run")]
    argv[argv.index("--env") + 1] = env_id
    assert main(["train", *argv]) == 1
    err = capsys.readouterr().err.strip().splitlines()[-1]  # after the start line
    assert err == (f"error: environment {env_id} raised FloatingPointError in step: the simulator blew up; fix the "
                   "environment (EBRL_DEBUG=1 shows where it raised)"), err
    with pytest.raises(EnvironmentFailed, match="raised FloatingPointError in step"):
        run_episodes(lambda obs, t: np.zeros((1, 1), np.float32), [gym.make(env_id)], [0])
    monkeypatch.setenv("EBRL_DEBUG", "1")
    with pytest.raises(EnvironmentFailed) as raised:
        main(["train", *argv, "--overwrite"])
    assert isinstance(raised.value.__cause__, FloatingPointError)
