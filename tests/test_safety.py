"""Safety nets of a run: one writer per run directory, and a run that diverges stops on its last finite state."""

import json
import signal
import subprocess
import sys
import time

import jax
import numpy as np
import pytest

from ebrl.commands import main
from ebrl.runs import RunLock, load_run, read_metrics
from tests.conftest import TINY
from tests.helpers import stamps
from tests.test_cli import fails_cleanly
from tests.test_train import LONGER, metrics_without_timing, start_training, wait_for_checkpoint


@pytest.mark.slow
def test_a_run_being_trained_refuses_a_second_writer_until_its_process_is_gone(capsys, tmp_path):
    out = tmp_path / "run"
    process = start_training(out)
    try:
        wait_for_checkpoint(out, process)
        process.send_signal(signal.SIGSTOP)  # still alive and holding the run, but no longer rotating its files
        before = stamps(out)
        for argv in (["train", "--resume", str(out), "--steps", "3000"],
                     ["train", *LONGER, "--out", str(out), "--overwrite"]):
            fails_cleanly(capsys, argv, f"{out} is being trained by another process (pid {process.pid})")
        assert stamps(out) == before  # the refused commands removed and changed nothing
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
    with RunLock(out):  # a killed process leaves no lock behind
        pass


DIVERGING = [*TINY[:TINY.index("--steps")], "--steps", "1000", *TINY[TINY.index("--steps") + 2:],
             "--learning-starts", "400", "--actor-lr", "1e3", "--critic-lr", "1e3"]


@pytest.mark.slow
def test_a_diverging_run_stops_on_its_last_finite_checkpoint_and_resumes_with_other_settings(capsys, tmp_path):
    out = tmp_path / "run"
    assert main(["train", *DIVERGING, "--out", str(out)]) == 3  # Adam at a learning rate of 1000: NaN at once
    err = capsys.readouterr().err.strip().splitlines()[-1]  # after the start line
    assert err.startswith("error: seed 0 diverged by step 400: "), err
    assert "kept its last finite checkpoint (step 200)" in err and f"ebrl train --resume {out}" in err
    assert sorted(int(p.name) for p in (out / "checkpoints").iterdir() if p.name.isdigit()) == [200]
    saved = load_run(out)
    assert saved.step == 200 and all(np.isfinite(leaf).all() for leaf in jax.tree.leaves(saved.state)
                                     if np.issubdtype(np.asarray(leaf).dtype, np.floating))
    assert [row["step"] for row in read_metrics(out)] == [200]  # no row of the non-finite state
    assert main(["train", "--resume", str(out), "--actor-lr", "3e-4", "--critic-lr", "3e-4", "--no-progress"]) == 0
    rows = read_metrics(out)
    assert [row["step"] for row in rows] == [200, 400, 600, 800, 1000]
    assert all(np.isfinite(value) for row in rows for value in row.values())
    assert load_run(out).spec.agent.critic_lr == 3e-4


def test_resume_refuses_changes_a_checkpoint_cannot_continue(capsys, tiny_run):
    before = stamps(tiny_run)
    fails_cleanly(capsys, ["train", "--resume", str(tiny_run), "--steps", "800", "--hidden", "64", "64"],
                  "hidden would change the agent's networks")
    fails_cleanly(capsys, ["train", "--resume", str(tiny_run), "--steps", "800", "--env", "MountainCarContinuous-v0"],
                  "env cannot change when a run resumes")
    fails_cleanly(capsys, ["train", "--resume", str(tiny_run), "--out", "elsewhere"], "--out does not apply")
    assert stamps(tiny_run) == before


def test_the_best_checkpoint_is_the_argmax_of_the_logged_returns(capsys, tmp_path):
    out = tmp_path / "run"
    assert main(["train", *LONGER, "--checkpoint-every", "400", "--out", str(out)]) == 0
    rows = read_metrics(out)
    returns = [row["eval/mean/return_mean"] for row in rows]  # SAC's default mode: mean
    best_step = rows[int(np.argmax(returns))]["step"]
    assert load_run(out, "best").step == best_step
    capsys.readouterr()
    assert main(["eval", str(out), "--checkpoint", "best", "--episodes", "1", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["step"] == best_step
    fails_cleanly(capsys, ["eval", str(out), "--checkpoint", "7"], "no checkpoint at step 7")


@pytest.mark.slow
def test_kills_at_random_moments_and_while_checkpointing_leave_the_run_as_if_uninterrupted(uninterrupted, tmp_path):
    """SIGKILL a run again and again and start it again each time (`--resume` once it has a checkpoint): every
    restart succeeds and the finished metrics.csv equals that of a run that was never stopped. The moments are drawn
    from a seeded generator relative to the run's progress (a random delay after a random checkpoint, or during
    start-up), so they fall inside training however fast the machine is; one kill waits for orbax's temporary
    folder, i.e. a checkpoint in the middle of being written. (A kill after a checkpoint, resumed, is the plain case of
    SIGKILL; groups: tests/test_groups.py.)"""
    out, rng = tmp_path / "killed", np.random.default_rng(2026)
    command = [sys.executable, "-m", "ebrl", "train"]
    kinds: list[str] = []
    while True:
        saved = {int(p.name) for p in (out / "checkpoints").glob("*") if p.name.isdigit()}
        if 1600 in saved:  # killed after its last checkpoint: finished
            break
        argv = [*command, "--resume", str(out), "--no-progress"] if saved else \
            [*command, *LONGER, "--out", str(out), "--overwrite"]
        process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        while_saving = len(kinds) == 2
        after = max(saved, default=0) + 200 * int(rng.integers(0, 3))  # 0: during start-up or the first interval
        delay = rng.uniform(0.0, 0.4)
        kind = None
        while process.poll() is None and len(kinds) < 6:
            names = [p.name for p in (out / "checkpoints").glob("*")]
            if while_saving and any("tmp" in name for name in names):
                kind = "while writing a checkpoint"
            elif not while_saving and max((int(n) for n in names if n.isdigit()), default=0) >= after:
                time.sleep(delay)
                kind = f"{delay:.2f} s after step {after}"
            else:
                time.sleep(0.002)
                continue
            process.send_signal(signal.SIGKILL)
            break
        output = process.communicate()[0].decode()
        if process.returncode == -signal.SIGKILL:
            kinds.append(str(kind))
            continue
        assert process.returncode == 0, output  # a restart after a kill never fails
        break
    assert len(kinds) >= 4 and "while writing a checkpoint" in kinds, kinds
    assert metrics_without_timing(out) == metrics_without_timing(uninterrupted)


@pytest.mark.slow
@pytest.mark.parametrize("where", ["while the trainer is built", "while a checkpoint is written"])
def test_an_interrupt_that_cannot_wait_is_one_line_and_the_run_continues(capsys, tmp_path, monkeypatch, where):
    """A Ctrl-C before training starts (e.g. during compilation), or a second one (the first stops at the next
    checkpoint) while a checkpoint is written: one line, exit code 130, and the run continues with --resume."""
    import ebrl.loop.trainer
    from ebrl.runs.checkpoints import CheckpointFolder

    def interrupt(*args, **kwargs):
        raise KeyboardInterrupt

    if where == "while the trainer is built":
        monkeypatch.setattr(ebrl.loop.trainer, "make_learner", interrupt)
    else:
        save = CheckpointFolder.save
        monkeypatch.setattr(CheckpointFolder, "save", lambda folder, step, **items: interrupt() if step == 400
                            and not folder.is_best else save(folder, step, **items))
    out = tmp_path / "run"
    assert main(["train", *TINY, "--out", str(out)]) == 130
    assert capsys.readouterr().err.strip().splitlines()[-1] == (
        "interrupted; a run that started keeps its last checkpoint: continue it with `ebrl train --resume RUN`")
    monkeypatch.undo()
    assert main(["train", "--resume", str(out), "--no-progress"]) == 0
    assert [row["step"] for row in read_metrics(out)] == [200, 400, 600]
