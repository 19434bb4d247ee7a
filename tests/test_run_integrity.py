"""No run loses data: extending a finished run, a group killed while its seeds wrote a checkpoint, an overwrite
beside a busy run, a cut metrics.csv, training too short to learn, and two writers of one JSON file."""

import json
import os
import shutil
import threading

import pytest

from ebrl.commands import main
from ebrl.runs import write_json_atomic
from tests.conftest import TINY
from tests.helpers import stamps
from tests.test_cli import fails_cleanly
from tests.test_train import metrics_without_timing, start_training, wait_for_checkpoint


def with_flags(env: str, steps: int, *extra: str) -> list[str]:
    flags = list(TINY)
    flags[flags.index("--env") + 1] = env
    flags[flags.index("--steps") + 1] = str(steps)
    return [*flags, "--no-pictures", *extra]


def seed_dirs(out, group: bool):
    return [out / "seed_0", out / "seed_1"] if group else [out]


@pytest.mark.slow
@pytest.mark.parametrize("env, group", [("Pendulum-v1", True), ("ebrl/MultiGoal3-v0", False)])
def test_extending_a_finished_run_equals_a_run_with_the_longer_budget(env, group, tmp_path):
    """A 200-step run's replay ring is full (capacity min(buffer size, steps) = 200) and its write position has
    wrapped to 0; extended to 400 steps, its transitions must sit where the 400-step run's ring holds them.
    Pendulum trains a group with the Gymnasium driver, MultiGoal3 a single run with the on-device one (the other two
    combinations take the same paths: a group differs from a run in its folders, which test_groups covers)."""
    seeds = ["--seeds", "0", "1"] if group else []
    full, extended = tmp_path / "full", tmp_path / "extended"
    assert main(["train", *with_flags(env, 400, *seeds), "--out", str(full)]) == 0
    assert main(["train", *with_flags(env, 200, *seeds), "--out", str(extended)]) == 0
    assert main(["train", "--resume", str(extended), "--steps", "400", "--no-progress"]) == 0
    for run_full, run_extended in zip(seed_dirs(full, group), seed_dirs(extended, group)):
        assert metrics_without_timing(run_extended) == metrics_without_timing(run_full)


def cut(path, keep_bytes):
    path.write_bytes(path.read_bytes()[:keep_bytes])


@pytest.mark.parametrize("damage, fragments", [
    (lambda p: p.write_bytes(b""), ["metrics.csv is empty"]),
    (lambda p: cut(p, len(p.read_bytes().splitlines(keepends=True)[0])), ["holds 0 of the 3 rows up to step 600"]),
    (lambda p: cut(p, sum(map(len, p.read_bytes().splitlines(keepends=True)[:3])) - 7), ["holds 1 of the 3 rows"]),
    (lambda p: p.write_bytes(p.read_bytes().replace(b"\n400,", b"\n4x0,", 1)), ["line 3 is not a complete row"]),
    (lambda p: p.unlink(), ["metrics.csv does not exist, though the checkpoint at step 600 counts 3 rows",
                            "restore it from a backup"]),
])
def test_resume_refuses_a_metrics_file_that_lost_rows(tiny_run, tmp_path, capsys, damage, fragments):
    run_dir = tmp_path / "run"
    shutil.copytree(tiny_run, run_dir)
    damage(run_dir / "metrics.csv")
    before = stamps(run_dir)
    contents = {p: p.read_bytes() for p in run_dir.rglob("*") if p.is_file() and p.name != ".lock"}
    fails_cleanly(capsys, ["train", "--resume", str(run_dir), "--steps", "800"], str(run_dir / "metrics.csv"),
                  *fragments)
    assert stamps(run_dir) == before
    assert {p: p.read_bytes() for p in run_dir.rglob("*") if p.is_file() and p.name != ".lock"} == contents


@pytest.mark.slow
def test_a_row_cut_after_the_checkpoint_is_produced_again(tiny_run, tmp_path):
    """Killed while writing the row of step 600, before its checkpoint: the resume from 400 writes it again."""
    run_dir = tmp_path / "run"
    shutil.copytree(tiny_run, run_dir)
    shutil.rmtree(run_dir / "checkpoints" / "600")
    metrics = run_dir / "metrics.csv"
    cut(metrics, len(metrics.read_bytes()) - 40)
    assert main(["train", "--resume", str(run_dir), "--no-progress"]) == 0
    assert metrics_without_timing(run_dir) == metrics_without_timing(tiny_run)


@pytest.mark.parametrize("argv", [
    ["plot", "{run}"],
    ["plot", "{run}", "--out", "{tmp}/curves.png"],
])
@pytest.mark.parametrize("damage, fragment", [
    (lambda p: p.unlink(), "does not exist"),
    (lambda p: p.write_bytes(b""), "is empty"),
    (lambda p: cut(p, len(p.read_bytes().splitlines(keepends=True)[0])), "holds no rows yet"),
    (lambda p: cut(p, len(p.read_bytes()) - 40), "ends in a cut row"),
])
def test_plot_of_a_missing_empty_or_cut_metrics_file_is_one_line(tiny_run, tmp_path, capsys, argv, damage,
                                                                  fragment):
    run_dir = tmp_path / "run"
    shutil.copytree(tiny_run, run_dir, ignore=shutil.ignore_patterns("figures"))
    damage(run_dir / "metrics.csv")
    fails_cleanly(capsys, [a.format(run=run_dir, tmp=tmp_path) for a in argv], fragment)
    assert not (run_dir / "figures").exists() and not (tmp_path / "curves.png").exists()


def test_training_that_would_never_update_is_refused(capsys, tmp_path):
    out = tmp_path / "short"
    err = fails_cleanly(capsys, ["train", *with_flags("Pendulum-v1", 50), "--out", str(out)],
                        "--steps (50) ends before --learning-starts (100)")
    assert "learning_starts" not in err, err  # every field as the flag of the command
    assert not out.exists()
    fails_cleanly(capsys, ["mujoco", "--envs", "Hopper-v5", "--algos", "s2ac", "--seeds", "0", "--steps", "500",
                           "--out", str(out)], "--steps (500) ends before", "(1000)")
    err = fails_cleanly(capsys, ["multigoal", "s2ac-fig2", "--steps", "500", "--n-seeds", "1", "--out", str(out),
                                 "--runs-dir", str(out / "runs")], "--steps (500) ends before", "at least 1000")
    assert "learning" not in err, err  # `ebrl multigoal` has no --learning-starts: its presets set the warm-up
    assert not out.exists()


@pytest.mark.slow
def test_overwrite_refuses_while_another_process_trains_the_group(tmp_path, capsys):
    """`--seeds 2 3 --overwrite` would remove seeds 0 and 1 of the group; while another process trains them, the
    whole command is refused, nothing is removed, and that training finishes intact."""
    out = tmp_path / "g"
    process = start_training(out, "--seeds", "0", "1")
    wait_for_checkpoint(out / "seed_1", process)
    fails_cleanly(capsys, ["train", *TINY, "--seeds", "2", "3", "--out", str(out), "--overwrite"],
                  "is being trained by another process")
    assert (out / "seed_0" / "config.json").is_file() and (out / "seed_1" / "config.json").is_file()
    assert not (out / "seed_2").exists() and not (out / "seed_3").exists()
    assert process.wait(timeout=300) == 0, process.stdout.read().decode()
    for seed in (0, 1):
        rows = metrics_without_timing(out / f"seed_{seed}")
        assert [row["step"] for row in rows] == [str(200 * i) for i in range(1, 9)]
    # once it has finished, the overwrite goes through and leaves only the new seeds
    assert main(["train", *TINY, "--seeds", "2", "3", "--out", str(out), "--overwrite"]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["seed_2", "seed_3"]


@pytest.mark.parametrize("argv, where", [
    (["train", *TINY, "--out", "/proc/ebrl-test/run"], "/proc/ebrl-test/run"),
    (["export", "{run}", "--out", "/proc/ebrl-test/policy.jax"], "/proc/ebrl-test"),
    (["plot", "{run}", "--out", "/sys/ebrl-test/curves.png"], "/sys/ebrl-test"),
])
def test_an_output_that_cannot_be_written_is_one_line(tiny_run, capsys, argv, where):
    fails_cleanly(capsys, [a.format(run=tiny_run) for a in argv], f"cannot write in {where}", "choose another --out")


@pytest.mark.parametrize("section, field, value, fragment", [
    ("train", "steps", "600", "steps is '600', which is not of its type int"),
    ("agent", "hidden", [32, "wide"], "hidden is [32, 'wide']"),
    ("agent", "autotune_alpha", 1, "autotune_alpha is 1, which is not of its type bool"),
])
def test_a_config_file_with_values_of_the_wrong_type_is_one_line(tiny_run, tmp_path, capsys, section, field, value,
                                                                 fragment):
    import json

    run_dir = tmp_path / "run"
    shutil.copytree(tiny_run, run_dir)
    config = json.loads((run_dir / "config.json").read_text())
    config[section][field] = value
    (run_dir / "config.json").write_text(json.dumps(config))
    before = stamps(run_dir)
    for argv in (["eval", str(run_dir)], ["plot", str(run_dir)], ["train", "--resume", str(run_dir), "--steps", "800"]):
        fails_cleanly(capsys, argv, "config.json is unreadable", fragment)
    assert stamps(run_dir) == before


def test_two_writers_of_one_json_file_do_not_take_each_others_temporary_file(tmp_path, monkeypatch):
    """Two study commands started together both write plan.json: each writes its temporary file before either
    renames it (a barrier inside os.replace forces that order); both must succeed and the file must be whole."""
    rename, barrier = os.replace, threading.Barrier(2, timeout=10)

    def replace_after_both_wrote(src, dst):
        barrier.wait()
        rename(src, dst)

    monkeypatch.setattr(os, "replace", replace_after_both_wrote)
    path, errors = tmp_path / "plan.json", []

    def write(value):
        try:
            write_json_atomic(path, {"writer": value})
        except OSError as error:
            errors.append(error)

    writers = [threading.Thread(target=write, args=(value,)) for value in (1, 2)]
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join()
    assert errors == []
    assert json.loads(path.read_text())["writer"] in (1, 2)
    assert [p.name for p in tmp_path.iterdir()] == ["plan.json"]


def zero_16_bytes(step_dir):
    """Silent damage on disk: 16 bytes zeroed in the middle of the step's largest array file (orbax still reads
    it, and its arrays then hold other values or nothing it notices)."""
    data = max((p for p in (step_dir / "agent").rglob("*") if p.is_file() and p.parent.name == "d"),
               key=lambda p: p.stat().st_size)
    content = bytearray(data.read_bytes())
    middle = len(content) // 2
    content[middle:middle + 16] = bytes(16)
    data.write_bytes(bytes(content))


def one_warning(capsys, *fragments) -> str:
    """Assert that stderr holds one line, a warning with `fragments`; return stdout."""
    out, err = capsys.readouterr()
    assert err.startswith("warning: ") and err.count("\n") == 1, err
    for fragment in fragments:
        assert fragment in err, err
    return out


@pytest.mark.slow
def test_a_damaged_latest_checkpoint_is_named_and_the_previous_one_used(tiny_run, tmp_path, capsys):
    """eval, ebrl.load and a resume of "latest" pass over a checkpoint whose files no longer match their SHA-256
    checksums, in one line; the resume from 400 writes again what the run wrote after it."""
    import ebrl

    run_dir = tmp_path / "run"
    shutil.copytree(tiny_run, run_dir)
    zero_16_bytes(run_dir / "checkpoints" / "600")
    damaged = f"{run_dir / 'checkpoints' / '600'} is damaged"
    assert main(["eval", str(run_dir), "--episodes", "1", "--json"]) == 0
    assert json.loads(one_warning(capsys, damaged, "using", "400"))["step"] == 400
    assert ebrl.load(run_dir).run.step == 400
    one_warning(capsys, damaged)
    fails_cleanly(capsys, ["eval", str(run_dir), "--checkpoint", "600"], damaged, "choose another --checkpoint")
    assert main(["train", "--resume", str(run_dir), "--steps", "800", "--no-progress"]) == 0
    assert capsys.readouterr().err.startswith(f"warning: {damaged}")
    rows = metrics_without_timing(run_dir)
    assert rows[:3] == metrics_without_timing(tiny_run) and rows[-1]["step"] == "800"


def test_a_run_without_an_intact_checkpoint_is_refused_in_one_line(tiny_run, tmp_path, capsys):
    import ebrl
    from ebrl.config import ConfigError

    run_dir = tmp_path / "run"
    shutil.copytree(tiny_run, run_dir)
    for step in ("400", "600"):
        zero_16_bytes(run_dir / "checkpoints" / step)
    before = stamps(run_dir)
    fails_cleanly(capsys, ["train", "--resume", str(run_dir), "--steps", "800"], "no intact checkpoint to resume",
                  "checkpoints/600, ", "are damaged")
    fails_cleanly(capsys, ["eval", str(run_dir)], "holds no intact step", "use --checkpoint best")
    fails_cleanly(capsys, ["export", str(run_dir), "--out", str(tmp_path / "policy.jax")], "holds no intact step")
    with pytest.raises(ConfigError, match="holds no intact step"):
        ebrl.load(run_dir)
    assert stamps(run_dir) == before and not (tmp_path / "policy.jax").exists()
    assert main(["eval", str(run_dir), "--checkpoint", "best", "--episodes", "1"]) == 0  # best is intact


@pytest.mark.slow
def test_a_group_resumes_from_the_latest_step_every_seed_has_intact(tmp_path, capsys):
    out = tmp_path / "g"
    assert main(["train", *with_flags("Pendulum-v1", 600, "--seeds", "0", "1"), "--out", str(out)]) == 0
    rows = [metrics_without_timing(run_dir) for run_dir in seed_dirs(out, group=True)]
    seed_0_at_400 = out / "seed_0" / "checkpoints" / "400"
    kept = shutil.copytree(seed_0_at_400, tmp_path / "kept")
    zero_16_bytes(seed_0_at_400)
    zero_16_bytes(out / "seed_1" / "checkpoints" / "600")
    before = stamps(out)
    capsys.readouterr()
    fails_cleanly(capsys, ["train", "--resume", str(out), "--steps", "800"], "no intact checkpoint to resume from "
                  "for every seed", "seed_1/checkpoints/600, ", "seed_0/checkpoints/400 are damaged")
    assert stamps(out) == before
    shutil.rmtree(seed_0_at_400)
    shutil.copytree(kept, seed_0_at_400)  # seed 0's step 400 intact again: both seeds continue from it
    assert main(["train", "--resume", str(out), "--steps", "800", "--no-progress"]) == 0
    one_warning_line = capsys.readouterr().err.splitlines()[0]
    assert "seed_1/checkpoints/600 is damaged" in one_warning_line, one_warning_line
    assert "continuing from step 400, the latest step every seed has intact" in one_warning_line
    for run_dir, before_rows in zip(seed_dirs(out, group=True), rows):
        after = metrics_without_timing(run_dir)
        assert after[:3] == before_rows and after[-1]["step"] == "800"


def test_a_checkpoint_written_without_checksums_loads(tiny_run, tmp_path, capsys):
    """Runs of an ebrl that kept no checksums still evaluate and resume, and say nothing about it."""
    run_dir = tmp_path / "run"
    shutil.copytree(tiny_run, run_dir)
    for digests in run_dir.rglob("sha256.json"):
        digests.unlink()
    assert main(["eval", str(run_dir), "--episodes", "1", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["step"] == 600
    assert main(["train", "--resume", str(run_dir), "--steps", "800", "--no-progress"]) == 0
    assert "warning" not in capsys.readouterr().err
