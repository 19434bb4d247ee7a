"""Locomotion tasks for maximum-entropy pretraining and fine-tuning (SQL paper §5.3, anchor-sql.md §4.1): Gymnasium's
v5 MuJoCo tasks with the forward reward w·v_x replaced by w·f(v), a function of the root's planar velocity
v = (v_x, v_y), every other term as Gymnasium computes it (control cost; Ant's healthy reward, contact cost and
termination), and the episode's displacement in `info` for the direction statistics.

    id                               f(v)            reward
    ebrl/SwimmerAnyDirection-v0      |v_x|           w·|v_x| − ctrl           (the 2017 softqlearning swimmer)
    ebrl/HalfCheetahAnyDirection-v0  |v_x|           w·|v_x| − ctrl
    ebrl/AntAnyDirection-v0          ‖v‖             w·‖v‖ + healthy − ctrl − contact   (the SQL paper's pretraining)
    ebrl/HalfCheetahForward-v0       v_x             w·v_x − ctrl             (HalfCheetah-v5's reward)
    ebrl/HalfCheetahBackward-v0      −v_x            −w·v_x − ctrl
    ebrl/AntDirection-v0             ⟨v, u(θ)⟩       w·⟨v, u⟩ + healthy − ctrl − contact, u = (cos θ, sin θ)

Gymnasium's constructor keywords apply (forward_reward_weight is w, ctrl_cost_weight, healthy_reward, ...);
AntDirection-v0 also takes `angle`, θ in degrees counter-clockwise from +x (default 0: Ant-v5's reward).
"""

import math

import gymnasium as gym
import numpy as np
from gymnasium.envs.registration import load_env_creator

BASES = {"swimmer": "gymnasium.envs.mujoco.swimmer_v5:SwimmerEnv",
         "half_cheetah": "gymnasium.envs.mujoco.half_cheetah_v5:HalfCheetahEnv",
         "ant": "gymnasium.envs.mujoco.ant_v5:AntEnv"}
BASE_IDS = {"swimmer": "Swimmer-v5", "half_cheetah": "HalfCheetah-v5", "ant": "Ant-v5"}
SPEEDS = ("abs_x", "planar", "along")  # f(v) = |v_x|, ‖v‖, ⟨v, u(θ)⟩
HEADING_BINS = 8
TASKS = {  # id: (base, speed, fixed keywords)
    "ebrl/SwimmerAnyDirection-v0": ("swimmer", "abs_x", {}),
    "ebrl/HalfCheetahAnyDirection-v0": ("half_cheetah", "abs_x", {}),
    "ebrl/AntAnyDirection-v0": ("ant", "planar", {}),
    "ebrl/HalfCheetahForward-v0": ("half_cheetah", "along", {"angle": 0.0}),
    "ebrl/HalfCheetahBackward-v0": ("half_cheetah", "along", {"angle": 180.0}),
    "ebrl/AntDirection-v0": ("ant", "along", {"angle": 0.0}),
}


def base_id(env_id: str) -> str | None:
    """The Gymnasium id a task of TASKS wraps (ebrl/HalfCheetahBackward-v0: HalfCheetah-v5), else None."""
    return BASE_IDS[TASKS[env_id][0]] if env_id in TASKS else None


def speed(kind: str, velocity: np.ndarray, angle: float) -> float:
    """f(v) of a velocity (2,): |v_x| ("abs_x"), ‖v‖ ("planar") or ⟨v, (cos θ, sin θ)⟩ ("along", θ in degrees)."""
    if kind == "abs_x":
        return float(abs(velocity[0]))
    if kind == "planar":
        return float(np.hypot(velocity[0], velocity[1]))
    theta = math.radians(angle)
    return float(velocity[0] * math.cos(theta) + velocity[1] * math.sin(theta))


def displacement_statistics(final_infos: list[dict], planar: bool, straightness: bool = False) -> dict:
    """Which ways a policy goes, from the episodes' last infos (their `x_displacement`, `y_displacement`): the
    fractions of episodes ending with positive and with negative x displacement, and where the task moves in the
    plane, `heading`, the fraction whose displacement angle atan2(Δy, Δx) lies within ±22.5° of k·45°, k = 0..7.
    With `straightness`, from the infos' `path_length` L (the distance the root travelled, along x or in the plane):
    the episodes' mean of ‖Δ‖ / L, 1 for a policy that keeps one way, near 0 for one that rocks in place (0 where
    L = 0, and without episodes)."""
    n = max(len(final_infos), 1)
    dx = np.array([info["x_displacement"] for info in final_infos], float)
    stats: dict = {"x_positive": float(np.sum(dx > 0)) / n, "x_negative": float(np.sum(dx < 0)) / n}
    dy = np.array([info["y_displacement"] for info in final_infos], float) if planar else np.zeros_like(dx)
    if planar:
        bins = np.round(np.arctan2(dy, dx) / (2 * np.pi / HEADING_BINS)).astype(int) % HEADING_BINS
        stats["heading"] = [float(np.sum(bins == k)) / n for k in range(HEADING_BINS)]
    if straightness:
        path = np.array([info["path_length"] for info in final_infos], float)
        ratios = np.divide(np.hypot(dx, dy), path, out=np.zeros_like(path), where=path > 0)
        stats["straightness"] = float(np.mean(ratios)) if len(ratios) else 0.0
    return stats


class VelocityReward(gym.Wrapper):
    """A Gymnasium v5 locomotion task with r' = w·f(v) + (r − r_forward): its forward term r_forward = w·v_x
    (info["reward_forward"]) replaced by w·f(v), v = (info["x_velocity"], info["y_velocity"] or 0); info's
    reward_forward becomes w·f(v), x_displacement (y_displacement for planar tasks) is the root's position minus its
    position at reset, and path_length the distance it travelled since, Σ_t |Δx_t| (planar: Σ_t ‖(Δx_t, Δy_t)‖)."""

    def __init__(self, env: gym.Env, kind: str, weight: float, angle: float, planar: bool):
        super().__init__(env)
        self.kind, self.weight, self.angle, self.planar = kind, weight, angle, planar
        self._start, self._position, self._path = np.zeros(2), np.zeros(2), 0.0

    def reset(self, **kwargs):
        obs, info = self.env.reset(**kwargs)
        self._start = self._position = self._root(info)
        self._path = 0.0
        return obs, self._with_displacement(info)

    def _root(self, info: dict) -> np.ndarray:
        return np.array([info["x_position"], info["y_position"] if self.planar else 0.0], float)

    def step(self, action):
        obs, reward, terminated, truncated, info = self.env.step(action)
        velocity = np.array([info["x_velocity"], info.get("y_velocity", 0.0)], float)
        forward = self.weight * speed(self.kind, velocity, self.angle)
        reward = forward + (float(reward) - float(info["reward_forward"]))
        position = self._root(info)
        self._path += float(np.hypot(*(position - self._position)))
        self._position = position
        return obs, reward, terminated, truncated, self._with_displacement({**info, "reward_forward": forward})

    def _with_displacement(self, info: dict) -> dict:
        info = {**info, "x_displacement": float(info["x_position"] - self._start[0]), "path_length": self._path}
        if self.planar:
            info["y_displacement"] = float(info["y_position"] - self._start[1])
        return info

    def episode_statistics(self, final_infos: list[dict]) -> dict:
        return displacement_statistics(final_infos, self.planar, straightness=True)


def make_locomotion(base: str, speed_kind: str, angle: float | None = None, forward_reward_weight: float = 1.0,
                    **kwargs) -> gym.Env:
    """The entry point of the TASKS: Gymnasium's `base` task built with `kwargs`, rewarded by `speed_kind`;
    TypeError (which ebrl.envs.make_env reports as a wrong env_kwargs) for an angle on a task without a
    direction."""
    if (angle is None) != (speed_kind != "along"):
        raise TypeError("angle applies to the directed tasks only (AntDirection-v0)")
    env = load_env_creator(BASES[base])(forward_reward_weight=forward_reward_weight, **kwargs)
    assert isinstance(env, gym.Env)  # BASES are single environments
    return VelocityReward(env, speed_kind, forward_reward_weight, angle or 0.0, planar=base == "ant")


def register() -> None:
    """Register the TASKS with Gymnasium (1000 steps, as their v5 bases)."""
    for env_id, (base, speed_kind, fixed) in TASKS.items():
        if env_id not in gym.registry:
            gym.register(env_id, entry_point="ebrl.envs.locomotion:make_locomotion", max_episode_steps=1000,
                         kwargs={"base": base, "speed_kind": speed_kind, **fixed})
