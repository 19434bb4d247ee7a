import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from ebrl.commands import main
from ebrl.studies.entropy.study import (
    StudyConfig,
    gaussian_entropy,
    mixture_entropy,
    mixture_log_prob,
    mixture_means,
    study_d,
)


def test_mixture_density_integrates_to_one_in_2d():
    means = mixture_means(jax.random.key(0), 3, 2)
    grid = np.linspace(-9, 9, 601)
    xx, yy = np.meshgrid(grid, grid)
    points = jnp.asarray(np.stack([xx.ravel(), yy.ravel()], -1), jnp.float32)
    density = np.exp(np.asarray(jax.vmap(lambda x: mixture_log_prob(means, 1.0, x))(points))).reshape(xx.shape)
    assert abs(np.trapezoid(np.trapezoid(density, grid, axis=1), grid) - 1.0) < 1e-3


@pytest.mark.slow
@pytest.mark.parametrize("d, std", [(2, 1.0), (10, 0.5), (100, 2.0)])
def test_one_component_monte_carlo_entropy_matches_the_gaussian(d, std):
    """The official notebook's normaliser gives 1.98 for a 2-D N(0, I); the truth is log(2πe) = 2.84."""
    means = mixture_means(jax.random.key(1), 1, d)
    estimate, se = mixture_entropy(jax.random.key(2), means, std, 100_000)
    exact = 0.5 * d * math.log(2 * math.pi * math.e * std**2)
    assert abs(estimate - exact) < 4 * se + 1e-4
    assert se < 0.01 * math.sqrt(d)
    if d == 2 and std == 1.0:
        assert abs(estimate - 2.838) < 0.01


def test_the_policy_entropy_of_zero_steps_is_the_initial_distributions():
    """(d) with L = 0: the policy is the initial N(0, 6I), whose entropy both estimates and the measured truth give."""
    rows = study_d(StudyConfig(policy_dims=(3,), policy_steps=(0,), policy_particles=(10,),
                               policy_targets=("gaussian",), policy_chains=4000))
    truth = 1.5 * math.log(2 * math.pi * math.e * 6.0)
    for column in ("policy", "policy_knn", "trace", "exact", "exact, bound 0.5", "exact, bound 0.5 policy"):
        assert abs(rows[0][column] - truth) < 0.06, column


def test_gaussian_entropy():
    cov = np.array([[2.0, 0.3], [0.3, 1.0]])
    assert gaussian_entropy(cov) == pytest.approx(0.5 * math.log((2 * math.pi * math.e) ** 2 * np.linalg.det(cov)))


@pytest.mark.slow
def test_quick_study_writes_every_table_and_figure(tmp_path, capsys):
    out = tmp_path / "entropy"
    assert main(["entropy", "--quick", "--n-seeds", "2", "--out", str(out)]) == 0
    names = {p.name for p in out.iterdir()}
    for stem in ("a_gaussian", "b_mixtures", "c_kernel_sigma", "d_policy_entropy"):
        assert {f"{stem}.csv", f"{stem}.md"} <= names
    assert {"a_gaussian.png", "a_long_horizon.png", "b_mixtures_components.png", "b_mixtures_std.png",
            "c_kernel_sigma.png"} <= names
    table = (out / "a_gaussian.md").read_text()
    assert "| N(0,6) | SVGD | trace | 30 | 20 | 2 |" in table
    policy = (out / "d_policy_entropy.md").read_text().splitlines()
    assert policy[0].startswith("| target_kind | dim | steps | particles | step_size | chains | target | trace "
                                "| policy | policy_knn | trace error |")
    assert len(policy) == 2 + 2 and policy[2].startswith("| gaussian | 2 | 3 | 10 | 0.100 | 500 |")
    assert policy[3].startswith("| mixture | 2 | 3 | 10 | 0.100 | 500 |")
    capsys.readouterr()
    assert main(["entropy", "--quick", "--out", str(out)]) == 2  # refuses to overwrite results
    assert "already holds results" in capsys.readouterr().err
