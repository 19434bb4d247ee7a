"""The MultiGoal tasks' layouts (goals, walls, probe states) and their Gymnasium registration, without JAX: `import
ebrl` registers the ids, and the environment's module (ebrl.envs.multigoal) is imported when one is made."""

import dataclasses

import gymnasium as gym


@dataclasses.dataclass(frozen=True)
class Layout:
    goals: tuple[tuple[float, float], ...]
    goal_radius: float
    init_sigma: float
    walls: tuple[tuple[tuple[float, float], tuple[float, float]], ...] = ()
    probe_states: tuple[tuple[float, float], ...] = ()


SQL_GOALS = ((5.0, 0.0), (-5.0, 0.0), (0.0, 5.0), (0.0, -5.0))
S2AC_GOALS = ((5.0, 0.0), (-4.0, 3.0), (-4.0, -3.0))
S2AC_PROBES = ((-3.5, -2.5), (-2.5, 0.5), (-1.0, 0.0), (0.0, 0.0), (1.0, 0.0), (4.0, 0.0))
LAYOUTS = {
    "ebrl/MultiGoal-v0": Layout(SQL_GOALS, 1.0, 0.1, probe_states=((-2.5, 0.0), (0.0, 0.0), (2.5, 2.5))),
    "ebrl/MultiGoal3-v0": Layout(S2AC_GOALS, 0.5, 0.0, probe_states=S2AC_PROBES),
    "ebrl/MultiGoal3Obstacle-v0": Layout(S2AC_GOALS, 0.5, 0.0, walls=(((-2.0, 0.0), (0.0, 2.0)),),
                                         probe_states=S2AC_PROBES),
}


def register() -> None:
    """Register the LAYOUTS ids with Gymnasium (entry point ebrl.envs.multigoal:MultiGoalEnv)."""
    for env_id, layout in LAYOUTS.items():
        if env_id not in gym.registry:
            gym.register(env_id, entry_point="ebrl.envs.multigoal:MultiGoalEnv",
                         kwargs={"goals": layout.goals, "goal_radius": layout.goal_radius,
                                 "init_sigma": layout.init_sigma, "walls": layout.walls,
                                 "probe_states": layout.probe_states})
