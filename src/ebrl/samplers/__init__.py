"""Particle variational inference with tracked log-densities, independent of any RL.

    from ebrl.samplers import svgd_sample
    particles, log_q = svgd_sample(score_fn, x0, log_q0, steps=30, step_size=0.5)
    entropy_estimate = -log_q.mean()
"""

from ebrl.samplers.entropy import gaussian_fit_entropy, knn_entropy, policy_samples, squashed_knn_entropy
from ebrl.samplers.gaussian import gaussian_log_density, truncated_gaussian_sample
from ebrl.samplers.kernels import BANDWIDTH_RULES, bandwidth_sq, rbf, squared_distances
from ebrl.samplers.langevin import dld_step, field_step, hmc_step, ld_step, run_chain
from ebrl.samplers.svgd import (
    LOGDETS,
    LogDet,
    anchored_field,
    bounded_step_size,
    fold_diagnostics,
    hessian_traces,
    hutchinson_traces,
    joint_logdet,
    own_jacobians,
    svgd_sample,
    svgd_step,
    trace_self_excluded,
)

__all__ = [
    "BANDWIDTH_RULES",
    "LOGDETS",
    "LogDet",
    "anchored_field",
    "bandwidth_sq",
    "bounded_step_size",
    "dld_step",
    "field_step",
    "fold_diagnostics",
    "gaussian_fit_entropy",
    "gaussian_log_density",
    "hessian_traces",
    "hmc_step",
    "hutchinson_traces",
    "joint_logdet",
    "knn_entropy",
    "ld_step",
    "own_jacobians",
    "policy_samples",
    "rbf",
    "run_chain",
    "squared_distances",
    "squashed_knn_entropy",
    "svgd_sample",
    "svgd_step",
    "trace_self_excluded",
    "truncated_gaussian_sample",
]
