"""The goals.csv of a MultiGoal comparison (`ebrl multigoal`, `ebrl compare`): goal hits per run."""

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ebrl.markdown import num
from ebrl.results.files import read_csv


@dataclass(frozen=True)
class Runs:
    """One group's rows of a goals.csv: hits (runs, goals), no_goal (runs,), the own_H(...) entropy columns."""

    names: list[str]
    hits: np.ndarray
    no_goal: np.ndarray
    entropy: dict[str, np.ndarray]
    own_entropy: dict[str, np.ndarray]

    @property
    def reached(self) -> np.ndarray:
        return self.hits.sum(axis=1)

    def per_seed(self, goal: int) -> str:
        return "/".join(str(h) for h in self.hits[:, goal])


def runs(goals_csv: Path, group: str | None = None) -> Runs:
    """The rows of `group` (every row when None); ValueError when it has none."""
    rows = [r for r in read_csv(goals_csv) if group is None or r["group"] == group]
    if not rows:
        raise ValueError(f"{goals_csv} has no rows of group {group!r}")
    goals = sorted((k for k in rows[0] if k[0] == "G" and k[1:].isdigit()), key=lambda k: int(k[1:]))
    probes = [k for k in rows[0] if k.startswith("H(")]
    column = lambda key: np.array([float(r[key]) for r in rows])  # noqa: E731
    return Runs([Path(r["run"]).name for r in rows], np.array([[int(r[g]) for g in goals] for r in rows]),
                np.array([int(r["no_goal"]) for r in rows]),
                {p: column(p) for p in probes if rows[0][p]},
                {p: column(f"own_{p}") for p in probes if rows[0].get(f"own_{p}")})


def left_share(hits, env_id: str = "ebrl/MultiGoal3-v0") -> tuple[int, int, str]:
    """(episodes at a goal left of the start, episodes at any goal, 'share [95 % Clopper-Pearson interval]')."""
    from ebrl.studies.multigoal.study import arena
    from ebrl.studies.multigoal.study import left_share as share_and_interval

    left, reached, low, high = share_and_interval(list(hits), np.asarray(arena(env_id)[0].goals))
    return left, reached, f"{num(left / reached, 2)} [{num(low, 2)}, {num(high, 2)}]"


def percent(part: int, whole: int) -> str:
    return f"{round(100 * part / whole)} %"
