"""Opening a finished (or stopped) run: its agent at a checkpoint, its evaluation, a video of it."""

import dataclasses
import os
from pathlib import Path
from typing import Any

import jax
import numpy as np

from ebrl.agents import ALGORITHMS
from ebrl.config import ConfigError, require
from ebrl.envs import environment_calls, episode_seed, make_env
from ebrl.envs.task import describe_task
from ebrl.loop.evaluate import EVAL_STREAM, evaluate_episodes, make_policy
from ebrl.runs.checkpoints import CheckpointFolder
from ebrl.runs.layout import BEST_FOLDER, CHECKPOINTS_FOLDER, read_changes, read_spec
from ebrl.runs.spec import RunSpec

CHECKPOINT_CHOICES = "best, latest or a step"


@dataclasses.dataclass(frozen=True)
class LoadedRun:
    spec: RunSpec
    agent: Any  # ebrl.agents.Agent
    state: Any
    step: int
    obs_dim: int
    act_dim: int
    action_low: np.ndarray  # (act_dim,) float32: the task's bounds, to which the agent's [-1, 1] is rescaled
    action_high: np.ndarray


def load_run(run_dir: Path, checkpoint: str | int = "latest") -> LoadedRun:
    """A run's agent with the state of a checkpoint (no replay buffer), for evaluation, pictures and export:
    `checkpoint` is "latest", "best" (the best evaluation so far) or a step that has a checkpoint (300 or "300")."""
    checkpoint = str(checkpoint)
    spec = read_spec(run_dir)
    task = describe_task(spec.train.env, spec.train.env_kwargs)
    agent = ALGORITHMS[spec.algo].make_agent(spec.agent, task.obs_dim, task.act_dim)
    require(checkpoint in ("best", "latest") or checkpoint.isdigit(),
            f"checkpoint must be {CHECKPOINT_CHOICES}, got {checkpoint!r}", "checkpoint")
    folder = CheckpointFolder(run_dir, BEST_FOLDER if checkpoint == "best" else CHECKPOINTS_FOLDER)
    try:
        abstract = jax.eval_shape(agent.init, jax.random.key(0))
        step, state = folder.restore_agent(abstract, int(checkpoint) if checkpoint.isdigit() else None)
    finally:
        folder.close()
    return LoadedRun(spec, agent, state, step, task.obs_dim, task.act_dim, task.action_low, task.action_high)


def replay_observations(run_dir: Path, count: int, seed: int = 0) -> np.ndarray:
    """`count` observations (count, obs_dim) drawn without replacement from the replay buffer of the run's latest
    intact checkpoint (the states its training visited), e.g. to probe a trained critic on a task without probe
    states."""
    folder = CheckpointFolder(run_dir, CHECKPOINTS_FOLDER)
    try:
        replay = folder.restore(folder.latest_intact_step(["replay"]), replay=None).replay
    finally:
        folder.close()
    size = int(replay["size"])
    require(size >= count, f"{run_dir}'s replay holds {size} transitions, fewer than the {count} states asked for")
    rows = np.random.default_rng(seed).choice(size, count, replace=False)
    return np.asarray(replay["data"]["obs"], np.float32)[np.sort(rows)]


def evaluate_run(run_dir: Path, *, episodes: int, mode: str | None, seed: int, video: str | None,
                 checkpoint: str = "latest") -> dict:
    """Evaluate a checkpoint of a run ("latest", "best" or a step): the report printed by `ebrl eval`
    (JSON-ready), with the settings changes its config.json records (see `record_changes`)."""
    run = load_run(run_dir, checkpoint)
    mode = run.agent.check_mode(mode, run.spec.algo)
    if video is not None:
        _require_video_writer()
    policy = make_policy(run.agent, mode)
    env_id, env_kwargs = run.spec.train.env, run.spec.train.env_kwargs
    result = evaluate_episodes(run.agent, run.state, env_id=env_id, episodes=episodes, mode=mode, seed=seed,
                               policy=policy, env_kwargs=env_kwargs)
    if video is not None:
        record_video(run.state, policy, env_id, env_kwargs, seed, Path(video))
    return {"algo": run.spec.algo, "env": run.spec.train.env, "step": run.step, "mode": mode, **result.summary(),
            "returns": result.returns.tolist(), "lengths": result.lengths.tolist(), "changes": read_changes(run_dir)}


def _require_video_writer() -> None:
    try:
        import imageio.v2  # noqa: F401
        import imageio_ffmpeg  # noqa: F401
    except ImportError:
        raise ConfigError('--video needs imageio and imageio-ffmpeg; install them with pip install "ebrl[video]"') \
            from None


def record_video(state, policy, env_id: str, env_kwargs: dict, seed: int, path: Path) -> None:
    """One episode rendered with Gymnasium's rgb_array mode, each frame handed to ffmpeg as it is drawn (memory
    does not grow with the episode), written as an mp4 that appears at `path` only once it is whole.

    The time goes into drawing the frames: where OpenGL runs in software (EGL without a GPU), a MuJoCo frame of 480
    pixels takes about 90 ms, most of it a 4096-texel shadow map and 4× multisampling; with a 1024-texel map (the
    same picture at this size) and no multisampling, about 25 ms."""
    import imageio.v2 as imageio

    if "DISPLAY" not in os.environ:  # no screen: every renderer draws off-screen
        os.environ.setdefault("MUJOCO_GL", "egl")  # MuJoCo's default GLFW backend needs a screen
        os.environ.setdefault("SDL_VIDEODRIVER", "dummy")  # pygame's tasks (Pendulum) open an SDL display
    # imageio-ffmpeg starts ffmpeg with preexec_fn=os.setpgrp: Python code between fork and exec in this
    # multithreaded process, which is what JAX's os.fork() warning is about; without it ffmpeg is a plain fork-exec
    # (and a Ctrl-C reaches it too, which ends the recording as it ends this command)
    os.environ.setdefault("IMAGEIO_FFMPEG_NO_PREVENT_SIGINT", "1")
    env = make_env(env_id, render_mode="rgb_array", kwargs=env_kwargs)
    vis = getattr(getattr(env.unwrapped, "model", None), "vis", None)  # a MuJoCo task's rendering settings
    if vis is not None:
        vis.quality.shadowsize = min(vis.quality.shadowsize, 1024)
        vis.quality.offsamples = 0
    key = jax.random.key(seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".part.mp4")
    try:
        with imageio.get_writer(partial, fps=env.metadata.get("render_fps", 30), macro_block_size=1) as writer:
            append = writer.append_data  # type: ignore[attr-defined]  # imageio's Writer of the ffmpeg plugin
            with environment_calls(env_id, "reset"):
                obs, _ = env.reset(seed=episode_seed(seed, EVAL_STREAM, 0, 0))
            append(env.render())
            done, t = False, 0
            while not done:
                action = np.asarray(policy(state, np.asarray(obs, np.float32)[None], key, t))[0]
                with environment_calls(env_id, "step"):
                    obs, _, terminated, truncated, _ = env.step(action)
                append(env.render())
                done, t = terminated or truncated, t + 1
        partial.replace(path)
    finally:
        env.close()
        partial.unlink(missing_ok=True)
