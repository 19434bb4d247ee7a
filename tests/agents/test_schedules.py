import jax.numpy as jnp
import pytest

from ebrl.agents.schedules import linear_count, log_linear


def test_log_linear_goes_geometrically_from_start_to_end_and_stays():
    values = [float(log_linear(1.0, 0.001, jnp.asarray(t), 100)) for t in (0, 50, 100, 250)]
    assert values == pytest.approx([1.0, 0.001 ** 0.5, 0.001, 0.001], rel=1e-5)


def test_linear_count_shrinks_to_one():
    assert [int(linear_count(9, jnp.asarray(t), 80)) for t in (0, 10, 40, 80, 1000)] == [9, 8, 5, 1, 1]
    assert int(linear_count(1, jnp.asarray(0), 80)) == 1
