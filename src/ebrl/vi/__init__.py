"""Variational inference on data by SVGD whose particles carry their log-density: particles with log q, the
posterior predictive, and the ELBO E_q[log p(θ, data)] + H(q) with H(q) = −mean log q.

    from ebrl.vi import SVGDConfig, elbo, logistic_regression, svgd
    model = logistic_regression(features=x.shape[1])
    posterior = svgd(model, x, y, SVGDConfig(particles=100, steps=1000), key=jax.random.key(0))
    print(elbo(model, posterior.particles, posterior.log_q, x, y))

Benchmarks against NumPyro (NUTS, SVGD, mean-field VI) on offline data: `ebrl vi` (ebrl.studies.vi).
"""

from ebrl.vi.inference import (
    Elbo,
    Posterior,
    Start,
    SVGDConfig,
    check_model,
    elbo,
    laplace_start,
    log_joint,
    log_predictive,
    make_svgd,
    predictive_mean,
    svgd,
)
from ebrl.vi.models import Model, bayesian_neural_network, from_log_joint, logistic_regression

__all__ = [
    "Elbo",
    "Model",
    "Posterior",
    "SVGDConfig",
    "Start",
    "bayesian_neural_network",
    "check_model",
    "elbo",
    "from_log_joint",
    "laplace_start",
    "log_joint",
    "log_predictive",
    "logistic_regression",
    "make_svgd",
    "predictive_mean",
    "svgd",
]
