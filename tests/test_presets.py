import json

import pytest

from ebrl.commands import main
from ebrl.presets import SQL_MULTIGOAL, env_family, find_preset, named_preset
from tests.test_cli import fails_cleanly

SHORT = ["--steps", "150", "--learning-starts", "100", "--chunk", "50", "--eval-every", "150", "--eval-episodes", "1",
         "--checkpoint-every", "150", "--no-progress"]


def test_presets_are_found_by_algorithm_and_environment_family():
    assert env_family("ebrl/MultiGoal3-v0") == "MultiGoal3" and env_family("Hopper-v5") == "Hopper"
    assert find_preset("sql", "ebrl/MultiGoal-v0") is SQL_MULTIGOAL
    assert find_preset("sql", "ebrl/MultiGoal3Obstacle-v0") is SQL_MULTIGOAL
    scales = {env: find_preset("sql", f"{env}-v5").agent["reward_scale"]
              for env in ("Hopper", "HalfCheetah", "Walker2d", "Ant", "Humanoid")}
    assert scales == {"Hopper": 30.0, "HalfCheetah": 30.0, "Walker2d": 10.0, "Ant": 300.0, "Humanoid": 100.0}
    assert find_preset("sql", "Pendulum-v1") is None and find_preset("sac", "Pendulum-v1") is None
    assert find_preset("sql", "ebrl/HalfCheetahAnyDirection-v0") is find_preset("sql", "HalfCheetah-v5")
    assert find_preset("sql", "ebrl/AntDirection-v0").agent["reward_scale"] == 300.0  # the base task's preset
    assert find_preset("sac", "ebrl/SwimmerAnyDirection-v0") is find_preset("sac", "Swimmer-v5")


def test_sac_on_mujoco_is_the_published_runs_and_the_authors_baseline_is_named():
    """SAC on MuJoCo starts from Tianshou's settings (α = 0.2 fixed, batch 256, learning rates 1e-3, ReLU, 2×256,
    10 000 random steps, then updates), the strongest measured (docs/results/mujoco/sac-baseline/); the S2AC
    authors' baseline (anchor-s2ac.md §3: the same but batch 100 and updates from step 1000) is sac/mujoco."""
    from ebrl.api import preset_spec

    spec = preset_spec("sac", "Walker2d-v5")
    assert (spec.agent.alpha, spec.agent.autotune_alpha, spec.agent.actor_lr, spec.agent.critic_lr) == \
        (0.2, False, 1e-3, 1e-3)
    assert (spec.agent.hidden, spec.agent.activation, spec.agent.gamma, spec.agent.tau) == \
        ((256, 256), "relu", 0.99, 0.005)
    assert (spec.train.batch_size, spec.train.random_steps, spec.train.learning_starts) == (256, 10_000, 10_000)
    assert find_preset("sac", "Hopper-v5").name == "sac/tianshou"
    authors = named_preset("sac", "sac/mujoco")  # the S2AC authors' SAC: by name only
    assert (authors.train["batch_size"], authors.train["learning_starts"]) == (100, 1000)
    assert dict(authors.agent) == dict(find_preset("sac", "Hopper-v5").agent)


@pytest.mark.slow
def test_train_uses_the_preset_says_so_and_flags_override_it(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["train", "--algo", "sql", "--env", "ebrl/MultiGoal-v0", *SHORT, "--batch-size", "16",
                 "--out", str(out)]) == 0
    assert "preset sql/multigoal" in capsys.readouterr().err
    config = json.loads((out / "config.json").read_text())
    assert config["agent"]["reward_scale"] == 0.1 and config["agent"]["kernel_particles"] == 32  # from the preset
    assert config["train"]["batch_size"] == 16 and config["train"]["steps"] == 150  # overridden


@pytest.mark.slow
def test_a_preset_chosen_by_name(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["train", "--algo", "sac", "--env", "Pendulum-v1", "--preset", "sac/mujoco", *SHORT, "--batch-size",
                 "16", "--hidden", "16", "--out", str(out)]) == 0
    assert "preset sac/mujoco" in capsys.readouterr().err
    config = json.loads((out / "config.json").read_text())
    assert (config["agent"]["alpha"], config["agent"]["autotune_alpha"], config["agent"]["actor_lr"]) == \
        (0.2, False, 1e-3)
    fails_cleanly(capsys, ["train", "--algo", "sac", "--preset", "sac/atari", "--out", str(tmp_path / "x")],
                  "--preset 'sac/atari' is not one of sac's; choose one of sac/mujoco, sac/tianshou")
    fails_cleanly(capsys, ["train", "--algo", "sac", "--preset", "sql/multigoal", "--out", str(tmp_path / "x")],
                  "--preset 'sql/multigoal' is not one of sac's")
    fails_cleanly(capsys, ["train", "--algo", "sac", "--preset", "sac/mujoco", "--no-preset"], "exclude each other")
    assert not (tmp_path / "x").exists()


@pytest.mark.slow
def test_no_preset(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["train", "--algo", "sql", "--env", "ebrl/MultiGoal-v0", "--no-preset", *SHORT, "--batch-size", "16",
                 "--hidden", "16", "--out", str(out)]) == 0
    assert "preset sql/" not in capsys.readouterr().err
    config = json.loads((out / "config.json").read_text())
    assert config["agent"]["reward_scale"] == 1.0 and config["agent"]["kernel_particles"] == 16
