"""Hyperparameter presets from the authors' code, keyed by (algorithm, environment family).

`ebrl train --algo A --env E` starts from the preset of (A, family of E) when there is one, says which, and any flag
overrides a preset field. The family of an id is its name without namespace and version: "Hopper-v5" -> "Hopper",
"ebrl/MultiGoal3-v0" -> "MultiGoal3". Sources are in docs/algorithms/<algo>.md.
"""

import dataclasses
from types import MappingProxyType

from ebrl.agents import ALGORITHMS
from ebrl.config import ConfigError, TrainConfig
from ebrl.envs.locomotion import base_id


@dataclasses.dataclass(frozen=True)
class Preset:
    name: str
    source: str
    """Where the values come from."""
    train: MappingProxyType
    """TrainConfig fields."""
    agent: MappingProxyType
    """The algorithm's config fields."""


def _preset(name: str, source: str, train: dict, agent: dict) -> Preset:
    return Preset(name, source, MappingProxyType(train), MappingProxyType(agent))


MULTIGOAL_FAMILIES = ("MultiGoal", "MultiGoal3", "MultiGoal3Obstacle")

SQL_MULTIGOAL = _preset(
    "sql/multigoal", "haarnoja/softqlearning examples/multigoal_sql.py (2018)",
    train=dict(steps=100_000, batch_size=64, random_steps=0, learning_starts=100, eval_every=1000, eval_episodes=10,
               checkpoint_every=10_000),
    agent=dict(reward_scale=0.1, kernel_particles=32, value_particles=16, hidden=(128, 128), q_lr=3e-4,
               policy_lr=3e-4, target_update_interval=1000))

SQL_MUJOCO_REWARD_SCALES = {"Swimmer": 30.0, "Hopper": 30.0, "HalfCheetah": 30.0, "Walker2d": 10.0, "Ant": 300.0,
                            "Humanoid": 100.0}
SQL_MUJOCO_STEPS = {"Swimmer": 501_000, "Hopper": 2_001_000, "HalfCheetah": 10_001_000, "Walker2d": 5_001_000,
                    "Ant": 10_001_000, "Humanoid": 20_001_000}  # (n_epochs + 1) epochs of 1000 steps


def _sql_mujoco(family: str) -> Preset:
    return _preset(
        f"sql/{family}", "haarnoja/softqlearning examples/mujoco_all_sql.py (2018, from commit c581a56)",
        train=dict(steps=SQL_MUJOCO_STEPS[family], batch_size=128, random_steps=0, learning_starts=1000,
                   eval_every=10_000, eval_episodes=10),
        agent=dict(reward_scale=SQL_MUJOCO_REWARD_SCALES[family], kernel_particles=16, value_particles=16,
                   hidden=(128, 128), q_lr=3e-4, policy_lr=3e-4, target_update_interval=1000))


S2AC_MULTIGOAL = _preset(
    "s2ac/multigoal", "SafaMessaoud/S2AC README (Multigoal: svgd_nonparam, 10 SVGD steps) and STAC/main.py defaults",
    train=dict(steps=6000, batch_size=100, random_steps=2000, learning_starts=1000, eval_every=1000,
               eval_episodes=20, checkpoint_every=2000),
    agent=dict(variant="phi", svgd_steps=10, particles=10, svgd_step_size=0.1, alpha_critic=0.2, alpha_actor=0.2,
               train_selection="random", test_selection="random", critic_lr=1e-3, actor_lr=1e-3,
               critic_hidden=(256, 256), activation="elu",
               # the official closed form: on MultiGoal's strongly interacting particles (d = 2) no per-particle
               # rule tracks the policy's entropy and this one errs least (docs/results/entropy/, part (e))
               logdet="trace"))

S2AC_MUJOCO = _preset(
    "s2ac/mujoco", "SafaMessaoud/S2AC README (MuJoCo: svgd_p0_pram, 3 SVGD steps) and STAC/main.py defaults",
    train=dict(steps=500_000, batch_size=100, random_steps=10_000, learning_starts=1000, eval_every=10_000,
               eval_episodes=10),
    agent=dict(variant="phi-theta", svgd_steps=3, particles=10, svgd_step_size=0.1, alpha_critic=0.2,
               alpha_actor=0.2, train_selection="random", test_selection="softmax", critic_lr=1e-3, actor_lr=1e-3,
               actor_hidden=(256, 256, 256), critic_hidden=(256, 256), activation="elu"))

S2AC_PENDULUM = _preset(
    "s2ac/pendulum", "the s2ac/mujoco preset, with a 20 000-step budget and evaluation every 2000 steps",
    train={**S2AC_MUJOCO.train, "steps": 20_000, "eval_every": 2000},
    agent=dict(S2AC_MUJOCO.agent))

SAC_MUJOCO = _preset(
    "sac/mujoco", "the S2AC authors' SAC baseline: SafaMessaoud/S2AC STAC/main.py `--actor sac` defaults (fixed "
    "α = 0.2, batch 100, learning rates 1e-3, ReLU, 2×256, 10 000 random steps, updates from step 1000)",
    train=dict(S2AC_MUJOCO.train),
    agent=dict(alpha=0.2, autotune_alpha=False, actor_lr=1e-3, critic_lr=1e-3, hidden=(256, 256), activation="relu"))

SAC_TIANSHOU = _preset(
    "sac/tianshou", "thu-ml/tianshou examples/mujoco/mujoco_sac.py, the settings of the published SAC runs ebrl "
    "compares with (fixed α = 0.2, batch 256, learning rates 1e-3, ReLU, 2×256, 10 000 random steps, then updates); "
    "the strongest SAC measured here (docs/results/mujoco/sac-baseline/)",
    train=dict(steps=1_000_000, batch_size=256, random_steps=10_000, learning_starts=10_000, eval_every=5000,
               eval_episodes=10),
    agent=dict(SAC_MUJOCO.agent))

MUJOCO_FAMILIES = ("Swimmer", "Hopper", "HalfCheetah", "Walker2d", "Ant", "Humanoid", "HumanoidStandup",
                   "InvertedPendulum", "InvertedDoublePendulum", "Reacher", "Pusher")

PRESETS: dict[tuple[str, str], Preset] = {
    **{("s2ac", family): S2AC_MULTIGOAL for family in MULTIGOAL_FAMILIES},
    **{("s2ac", family): S2AC_MUJOCO for family in MUJOCO_FAMILIES},
    ("s2ac", "Pendulum"): S2AC_PENDULUM,
    **{("sac", family): SAC_TIANSHOU for family in MUJOCO_FAMILIES},
    **{("sql", family): SQL_MULTIGOAL for family in MULTIGOAL_FAMILIES},
    **{("sql", family): _sql_mujoco(family) for family in SQL_MUJOCO_REWARD_SCALES},
}


def env_family(env_id: str) -> str:
    """"ebrl/MultiGoal3-v0" -> "MultiGoal3", "Hopper-v5" -> "Hopper"."""
    return env_id.split("/")[-1].split("-v")[0]


def find_preset(algo: str, env_id: str) -> Preset | None:
    """The preset of (algo, family of env_id); ebrl's locomotion tasks take their base task's (the same robot:
    ebrl/HalfCheetahAnyDirection-v0 that of HalfCheetah)."""
    return PRESETS.get((algo, env_family(base_id(env_id) or env_id)))


NAMED_ONLY = {"sac": (SAC_MUJOCO,)}
"""Presets no task picks, chosen by name: sac/mujoco, the S2AC authors' SAC, weaker than sac/tianshou on Hopper."""


def named_preset(algo: str, name: str) -> Preset:
    """The preset called `name` (e.g. "sac/mujoco"); ConfigError unless it is one of `algo`'s presets."""
    by_name = {preset.name: preset for (owner, _), preset in PRESETS.items() if owner == algo}
    by_name.update({preset.name: preset for preset in NAMED_ONLY.get(algo, ())})
    if name not in by_name:
        raise ConfigError(f"preset {name!r} is not one of {algo}'s; choose one of {', '.join(sorted(by_name))}",
                          "preset")
    return by_name[name]


def preset_defaults(algo: str, preset: Preset | None):
    """(TrainConfig, the algorithm's config): the defaults with the preset's values applied, as `ebrl train` starts."""
    config_type = ALGORITHMS[algo].config_type
    if preset is None:
        return TrainConfig(), config_type()
    return dataclasses.replace(TrainConfig(), **preset.train), dataclasses.replace(config_type(), **preset.agent)


def describe(preset: Preset) -> str:
    """One line: the preset's name, source and values."""
    values = ", ".join(f"{k.replace('_', '-')}={v}" for k, v in {**preset.train, **preset.agent}.items())
    return f"preset {preset.name} ({preset.source}): {values}"
