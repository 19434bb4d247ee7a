"""The MuJoCo study's plan: what it trains (tasks, algorithms and their variants, seeds, budget, evaluations),
importable without JAX (the command's --help shows it)."""

import dataclasses
import json

import tyro

from ebrl.config import ALGORITHM_NAMES, as_tuples, check_seeds, require_positive
from ebrl.studies.plans import check_study_lists

PAPER_TASKS = ("Hopper-v5", "Walker2d-v5", "HalfCheetah-v5", "Ant-v5", "Humanoid-v5")  # the S2AC paper's MuJoCo tasks


@dataclasses.dataclass(frozen=True)
class StudyPlan:
    """What a study trains; two studies with equal plans train the same groups. `train` and `agent` override
    fields of every group's TrainConfig, and of each algorithm's config (`agent[algo]`), over the presets."""

    envs: tuple[str, ...] = PAPER_TASKS
    """Tasks (Gymnasium ids with Box actions)."""
    algos: tuple[str, ...] = ALGORITHM_NAMES
    """Algorithms, each with its preset for the task; ALGO@FIELD=VALUE,... is a variant with those fields of the
    algorithm's config changed, an arm of its own (e.g. s2ac@logdet=trace: S2AC with the official entropy estimate)."""
    seeds: tuple[int, ...] = (0, 1, 2, 3, 4)
    """Seeds of every group (a group: one algorithm on one task, its seeds in one program)."""
    steps: int = 1_000_000
    """Environment steps per run."""
    eval_every: int = 5_000
    """Evaluate every run after this many steps (one schedule for all, so the curves share their x values)."""
    eval_episodes: int = 10
    """Episodes per evaluation."""
    train: tyro.conf.Suppress[dict] = dataclasses.field(default_factory=dict)
    agent: tyro.conf.Suppress[dict] = dataclasses.field(default_factory=dict)

    def validate(self) -> None:
        check_study_lists(self.envs, self.algos)
        check_seeds(self.seeds)
        for name in ("steps", "eval_every", "eval_episodes"):
            require_positive(name, getattr(self, name))

    def to_json(self) -> dict:
        """The plan as JSON values (tuples as lists), as plan.json holds it."""
        return json.loads(json.dumps(dataclasses.asdict(self)))

    @classmethod
    def from_json(cls, data: dict) -> "StudyPlan":
        fields = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: as_tuples(v) for k, v in data.items() if k in fields})
