import math
import re
from typing import get_args

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from ebrl.samplers import LOGDETS, LogDet, bandwidth_sq, squared_distances, svgd_sample, svgd_step

jax.config.update("jax_enable_x64", False)


def gaussian_score(mean, precision):
    return lambda x: -precision @ (x - mean)


def numpy_own_field(x, i, scores, sigma_sq, score_at=None):
    """Particle i's field as a function of its position, the others fixed (NumPy, float64).

    With score_at: (1/m)[score(x) + Σ_{j≠i} ...] ("exact"); without: (1/(m−1)) Σ_{j≠i} ... ("exact-excluded")."""
    m = len(x)

    def field(p):
        total = np.zeros_like(p)
        for j in range(m):
            if j != i:
                diff = p - x[j]
                k = np.exp(-diff @ diff / (2 * sigma_sq))
                total += k * (scores[j] + diff / sigma_sq)
        return (score_at(p) + total) / m if score_at else total / (m - 1)

    return field


def fd_jacobian(f, p, eps=1e-5):
    return np.stack([(f(p + eps * e) - f(p - eps * e)) / (2 * eps) for e in np.eye(len(p))], axis=1)


@pytest.fixture
def setup():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(7, 3)) * 1.5
    precision = np.array([[2.0, 0.3, 0.0], [0.3, 1.0, -0.2], [0.0, -0.2, 0.5]])
    mean = np.array([0.5, -0.3, 1.0])
    score = gaussian_score(jnp.asarray(mean), jnp.asarray(precision))
    scores = -(x - mean) @ precision.T
    sigma_sq = float(bandwidth_sq(squared_distances(jnp.asarray(x)), "mean-half"))
    return x, score, scores, sigma_sq, mean, precision


def test_closed_form_trace_equals_autodiff_trace_of_the_self_excluded_field(setup):
    x, score, scores, sigma_sq, _, _ = setup
    m, eps = len(x), 0.01
    _, log_q = svgd_step(score, jnp.asarray(x, jnp.float32), jnp.zeros(m), eps, logdet="trace")
    for i in range(m):
        def excluded(p, i=i):  # independent JAX form of φ̃_i
            diff = p - jnp.asarray(x)
            k = jnp.exp(-jnp.sum(diff**2, -1) / (2 * sigma_sq)) * (jnp.arange(m) != i)
            return jnp.sum(k[:, None] * (jnp.asarray(scores) + diff / sigma_sq), 0) / (m - 1)
        trace = jnp.trace(jax.jacfwd(excluded)(jnp.asarray(x[i])))
        np.testing.assert_allclose(-log_q[i] / eps, trace, rtol=2e-4, atol=2e-4)
        np.testing.assert_allclose(trace, np.trace(fd_jacobian(numpy_own_field(x, i, scores, sigma_sq), x[i])),
                                   rtol=1e-3, atol=1e-3)


@pytest.mark.parametrize("logdet", ["exact", "exact-excluded"])
def test_exact_modes_equal_finite_difference_log_determinants(setup, logdet):
    x, score, scores, sigma_sq, mean, precision = setup
    eps = 0.3
    _, log_q = svgd_step(score, jnp.asarray(x, jnp.float32), jnp.zeros(len(x)), eps, logdet=logdet)
    score_at = (lambda p: -precision @ (p - mean)) if logdet == "exact" else None
    for i in range(len(x)):
        jac = fd_jacobian(numpy_own_field(x, i, scores, sigma_sq, score_at), x[i])
        expected = np.linalg.slogdet(np.eye(3) + eps * jac)[1]
        np.testing.assert_allclose(-log_q[i], expected, rtol=1e-3, atol=1e-3)


@pytest.mark.slow
@pytest.mark.parametrize("logdet", ["trace", "exact", "exact-excluded"])
@pytest.mark.parametrize("x", [[[-1.0], [1.0]], [[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0], [0.0, -1.0]]])
def test_a_contracting_step_raises_log_q(logdet, x):
    """A symmetric set of particles under a narrow target N(0, 0.05 I): the step pulls them together."""
    x = jnp.asarray(x)
    new_x, log_q = svgd_step(lambda p: -p / 0.05, x, jnp.zeros(len(x)), 0.01, bandwidth=1.0, logdet=logdet)
    assert float(jnp.abs(new_x).max()) < 1.0
    assert bool(jnp.all(log_q > 0))


def test_an_expanding_step_lowers_log_q():
    """Coincident-ish particles under a wide target: repulsion spreads them, so log q falls."""
    x = jnp.array([[-0.01], [0.01]])
    new_x, log_q = svgd_step(lambda p: -p / 100.0, x, jnp.zeros(2), 0.01, bandwidth=0.1)
    assert float(jnp.abs(new_x).max()) > 0.01
    assert bool(jnp.all(log_q < 0))


def test_bandwidth_rules_by_hand():
    """x = 0, 1, 3: the nine squared distances are 0, 0, 0, 1, 1, 4, 4, 9, 9; median 1, mean 28/9;
    log(m + 1) = log 4."""
    d = squared_distances(jnp.array([[0.0], [1.0], [3.0]]))
    np.testing.assert_allclose(d, [[0, 1, 9], [1, 0, 4], [9, 4, 0]])
    np.testing.assert_allclose(bandwidth_sq(d, "median"), 1 / (2 * math.log(4)), rtol=1e-6)
    np.testing.assert_allclose(bandwidth_sq(d, "mean"), (28 / 9) / (2 * math.log(4)), rtol=1e-6)
    np.testing.assert_allclose(bandwidth_sq(d, "mean-half"), (28 / 9) / (4 * math.log(4)), rtol=1e-6)
    np.testing.assert_allclose(bandwidth_sq(d, 2.0), 4.0)
    with pytest.raises(ValueError, match="unknown bandwidth rule"):
        bandwidth_sq(d, "silverman")


@pytest.mark.parametrize("mean, cov", [(np.array([2.0]), np.array([[0.5]])),
                                       (np.array([-1.0, 1.5]), np.array([[1.0, 0.6], [0.6, 2.0]]))])
def test_svgd_finds_the_mean_and_covariance_of_a_gaussian(mean, cov):
    d = len(mean)
    score = gaussian_score(jnp.asarray(mean), jnp.asarray(np.linalg.inv(cov)))
    x0 = jax.random.normal(jax.random.key(0), (100, d))
    x, _ = svgd_sample(score, x0, jnp.zeros(100), steps=1000, step_size=0.2, bandwidth="mean")
    np.testing.assert_allclose(np.mean(x, axis=0), mean, atol=0.02)
    # finite-particle SVGD slightly under-disperses (a few %)
    np.testing.assert_allclose(np.cov(np.asarray(x).T).reshape(d, d), cov, atol=0.1 * np.abs(cov).max())


def test_entropy_of_the_study_gaussian_with_the_official_settings():
    """Study (a): 20 particles, 30 steps, step 0.5, init N(0, 6I), mean-half; closed form within 0.3 nats."""
    mean = jnp.array([-0.6871, 0.8010])
    cov = 5 * jnp.array([[0.2260, 0.1652], [0.1652, 0.6779]])
    score = gaussian_score(mean, jnp.linalg.inv(cov))
    truth = 0.5 * float(jnp.linalg.slogdet(2 * jnp.pi * jnp.e * cov)[1])
    estimates = []
    for seed in range(5):
        x0 = jnp.sqrt(6.0) * jax.random.normal(jax.random.key(seed), (20, 2))
        log_q0 = jax.scipy.stats.multivariate_normal.logpdf(x0, jnp.zeros(2), 6.0 * jnp.eye(2))
        _, log_q = svgd_sample(score, x0, log_q0, steps=30, step_size=0.5, logdet="trace")
        estimates.append(-float(log_q.mean()))
    assert abs(np.mean(estimates) - truth) < 0.3


def test_jit_vmap_over_states_and_gradients():
    """A batch of 3 'states' (target means), differentiated w.r.t. the means and x0, checked by finite differences.

    A fixed σ: the adaptive bandwidth deliberately carries no gradient, which finite differences would see."""
    x0 = jax.random.normal(jax.random.key(1), (6, 2))

    def entropy(means, x0):
        def one(mean):
            _, log_q = svgd_sample(lambda x: -(x - mean), x0, jnp.zeros(6), steps=4, step_size=0.2, bandwidth=0.8)
            return -log_q.mean()
        return jnp.sum(jax.vmap(one)(means))

    means = jnp.array([[0.0, 0.0], [1.0, -1.0], [0.5, 2.0]])
    value, (g_means, g_x0) = jax.jit(jax.value_and_grad(entropy, argnums=(0, 1)))(means, x0)
    assert np.isfinite(float(value))
    for grad, arg, index in ((g_means, 0, (1, 0)), (g_x0, 1, (2, 1))):
        h = 1e-2
        args = [means, x0]
        plus, minus = list(args), list(args)
        plus[arg] = args[arg].at[index].add(h)
        minus[arg] = args[arg].at[index].add(-h)
        fd = (entropy(*plus) - entropy(*minus)) / (2 * h)
        np.testing.assert_allclose(grad[index], fd, rtol=2e-2, atol=2e-3)


def numpy_update(flat, m, d, score, sigma_sq):
    """εΦ's Φ for all particles (NumPy, float64): Φ_i = (1/m) Σ_j k_ij [score(x_j) + (x_i − x_j)/σ²]."""
    x = flat.reshape(m, d)
    out = np.zeros_like(x)
    for i in range(m):
        for j in range(m):
            diff = x[i] - x[j]
            out[i] += np.exp(-diff @ diff / (2 * sigma_sq)) * (score(x[j]) + diff / sigma_sq) / m
    return out.reshape(-1)


def test_the_joint_log_determinant_is_that_of_the_whole_update():
    """logdet="joint": log|det(I + ε ∂Φ/∂X)| of the (m·d)×(m·d) Jacobian, here by central differences of the update
    written out in NumPy, shared equally by the m particles' log q."""
    from ebrl.samplers.svgd import joint_logdet

    mean, precision = np.array([0.5, -1.0]), np.array([[2.0, 0.6], [0.6, 1.0]])
    m, d, eps = 5, 2, 0.3
    x = np.random.default_rng(0).normal(size=(m, d)) * 1.5
    sigma_sq = float(bandwidth_sq(squared_distances(jnp.asarray(x)), "mean-half"))
    score = lambda p: -precision @ (p - mean)  # noqa: E731
    flat = x.reshape(-1)
    jac = np.stack([(numpy_update(flat + h, m, d, score, sigma_sq) - numpy_update(flat - h, m, d, score, sigma_sq))
                    / 2e-6 for h in np.eye(m * d) * 1e-6], axis=1)
    expected = np.linalg.slogdet(np.eye(m * d) + eps * jac)[1]
    got = joint_logdet(gaussian_score(jnp.asarray(mean), jnp.asarray(precision)), jnp.asarray(x, jnp.float32),
                       jnp.asarray(sigma_sq), eps)
    assert float(got) == pytest.approx(expected, abs=2e-4)
    log_q0 = jnp.zeros(m)
    _, log_q = svgd_step(gaussian_score(jnp.asarray(mean), jnp.asarray(precision)), jnp.asarray(x, jnp.float32),
                         log_q0, eps, logdet="joint")
    np.testing.assert_allclose(np.asarray(log_q), -expected / m, atol=2e-4)


@pytest.mark.parametrize("step_size, folds", [(0.1, True), (0.01, False)])
def test_fold_diagnostics_of_a_linear_step(step_size, folds):
    """One particle on N(µ, P⁻¹): the step is x ↦ x − εP(x − µ), whose Jacobian I − εP has determinant
    (1 − ε)(1 − 30ε) for P = diag(1, 30): negative (a fold) at ε = 0.1, positive at 0.01; ‖εJ‖_F = ε·√(1 + 30²)."""
    from ebrl.samplers import fold_diagnostics

    precision = jnp.diag(jnp.array([1.0, 30.0]))
    folded, norm = fold_diagnostics(gaussian_score(jnp.zeros(2), precision), jnp.array([[0.3, -0.2]]), steps=3,
                                    step_size=step_size, bandwidth=1.0)
    assert folded.tolist() == [folds] * 3
    np.testing.assert_allclose(norm, [step_size * math.sqrt(901)] * 3, rtol=1e-5)


@pytest.mark.parametrize("step_size, bounded", [(0.1, True), (0.01, False)])
def test_the_step_bound_by_hand(step_size, bounded):
    """One particle on N(µ, P⁻¹), P = diag(1, 30): its own Jacobian is J = −P, ‖J‖_F = √901, so the bound b = 1 makes
    the step ε' = min(ε, 1/√901) = 0.0333 at ε = 0.1 and leaves ε = 0.01; the step is x ↦ x − ε'P(x − µ) and, the map
    being linear, log q falls by log det(I − ε'P) = log(1 − ε') + log(1 − 30ε') exactly."""
    precision = jnp.diag(jnp.array([1.0, 30.0]))
    x = jnp.array([[0.3, -0.2]])
    expected_step = 1 / math.sqrt(901) if bounded else step_size
    new_x, log_q = svgd_step(gaussian_score(jnp.zeros(2), precision), x, jnp.zeros(1), step_size, bandwidth=1.0,
                             logdet="exact", step_bound=1.0)
    np.testing.assert_allclose(new_x, x - expected_step * x @ precision, rtol=1e-5, atol=1e-7)
    expected_log_q = -(math.log(1 - expected_step) + math.log(1 - 30 * expected_step))
    assert float(log_q[0]) == pytest.approx(expected_log_q, rel=1e-4)  # 1 − 30ε' = 6e-4: float32 rounding


def test_the_step_bound_keeps_every_step_invertible():
    """Ten particles on a steep 2-D Gaussian (precision 200) with ε = 0.1: unbounded, steps fold (det ≤ 0 for the
    per-particle map, εJ_i's norm far above 1); bounded at b = 1, every particle's ‖ε'J_i‖_F ≤ 1 at every step."""
    from ebrl.samplers import own_jacobians

    score = gaussian_score(jnp.zeros(2), 200.0 * jnp.eye(2))
    x = 0.5 * jax.random.normal(jax.random.key(0), (10, 2))
    for _ in range(5):
        sigma_sq = bandwidth_sq(squared_distances(x), "mean-half")
        jacobians = own_jacobians(score, x, jax.vmap(score)(x), sigma_sq, include_self=True)
        assert float(jnp.max(jnp.linalg.norm(jacobians, axis=(1, 2)))) * 0.1 > 1.5  # the unbounded step would fold
        step = min(0.1, 1.0 / float(jnp.max(jnp.linalg.norm(jacobians, axis=(1, 2)))))
        new_x, _ = svgd_step(score, x, jnp.zeros(10), 0.1, logdet="exact", step_bound=1.0)
        expected = x + step * (svgd_step(score, x, jnp.zeros(10), 1.0)[0] - x)  # the update field at step size 1
        np.testing.assert_allclose(new_x, expected, rtol=1e-4, atol=1e-6)
        assert float(jnp.max(jnp.linalg.norm(step * jacobians, axis=(1, 2)))) <= 1.0 + 1e-5
        x = new_x


@pytest.mark.parametrize("steps", [1, 4])
def test_exact_log_density_of_a_linear_flow_is_its_pushforward(steps):
    """The sign of the Hessian term, from the change of variables itself: a lone particle (m = 1) on N(µ, P⁻¹) moves
    by the linear map x ↦ x − εP(x − µ), so N(0, I) is pushed to a Gaussian whose entropy is
    H₀ + L·log|det(I − εP)|, computed here in NumPy; −mean log q of `exact` over 4000 independent particles equals it
    (within sampling error), and the map contracts, so the entropy falls (the Hessian term enters log q with −ε)."""
    precision = np.array([[2.0, 0.5], [0.5, 1.0]])
    eps = 0.2
    truth = math.log(2 * math.pi * math.e) + steps * np.linalg.slogdet(np.eye(2) - eps * precision)[1]
    score = gaussian_score(jnp.array([0.3, -0.4]), jnp.asarray(precision, jnp.float32))
    x0 = jax.random.normal(jax.random.key(1), (4000, 1, 2))
    log_q0 = -0.5 * jnp.sum(x0**2, axis=-1) - math.log(2 * math.pi)
    run = jax.vmap(lambda x, lq: svgd_sample(score, x, lq, steps=steps, step_size=eps, bandwidth=1.0, logdet="exact"))
    _, log_q = run(x0, log_q0)
    assert truth < math.log(2 * math.pi * math.e)
    assert float(-log_q.mean()) == pytest.approx(truth, abs=0.05)


def test_trace_self_is_the_trace_of_each_particles_own_jacobian(setup):
    """logdet="trace-self": −Δlog q/ε = Tr ∂φ_i/∂x with the self term, here by central differences in NumPy."""
    x, score, scores, sigma_sq, mean, precision = setup
    eps = 0.01
    _, log_q = svgd_step(score, jnp.asarray(x, jnp.float32), jnp.zeros(len(x)), eps, logdet="trace-self")
    for i in range(len(x)):
        field = numpy_own_field(x, i, scores, sigma_sq, lambda p: -precision @ (p - mean))
        np.testing.assert_allclose(-log_q[i] / eps, np.trace(fd_jacobian(field, x[i])), rtol=1e-3, atol=1e-3)


def test_hutchinson_is_unbiased_and_exact_for_a_diagonal_hessian(setup):
    """logdet="hutchinson": with one Rademacher probe v, vᵀHv = Tr H for a diagonal Hessian, so it equals
    "trace-self" there; for the setup's full precision its mean over probes is Tr H (the sampling error of 4000
    probes, 2·Σ_{i≠j} H_ij² / 4000, is below 0.01 here)."""
    from ebrl.samplers import hessian_traces, hutchinson_traces

    x, score, *_ = setup
    x = jnp.asarray(x, jnp.float32)
    diagonal = gaussian_score(jnp.zeros(3), jnp.diag(jnp.array([2.0, 1.0, 0.5])))
    for key in jax.random.split(jax.random.key(0), 3):
        np.testing.assert_allclose(hutchinson_traces(diagonal, x, key), hessian_traces(diagonal, x), rtol=1e-6)
        a = svgd_step(diagonal, x, jnp.zeros(len(x)), 0.1, logdet="hutchinson", key=key)[1]
        np.testing.assert_allclose(a, svgd_step(diagonal, x, jnp.zeros(len(x)), 0.1, logdet="trace-self")[1],
                                   rtol=1e-5, atol=1e-6)
    probes = jax.vmap(lambda k: hutchinson_traces(score, x, k))(jax.random.split(jax.random.key(1), 4000))
    np.testing.assert_allclose(probes.mean(axis=0), hessian_traces(score, x), atol=0.03)
    np.testing.assert_allclose(hessian_traces(score, x), -3.5, rtol=1e-6)  # −Tr P of the setup
    with pytest.raises(ValueError, match="pass key"):
        svgd_step(score, x, jnp.zeros(len(x)), 0.1, logdet="hutchinson")


def test_scores_come_with_the_hessian_traces(setup):
    """The one-pass forms give the score −P(x − μ) and Tr ∇²log p = −Tr P, or vᵀ(−P)v for the Rademacher probe v
    the key draws."""
    from ebrl.samplers.svgd import scores_and_hessian_traces, scores_and_hutchinson_traces

    x, score, scores, _, _, precision = setup
    x = jnp.asarray(x, jnp.float32)
    got_scores, traces = scores_and_hessian_traces(score, x)
    np.testing.assert_allclose(got_scores, scores, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(traces, np.full(len(x), -np.trace(precision)), rtol=1e-6)
    key = jax.random.key(3)
    probes = np.asarray(jax.random.rademacher(key, x.shape, x.dtype))
    got_scores, quadratic = scores_and_hutchinson_traces(score, x, key)
    np.testing.assert_allclose(got_scores, scores, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(quadratic, -np.einsum("id,de,ie->i", probes, precision, probes), rtol=1e-5)


def test_every_log_density_rule_is_named_in_the_type_and_refused_unknown_names_list_them():
    assert LOGDETS == get_args(LogDet)
    x = jnp.zeros((3, 2))
    with pytest.raises(ValueError, match=re.escape(f"unknown logdet 'traces'; use one of {LOGDETS}")):
        svgd_step(lambda a: -a, x, jnp.zeros(3), 0.1, logdet="traces")
    with pytest.raises(ValueError, match="logdet 'hutchinson' draws random probes: pass key"):
        svgd_step(lambda a: -a, x, jnp.zeros(3), 0.1, logdet="hutchinson")

