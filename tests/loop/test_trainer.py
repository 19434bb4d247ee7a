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
                  eval_episodes=1, batch_size=32)


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


@pytest.fixture(scope="module", params=["Pendulum-v1", "ebrl/MultiGoal3-v0"])  # the Gymnasium and the JAX driver
def whole(request, tmp_path_factory):
    """An uninterrupted two-seed group, trained in an empty working directory: (env id, trainer, recorder, folder)."""
    folder = tmp_path_factory.mktemp("cwd")
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(folder)
        trainer, recorder = make(request.param, [0, 1]), Recorder()
        summaries = trainer.run(recorder)
    assert [s.interrupted for s in summaries] == [False, False]
    return request.param, trainer, recorder, folder


@pytest.mark.slow
def test_a_group_continued_from_a_snapshot_equals_the_uninterrupted_group(whole):
    env_id, trainer, whole, folder = whole
    assert list(folder.iterdir()) == []  # the trainer writes nothing
    assert sorted(whole.snapshots) == [200, 400]
    for k in (0, 1):
        assert [row["step"] for row in whole.rows[k]] == [100, 200, 300, 400]
        assert set(whole.rows[k][0]) <= set(metrics_columns(trainer.agent, trainer.task))
    assert whole.rows[0] != whole.rows[1]  # two seeds, two different runs

    half = Recorder()
    make(env_id, [0, 1], start=whole.snapshots[200]).run(half)
    for k in (0, 1):
        assert without_timing(half.rows[k]) == without_timing(whole.rows[k][2:])


def test_events_come_in_order_and_the_best_is_the_running_maximum(whole):
    recorder = whole[2]
    kinds = [event[0] for event in recorder.events]
    assert kinds[-1] == "end" and kinds.count("checkpoint") == 2
    for k in (0, 1):
        returns = [row[f"eval/{whole[1].agent.action_modes[0]}/return_mean"] for row in recorder.rows[k]]
        bests = [(e[2], e[3]) for e in recorder.events if e[0] == "best" and e[1] == k]
        assert bests == [(100 * (i + 1), r) for i, r in enumerate(returns) if i == 0 or r > max(returns[:i])]
        for step, _ in bests:  # a best is reported just before the row that makes it
            best = next(e for e in recorder.events if e[0] == "best" and e[1] == k and e[2] == step)
            assert recorder.events.index(("row", k, step)) == recorder.events.index(best) + 1


@pytest.mark.slow
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
