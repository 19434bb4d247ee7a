"""The library's public face: train one configuration for one seed, or for a group of seeds in one program, and
open what it wrote.

    import ebrl
    spec = ebrl.preset_spec("sac", "Pendulum-v1", steps=20_000)
    results = ebrl.train(spec, seeds=[0, 1, 2], out="runs/pendulum")   # runs/pendulum/seed_0, seed_1, seed_2
    ebrl.train(spec, seeds=[0, 1, 2], out="runs/again", init_from="runs/pendulum@best")  # seed k from seed k
    ebrl.train(spec, seeds=[0, 1], out="runs/sweep", sweep={"actor_lr": [1e-4, 1e-3]})  # runs/sweep/actor_lr=.../seed_0

Without run directories: `Trainer(describe_task(env_id), agent, cfg, seeds).run(observer)` reports every row, best
and checkpoint to an observer (e.g. `RowsInMemory()`) and writes nothing.
"""

from ebrl.envs.task import Task, describe_task
from ebrl.loop.trainer import GroupSnapshot, Observer, RowsInMemory, Trainer, TrainingDiverged
from ebrl.runs import InitFrom, LoadedRun, RunSpec, TrainResult, load_run, preset_spec, resume, train

__all__ = ["GroupSnapshot", "InitFrom", "LoadedRun", "Observer", "RowsInMemory", "RunSpec", "Task", "TrainResult",
           "Trainer", "TrainingDiverged", "describe_task", "load_run", "preset_spec", "resume", "train"]
