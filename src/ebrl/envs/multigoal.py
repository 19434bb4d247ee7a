"""The MultiGoal point-mass tasks of Soft Q-Learning (Haarnoja et al., 2017, Sec. 5.1) and S2AC (Fig. 2).

State and observation: a position s ∈ [−7, 7]². Action: a velocity in [−1, 1]². One step
(anchor-sql.md §3.1, anchor-s2ac.md §4):

    a  ← clip(a, −1, 1)
    s' = clip(s + a, −7, 7), or s' = s if the segment from s to clip(s + a, −7, 7) touches a wall
    d  = min_g ‖s' − g‖
    r  = −action_cost·‖a‖² − distance_cost·d² + goal_reward·[d < goal_radius]

An episode terminates when d < goal_radius and is truncated after `horizon` steps.

The dynamics are written once, over an array module `xp`: NumPy for the Gymnasium class, `jax.numpy` for the pure
functions `reset` / `step` used in compiled rollouts.

Walls: a move is cancelled when the closed segment [s, s'] meets the closed wall segment anywhere other than at
its start s. So touching a wall's endpoint or ending on the wall counts as contact, moving along the wall counts,
and leaving the wall from a point on it does not.
"""

from collections.abc import Sequence

import gymnasium as gym
import jax
import jax.numpy as jnp
import numpy as np
from flax import struct

from ebrl.envs.layouts import SQL_GOALS

BOUND = 7.0


@struct.dataclass
class MultiGoalParams:
    goals: jax.Array  # (k, 2)
    walls: jax.Array  # (w, 2, 2): wall i runs from walls[i, 0] to walls[i, 1]
    goal_radius: float = struct.field(pytree_node=False, default=1.0)
    init_sigma: float = struct.field(pytree_node=False, default=0.0)
    action_cost: float = struct.field(pytree_node=False, default=30.0)
    distance_cost: float = struct.field(pytree_node=False, default=1.0)
    goal_reward: float = struct.field(pytree_node=False, default=10.0)
    horizon: int = struct.field(pytree_node=False, default=30)


@struct.dataclass
class MultiGoalState:
    position: jax.Array  # (2,)
    t: jax.Array  # steps taken, int32
    wall_contacts: jax.Array  # contacts this episode, int32


def _cross(u, v):
    return u[..., 0] * v[..., 1] - u[..., 1] * v[..., 0]


def wall_contact(xp, start, end, walls):
    """Whether the path start → end meets any wall other than at `start` alone (see the module docstring).

    With d = end − start and e = q − p for a wall p → q: if d × e ≠ 0, the lines cross at start + t·d = p + u·e,
    t = ((p − start) × e)/(d × e), u = ((p − start) × d)/(d × e), and contact means t ∈ (0, 1], u ∈ [0, 1]. If
    d × e = 0 and the wall lies on the path's line, contact means its projection [t0, t1] onto the path meets (0, 1].
    """
    p, q = walls[:, 0], walls[:, 1]
    d, e, w = end - start, q - p, p - start
    denom = _cross(d, e)
    parallel = denom == 0
    safe = xp.where(parallel, 1.0, denom)
    t, u = _cross(w, e) / safe, _cross(w, d) / safe
    crossing = (~parallel) & (t > 0) & (t <= 1) & (u >= 0) & (u <= 1)
    length_sq = xp.sum(d * d)
    moving = length_sq > 0
    safe_len = xp.where(moving, length_sq, 1.0)
    t0, t1 = xp.sum(w * d, axis=-1) / safe_len, xp.sum((q - start) * d, axis=-1) / safe_len
    low, high = xp.maximum(xp.minimum(t0, t1), 0.0), xp.minimum(xp.maximum(t0, t1), 1.0)
    overlapping = parallel & moving & (_cross(w, d) == 0) & (low <= high) & (high > 0)
    return xp.any(crossing | overlapping)


def transition(xp, params: MultiGoalParams, position, action):
    """(next position, reward, reached, goal index, wall contact) of one step; goal index is −1 if none reached."""
    action = xp.clip(action, -1.0, 1.0)
    proposed = xp.clip(position + action, -BOUND, BOUND)
    contact = wall_contact(xp, position, proposed, params.walls) if params.walls.shape[0] else xp.asarray(False)
    next_position = xp.where(contact, position, proposed)
    distances = xp.sqrt(xp.sum((next_position - params.goals) ** 2, axis=-1))
    nearest = xp.argmin(distances)
    d = distances[nearest]
    reached = d < params.goal_radius
    reward = (-params.action_cost * xp.sum(action**2) - params.distance_cost * d**2
              + params.goal_reward * reached.astype(position.dtype))
    return next_position, reward, reached, xp.where(reached, nearest, -1), contact


def reset(params: MultiGoalParams, key: jax.Array) -> MultiGoalState:
    """s0 = clip(init_sigma·ε, −7, 7), ε ~ N(0, I)."""
    position = jnp.clip(params.init_sigma * jax.random.normal(key, (2,)), -BOUND, BOUND)
    return MultiGoalState(position, jnp.zeros((), jnp.int32), jnp.zeros((), jnp.int32))


def step(params: MultiGoalParams, state: MultiGoalState, action: jax.Array):
    """Pure-JAX step: (state', obs', reward, terminated, truncated, goal index or −1, wall contact)."""
    position, reward, reached, goal, contact = transition(jnp, params, state.position, action)
    t = state.t + 1
    new_state = MultiGoalState(position, t, state.wall_contacts + contact.astype(jnp.int32))
    return new_state, position, reward, reached, (t >= params.horizon) & ~reached, goal, contact


class MultiGoalEnv(gym.Env):
    """Gymnasium class of the MultiGoal tasks; `info` has `goal` (index reached, or −1) and wall contacts (plain
    ints and bools, so that Gymnasium's vector environments can stack them)."""

    metadata = {"render_modes": ["rgb_array"], "render_fps": 10}  # noqa: RUF012 (gymnasium.Env's attribute)

    def __init__(self, goals: Sequence[Sequence[float]] = SQL_GOALS, goal_radius: float = 1.0,
                 init_sigma: float = 0.1, action_cost: float = 30.0, distance_cost: float = 1.0,
                 goal_reward: float = 10.0, horizon: int = 30, walls: Sequence = (),
                 probe_states: Sequence[Sequence[float]] = ((0.0, 0.0),), render_mode: str | None = None):
        self.params = MultiGoalParams(
            goals=jnp.asarray(goals, jnp.float32).reshape(-1, 2),
            walls=jnp.asarray(walls, jnp.float32).reshape(-1, 2, 2),
            goal_radius=goal_radius, init_sigma=init_sigma, action_cost=action_cost, distance_cost=distance_cost,
            goal_reward=goal_reward, horizon=horizon)
        self.probe_states = np.asarray(probe_states, np.float32).reshape(-1, 2)
        self.observation_space = gym.spaces.Box(-BOUND, BOUND, (2,), np.float32)
        self.action_space = gym.spaces.Box(-1.0, 1.0, (2,), np.float32)
        self.render_mode = render_mode
        self._figure = None

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        super().reset(seed=seed)
        noise = self.np_random.standard_normal(2).astype(np.float32)
        self.position = np.clip(np.float32(self.params.init_sigma) * noise, -BOUND, BOUND)
        self.t, self.wall_contacts = 0, 0
        self.trajectory = [self.position.copy()]
        return self.position.copy(), self._info(-1, False)

    def step(self, action):
        position, reward, reached, goal, contact = transition(np, self.params, self.position,
                                                              np.asarray(action, np.float32))
        self.position = position.astype(np.float32)
        self.t += 1
        self.wall_contacts += int(contact)
        self.trajectory.append(self.position.copy())
        truncated = self.t >= self.params.horizon and not reached
        return self.position.copy(), float(reward), bool(reached), bool(truncated), self._info(int(goal), contact)

    def _info(self, goal: int, contact) -> dict:
        return {"goal": goal, "wall_contact": bool(contact), "wall_contacts": self.wall_contacts}

    def episode_statistics(self, final_infos: list[dict]) -> dict:
        """Per-goal hit counts, episodes without a goal, the fraction that reach one, and with walls the outcome
        counts: reached without contact, reached after touching a wall, failed after touching one."""
        n_goals, walls = len(self.params.goals), len(self.params.walls) > 0
        hits = [sum(info.get("goal") == g for info in final_infos) for g in range(n_goals)]
        stats = {"goal_hits": hits, "no_goal": sum(info.get("goal", -1) < 0 for info in final_infos),
                 "goal_fraction": sum(hits) / max(len(final_infos), 1)}
        if walls:
            touched = [info.get("wall_contacts", 0) > 0 for info in final_infos]
            reached = [info.get("goal", -1) >= 0 for info in final_infos]
            stats |= {"reached_no_contact": sum(r and not c for r, c in zip(reached, touched)),
                      "reached_after_contact": sum(r and c for r, c in zip(reached, touched)),
                      "failed_after_contact": sum(c and not r for r, c in zip(reached, touched))}
        return stats

    def render(self):
        if self._figure is None:
            import matplotlib.pyplot as plt

            self._figure, ax = plt.subplots(figsize=(4, 4), dpi=80)
            draw_arena(ax, self.params)
            (self._line,) = ax.plot([], [], "b.-", lw=1, ms=3)
        path = np.asarray(self.trajectory)
        self._line.set_data(path[:, 0], path[:, 1])
        return figure_to_array(self._figure)

    def close(self):
        if self._figure is not None:
            import matplotlib.pyplot as plt

            plt.close(self._figure)
            self._figure = None


def draw_arena(ax, params: MultiGoalParams) -> None:
    """The arena of the papers' figures: contours of the goal cost min_g ‖s − g‖², goals with their radius, walls."""
    import matplotlib.pyplot as plt

    grid = np.linspace(-BOUND - 0.7, BOUND + 0.7, 155)
    x, y = np.meshgrid(grid, grid)
    goals = np.asarray(params.goals)
    cost = np.min((x[..., None] - goals[:, 0]) ** 2 + (y[..., None] - goals[:, 1]) ** 2, axis=-1)
    contours = ax.contour(x, y, cost, levels=20, cmap="viridis", linewidths=0.6)
    ax.clabel(contours, contours.levels[::4], inline=True, fontsize=6, fmt="%.0f")
    for g, (gx, gy) in enumerate(goals):
        ax.add_patch(plt.Circle((gx, gy), params.goal_radius, color="red", alpha=0.25))
        ax.plot(gx, gy, "ro", ms=4)
        ax.annotate(f"G{g + 1}", (gx, gy), textcoords="offset points", xytext=(4, 4), fontsize=7, color="red")
    for (x0, y0), (x1, y1) in np.asarray(params.walls):
        ax.plot([x0, x1], [y0, y1], "k-", lw=3, solid_capstyle="butt")
    ax.set(xlim=(-BOUND, BOUND), ylim=(-BOUND, BOUND), aspect="equal")


def figure_to_array(figure) -> np.ndarray:
    """The RGB pixels (height, width, 3) of a Matplotlib figure."""
    figure.canvas.draw()
    return np.asarray(figure.canvas.buffer_rgba())[..., :3].copy()


def jax_functions(params: MultiGoalParams):
    """(reset(key) -> (state, obs), step(state, action) -> (state, obs, reward, terminated, truncated)): the task as
    pure JAX functions, for the on-device driver."""

    def reset_fn(key):
        state = reset(params, key)
        return state, state.position

    def step_fn(state, action):
        state, obs, reward, terminated, truncated, _, _ = step(params, state, action)
        return state, obs, reward, terminated, truncated

    return reset_fn, step_fn
