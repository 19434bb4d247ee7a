"""What a sweep shows, read from its run directories (`ebrl plot SWEEP`): per setting, the final evaluation return of
its seeds (the agent's default mode, at the last step every member logged) as mean ± std and as the IQM with a 95 %
stratified bootstrap interval (rliable, fixed seed; see ebrl.studies.mujoco.report), in sweep.md and
sweep.csv; and per swept field, that IQM against the field's values, one line per setting of the other fields."""

import csv
import dataclasses
from pathlib import Path

import numpy as np

from ebrl.markdown import mean_std, num, table
from ebrl.runs import read_metrics, read_spec
from ebrl.runs.layout import group_seeds, seed_run_dirs, setting_name, sweep_groups
from ebrl.runs.spec import setting_of, swept_fields
from ebrl.studies.mujoco.report import CURVE_REPS, default_eval_column, iqm_interval

TABLE_FILE, CSV_FILE = "sweep.md", "sweep.csv"


@dataclasses.dataclass(frozen=True)
class SettingResult:
    setting: dict
    seeds: list[int]
    finals: np.ndarray  # (seeds,) final evaluation returns
    iqm: float
    interval: list[float]  # [low, high]


@dataclasses.dataclass(frozen=True)
class SweepResults:
    fields: list[str]
    mode: str
    step: int
    settings: list[SettingResult]


def sweep_results(path: Path, reps: int = CURVE_REPS) -> SweepResults:
    """The final returns of every setting of the sweep in `path`; ValueError if it is not a sweep or its members
    share no evaluation step."""
    groups = sweep_groups(path)
    if not groups:
        raise ValueError(f"{path} is not a sweep (no folders FIELD=VALUE of seed runs)")
    run_dirs = [seed_run_dirs(group, group_seeds(group)) for group in groups]
    specs = [read_spec(run_dir) for runs in run_dirs for run_dir in runs]
    fields = swept_fields(specs)
    tables = [[read_metrics(run_dir) for run_dir in runs] for runs in run_dirs]
    column = default_eval_column(tables[0][0])
    logged = [{int(row["step"]) for row in rows if column in row} for group in tables for rows in group]
    common = set.intersection(*logged)
    if not common:
        raise ValueError(f"the members of {path} share no evaluation step")
    step = max(common)
    settings = []
    for group, runs, group_tables in zip(groups, run_dirs, tables):
        finals = np.array([next(row[column] for row in rows if int(row["step"]) == step) for rows in group_tables])
        iqm, interval = iqm_interval(finals[:, None], reps)
        settings.append(SettingResult(setting_of(read_spec(runs[0]), fields), group_seeds(group), finals, iqm,
                                      interval))
    return SweepResults(fields, column.split("/")[1], step, settings)


def sweep_table(results: SweepResults) -> str:
    """The markdown table of sweep.md: per setting, its seeds' final return as mean ± std and IQM [95 % CI]."""
    header = [*results.fields, "seeds", f"final return ({results.mode}, step {results.step}): mean ± std",
              "IQM [95 % CI]"]
    rows = [[*(repr(r.setting[f]) for f in results.fields), str(len(r.seeds)), mean_std(r.finals, 1),
             f"{num(r.iqm)} [{num(r.interval[0])}, {num(r.interval[1])}]"] for r in results.settings]
    return table(header, rows)


def write_sweep_report(path: Path, out: Path) -> list[Path]:
    """sweep.md, sweep.csv and sweep_<field>.png of the sweep in `path`, written into `out`; returns their paths."""
    results = sweep_results(path)
    out.mkdir(parents=True, exist_ok=True)
    (out / TABLE_FILE).write_text(sweep_table(results) + "\n")
    with (out / CSV_FILE).open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow([*results.fields, "seeds", "step", "mode", "final_mean", "final_std", "iqm", "iqm_low",
                         "iqm_high"])
        for r in results.settings:
            writer.writerow([*(r.setting[f] for f in results.fields), " ".join(map(str, r.seeds)), results.step,
                             results.mode, r.finals.mean(), r.finals.std(), r.iqm, *r.interval])
    return [out / TABLE_FILE, out / CSV_FILE] + [plot_against(results, field, out / f"sweep_{field}.png")
                                                 for field in results.fields]


def plot_against(results: SweepResults, field: str, out: Path) -> Path:
    """The IQM of the final return against `field`'s values, with its interval, one line per setting of the other
    swept fields."""
    from ebrl.plots import plot_sweep_field  # matplotlib: loaded when a figure is drawn

    others = [f for f in results.fields if f != field]
    lines: dict[str, list[SettingResult]] = {}
    for r in sorted(results.settings, key=lambda r: r.setting[field]):
        lines.setdefault(setting_name({f: r.setting[f] for f in others}), []).append(r)
    plot_sweep_field(field, {label: ([r.setting[field] for r in members], np.array([r.iqm for r in members]),
                                     np.array([r.interval for r in members]))
                             for label, members in lines.items()},
                     ylabel=f"final return, IQM ({results.mode})",
                     title=f"{field} (step {results.step}, {len(results.settings[0].seeds)} seeds each)", out=out)
    return out
