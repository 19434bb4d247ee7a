"""Numbers and Markdown tables as every report writes them (docs/results, a study's summary.md, a sweep's
sweep.md)."""

import numpy as np


def num(x: float, digits: int = 1, signed: bool = False) -> str:
    """x with `digits` decimals, a + when signed, and the minus sign (−) of the READMEs' prose."""
    return f"{x:{'+' if signed else ''}.{digits}f}".replace("-", "−")


def nums(values, digits: int = 0, sep: str = ", ") -> str:
    return sep.join(num(v, digits) for v in values)


def mean_std(values, digits: int = 0) -> str:
    """mean ± std over seeds (the population std, ddof 0, as every study report here)."""
    values = np.asarray(values, dtype=float)
    return f"{num(values.mean(), digits)} ± {num(values.std(), digits)}"


def steps(n: int) -> str:
    """10000 → '10 000' (four digits stay together: 5000)."""
    return f"{n:,}".replace(",", " ") if n >= 10_000 else str(n)


def table(header: list[str], rows: list[list[str]]) -> str:
    line = lambda cells: "|" + "|".join(f" {c} " if c else " " for c in cells) + "|"  # noqa: E731
    return "\n".join([line(header), "|" + "---|" * len(header), *map(line, rows)])
