"""A run started from another run's trained agent (--init-from): what it takes over, what it records, how it
resumes, and the one-line refusals that write nothing."""

import json
import shutil

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from ebrl.agents import ALGORITHMS
from ebrl.commands import main
from ebrl.core import started_from
from ebrl.envs.task import describe_task
from ebrl.loop.learner import seed_keys, seed_slice
from ebrl.loop.trainer import Trainer
from ebrl.runs import RunLock, load_run, read_spec
from ebrl.runs.init import load_initial_agents, state_sha256
from ebrl.runs.spec import InitFrom, seed_specs
from tests.agents.test_contract import TINY_CONFIGS
from tests.test_cli import fails_cleanly

SETTINGS = ["--env", "Pendulum-v1", "--batch-size", "16", "--random-steps", "100", "--learning-starts", "100",
            "--steps", "300", "--chunk", "50", "--eval-every", "100", "--checkpoint-every", "100", "--eval-episodes",
            "2", "--no-progress"]
OBS = jax.random.normal(jax.random.key(7), (5, 3))


@pytest.fixture(scope="module")
def source(tmp_path_factory):
    """A finished tiny SAC run on Pendulum (checkpoints at 200 and 300, bests at the evaluations that improved)."""
    run_dir = tmp_path_factory.mktemp("pre") / "run"
    assert main(["train", "--algo", "sac", "--hidden", "16", "16", *SETTINGS, "--out", str(run_dir)]) == 0
    return run_dir


@pytest.fixture(scope="module")
def source_group(tmp_path_factory):
    """A finished tiny SAC group of seeds 0 and 1."""
    out = tmp_path_factory.mktemp("pre-group") / "g"
    assert main(["train", "--algo", "sac", "--hidden", "16", "16", *SETTINGS, "--seeds", "0", "1", "--out",
                 str(out)]) == 0
    return out


def _leaves_equal(a, b) -> bool:
    return all(bool(jnp.array_equal(x, y)) for x, y in zip(jax.tree.leaves(a), jax.tree.leaves(b), strict=True))


@pytest.mark.slow
@pytest.mark.parametrize("algo", sorted(TINY_CONFIGS))
def test_started_from_takes_the_networks_and_keeps_its_own_counters_and_optimiser(algo):
    agent = ALGORITHMS[algo].make_agent(TINY_CONFIGS[algo], 3, 2)
    own, source = agent.init(jax.random.key(0)), agent.init(jax.random.key(1))
    parts = agent.parts
    for optimizer, temperature in [(False, True), (True, True), (False, False)]:
        started = started_from(own, source, parts, optimizer=optimizer, temperature=temperature)
        for name in type(own).__dataclass_fields__:
            kept = (name in parts.counters or (name in parts.optimizer and not optimizer)
                    or (name in parts.temperature and not temperature))
            assert _leaves_equal(getattr(started, name), getattr(own if kept else source, name)), name


@pytest.mark.slow
def test_a_run_started_from_another_records_it_and_takes_its_settings(source, tmp_path):
    out = tmp_path / "ft"
    assert main(["train", "--init-from", f"{source}@best", *SETTINGS, "--out", str(out)]) == 0
    best = load_run(source, "best")
    config = json.loads((out / "config.json").read_text())
    assert config["init_from"] == {"run": str(source), "checkpoint": "best", "optimizer": False,
                                   "alpha_from_config": False, "source": str(source), "step": best.step,
                                   "agent_sha256": state_sha256(best.state)}
    assert config["algo"] == "sac" and config["agent"]["hidden"] == [16, 16]  # the source's algorithm and networks
    assert read_spec(out).init == InitFrom(str(source), "best")


@pytest.mark.slow
@pytest.mark.parametrize(("optimizer", "alpha_from_config"), [(False, False), (True, False), (False, True)])
def test_before_its_first_update_the_new_agent_acts_as_the_source(source, optimizer, alpha_from_config):
    spec = read_spec(source)
    spec = spec.__class__(spec.algo, spec.train, spec.agent.__class__(**{**spec.agent.__dict__, "alpha": 0.5})
                          if alpha_from_config else spec.agent,
                          InitFrom(str(source), optimizer=optimizer, alpha_from_config=alpha_from_config))
    task = describe_task(spec.train.env)
    agent = ALGORITHMS["sac"].make_agent(spec.agent, task.obs_dim, task.act_dim)
    initial = load_initial_agents(seed_specs(spec, [3]), task)
    trainer = Trainer(task, agent, spec.train, [3], agents=initial.states)
    try:
        state = seed_slice(trainer.states.agent, 0)
    finally:
        trainer.close()
    trained, own = load_run(source).state, agent.init(seed_keys(3)[0])
    key = jax.random.key(9)
    for mode in ("mean", "sample"):
        np.testing.assert_array_equal(agent.act(state, OBS, key, mode), agent.act(trained, OBS, key, mode))
    assert _leaves_equal(state.critic_params, trained.critic_params)
    assert _leaves_equal(state.target_critic_params, trained.target_critic_params)
    assert _leaves_equal(state.critic_opt, (trained if optimizer else own).critic_opt)
    assert float(state.log_alpha) == pytest.approx(np.log(0.5) if alpha_from_config else float(trained.log_alpha))


@pytest.mark.slow
def test_a_group_starts_seed_k_from_seed_k_or_every_seed_from_one_run(source, source_group):
    spec = read_spec(source)
    task = describe_task(spec.train.env)
    for init, sources in [(source_group, [source_group / "seed_0", source_group / "seed_1"]),
                          (source, [source, source])]:
        initial = load_initial_agents(seed_specs(spec.__class__(spec.algo, spec.train, spec.agent, InitFrom(str(init))),
                                                 [0, 1]), task)
        assert [record["source"] for record in initial.records] == [str(s) for s in sources]
        for k, run_dir in enumerate(sources):
            assert _leaves_equal(seed_slice(initial.states, k).actor_params, load_run(run_dir).state.actor_params)


@pytest.mark.slow
def test_it_resumes_from_its_own_checkpoint_without_the_source(source, tmp_path):
    copy, out = tmp_path / "pre", tmp_path / "ft"
    shutil.copytree(source, copy)
    short = [*SETTINGS[:SETTINGS.index("--steps")], "--steps", "200", *SETTINGS[SETTINGS.index("--steps") + 2:]]
    assert main(["train", "--init-from", str(copy), *short, "--out", str(out)]) == 0
    shutil.rmtree(copy)  # the checkpoint wins: a resume never reads the source again
    assert main(["train", "--resume", str(out), "--steps", "300", "--no-progress"]) == 0
    assert json.loads((out / "config.json").read_text())["init_from"]["source"] == str(copy)
    assert load_run(out).step == 300
    assert main(["eval", str(out), "--episodes", "1", "--json"]) == 0


@pytest.mark.parametrize(("extra", "at", "fragments"), [
    (["--algo", "sql"], "", ["is a sac run", "--init-from"]),
    (["--env", "MountainCarContinuous-v0"], "", ["observation size 3", "observation size 2"]),
    (["--hidden", "8", "8"], "", ["--hidden give other networks"]),
    (["--alpha", "0.5"], "", ["--alpha start α elsewhere", "--init-alpha-from-config"]),
    ([], "@7", ["no checkpoint at step 7"]),
    (["--seeds", "0", "5"], "group", ["without seed(s) [5]"]),
    (["--init-optimizer"], "none", ["go with --init-from"]),
])
def test_a_source_that_does_not_fit_is_one_line_and_nothing_is_written(source, source_group, tmp_path, capsys, extra,
                                                                       at, fragments):
    out = tmp_path / "ft"
    init = [] if at == "none" else ["--init-from", str(source_group) if at == "group" else f"{source}{at}"]
    fails_cleanly(capsys, ["train", *init, *SETTINGS, *extra, "--out", str(out)], *fragments)
    assert not out.exists()


def test_a_folder_that_is_not_a_run_or_a_run_being_trained_is_refused(source, tmp_path, capsys):
    out = tmp_path / "ft"
    fails_cleanly(capsys, ["train", "--init-from", str(tmp_path), *SETTINGS, "--out", str(out)], "not an ebrl run")
    with RunLock(source):
        fails_cleanly(capsys, ["train", "--init-from", str(source), *SETTINGS, "--out", str(out)],
                      "being trained by another process")
    fails_cleanly(capsys, ["train", "--resume", str(source), "--init-from", str(source)], "--init-from cannot change")
    assert not out.exists()
