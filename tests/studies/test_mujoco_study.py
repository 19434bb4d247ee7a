"""`ebrl mujoco`: the plan, reuse and resume, the statistics against rliable, execution on a Ray cluster with a
worker killed, and bad input."""

import dataclasses
import json
import os
import re
import shutil
import signal
import threading
import time
from pathlib import Path

import numpy as np
import pytest
import scipy.stats

from ebrl.config import ConfigError
from ebrl.markdown import num, nums
from ebrl.presets import S2AC_MUJOCO, SAC_TIANSHOU
from ebrl.runs import train
from ebrl.studies.machine import machine
from ebrl.studies.mujoco import report as mujoco_report
from ebrl.studies.mujoco.groups import plan_groups
from ebrl.studies.mujoco.plan import StudyPlan
from ebrl.studies.mujoco.report import (
    compute_results,
    improvement,
    improvement_probability,
    iqm,
    iqm_interval,
    performance_profile,
)
from ebrl.studies.mujoco.study import run_study
from tests.test_cli import fails_cleanly

# Two cheap tasks (Pendulum's state is not exposed, InvertedPendulum's MuJoCo state is), tiny networks.
TINY_STUDY = StudyPlan(
    envs=("Pendulum-v1", "InvertedPendulum-v5"), algos=("sac", "s2ac"), seeds=(0, 1), steps=400, eval_every=200,
    eval_episodes=2,
    train={"batch_size": 32, "random_steps": 100, "learning_starts": 100, "chunk": 50, "checkpoint_every": 100},
    agent={"sac": {"hidden": (32, 32)}, "s2ac": {"actor_hidden": (32, 32), "critic_hidden": (32, 32), "particles": 4,
                                                    "svgd_steps": 2}})


@pytest.fixture(scope="module", autouse=True)
def fewer_bootstrap_replications():
    """Reports with 200 replications instead of 10 000 / 2 000: the tests check what the report holds and that
    every execution gives the same one, not the intervals' precision (test_statistics_are_rliables_on_fixed_inputs
    does), and the full bootstraps cost half a minute per report."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(mujoco_report, "FINAL_REPS", 200)
        patch.setattr(mujoco_report, "CURVE_REPS", 200)
        yield


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    """The tiny study, trained in this process."""
    out = tmp_path_factory.mktemp("study") / "s"
    assert run_study(TINY_STUDY, out, progress=False)
    return out


def test_the_plan_uses_each_algorithms_preset_for_the_task():
    plan = StudyPlan(envs=("Hopper-v5", "Walker2d-v5"), seeds=(3, 4), steps=50_000, eval_every=5000)
    groups = {(g.env, g.algo): g for g in plan_groups(plan)}
    assert sorted(groups) == sorted((env, algo) for env in plan.envs for algo in ("sac", "sql", "s2ac"))
    for group in groups.values():
        assert group.seeds == (3, 4)
        train = group.spec.train
        assert (train.steps, train.eval_every, train.eval_episodes) == (50_000, 5000, 10)
    s2ac = groups["Hopper-v5", "s2ac"].spec
    assert {k: getattr(s2ac.agent, k) for k in S2AC_MUJOCO.agent} == dict(S2AC_MUJOCO.agent)
    assert (s2ac.agent.variant, s2ac.agent.svgd_steps, s2ac.train.random_steps) == ("phi-theta", 3, 10_000)
    assert groups["Hopper-v5", "sql"].spec.agent.reward_scale == 30.0  # softqlearning's mujoco_all_sql.py
    assert groups["Walker2d-v5", "sql"].spec.agent.reward_scale == 10.0
    sac = groups["Walker2d-v5", "sac"].spec  # the strongest SAC measured, preset sac/tianshou
    assert {k: getattr(sac.agent, k) for k in SAC_TIANSHOU.agent} == dict(SAC_TIANSHOU.agent)
    assert (sac.train.batch_size, sac.train.random_steps, sac.train.learning_starts) == (256, 10_000, 10_000)


def test_a_variant_is_an_arm_of_its_own():
    """s2ac@logdet=trace,step_bound=1: S2AC's preset with two fields changed, in its own folder; the plan's agent
    overrides of the algorithm apply to its variants too."""
    plan = StudyPlan(envs=("Hopper-v5",), algos=("s2ac", "s2ac@logdet=trace,step_bound=1"), seeds=(0,), steps=1000,
                     agent={"s2ac": {"particles": 4}})
    default, variant = plan_groups(plan)
    assert (default.algo, variant.algo) == ("s2ac", "s2ac@logdet=trace,step_bound=1")
    assert (default.spec.agent.logdet, default.spec.agent.step_bound) == ("hutchinson", None)
    assert (variant.spec.agent.logdet, variant.spec.agent.step_bound) == ("trace", 1)
    assert default.spec.agent.particles == variant.spec.agent.particles == 4
    assert variant.spec.agent.svgd_steps == S2AC_MUJOCO.agent["svgd_steps"]
    assert variant.run_dir("out") == Path("out/runs/Hopper-v5/s2ac@logdet=trace,step_bound=1")


def test_every_s2ac_arm_is_compared_with_every_other_arm():
    plan = StudyPlan(envs=("A",), algos=("sac", "s2ac", "s2ac@logdet=trace"), seeds=(0, 1), steps=10)
    steps = np.array([10])
    curves = {"A": {"sac": (steps, np.array([[1.0], [2.0]]), "mean"),
                    "s2ac": (steps, np.array([[3.0], [4.0]]), "softmax"),
                    "s2ac@logdet=trace": (steps, np.array([[0.0], [5.0]]), "softmax")}}
    poi = compute_results(plan, curves)["probability_of_improvement"]
    assert sorted(poi) == ["s2ac > s2ac@logdet=trace", "s2ac > sac", "s2ac@logdet=trace > s2ac",
                           "s2ac@logdet=trace > sac"]
    assert poi["s2ac > sac"]["probability"] == pytest.approx(1.0)
    assert poi["s2ac@logdet=trace > s2ac"]["probability"] == pytest.approx(0.5)  # 0 loses twice, 5 wins twice


@pytest.mark.slow
def test_the_study_writes_its_tables_per_task_and_algorithm(study):
    results = json.loads((study / "results.json").read_text())
    assert set(results["tasks"]) == set(TINY_STUDY.envs)
    for env in TINY_STUDY.envs:
        assert set(results["tasks"][env]) == {"sac", "s2ac"}
        for algo in ("sac", "s2ac"):
            rows = [list(_metrics(study / "runs" / env / algo / f"seed_{s}")) for s in (0, 1)]
            column = "eval/mean/return_mean" if algo == "sac" else "eval/softmax/return_mean"
            final = [float(r[-1][column]) for r in rows]
            entry = results["tasks"][env][algo]
            np.testing.assert_allclose(entry["final_returns"], final)
            np.testing.assert_allclose([entry["mean"], entry["std"]], [np.mean(final), np.std(final)])
            assert entry["iqm_interval"][0] <= entry["iqm"] <= entry["iqm_interval"][1]
            assert results["curves"][env][algo]["steps"] == [200, 400]
    assert set(results["probability_of_improvement"]) == {"s2ac > sac"}
    curve = results["improvement_curves"]["s2ac > sac"]  # at every evaluation; the last is the final one
    assert curve["steps"] == [200, 400]
    assert curve["probability"][-1] == results["probability_of_improvement"]["s2ac > sac"]["probability"]
    times = json.loads((study / "runtime.json").read_text())
    for env in TINY_STUDY.envs:
        for algo in ("sac", "s2ac"):
            clocks = [[float(r["time_s"]) for r in _metrics(study / "runs" / env / algo / f"seed_{s}")] for s in (0, 1)]
            np.testing.assert_allclose(times[env][algo]["hours_at_eval"], np.median(clocks, axis=0) / 3600)
            assert [p["seeds"] for p in times[env][algo]["programs"]] == [[0, 1]]
    for name in ("summary.md", "runtime.json", "sample_efficiency.png", "aggregate.png", "return_vs_time.png"):
        assert (study / name).stat().st_size > 0
    assert "| Pendulum-v1 | s2ac | softmax | 2 |" in (study / "summary.md").read_text()


@pytest.mark.slow
def test_the_verdicts_parts_are_the_reports_numbers_recomputed_from_the_runs(study, tmp_path):
    """The results README's verdict (ebrl.results.mujoco) recomputes the report from every seed's metrics.csv: the
    same results.json and runtime.json the study wrote, and its parts say their numbers; an unfinished group is
    refused."""
    from ebrl.results import mujoco as verdict

    results, times = verdict.finished_study(study)
    assert json.loads(json.dumps(results)) == json.loads((study / "results.json").read_text())
    assert json.loads(json.dumps(times)) == json.loads((study / "runtime.json").read_text())
    rows = verdict.study_iqm_table(study).splitlines()
    assert rows[0] == "| task | SAC (mean) | S2AC (softmax) |"
    for env, row in zip(TINY_STUDY.envs, rows[2:], strict=True):
        r = results["tasks"][env]
        assert row.startswith(f"| {env} | {num(r['sac']['iqm'], 0)} [{num(r['sac']['iqm_interval'][0], 0)}, ")
        assert f"({nums(r['s2ac']['final_returns'])}) |" in row
    p = results["probability_of_improvement"]["s2ac > sac"]
    low, high = p["interval"]
    where = "lies above ½" if low > 0.5 else "lies below ½" if high < 0.5 else "holds ½"
    assert verdict.study_verdict(study, "improvement", "s2ac > sac") == (
        f"P(S2AC > SAC) = {p['probability']:.2f} [{low:.2f}, {high:.2f}], an interval that {where}")
    normalised = results["normalized_by_sac"]
    assert verdict.study_verdict(study, "normalised") == ", ".join(
        f"{verdict.LABELS[a]} {num(r['iqm'], 2)} [{num(r['iqm_interval'][0], 2)}, {num(r['iqm_interval'][1], 2)}]"
        for a, r in normalised.items())
    assert f"| P(S2AC > SAC) | {p['probability']:.2f} [" in verdict.study_improvement_table(study)
    best = {env: max(r, key=lambda a: r[a]["iqm"]) for env, r in results["tasks"].items()}
    assert verdict.study_verdict(study, "best_per_task") == ", ".join(
        f"{verdict.LABELS[a]} on {env}" for env, a in best.items())
    assert verdict.study_verdict(study, "settled", "s2ac > sac").endswith("(of 2 evaluations)")
    assert verdict.study_verdict(study, "seeds") == "2 seeds (0, 1)"
    adding = tmp_path / "adding"  # seed 2 added, halfway in every group: the verdict stands on seeds 0 and 1
    shutil.copytree(study, adding)
    plan = json.loads((adding / "plan.json").read_text())
    (adding / "plan.json").write_text(json.dumps({**plan, "seeds": [0, 1, 2], "seed_batches": [[0, 1], [2]]}))
    for group in (adding / "runs").glob("*/*"):
        (group / "seed_2").mkdir()
        rows = (group / "seed_1" / "metrics.csv").read_text().splitlines(keepends=True)
        (group / "seed_2" / "metrics.csv").write_text("".join(rows[:-1]))
    assert verdict.finished_study(adding)[0]["tasks"] == results["tasks"]
    assert verdict.study_verdict(adding, "seeds") == "2 seeds (0, 1)"
    metrics = adding / "runs" / "Pendulum-v1" / "sac" / "seed_1" / "metrics.csv"
    metrics.write_text("".join(metrics.read_text().splitlines(keepends=True)[:-1]))  # its last evaluation gone
    with pytest.raises(ValueError, match="seeds 0, 1 have not reached step 400 in every group"):
        verdict.finished_study(adding)


def _metrics(run_dir):
    import csv

    with (run_dir / "metrics.csv").open(newline="") as f:
        return list(csv.DictReader(f))


@pytest.mark.slow
def test_a_study_run_again_reuses_its_groups_and_resumes_an_interrupted_one(study, tmp_path):
    again = tmp_path / "again"
    shutil.copytree(study, again)
    (again / "results.json").unlink()
    stamps = {p: p.stat().st_mtime_ns for p in (again / "runs").rglob("metrics.csv")}
    checkpoints = again / "runs" / "InvertedPendulum-v5" / "s2ac"
    for seed in (0, 1):  # the group killed before its last checkpoint: it resumes from step 300
        shutil.rmtree(checkpoints / f"seed_{seed}" / "checkpoints" / "400")
    pendulum = again / "runs" / "Pendulum-v1" / "sac"  # killed with no checkpoint step common to its seeds (as
    shutil.rmtree(pendulum / "seed_1" / "checkpoints")  # between the seeds' first saves, before the first
    metrics = pendulum / "seed_1" / "metrics.csv"  # evaluation): it starts again
    metrics.write_text(metrics.read_text().splitlines(keepends=True)[0])
    assert run_study(TINY_STUDY, again, workers=2)  # in two local worker processes
    changed = {p for p, stamp in stamps.items() if p.stat().st_mtime_ns != stamp}
    assert changed == {group / f"seed_{seed}" / "metrics.csv" for group in (checkpoints, pendulum) for seed in (0, 1)}
    assert _results(again) == _results(study)


@pytest.mark.slow
@pytest.mark.filterwarnings("error::UserWarning")  # e.g. matplotlib's empty legend of a study with nothing to compare
def test_a_study_with_more_seeds_trains_only_the_new_ones(tmp_path):
    """A study (SAC on Pendulum, the tiny study's cheapest group) run again with seeds 0, 1, 2: seed 2 trains in a
    program of its own, beside the finished seeds 0 and 1, which stay as they were; the report stands on all
    three."""
    plan = dataclasses.replace(TINY_STUDY, envs=("Pendulum-v1",), algos=("sac",))
    more = tmp_path / "more"
    assert run_study(plan, more, progress=False)
    kept = {p: p.read_bytes() for p in (more / "runs").rglob("seed_[01]/metrics.csv")}
    machines = {p: p.stat().st_mtime_ns for p in (more / "runs").rglob("seed_[01]/machine.json")}
    assert len(machines) == 2
    plan = dataclasses.replace(plan, seeds=(0, 1, 2))
    assert run_study(plan, more, progress=False)
    assert {p: p.read_bytes() for p in kept} == kept
    assert {p: p.stat().st_mtime_ns for p in machines} == machines  # each seed keeps the machine that trained it
    assert json.loads((more / "runs" / "Pendulum-v1" / "sac" / "seed_2" / "machine.json").read_text()) == machine()
    programs = json.loads((more / "runtime.json").read_text())["Pendulum-v1"]["sac"]["programs"]
    assert [(p["seeds"], p["machine"]) for p in programs] == [([0, 1], machine()), ([2], machine())]
    assert json.loads((more / "plan.json").read_text())["seed_batches"] == [[0, 1], [2]]
    assert len(_results(more)["tasks"]["Pendulum-v1"]["sac"]["final_returns"]) == 3
    (group,) = plan_groups(plan)
    alone = train(group.spec, [2], tmp_path / "alone")  # seed 2 trained by itself: what the study's batch holds
    deterministic = [c for c in _metrics(alone[0].run_dir)[0] if c not in ("time_s", "sps")]
    assert ([{c: r[c] for c in deterministic} for r in _metrics(group.run_dir(more) / "seed_2")]
            == [{c: r[c] for c in deterministic} for r in _metrics(alone[0].run_dir)])
    stamps = {p: p.stat().st_mtime_ns for p in (more / "runs").rglob("metrics.csv")}
    assert run_study(plan, more, progress=False)  # finished: only the report is written again
    assert {p: p.stat().st_mtime_ns for p in stamps} == stamps


def test_a_study_with_fewer_seeds_is_refused(study):
    before = (study / "plan.json").read_bytes()
    refusal = "holds another study (seeds=(0, 1)) (a study can add seeds, not drop them)"
    with pytest.raises(ConfigError, match=re.escape(refusal)):
        run_study(dataclasses.replace(TINY_STUDY, seeds=(0,)), study, progress=False)
    assert (study / "plan.json").read_bytes() == before


def test_a_study_reuses_groups_kept_as_their_committed_files(study, tmp_path):
    """A study folder as docs/results keeps it (plan.json, each seed's config.json and metrics.csv, no
    checkpoints): the command trains nothing and writes the same report."""
    kept = tmp_path / "kept"
    for path in [study / "plan.json", *(study / "runs").rglob("config.json"), *(study / "runs").rglob("metrics.csv")]:
        target = kept / path.relative_to(study)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, target)
    stamps = {p: p.stat().st_mtime_ns for p in (kept / "runs").rglob("metrics.csv")}
    assert run_study(TINY_STUDY, kept, progress=False)
    assert {p: p.stat().st_mtime_ns for p in stamps} == stamps
    assert not list(kept.rglob("checkpoints"))
    assert _results(kept) == _results(study)


def _results(study_dir):
    return json.loads((study_dir / "results.json").read_text())


def test_statistics_are_rliables_on_fixed_inputs():
    rng = np.random.default_rng(7)
    x, y = rng.normal(3.0, 1.0, size=(8, 2)), rng.normal(2.0, 1.0, size=(8, 2))
    point, interval = iqm_interval(x, reps=2000)
    assert point == pytest.approx(scipy.stats.trim_mean(x, 0.25, axis=None))
    ordered = np.sort(x.ravel())
    assert point == pytest.approx(ordered[4:12].mean())  # the middle half of 16 scores
    from rliable import library, metrics

    np.random.seed(0)  # rliable draws from NumPy's global generator
    _, expected = library.get_interval_estimates({"x": x}, lambda s: np.array([metrics.aggregate_iqm(s)]), reps=2000)
    np.testing.assert_array_equal(interval, expected["x"][:, 0])  # the same bits as rliable's own statistic
    assert iqm_interval(x, reps=2000) == (point, interval)  # the same interval every time
    probability, interval = improvement_probability(x, y, reps=2000)
    by_hand = np.mean([np.mean((x[:, t, None] > y[None, :, t]) + 0.5 * (x[:, t, None] == y[None, :, t]))
                       for t in range(2)])
    assert probability == pytest.approx(by_hand)
    assert interval[0] <= probability <= interval[1]
    np.random.seed(0)
    _, expected = library.get_interval_estimates({"x": (x, y)}, metrics.probability_of_improvement, reps=2000)
    np.testing.assert_array_equal(interval, np.ravel(expected["x"]))


@pytest.mark.parametrize("runs", [(1, 1), (3, 5), (5, 5), (8, 10)])
def test_iqm_and_improvement_are_rliables_to_the_bit(runs):
    """ebrl's IQM and P(X > Y) (without scipy's per-call overhead) against rliable's aggregate_iqm and
    probability_of_improvement, on scores with ties and on identical scores."""
    from rliable import metrics

    rng = np.random.default_rng(sum(runs))
    for _ in range(20):
        x = rng.integers(0, 4, size=(runs[0], 3)) * rng.normal(size=(1, 3))  # few values: many ties
        y = rng.integers(0, 4, size=(runs[1], 3)) * rng.normal(size=(1, 3))
        for scores in (x, y, rng.normal(size=(runs[0], 2))):
            assert iqm(scores) == metrics.aggregate_iqm(scores)
        assert improvement(x, y) == metrics.probability_of_improvement(x, y)
        assert improvement(x, x) == metrics.probability_of_improvement(x, x) == 0.5
    taus = np.array([0.0, 2.0, 3.0, 10.0])
    profile = performance_profile(x, taus, reps=500)
    np.testing.assert_allclose(profile["fraction"], [(x > tau).mean() for tau in taus])
    assert profile["low"][-1] == profile["high"][-1] == 0.0


def test_normalised_scores_divide_by_sacs_mean_final_return():
    plan = StudyPlan(envs=("A", "B"), algos=("sac", "s2ac"), seeds=(0, 1, 2), steps=10)
    steps = np.array([5, 10])
    curves = {"A": {"sac": (steps, np.array([[0, 100], [0, 200], [0, 300.0]]), "mean"),
                    "s2ac": (steps, np.array([[0, 400], [0, 200], [0, 600.0]]), "softmax")},
              "B": {"sac": (steps, np.array([[0, 10], [0, 10], [0, 10.0]]), "mean"),
                    "s2ac": (steps, np.array([[0, 5], [0, 10], [0, 20.0]]), "softmax")}}
    results = compute_results(plan, curves)
    normalized = np.array([[2.0, 0.5], [1.0, 1.0], [3.0, 2.0]])  # s2ac / SAC's mean (200 on A, 10 on B)
    assert results["normalized_by_sac"]["s2ac"]["iqm"] == pytest.approx(scipy.stats.trim_mean(normalized, 0.25,
                                                                                              axis=None))
    poi = results["probability_of_improvement"]["s2ac > sac"]["probability"]
    a = np.mean([[x > y for y in (100, 200, 300)] for x in (400, 200, 600)]) + 0.5 / 9  # one tie (200, 200)
    b = np.mean([[x > y for y in (10, 10, 10)] for x in (5, 10, 20)]) + 0.5 * 3 / 9
    assert poi == pytest.approx((a + b) / 2)
    per_task = results["probability_of_improvement_per_task"]
    assert [per_task[env]["s2ac > sac"]["probability"] for env in ("A", "B")] == pytest.approx([a, b])


@pytest.mark.slow
def test_the_study_on_a_ray_cluster_with_a_killed_worker_gives_the_same_results(study, tmp_path):
    """The tiny study's S2AC group on InvertedPendulum (its costliest), as a study of its own on Ray: its worker
    killed after the first checkpoint, the group retried from it, every seed's metrics as the in-process study's."""
    ray = pytest.importorskip("ray")
    ray.init(num_cpus=1, include_dashboard=False, logging_level="ERROR", log_to_driver=False)  # one group, one task
    plan = dataclasses.replace(TINY_STUDY, envs=("InvertedPendulum-v5",), algos=("s2ac",))
    try:
        out = tmp_path / "on-ray"
        outcome = {}
        runner = threading.Thread(target=lambda: outcome.setdefault("ok", run_study(plan, out, ray="auto")))
        runner.start()
        killed = _kill_a_group_worker_after_its_first_checkpoint(out, runner)
        runner.join(timeout=600)
        assert killed and outcome.get("ok"), "no worker was killed mid-run, or the study did not finish"
    finally:
        ray.shutdown()
    (group,) = plan_groups(plan)
    for seed in plan.seeds:
        on_ray, in_process = (_metrics(group.run_dir(folder) / f"seed_{seed}") for folder in (out, study))
        deterministic = [column for column in in_process[0] if column not in ("time_s", "sps")]
        assert ([{c: row[c] for c in deterministic} for row in on_ray]
                == [{c: row[c] for c in deterministic} for row in in_process])


def _processes_named(title: str) -> list[int]:
    """Processes whose command line starts with `title` (Ray names a worker by the task it runs), read from /proc
    (no fork from this multithreaded process)."""
    pids = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and (entry / "cmdline").read_bytes().startswith(title.encode()):
                pids.append(int(entry.name))
        except OSError:
            continue
    return pids


def _kill_a_group_worker_after_its_first_checkpoint(out, runner) -> bool:
    deadline = time.monotonic() + 300
    while runner.is_alive() and time.monotonic() < deadline:
        started = list((out / "runs").glob("*/*/seed_1/checkpoints/[0-9]*")) if (out / "runs").exists() else []
        if started:
            pids = _processes_named("ray::train_group")
            if pids:
                os.kill(pids[0], signal.SIGKILL)
                return True
        time.sleep(0.05)
    return False


@pytest.mark.parametrize("flags, fragments", [
    (["--envs", "Nope-v9"], ["unknown environment 'Nope-v9'"]),
    (["--envs", "CartPole-v1"], ["Discrete action space"]),
    (["--envs", "Pendulum-v1", "--steps", "0"], ["--steps must be positive"]),
    (["--envs", "Pendulum-v1", "--eval-every", "-5"], ["--eval-every must be positive"]),
    (["--envs", "Pendulum-v1", "--algos", "ppo"], ["unknown algorithm 'ppo'"]),
    (["--envs", "Pendulum-v1", "--algos", "s2ac@logdt=trace"], ["changes logdt, not a field of s2ac's config"]),
    (["--envs", "Pendulum-v1", "--algos", "s2ac@logdet"], ["is not ALGO@FIELD=VALUE", "s2ac@logdet=trace"]),
    (["--envs", "Pendulum-v1", "--algos", "s2ac@logdet=tr"], ["'s2ac@logdet=tr': logdet must be one of"]),
    (["--envs", "Pendulum-v1", "--seeds", "1", "1"], ["more than once"]),
    (["--envs", "Pendulum-v1", "--ray", "127.0.0.1:1"], ["cannot reach a Ray cluster at 127.0.0.1:1"]),
    (["--envs", "Pendulum-v1", "--ray", "nowhere"], ["not auto or HOST:PORT"]),
    (["--envs", "Pendulum-v1", "--workers", "9"], ["--workers (9) is more than the study's 3 group(s)"]),
    (["--envs", "Pendulum-v1", "--gpus-per-group", "1"], ["--gpus-per-group is 1.0 but this machine", "no GPU"]),
    # the loop's preset fields: set with --loop, and every message names only flags `ebrl mujoco` has
    (["--envs", "Hopper-v5", "--algos", "sac", "--steps", "3000"],
     ["sac on Hopper-v5: --steps (3000) ends before learning_starts (10000)", "--loop learning_starts=VALUE"]),
    (["--envs", "Hopper-v5", "--algos", "sac", "--loop", "batch_size=0"],
     ["batch_size must be positive", "(in the study: --loop batch_size=VALUE)"]),
    (["--envs", "Pendulum-v1", "--loop", "steps=5"], ["--loop steps=... is the study's to set; use --steps"]),
    (["--envs", "Pendulum-v1", "--loop", "seed=5"], ["use --seeds"]),
    (["--envs", "Pendulum-v1", "--loop", "foo=5"], ["--loop foo=... names no field of the training loop"]),
    (["--envs", "Pendulum-v1", "--loop", "chunk"], ["is not FIELD=VALUE", "--loop learning_starts=1000"]),
    (["--envs", "Pendulum-v1", "--loop", "batch_size=abc"], ["batch_size='abc' is not an int like its default"]),
    (["--envs", "Pendulum-v1", "--algos", "s2ac@particles=1.5"], ["particles=1.5 is not an int like its default"]),
])
def test_bad_study_input_is_one_line_before_any_work(capsys, tmp_path, flags, fragments):
    out = tmp_path / "study"
    error = fails_cleanly(capsys, ["mujoco", *flags, "--out", str(out)], *fragments)
    assert not out.exists()
    assert "--learning-starts" not in error and "--batch-size" not in error  # flags of `ebrl train`, not of the study


def test_a_folder_with_another_study_is_refused_and_kept(capsys, study):
    before = {p: p.read_bytes() for p in study.glob("*.json")}
    fails_cleanly(capsys, ["mujoco", "--envs", "Pendulum-v1", "--steps", "6000", "--out", str(study)],
                  "holds another study", "choose another --out")
    assert {p: p.read_bytes() for p in study.glob("*.json")} == before
