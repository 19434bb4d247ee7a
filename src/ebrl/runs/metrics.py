"""A run's metrics: RUN/metrics.csv (one row per evaluation, fixed columns) and TensorBoard's events under the same
names; read back as a table, as numbers, or as the rows a resumed run keeps."""

import csv
import dataclasses
import os
from pathlib import Path

from tensorboardX import SummaryWriter

from ebrl.config import ConfigError, require
from ebrl.loop.trainer import scalars
from ebrl.runs.layout import METRICS_FILE


class MetricsLog:
    """One row per evaluation to metrics.csv (fixed columns) and to TensorBoard under the same names. A resumed run
    passes the rows it keeps (`history`, see metrics_history) and its checkpoint's step, past which TensorBoard's
    events are purged."""

    def __init__(self, run_dir: Path, columns: list[str], history: list[dict] | None = None,
                 resume_step: int | None = None):
        self.path = run_dir / METRICS_FILE
        self.columns = columns
        self._rewrite(history or [])
        purge = None if resume_step is None else resume_step + 1
        self.writer = SummaryWriter(str(run_dir / "tb"), purge_step=purge)

    def _rewrite(self, rows: list[dict]) -> None:
        tmp = self.path.with_suffix(".csv.tmp")
        with tmp.open("w", newline="") as f:
            writer = csv.DictWriter(f, self.columns)
            writer.writeheader()
            writer.writerows(rows)
        os.replace(tmp, self.path)

    def log(self, row: dict[str, float]) -> None:
        with self.path.open("a", newline="") as f:
            csv.DictWriter(f, self.columns).writerow({k: _csv_value(row.get(k)) for k in self.columns})
        for name, value in scalars(row).items():
            self.writer.add_scalar(name, value, row["step"])
        self.writer.flush()

    def close(self) -> None:
        self.writer.close()


def _csv_value(value) -> str:
    if value is None:
        return ""
    return repr(float(value)) if isinstance(value, float) else str(value)


@dataclasses.dataclass(frozen=True)
class MetricsTable:
    """metrics.csv as written: its columns, its complete rows (strings), and whether its last line was cut (a
    row with missing cells or no line end, as a kill or a full disk in the middle of a write leaves it)."""

    path: Path
    columns: list[str]
    rows: list[dict[str, str]]
    cut_tail: bool


def read_metrics_table(run_dir: Path) -> MetricsTable:
    """The table of RUN/metrics.csv; ConfigError if it is missing, has no header, or has a cut or non-numeric row
    before its last line."""
    path = run_dir / METRICS_FILE
    try:
        text = path.read_text()
    except FileNotFoundError:
        raise ConfigError(f"{path} does not exist; the run has written no metrics (train or resume it first)") from None
    lines = text.splitlines(keepends=True)
    if not lines or not lines[0].strip():
        raise ConfigError(f"{path} is empty (not even its header); restore it from a backup, or train the run "
                          "again with overwrite", "overwrite")
    columns = next(csv.reader(lines[:1]))
    rows, cut_tail = [], False
    for number, cells in enumerate(csv.reader(lines[1:]), start=2):
        complete = len(cells) == len(columns) and (number < len(lines) or lines[-1].endswith("\n"))
        if complete and all(_is_number(cell) for cell in cells):
            rows.append(dict(zip(columns, cells)))
        elif number == len(lines):
            cut_tail = True
        else:
            raise ConfigError(f"{path} line {number} is not a complete row of numbers; restore the file from a backup")
    return MetricsTable(path, columns, rows, cut_tail)


def _is_number(cell: str) -> bool:
    try:
        float(cell or "0")
    except ValueError:
        return False
    return True


def read_metrics(run_dir: Path) -> list[dict[str, float]]:
    """metrics.csv as a list of rows, empty cells dropped; ConfigError if it is missing, holds no row, or was cut."""
    table = read_metrics_table(run_dir)
    require(not table.cut_tail, f"{table.path} ends in a cut row (written when the run was stopped, or edited); "
            "remove that line, or resume the run, which rewrites it")
    require(bool(table.rows), f"{table.path} holds no rows yet; the run writes one at each evaluation")
    return [{k: float(v) for k, v in row.items() if v != ""} for row in table.rows]


def metrics_history(run_dir: Path, columns: list[str], step: int, rows: int) -> list[dict[str, str]]:
    """The rows of RUN/metrics.csv a run resumed from its checkpoint at `step` keeps: its first `rows` rows, which
    the checkpoint counts (one per evaluation up to `step`); later rows are produced again. ConfigError, naming
    the file, if it does not hold them: history is never dropped or rewritten silently."""
    path = run_dir / METRICS_FILE
    if not path.exists():
        require(rows == 0, f"{path} does not exist, though the checkpoint at step {step} counts {rows} rows of it; "
                "restore it from a backup, or train the run again with overwrite", "overwrite")
        return []
    table = read_metrics_table(run_dir)
    require(table.columns == columns, f"{path} has other columns than this run writes (written by another "
            "version of ebrl?); restore it, or train the run again with overwrite", "overwrite")
    kept = [row for row in table.rows if float(row["step"]) <= step]
    require(len(kept) == rows and kept == table.rows[:rows],
            f"{path} holds {len(kept)} of the {rows} rows up to step {step} that the checkpoint counts (it was cut or "
            "edited); restore it from a backup, or train the run again with overwrite", "overwrite")
    return kept
