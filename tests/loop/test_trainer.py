"""The loop without the command line or a run folder: a Trainer reports to an in-memory observer, stops when asked,
and continues from a snapshot exactly as if it had not stopped."""

import dataclasses

import jax
import numpy as np
import pytest

from ebrl.agents.sac import SACConfig, make_agent
from ebrl.api import Observer, RowsInMemory, Trainer, describe_task
from ebrl.config import TrainConfig
from ebrl.loop.trainer import TIMING_COLUMNS, GroupSnapshot, metrics_columns

CFG = TrainConfig(steps=400, random_steps=100, learning_starts=100, chunk=50, eval_every=100, checkpoint_every=200,
                  eval_episodes=2, batch_size=32)


class Recorder(RowsInMemory):
    """Rows, bests, event order and host copies of the snapshots."""

    def __init__(self):
        super().__init__()
        self.events: list[tuple] = []
        self.snapshots: dict[int, GroupSnapshot] = {}

    def on_best(self, seed_index, step, agent_state, value):
        self.events.append(("best", seed_index, step, value))

    def on_row(self, seed_index, row):
        super().on_row(seed_index, row)
        self.events.append(("row", seed_index, row["step"]))

    def on_checkpoint(self, snapshot):
        driver = dataclasses.replace(snapshot.driver, device=jax.device_get(snapshot.driver.device))
        self.snapshots[snapshot.step] = dataclasses.replace(snapshot, states=jax.device_get(snapshot.states),
                                                            driver=driver)
        self.events.append(("checkpoint", snapshot.step))

    def on_end(self):
        self.events.append(("end",))


def make(env_id: str, seeds, start=None, steps=CFG.steps):
    task = describe_task(env_id)
    agent = make_agent(SACConfig(hidden=(16, 16)), task.obs_dim, task.act_dim)
    return Trainer(task, agent, dataclasses.replace(CFG, env=env_id, steps=steps), seeds, start=start)


def without_timing(rows):
    return [{k: v for k, v in row.items() if k not in TIMING_COLUMNS} for row in rows]


@pytest.mark.parametrize("env_id", ["Pendulum-v1", "ebrl/MultiGoal3-v0"])  # the Gymnasium and the JAX driver
def test_a_group_continued_from_a_snapshot_equals_the_uninterrupted_group(env_id, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    whole = Recorder()
    trainer = make(env_id, [0, 1])
    summaries = trainer.run(whole)
    assert list(tmp_path.iterdir()) == []  # the trainer writes nothing
    assert [s.interrupted for s in summaries] == [False, False]
    assert sorted(whole.snapshots) == [200, 400]
    for k in (0, 1):
        assert [row["step"] for row in whole.rows[k]] == [100, 200, 300, 400]
        assert set(whole.rows[k][0]) <= set(metrics_columns(trainer.agent, trainer.task))
    assert whole.rows[0] != whole.rows[1]  # two seeds, two different runs

    half = Recorder()
    make(env_id, [0, 1], start=whole.snapshots[200]).run(half)
    for k in (0, 1):
        assert without_timing(half.rows[k]) == without_timing(whole.rows[k][2:])


def test_events_come_in_order_and_the_best_is_the_running_maximum():
    recorder = Recorder()
    make("Pendulum-v1", [3]).run(recorder)
    kinds = [event[0] for event in recorder.events]
    assert kinds[-1] == "end" and kinds.count("checkpoint") == 2
    returns = [row["eval/mean/return_mean"] for row in recorder.rows[0]]
    bests = [(step, value) for kind, _, step, value in (e for e in recorder.events if e[0] == "best")]
    expected = [(100 * (i + 1), r) for i, r in enumerate(returns) if r == max(returns[:i + 1]) and
                (i == 0 or r > max(returns[:i]))]
    assert bests == expected
    for step, _ in bests:  # a best is reported before the row that makes it
        assert recorder.events.index(("row", 0, step)) == recorder.events.index(
            next(e for e in recorder.events if e[0] == "best" and e[2] == step)) + 1


def test_should_stop_ends_at_the_next_chunk_with_a_snapshot():
    recorder = Recorder()
    calls = []

    def should_stop():
        calls.append(1)
        return len(calls) == 3  # after the third chunk: step 150, between checkpoints

    summaries = make("Pendulum-v1", [0]).run(recorder, should_stop)
    assert summaries[0].interrupted
    assert sorted(recorder.snapshots) == [150]
    assert [row["step"] for row in recorder.rows[0]] == [100]
    assert recorder.events[-1] == ("end",)


class Exploding(Observer):
    def on_row(self, seed_index, row):
        raise RuntimeError("observer failed")

    def on_end(self):
        self.ended = True


def test_an_observer_is_told_the_end_even_when_training_fails():
    observer = Exploding()
    with pytest.raises(RuntimeError, match="observer failed"):
        make("Pendulum-v1", [0]).run(observer, lambda: False)
    assert observer.ended and np.isfinite(1.0)
