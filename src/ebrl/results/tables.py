"""Generators of every README over a committed CSV table: one cell, or a column's values or range, of the rows that
match filters NAME=VALUE. Errors (a column named '... error' or '..._error') are written with their sign."""

from pathlib import Path

from ebrl.markdown import num
from ebrl.results.files import read_csv
from ebrl.results.generated import generates


def matching(folder: Path, path: str, filters: tuple[str, ...]) -> list[dict]:
    """The rows of folder/path whose columns equal every NAME=VALUE (as numbers where both parse)."""
    wanted = dict(f.split("=", 1) for f in filters)

    def equal(cell: str, value: str) -> bool:
        try:
            return float(cell) == float(value)
        except ValueError:
            return cell == value

    rows = [r for r in read_csv(folder / path) if all(equal(r[k], v) for k, v in wanted.items())]
    if not rows:
        raise ValueError(f"{folder / path} has no row with {wanted}")
    return rows


def cells(folder: Path, path: str, column: str, filters: tuple[str, ...]) -> tuple[list[float], int, bool]:
    """The column's values, the digits to write (a filter digits=N, else 2) and whether to sign them."""
    digits = next((int(f.split("=")[1]) for f in filters if f.startswith("digits=")), 2)
    rows = matching(folder, path, tuple(f for f in filters if not f.startswith("digits=")))
    return [float(r[column]) for r in rows], digits, column.endswith("error")


@generates("*")
def csv_cell(folder: Path, path: str, column: str, *filters: str) -> str:
    values, digits, signed = cells(folder, path, column, filters)
    if len(values) != 1:
        raise ValueError(f"{path}: {len(values)} rows match {filters}, not one")
    return num(values[0], digits, signed)


@generates("*")
def csv_values(folder: Path, path: str, column: str, *filters: str) -> str:
    values, digits, signed = cells(folder, path, column, filters)
    return ", ".join(num(v, digits, signed) for v in values)


@generates("*")
def csv_range(folder: Path, path: str, column: str, *filters: str) -> str:
    values, digits, signed = cells(folder, path, column, filters)
    return f"{num(min(values), digits, signed)} to {num(max(values), digits, signed)}"
