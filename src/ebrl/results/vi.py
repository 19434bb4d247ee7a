"""Generators of docs/results/vi: german on five splits (german-splits/*/results.csv), ebrl's SVGD against NUTS."""

from pathlib import Path

import numpy as np

from ebrl.markdown import num, table
from ebrl.results.files import read_csv
from ebrl.results.generated import generates

SPLITS = "vi/german-splits/README.md"


def paired(run: Path) -> dict[str, np.ndarray]:
    """Per split, in split order: SVGD's and NUTS's accuracy (points) and test log-likelihood, and the differences."""
    rows = read_csv(run / "results.csv")
    by = {m: sorted((r for r in rows if r["method"] == m), key=lambda r: int(r["split"]))
          for m in ("ebrl-svgd", "nuts")}
    if [r["split"] for r in by["ebrl-svgd"]] != [r["split"] for r in by["nuts"]]:
        raise ValueError(f"{run / 'results.csv'}: SVGD and NUTS ran on different splits")
    values = {f"{key}_{m}": np.array([float(r[key]) for r in by[m]]) for key in ("accuracy", "test_ll") for m in by}
    values = {k: 100 * v if k.startswith("accuracy") else v for k, v in values.items()}
    return values | {"accuracy_gap": values["accuracy_ebrl-svgd"] - values["accuracy_nuts"],
                     "test_ll_gap": values["test_ll_ebrl-svgd"] - values["test_ll_nuts"]}


def mean_se(x: np.ndarray, digits: int, signed: bool = False) -> str:
    """mean ± standard error over splits (std with ddof 1, / √splits)."""
    return f"{num(x.mean(), digits, signed)} ± {num(x.std(ddof=1) / np.sqrt(len(x)), digits)}"


@generates(SPLITS)
def splits_table(folder: Path, run: str) -> str:
    v = paired(folder / run)
    rows = [[str(i), f"{v['accuracy_ebrl-svgd'][i]:.0f} %", f"{v['accuracy_nuts'][i]:.0f} %",
             num(round(v["accuracy_gap"][i]), 0, signed=bool(round(v["accuracy_gap"][i]))),
             num(v["test_ll_ebrl-svgd"][i], 4), num(v["test_ll_nuts"][i], 4), num(v["test_ll_gap"][i], 4, signed=True)]
            for i in range(len(v["accuracy_gap"]))]
    rows.append(["mean ± s.e.", mean_se(v["accuracy_ebrl-svgd"], 1) + " %", mean_se(v["accuracy_nuts"], 1) + " %",
                 mean_se(v["accuracy_gap"], 1, signed=True), mean_se(v["test_ll_ebrl-svgd"], 4),
                 mean_se(v["test_ll_nuts"], 4), mean_se(v["test_ll_gap"], 4, signed=True)])
    return table(["split", "SVGD accuracy", "NUTS accuracy", "Δ (points)", "SVGD test LL", "NUTS test LL",
                  "Δ LL (nats)"], rows)


@generates(SPLITS)
def splits(folder: Path, run: str, what: str) -> str:
    """accuracy_gap / test_ll_gap (mean ± s.e.), equal_splits, ll_below (splits where SVGD's LL is below NUTS's),
    worst_ll (the split of the largest LL gap), nuts_split0, goal (within 1 point and 0.02 nats: on which splits)."""
    v = paired(folder / run)
    gap, ll = np.round(v["accuracy_gap"]).astype(int), v["test_ll_gap"]
    if what in ("accuracy_gap", "test_ll_gap"):
        return mean_se(v[what], 1 if what == "accuracy_gap" else 4, signed=True)
    if what == "equal_splits":
        return f"{(gap == 0).sum()} of the {len(gap)} splits agree exactly"
    if what == "ll_below":
        return f"{(ll < 0).sum()} of the {len(ll)} splits below"
    if what == "worst_ll":
        worst = int(np.argmin(ll))
        return f"split {worst} at {num(ll[worst], 4)}"
    if what == "nuts_split0":
        return f"{v['accuracy_nuts'][0]:.0f} %"
    if what == "goal":
        met = (np.abs(gap) <= 1) & (np.abs(ll) <= 0.02)
        if met.all():
            return "on every split"
        misses = ", ".join(f"split {i} ({num(gap[i], 0, signed=True)} points, {num(ll[i], 4, signed=True)} nats)"
                           for i in np.flatnonzero(~met))
        return f"on {met.sum()} of {len(met)} splits, not on {misses}"
    raise ValueError(f"splits: unknown quantity {what!r}")


@generates(SPLITS)
def main_table_split0(folder: Path) -> str:
    """Split 0 of the main benchmark (../results.csv): SVGD's and NUTS's german accuracy."""
    rows = {r["method"]: r for r in read_csv(folder.parent / "results.csv") if r["dataset"] == "german"
            and r["split"] == "0"}
    return f"{100 * float(rows['ebrl-svgd']['accuracy']):.0f} % against {100 * float(rows['nuts']['accuracy']):.0f} %"


VI = "vi/README.md"


def _speed_rows(folder: Path) -> list[dict[str, str]]:
    """The table of speed.md (benchmarks/vi_speed.py's output), one dict per data set."""
    lines = [line for line in (folder / "speed.md").read_text().splitlines() if line.startswith("|")]
    cells = [[c.strip() for c in line.strip("|").split("|")] for line in lines]
    return [dict(zip(cells[0], row)) for row in cells[2:]]


@generates(VI)
def goals_table(folder: Path) -> str:
    """The goals of issue 22 and what the committed files say of each (goals.csv, summary.csv, speed.md,
    german-splits/)."""
    goals = read_csv(folder / "goals.csv")
    logistic = [g for g in goals if g["met"]]
    missed = [g["dataset"] for g in logistic if g["met"] != "True"]
    german = paired(folder / "german-splits")
    german_3000 = paired(folder / "german-splits" / "steps-3000")
    split0 = main_table_split0(folder / "german-splits")
    accuracy = (f"**{len(logistic) - len(missed)} of {len(logistic)}** on split 0; "
                + ", ".join(f"{m} on its five-split mean ([german-splits/](german-splits/README.md)): "
                            f"{mean_se(german['accuracy_gap'], 1, True)} points, "
                            f"{mean_se(german['test_ll_gap'], 4, True)} nats (3000 steps: "
                            f"{mean_se(german_3000['accuracy_gap'], 1, True)}, "
                            f"{mean_se(german_3000['test_ll_gap'], 4, True)}); its split 0, in summary.md, is {split0}"
                            for m in missed))
    networks = {r["dataset"]: r for r in read_csv(folder / "summary.csv")
                if r["method"] == "ebrl-svgd" and r["task"] == "regression"}
    bnn = ", ".join(f"{d.capitalize()} {float(r['rmse']):.2f} ± {float(r['rmse_se']):.2f} / "
                    f"{num(float(r['test_ll']), 2)} ± {float(r['test_ll_se']):.2f} ({r['splits']} splits)"
                    for d, r in networks.items())
    speed = _speed_rows(folder)
    ratio = lambda r, key: float(r[f"NumPyro / ebrl {key}"])  # noqa: E731
    fast = [r for r in speed if ratio(r, "default") >= 2]
    slow = [r for r in speed if ratio(r, "default") < 2]
    traces = [ratio(r, "trace") for r in speed]
    speeds = (f"**met on {len(fast)} of {len(speed)}** with the densities: "
              + ", ".join(f"{r['data set']} {ratio(r, 'default'):.2f}×" for r in fast) + "; not on "
              + " or ".join(f"{r['data set']} ({ratio(r, 'default'):.2f}×)" for r in slow)
              + ", where the Hessian term's pass over the data costs as much as the score, NumPyro's whole step "
              f"([speed.md](speed.md)); {min(traces):.1f}–{max(traces):.0f}× with `logdet=\"trace\"`")
    elbo = {g["dataset"]: -float(g["elbo_minus_mean_field"]) for g in goals if g["elbo_minus_mean_field"]}
    small = [v for d, v in elbo.items() if d in {g["dataset"] for g in logistic} and d != "splice"]
    nets = [elbo[d] for d in networks]
    elbos = (f"done. Mean-field's is higher everywhere: by {min(small):.1f}–{max(small):.1f} nats (small logistic "
             f"models), {elbo['splice']:.0f} (splice), {min(nets):.0f}–{max(nets):.0f} (networks)")
    errors = [-float(g["entropy_error"]) for g in goals if g["entropy_error"]]
    entropy = (f"done on {len(errors)} sets: the tracked entropy is {min(errors):.1f}–{max(errors):.1f} nats low (the "
               "finite-particle drift, see the guide)")
    return table(["goal", "result"], [
        ["test accuracy within 1 point and test LL within 0.02 nats of NUTS on every logistic-regression set",
         accuracy],
        ["BNN RMSE and LL beside the published SVGD and PBP figures", f"{bnn}; published figures below"],
        ["ebrl's SVGD ≥ 2× faster than NumPyro's at the same particles and steps", speeds],
        ["SVGD ELBO beside the mean-field ELBO on every set", elbos],
        ["entropy term against a Monte Carlo estimate", entropy]])
