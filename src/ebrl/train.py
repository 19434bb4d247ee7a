"""The one training loop, shared by every agent.

Per chunk of `chunk` environment steps: act (uniformly at random before `random_steps`, then with the agent's
training action rule), store the transitions, then one compiled call inserts them into the replay buffer and runs
chunk × updates_per_step gradient updates under `jax.lax.scan`. Evaluation, metrics and checkpoints happen between
chunks. Every random choice is a pure function of the seed and a counter (the step, the episode index, the evaluation
round), so a run is repeatable, and resumable exactly: the training environment is restored by replaying the current
episode's actions from its reset seed.
"""

import dataclasses
import math
import signal
import time
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from ebrl.agents import ALGORITHMS
from ebrl.config import ConfigError
from ebrl.core import Agent, Transition
from ebrl.envs import episode_seed, make_env, space_dims
from ebrl.evaluate import environment_statistics, evaluate, flat_statistics, make_policy
from ebrl.replay import replay_add, replay_init, replay_sample, zeros_transitions
from ebrl.runs import Checkpoint, Checkpointer, MetricsLog, RunSpec

TRAIN_STREAM = 0  # episode_seed stream of training episodes
TIMING_COLUMNS = ("time_s", "sps")  # the only columns that differ between repeated runs


def make_learn_step(agent: Agent, batch_size: int):
    """Compiled `(state, buffer, new_transitions, key, n_updates) -> (state, buffer, mean metrics)`.

    Inserts the new transitions, then runs `n_updates` agent updates on uniform minibatches in one `lax.scan`.
    The agent state and the buffer are donated, so neither is copied.
    """

    def learn(state, buffer, new: Transition, key, n_updates: int):
        buffer = replay_add(buffer, new)

        def one_update(agent_state, update_key):
            sample_key, agent_key = jax.random.split(update_key)
            return agent.update(agent_state, replay_sample(buffer, sample_key, batch_size), agent_key)

        state, metrics = jax.lax.scan(one_update, state, jax.random.split(key, n_updates))
        return state, buffer, jax.tree.map(jnp.mean, metrics)

    return jax.jit(learn, static_argnums=4, donate_argnums=(0, 1))


def make_behaviour_policy(agent: Agent, act_key: jax.Array, random_steps: int, act_dim: int,
                          ou_sigma: float = 0.0, ou_theta: float = 0.15):
    """Compiled `(state, obs (obs_dim,), step, episode_start) -> action`: uniform on [-1, 1]^d before `random_steps`,
    else the agent's training rule, plus Ornstein-Uhlenbeck noise when `ou_sigma` > 0; keys are fold_in(·, step).

    The OU process x_t = (1 − θ)·x_{t−1} + σ·ε_t, x = 0 before the episode's first step, is written as the sum
    x_t = σ·Σ_k (1 − θ)^k·ε_{t−k} over the episode's steps, truncated where (1 − θ)^k < 1e-6. Each ε_t is a function
    of the step, so the noise needs no state and a resumed run draws the same noise.
    """
    act_key, noise_key = jax.random.split(act_key)
    window = min(1000, math.ceil(math.log(1e-6) / math.log1p(-ou_theta))) if ou_sigma > 0 else 0

    def ou_noise(step, episode_start):
        lags = jnp.arange(window)
        eps = jax.vmap(lambda lag: jax.random.normal(jax.random.fold_in(noise_key, step - lag), (act_dim,)))(lags)
        weights = jnp.where(step - lags >= episode_start, (1.0 - ou_theta) ** lags, 0.0)
        return ou_sigma * weights @ eps

    def policy_action(state, obs, key, step, episode_start):
        action = agent.act(state, obs[None], key, agent.train_mode)[0]
        return jnp.clip(action + ou_noise(step, episode_start), -1.0, 1.0) if window else action

    @jax.jit
    def behaviour(state, obs, step, episode_start):
        key = jax.random.fold_in(act_key, step)
        return jax.lax.cond(
            step < random_steps,
            lambda: jax.random.uniform(key, (act_dim,), minval=-1.0, maxval=1.0),
            lambda: policy_action(state, obs, key, step, episode_start),
        )

    return behaviour


@dataclasses.dataclass
class LoopState:
    """The loop's host-side state; saved as JSON in every checkpoint."""

    step: int = 0
    episode_index: int = 0
    episode_actions: list = dataclasses.field(default_factory=list)  # actions of the unfinished episode
    eval_round: int = 0
    elapsed_s: float = 0.0
    last_return: float | None = None
    finished_returns: list = dataclasses.field(default_factory=list)  # since the last metrics row
    metric_sums: dict = dataclasses.field(default_factory=dict)  # per update metric, over chunks since the last row
    metric_chunks: int = 0


class Interrupt:
    """Turns the first Ctrl-C into a request to stop at the next chunk boundary; a second one aborts."""

    def __init__(self):
        self.requested = False

    def __enter__(self):
        self._previous = signal.signal(signal.SIGINT, self._handle)
        return self

    def _handle(self, signum, frame):
        self.requested = True
        signal.signal(signal.SIGINT, signal.default_int_handler)

    def __exit__(self, *exc):
        signal.signal(signal.SIGINT, self._previous)


@dataclasses.dataclass
class TrainResult:
    run_dir: Path
    last_row: dict
    interrupted: bool


class Trainer:
    """One run of the loop: `Trainer(...)` builds everything and restores a checkpoint (raising ConfigError if it
    cannot, before anything is written); `run()` trains."""

    def __init__(self, spec: RunSpec, run_dir: Path, resume: bool = False):
        cfg = self.cfg = spec.train
        self.spec, self.run_dir, self.resume = spec, run_dir, resume
        self.env = make_env(cfg.env)
        self.eval_envs = [make_env(cfg.env) for _ in range(cfg.eval_episodes)]
        obs_dim, act_dim = space_dims(self.env)
        agent = self.agent = ALGORITHMS[spec.algo].make_agent(spec.agent, obs_dim, act_dim)
        init_key, act_key, self.update_key = jax.random.split(jax.random.key(cfg.seed), 3)
        replay_capacity = min(cfg.buffer_size, cfg.steps)  # a larger ring would never be filled

        self.checkpointer = Checkpointer(run_dir)
        if resume:
            saved_step = self.checkpointer.latest_step()
            if saved_step is not None and saved_step >= cfg.steps:
                raise ConfigError(f"{run_dir} is already at step {saved_step} of {cfg.steps}; pass --steps N "
                                  f"with N > {saved_step} to train it further")
            abstract_state = jax.eval_shape(agent.init, init_key)
            saved = self.checkpointer.restore(abstract_state, replay_capacity, obs_dim, act_dim)
            self.state, self.buffer, self.loop = saved.agent_state, saved.replay, LoopState(**saved.loop)
        else:
            self.state = agent.init(init_key)
            self.buffer, self.loop = replay_init(replay_capacity, obs_dim, act_dim), LoopState()

        self.learn = make_learn_step(agent, cfg.batch_size)
        self.add = jax.jit(replay_add, donate_argnums=0)
        self.behaviour = make_behaviour_policy(agent, act_key, cfg.random_steps, act_dim, cfg.ou_sigma, cfg.ou_theta)
        self.eval_policies = {mode: make_policy(agent, mode) for mode in agent.action_modes}
        dummy = zeros_transitions(1, obs_dim, act_dim)
        metric_names = sorted(jax.eval_shape(agent.update, self.state, dummy, self.update_key)[1])
        eval_stats = ["return_mean", "return_std", *flat_statistics(environment_statistics(self.env, []))]
        self.columns = (["step", *TIMING_COLUMNS, "train/episodes", "train/return_mean"]
                        + [f"update/{name}" for name in metric_names]
                        + [f"eval/{mode}/{stat}" for mode in agent.action_modes for stat in eval_stats])
        self.staged = zeros_transitions(cfg.chunk, obs_dim, act_dim, np)  # host-side, filled step by step

    def run(self, console: Console | None = None) -> TrainResult:
        cfg, loop = self.cfg, self.loop
        log = MetricsLog(self.run_dir, self.columns, resume_step=loop.step if self.resume else None)
        self.obs, self.episode_return = _restore_episode(self.env, cfg.seed, loop)
        start_time, start_elapsed = time.perf_counter(), loop.elapsed_s
        self.row_time, self.row_step = start_time, loop.step
        last_row: dict = {}
        progress = Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                            TextColumn("{task.fields[sps]:>6} steps/s"), TextColumn("return {task.fields[ret]:>9}"),
                            TimeRemainingColumn(), console=console or Console(stderr=True), disable=not cfg.progress)
        with Interrupt() as interrupt, progress:
            task = progress.add_task(f"{self.spec.algo} {cfg.env}", total=cfg.steps, completed=loop.step, sps="-",
                                     ret=_fmt(loop.last_return))
            while loop.step < cfg.steps and not interrupt.requested:
                n = min(cfg.chunk, cfg.steps - loop.step)
                self._learn(self._collect(n), n)
                now = time.perf_counter()
                loop.elapsed_s = start_elapsed + now - start_time
                done = loop.step >= cfg.steps
                if _crossed(loop.step, n, cfg.eval_every) or done:
                    last_row = self._metrics_row(now)
                    log.log(last_row)
                    progress.update(task, sps=f"{last_row['sps']:.0f}")
                if _crossed(loop.step, n, cfg.checkpoint_every) or done or interrupt.requested:
                    self.checkpointer.save(Checkpoint(loop.step, self.state, self.buffer, dataclasses.asdict(loop)))
                progress.update(task, completed=loop.step, ret=_fmt(loop.last_return))
            interrupted = interrupt.requested and loop.step < cfg.steps
        log.close()
        self.close()
        return TrainResult(self.run_dir, last_row, interrupted)

    def _collect(self, n: int) -> Transition:
        """Step the training environment n times with the behaviour policy; the transitions, as device arrays."""
        loop, staged = self.loop, self.staged
        for i in range(n):
            episode_start = loop.step - len(loop.episode_actions)
            action = np.asarray(self.behaviour(self.state, self.obs, loop.step, episode_start))
            next_obs, reward, terminated, truncated, _ = self.env.step(action)
            next_obs = np.asarray(next_obs, np.float32)
            for name, value in (("obs", self.obs), ("action", action), ("reward", reward), ("next_obs", next_obs),
                                ("terminated", float(terminated))):
                getattr(staged, name)[i] = value
            loop.episode_actions.append(action.tolist())
            self.episode_return += float(reward)
            loop.step += 1
            self.obs = next_obs
            if terminated or truncated:
                loop.finished_returns.append(self.episode_return)
                loop.last_return = self.episode_return
                loop.episode_index += 1
                loop.episode_actions = []
                self.obs, self.episode_return = _reset(self.env, self.cfg.seed, loop.episode_index), 0.0
        return jax.tree.map(lambda column: jnp.asarray(column[:n]), staged)

    def _learn(self, new: Transition, n: int) -> None:
        """Store the chunk; once learning has started, also run n × updates_per_step updates in the same call."""
        loop = self.loop
        if loop.step < self.cfg.learning_starts:
            self.buffer = self.add(self.buffer, new)
            return
        chunk_key = jax.random.fold_in(self.update_key, loop.step)
        self.state, self.buffer, metrics = self.learn(self.state, self.buffer, new, chunk_key,
                                                      n * self.cfg.updates_per_step)
        for name, value in metrics.items():
            loop.metric_sums[name] = loop.metric_sums.get(name, 0.0) + float(value)
        loop.metric_chunks += 1

    def _metrics_row(self, now: float) -> dict:
        """The row logged at an evaluation: progress, training returns and update metrics since the last row, and
        the evaluation of every action mode; resets the per-row accumulators."""
        loop = self.loop
        row = {"step": loop.step, "time_s": loop.elapsed_s, "sps": (loop.step - self.row_step) / (now - self.row_time),
               "train/episodes": loop.episode_index,
               "train/return_mean": float(np.mean(loop.finished_returns)) if loop.finished_returns else None}
        row |= {f"update/{k}": v / loop.metric_chunks for k, v in loop.metric_sums.items()}
        row |= self._evaluate(self.state, loop.eval_round)
        loop.eval_round += 1
        loop.finished_returns, loop.metric_sums, loop.metric_chunks = [], {}, 0
        self.row_time, self.row_step = time.perf_counter(), loop.step
        return row

    def _evaluate(self, state, round_index: int) -> dict[str, float]:
        row = {}
        for mode, policy in self.eval_policies.items():
            result = evaluate(self.agent, state, self.eval_envs, mode, self.cfg.seed, round_index, policy)
            row |= {f"eval/{mode}/{k}": v for k, v in flat_statistics(result.summary()).items() if k != "episodes"}
        return row

    def close(self) -> None:
        self.checkpointer.close()
        for env in (self.env, *self.eval_envs):
            env.close()


def _crossed(step: int, n: int, every: int) -> bool:
    """Whether the last `n` steps, ending at `step`, passed a multiple of `every`."""
    return step // every > (step - n) // every


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def _reset(env, seed: int, episode_index: int) -> np.ndarray:
    obs, _ = env.reset(seed=episode_seed(seed, TRAIN_STREAM, episode_index))
    return np.asarray(obs, np.float32)


def _restore_episode(env, seed: int, loop: LoopState) -> tuple[np.ndarray, float]:
    """Reset to the current episode's seed and replay its recorded actions: the environment's exact state."""
    obs, episode_return = _reset(env, seed, loop.episode_index), 0.0
    for action in loop.episode_actions:
        next_obs, reward, _, _, _ = env.step(np.asarray(action, np.float32))
        obs, episode_return = np.asarray(next_obs, np.float32), episode_return + float(reward)
    return obs, episode_return
