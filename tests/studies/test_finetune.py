"""`ebrl finetune`: the plan, a tiny study end to end (its statistics recomputed from the runs' metrics.csv, every
fine-tuned seed started from its pretrained seed), reuse after the pretraining checkpoints are gone, and bad input."""

import json
import shutil

import numpy as np
import pytest

from ebrl.config import ConfigError
from ebrl.runs import read_metrics
from ebrl.studies.finetune import study as finetune
from ebrl.studies.finetune.study import FinetunePlan, area_under_curve, direction, plan_groups, run_study, steps_to
from ebrl.studies.machine import machine
from ebrl.studies.mujoco import report as mujoco_report
from tests.test_cli import fails_cleanly

# HalfCheetah's tasks with 40-step episodes (a gym.make keyword), tiny networks and budgets
TINY = FinetunePlan(
    algos=("sql",), seeds=(0, 1), pretrain_steps=240, steps=160, eval_every=80, eval_episodes=2,
    finetune_learning_starts=40,
    train={"env_kwargs": {"max_episode_steps": 40}, "batch_size": 16, "random_steps": 40, "learning_starts": 40,
           "chunk": 40, "checkpoint_every": 80},
    agent={"sql": {"hidden": (16, 16)}})


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    with pytest.MonkeyPatch.context() as patch:  # the report's content, not its intervals' precision
        patch.setattr(mujoco_report, "FINAL_REPS", 200)
        patch.setattr(mujoco_report, "CURVE_REPS", 200)
        out = tmp_path_factory.mktemp("finetune") / "study"
        assert run_study(TINY, out, progress=False)
    return out


def test_auc_steps_to_threshold_and_directions_by_hand():
    steps = np.array([0, 100, 300])
    returns = np.array([[0.0, 10.0, 20.0], [5.0, 5.0, -5.0]])
    # trapezoids: (0 + 10) / 2 · 100 + (10 + 20) / 2 · 200 = 3500 over 300; (5 + 5) / 2 · 100 + 0 · 200 = 500 over 300
    np.testing.assert_allclose(area_under_curve(steps, returns), [3500 / 300, 500 / 300])
    assert steps_to(steps, returns, 10.0) == [100, None]
    assert (direction("ebrl/HalfCheetahForward-v0"), direction("ebrl/HalfCheetahBackward-v0")) == ("x > 0", "x < 0")
    assert direction("ebrl/HalfCheetahAnyDirection-v0") is None and direction("Hopper-v5") is None


def test_the_plan_pretrains_then_fine_tunes_each_seed_from_its_pretrained_seed(tmp_path):
    groups = plan_groups(TINY, tmp_path)
    assert [(g.env, g.algo, g.start) for g in groups[:1]] == [(TINY.pretrain_env, "sql", None)]
    tuned = [g for g in groups if g.start == "pretrained"]
    assert {(g.env, g.algo) for g in tuned} == {(env, algo) for env in TINY.envs for algo in TINY.algos}
    for group in tuned:
        assert group.init_from == str(tmp_path / "runs" / "pretrain" / group.algo)
        scratch = next(g for g in groups if (g.env, g.algo, g.start) == (group.env, group.algo, "scratch"))
        assert scratch.spec == group.spec and scratch.init_from is None  # the same training but for the start
    assert len(groups) == 1 + 2 * len(TINY.envs)
    assert groups[0].spec.train.steps == 240 and tuned[0].spec.train.steps == 160
    # pretraining keeps the loop it is given; fine-tuning and scratch collect with their policy from the first step
    assert (groups[0].spec.train.random_steps, groups[0].spec.train.learning_starts) == (40, 40)
    assert all((g.spec.train.random_steps, g.spec.train.learning_starts) == (0, 40) for g in groups[1:])


def test_fine_tuning_takes_the_plans_start_over_the_presets_random_steps(tmp_path):
    groups = plan_groups(FinetunePlan(algos=("sac",)), tmp_path)
    assert (groups[0].spec.train.random_steps, groups[0].spec.train.learning_starts) == (10_000, 10_000)  # sac/tianshou
    assert all((g.spec.train.random_steps, g.spec.train.learning_starts) == (0, 1000) for g in groups[1:])


@pytest.mark.slow
def test_the_report_recomputes_from_the_runs(study):
    results = json.loads((study / "results.json").read_text())
    for algo in TINY.algos:
        config = json.loads((study / "runs" / "ebrl__HalfCheetahBackward-v0" / algo / "pretrained" / "seed_1" /
                             "config.json").read_text())
        assert config["init_from"]["source"] == str(study / "runs" / "pretrain" / algo / "seed_1")
        assert config["init_from"]["step"] == 240
        for d in results["pretraining"][algo]["directions"]:
            rows = read_metrics(study / "runs" / "pretrain" / algo / f"seed_{d['seed']}")
            mode = d["mode"]
            assert d["x_positive"] == rows[-1][f"eval/{mode}/x_positive"]
            assert d["x_positive"] + d["x_negative"] <= 1
    task = results["tasks"]["ebrl/HalfCheetahForward-v0"]
    arm = task["algos"]["sql"]["scratch"]
    runs = [read_metrics(study / "runs" / "ebrl__HalfCheetahForward-v0" / "sql" / "scratch" / f"seed_{k}")
            for k in (0, 1)]
    column = f"eval/{arm['mode']}/return_mean"
    curves = np.array([[r[column] for r in rows if column in r] for rows in runs])
    steps = np.array([r["step"] for r in runs[0] if column in r])
    assert steps.tolist() == [80, 160]
    assert arm["final_returns"] == curves[:, -1].tolist()
    np.testing.assert_allclose(arm["auc"], curves.mean(axis=1))  # two evaluations: the trapezoid is their mean
    assert arm["at_budget"]["0.5"]["step"] == 80 and arm["at_budget"]["1"]["step"] == 160
    same, other = results["by_direction"]["sql"]["same"], results["by_direction"]["sql"]["other"]
    went = [d["went"] for d in results["pretraining"]["sql"]["directions"]]
    assert same["runs"] + other["runs"] == 2 * sum(w != "both" for w in went)  # each seed: one task each way
    summary = (study / "summary.md").read_text()
    assert "| ebrl/HalfCheetahBackward-v0 | sql | pretrained |" in summary
    assert (study / "finetune_curves.png").stat().st_size > 0


@pytest.mark.slow
def test_run_again_it_reuses_every_group_without_the_pretrained_checkpoints(study, tmp_path, capsys):
    """A committed study keeps config.json and metrics.csv only: the same command reads them, trains nothing and
    writes the same report."""
    machines = sorted(study.rglob("machine.json"))  # each seed records the machine that trained it
    assert [p.parent.relative_to(study / "runs").as_posix() for p in machines] == sorted(
        (group.run_dir(study) / f"seed_{seed}").relative_to(study / "runs").as_posix()
        for group in plan_groups(TINY, study) for seed in TINY.seeds)
    assert json.loads(machines[0].read_text()) == machine()
    copy = tmp_path / "study"
    shutil.copytree(study, copy, ignore=shutil.ignore_patterns("checkpoints", "best", "tb", ".lock", "machine.json"))
    plan = json.loads((copy / "plan.json").read_text())
    for config in copy.rglob("config.json"):  # the copy's fine-tuned runs name the copy's pretraining
        config.write_text(config.read_text().replace(str(study), str(copy)))
    before = {p: p.read_bytes() for p in copy.rglob("metrics.csv")}
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(mujoco_report, "FINAL_REPS", 200)
        patch.setattr(mujoco_report, "CURVE_REPS", 200)
        assert run_study(finetune.FinetunePlan.from_json(plan), copy, progress=False)
    assert {p: p.read_bytes() for p in copy.rglob("metrics.csv")} == before
    assert not list(copy.rglob("machine.json"))  # a reused group is not stamped with the machine that reused it
    assert json.loads((copy / "results.json").read_text())["tasks"] == \
        json.loads((study / "results.json").read_text())["tasks"]


@pytest.mark.parametrize("args, message", [
    (["--envs", "Hopper-v5"], "envs: Hopper-v5 has observations of size 11 and actions of size 3, "
                              "ebrl/HalfCheetahAnyDirection-v0 17 and 6; fine-tune on tasks of the pretraining robot"),
    (["--envs", "ebrl/HalfCheetahAnyDirection-v0"], "--envs lists the pretraining task"),
    (["--algos", "ppo"], "--algos: unknown algorithm 'ppo'"),
    (["--checkpoint", "last"], "--checkpoint 'last' is not latest, best or a step"),
    (["--threshold", "2"], "--threshold must be in (0, 1], got 2.0"),
    (["--finetune-random-steps", "-1"], "--finetune-random-steps must be at least 0, got -1"),
    (["--loop", "steps=5"], "--loop steps=... is the study's to set"),
])
def test_bad_input_is_one_line_and_writes_nothing(tmp_path, capsys, args, message):
    out = tmp_path / "study"
    fails_cleanly(capsys, ["finetune", "--out", str(out), *args], message)
    assert not out.exists()


@pytest.mark.slow
def test_a_study_folder_holds_one_plan(study, capsys):
    with pytest.raises(ConfigError, match="holds another study \\(steps=160\\)"):
        run_study(FinetunePlan(**{**TINY.__dict__, "steps": 320}), study, progress=False)
