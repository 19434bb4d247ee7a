"""NumPyro's inference on the same log-joint over the same coordinates, for the benchmarks: NUTS (the reference
posterior), NumPyro's own SVGD (`numpyro.contrib.einstein.SVGD`) and mean-field Gaussian VI (`AutoNormal`).

NumPyro is a benchmark and test dependency of ebrl, not a dependency of the package: every function imports it
where it runs. Each method sees the model as one vector site θ (D,) whose density N(0, I) the factor
log p(θ, data) − log N(θ; 0, I) replaces, so all of them target exactly the density ebrl's SVGD does.
"""

import jax
import jax.numpy as jnp

from ebrl.vi.inference import Start, log_joint
from ebrl.vi.models import Model


def _numpyro_model(model: Model, x: jax.Array, y: jax.Array):
    import numpyro  # optional dependency (benchmarks and tests)
    import numpyro.distributions as dist

    def numpyro_model():
        base = dist.Normal(0.0, 1.0).expand([model.dim]).to_event(1)
        theta = numpyro.sample("theta", base)
        numpyro.factor("log_joint", log_joint(model, theta, x, y) - base.log_prob(theta))

    return numpyro_model


def nuts(model: Model, x, y, start: Start, *, warmup: int, samples: int, key: jax.Array,
         max_tree_depth: int = 10) -> jax.Array:
    """NUTS draws (samples, D) of p(θ | data), one chain started at the MAP, with a diagonal mass matrix adapted
    over `warmup` steps, trajectories of at most 2^max_tree_depth leapfrog steps."""
    from numpyro.infer import MCMC, NUTS  # optional dependency (benchmarks and tests)

    x, y = jnp.asarray(x), jnp.asarray(y)
    kernel = NUTS(potential_fn=lambda theta: -log_joint(model, theta, x, y), max_tree_depth=max_tree_depth)
    mcmc = MCMC(kernel, num_warmup=warmup, num_samples=samples, progress_bar=False)
    mcmc.run(key, init_params=start.center)
    return mcmc.get_samples()


def numpyro_svgd(model: Model, x, y, particles0: jax.Array, *, steps: int, step_size: float,
                 key: jax.Array):
    """NumPyro's SVGD (RBF kernel, median bandwidth, Adagrad as its docs advise) for `steps` steps from the
    particles θ (m, D). Returns (the jitted run: key -> particles (m, D), its result)."""
    from numpyro.contrib.einstein import SVGD, RBFKernel  # optional dependency (benchmarks and tests)
    from numpyro.optim import Adagrad

    x, y = jnp.asarray(x), jnp.asarray(y)
    svgd = SVGD(_numpyro_model(model, x, y), Adagrad(step_size), RBFKernel(), num_stein_particles=particles0.shape[0])
    state = svgd.init(key)
    state = state._replace(optim_state=svgd.optim.init({"theta_auto_loc": particles0}))

    @jax.jit
    def run(state):
        state = jax.lax.fori_loop(0, steps, lambda _, s: svgd.update(s)[0], state)
        return svgd.get_params(state)["theta_auto_loc"]

    return lambda: run(state)


def mean_field(model: Model, x, y, start: Start, *, steps: int, learning_rate: float,
               key: jax.Array) -> tuple[jax.Array, jax.Array]:
    """Mean-field Gaussian VI (`AutoNormal`, Adam, one-sample ELBO gradient) from N(θ̂, s² · 0.1²):
    returns (loc (D,), scale (D,)) of q."""
    import numpyro  # optional dependency (benchmarks and tests)
    from numpyro.infer import SVI, Trace_ELBO
    from numpyro.infer.autoguide import AutoNormal
    from numpyro.infer.initialization import init_to_value

    x, y = jnp.asarray(x), jnp.asarray(y)
    numpyro_model = _numpyro_model(model, x, y)
    guide = AutoNormal(numpyro_model, init_loc_fn=init_to_value(values={"theta": start.center}), init_scale=0.1)
    svi = SVI(numpyro_model, guide, numpyro.optim.Adam(learning_rate), Trace_ELBO())
    result = svi.run(key, steps, progress_bar=False)
    return result.params["theta_auto_loc"], result.params["theta_auto_scale"]
