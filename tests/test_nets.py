import jax
import jax.numpy as jnp
import numpy as np

from ebrl.nets import elu


def test_elu_and_its_first_two_derivatives_match_flax():
    x = jnp.linspace(-4.0, 3.0, 71)
    np.testing.assert_allclose(elu(x), jax.nn.elu(x), rtol=1e-6, atol=1e-7)
    for order in (1, 2):
        ours, reference = elu, jax.nn.elu
        for _ in range(order):
            ours, reference = jax.grad(lambda v, f=ours: f(v).sum()), jax.grad(lambda v, f=reference: f(v).sum())
        np.testing.assert_allclose(ours(x), reference(x), rtol=1e-5, atol=1e-6)
