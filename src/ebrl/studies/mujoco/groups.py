"""The MuJoCo study's seed groups: one per (task, arm), each the algorithm's preset for the task with the study's
budget and evaluations; the plan and the seed batches a study folder records (plan.json)."""

import dataclasses
import json
from pathlib import Path

from ebrl.agents import ALGORITHMS
from ebrl.config import check_change_types, require
from ebrl.runs import RunSpec, preset_spec
from ebrl.studies.mujoco.plan import StudyPlan
from ebrl.studies.plans import parse_arm

PLAN_FILE = "plan.json"
RUNS_FOLDER = "runs"


@dataclasses.dataclass(frozen=True)
class StudyGroup:
    env: str
    algo: str
    """The arm, as the plan names it: an algorithm ("s2ac") or a variant of one ("s2ac@logdet=trace")."""
    spec: RunSpec  # of the first seed
    seeds: tuple[int, ...]

    @property
    def name(self) -> str:
        return f"{self.algo} on {self.env}"

    def run_dir(self, study_dir: str | Path) -> Path:
        """Where the group's seeds live: study_dir/runs/<task>/<algo> (a task id's '/' becomes '__')."""
        return Path(study_dir) / RUNS_FOLDER / self.env.replace("/", "__") / self.algo


def plan_groups(plan: StudyPlan) -> list[StudyGroup]:
    """One group per (task, arm): the algorithm's preset for the task, the study's budget and evaluations, and a
    variant's changes of the algorithm's config."""
    loop = {**plan.train, "eval_every": plan.eval_every, "eval_episodes": plan.eval_episodes}
    arms = {arm: arm_config(arm, plan.agent) for arm in plan.algos}
    return [StudyGroup(env, arm, preset_spec(algo, env, seed=plan.seeds[0], steps=plan.steps, train=loop,
                                               agent=agent), plan.seeds)
            for env in plan.envs for arm, (algo, agent) in arms.items()]


def arm_config(arm: str, agent: dict) -> tuple[str, dict]:
    """(algorithm, its config fields over the preset) of one of a plan's `algos`: the plan's `agent[algo]`, then the
    variant's changes; ConfigError for a change of a field the algorithm's config does not have."""
    algo, changes = parse_arm(arm)
    fields = {f.name for f in dataclasses.fields(ALGORITHMS[algo].config_type)}
    unknown = sorted(set(changes) - fields)
    require(not unknown, f"algos: {arm!r} changes {', '.join(unknown)}, not a field of {algo}'s config; choose from "
            f"{', '.join(sorted(fields))}", "algos")
    check_change_types(ALGORITHMS[algo].config_type, changes, "algos")
    return algo, {**agent.get(algo, {}), **changes}


def read_plan(study_dir: Path) -> StudyPlan | None:
    plan_file = Path(study_dir) / PLAN_FILE
    return StudyPlan.from_json(json.loads(plan_file.read_text())) if plan_file.is_file() else None


def read_seed_batches(study_dir: Path, plan: StudyPlan) -> list[tuple[int, ...]]:
    """The seeds of every group as the programs that train them: the plan's first seeds, then each set of seeds a
    later command added (plan.json's `seed_batches`; a seed trained in a group of another size follows another
    floating-point path, so a batch is never regrouped)."""
    plan_file = Path(study_dir) / PLAN_FILE
    saved = json.loads(plan_file.read_text()).get("seed_batches") if plan_file.is_file() else None
    return [tuple(batch) for batch in saved] if saved else [plan.seeds]
