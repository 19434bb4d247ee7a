"""Stein variational gradient descent whose particles carry their own log-density (S2AC, Messaoud et al. 2024).

One step, with g_j = ∇ log p(x_j), k_ij = k(x_i, x_j), σ from the bandwidth rule (anchor-s2ac.md §1.3, §2.1):

    φ(x_i) = (1/m) Σ_j k_ij [g_j + (x_i − x_j)/σ²]                          (self term included)
    x_i   ← x_i + ε φ(x_i)
    log q_i ← log q_i − ε T_i,   T_i = (1/(m−1)) Σ_{j≠i} k_ij [−(x_i − x_j)·g_j/σ² + d/σ² − ‖x_i − x_j‖²/σ⁴]

T_i is the trace of the Jacobian, at x_i, of the field built from the other particles (held fixed),
φ̃_i(x) = (1/(m−1)) Σ_{j≠i} [k(x, x_j) g_j + (x − x_j) k(x, x_j)/σ²]: the first-order change of variables
log|det(I + εJ)| ≈ ε Tr J, in O(m² d) with first derivatives only (logdet="trace", the official code).

logdet="trace-self" is the first-order change of variables of particle i's own update, self term included:
log q_i ← log q_i − ε Tr J_i, Tr J_i = (1/m)[Tr ∇²log p(x_i) + (m − 1) T_i], the Hessian's trace by d
forward-mode derivatives of the score, with 1/m, the weight the self term has in φ (MET-SVGD's density, Messaoud et
al. 2026). logdet="hutchinson" replaces that trace by vᵀ∇²log p(x_i) v, one Rademacher probe v per particle and
step, MET-SVGD's own choice (one Hessian-vector product; unbiased; exact for a diagonal Hessian). Near a mode
Tr ∇²log p < 0: the step contracts and log q rises. The Hessian term enters the value only: differentiated through
the chain (S2AC's actor loss), log q has the gradient of "trace" rescaled by (m − 1)/m, since the term's own
derivative needs third derivatives of log p and made S2AC's update 4.9× slower than "trace" on HalfCheetah's shapes
(benchmarks/logdet_cost.py).

The exact alternatives replace ε T_i by log|det(I + ε J_i)|, J_i by autodiff at x_i with the other particles and
their scores held fixed:
- logdet="exact": J_i = ∂φ_i/∂x of particle i's own update field, self term included,
  φ_i(x) = (1/m)[∇log p(x) + Σ_{j≠i} k(x, x_j)(g_j + (x − x_j)/σ²)]; the self term contributes the Hessian of
  log p. This is the diagonal block of the Jacobian of the whole update.
- logdet="exact-excluded": J_i = ∂φ̃_i/∂x, the field whose trace is T_i; it differs from "trace" only by the
  first-order approximation.
- logdet="joint": the change of variables of all m particles at once, X = (x_1, ..., x_m) ↦ X + εΦ(X), whose
  (m·d)×(m·d) Jacobian has every block ∂φ_i/∂x_j (the kernel σ held fixed). It is exact for the joint density of
  the particles while the map is invertible; each particle's log q takes an equal share, log q_i ← log q_i −
  (1/m) log|det(I + εJ_Φ)|, so −mean log q is H(X_1, ..., X_m)/m, which by subadditivity never exceeds the entropy of
  one particle's marginal, the policy's: a lower bound on it. Cost O((m·d)³) per step.
On the 2-D Gaussian of the entropy study the two exact modes err by about −1 and 0 nats where "trace" errs by
+0.04 (docs/results/entropy/): the self term, not the linearisation, is what separates "exact" from "trace".
"""

from collections.abc import Callable
from typing import Literal, NamedTuple

import jax
import jax.numpy as jnp

from ebrl.samplers.kernels import bandwidth_sq, rbf, squared_distances

LogDet = Literal["trace", "trace-self", "hutchinson", "exact", "exact-excluded", "joint"]


def anchored_field(x: jax.Array, anchors: jax.Array, scores: jax.Array, weights: jax.Array,
                   sigma_sq: jax.Array) -> jax.Array:
    """Σ_j w_j k(x, a_j) [g_j + (x − a_j)/σ²] at one point x (d,), anchors a and scores g (m, d) held fixed."""
    diff = x - anchors
    k = jnp.exp(-jnp.sum(diff * diff, axis=-1) / (2.0 * sigma_sq))
    return jnp.sum((weights * k)[:, None] * (scores + diff / sigma_sq), axis=0)


def own_jacobians(score_fn: Callable, x: jax.Array, scores: jax.Array, sigma_sq: jax.Array,
                  include_self: bool) -> jax.Array:
    """J_i = ∂φ_i/∂x at x_i for every particle, the others and their scores held fixed: (m, d, d), φ_i as in the
    module docstring ("exact" with include_self, else "exact-excluded")."""
    m = x.shape[0]

    def own_field(xi, i):
        others = (jnp.arange(m) != i).astype(x.dtype)
        if include_self:
            return (score_fn(xi) + anchored_field(xi, x, scores, others, sigma_sq)) / m
        return anchored_field(xi, x, scores, others / (m - 1), sigma_sq)

    return jax.vmap(jax.jacfwd(own_field))(x, jnp.arange(m))


def _logdets(jacobians: jax.Array, step_size: float | jax.Array) -> jax.Array:
    eye = jnp.eye(jacobians.shape[-1], dtype=jacobians.dtype)
    return jnp.linalg.slogdet(eye + step_size * jacobians)[1]


def bounded_step_size(jacobians: jax.Array, step_size: float, step_bound: float) -> jax.Array:
    """ε' = min(ε, b / max_i ‖J_i‖_F) for the particles' own Jacobians J_i (m, d, d) (MET-SVGD, Messaoud et al.
    2026, with b = 1): with ‖ε' J_i‖_F ≤ b < 1 every I + ε' J_i is invertible (its eigenvalues lie within b of 1)
    and log det(I + ε'J_i) = ε' Tr J_i + O(b²). Carries no gradient."""
    largest = jnp.max(jnp.sqrt(jnp.sum(jacobians * jacobians, axis=(-2, -1))))
    return jax.lax.stop_gradient(jnp.minimum(step_size, step_bound / jnp.maximum(largest, 1e-30)))


def update_field(x: jax.Array, scores: jax.Array, k: jax.Array, sigma_sq: jax.Array) -> jax.Array:
    """φ(x_i) = (1/m) Σ_j k_ij [g_j + (x_i − x_j)/σ²] for every particle of x (m, d), scores g (m, d), kernel k
    (m, m): (m, d)."""
    diff = x[:, None, :] - x[None, :, :]
    return (k @ scores + jnp.sum(k[:, :, None] * diff, axis=1) / sigma_sq) / x.shape[0]


def _joint_jacobian(score_fn: Callable, x: jax.Array, sigma_sq: jax.Array) -> jax.Array:
    """∂Φ/∂X, (m·d, m·d), of the update field of all particles x (m, d), σ² held fixed."""
    m, d = x.shape

    def update(flat):
        y = flat.reshape(m, d)
        return update_field(y, jax.vmap(score_fn)(y), rbf(squared_distances(y), sigma_sq), sigma_sq).reshape(-1)

    return jax.jacfwd(update)(x.reshape(-1))


def joint_logdet(score_fn: Callable, x: jax.Array, sigma_sq: jax.Array, step_size: float | jax.Array) -> jax.Array:
    """log|det(I + ε ∂Φ/∂X)| of the whole update of the particles x (m, d), σ² held fixed."""
    jac = _joint_jacobian(score_fn, x, sigma_sq)
    return jnp.linalg.slogdet(jnp.eye(jac.shape[0], dtype=x.dtype) + step_size * jac)[1]


def fold_diagnostics(score_fn: Callable, x0: jax.Array, *, steps: int, step_size: float,
                     bandwidth: str | float = "mean-half") -> tuple[jax.Array, jax.Array]:
    """Whether each SVGD step from x0 (m, d) is a change of variables at all: (folded (steps,), norm (steps,)),
    folded where det(I + ε ∂Φ/∂X) ≤ 0 (the map X ↦ X + εΦ(X) is not invertible there, so no log-det rule tracks
    the particles' density), and norm the Frobenius norm ‖ε ∂Φ/∂X‖_F (below 1 the step is surely invertible, the
    bound MET-SVGD keeps ε under)."""

    def body(x, _):
        sq_dists = squared_distances(x)
        sigma_sq = bandwidth_sq(sq_dists, bandwidth)
        jac = step_size * _joint_jacobian(score_fn, x, sigma_sq)
        sign = jnp.linalg.slogdet(jnp.eye(jac.shape[0], dtype=x.dtype) + jac)[0]
        x_next = x + step_size * update_field(x, jax.vmap(score_fn)(x), rbf(sq_dists, sigma_sq), sigma_sq)
        return x_next, (sign <= 0, jnp.sqrt(jnp.sum(jac * jac)))

    _, (folded, norm) = jax.lax.scan(body, x0, None, length=steps)
    return folded, norm


def scores_and_hessian_traces(score_fn: Callable, x: jax.Array) -> tuple[jax.Array, jax.Array]:
    """(g (m, d), Tr ∇²log p(x_i) = Tr ∂g/∂x (m,)) at every particle of x (m, d): d forward-mode derivatives of the
    score, which carry the score itself along (one pass through log p instead of two)."""
    eye = jnp.eye(x.shape[-1], dtype=x.dtype)

    def one(xi):
        score, hvp = jax.linearize(score_fn, xi)
        return score, jnp.trace(jax.vmap(hvp)(eye))

    return jax.vmap(one)(x)


def hessian_traces(score_fn: Callable, x: jax.Array) -> jax.Array:
    """Tr ∇²log p(x_i) = Tr ∂g/∂x at every particle of x (m, d): (m,), by forward-mode autodiff of the score."""
    return scores_and_hessian_traces(score_fn, x)[1]


def scores_and_hutchinson_traces(score_fn: Callable, x: jax.Array, key: jax.Array) -> tuple[jax.Array, jax.Array]:
    """(g (m, d), vᵢᵀ ∇²log p(x_i) vᵢ (m,)) at every particle of x (m, d), one Rademacher probe vᵢ each: the score
    and the Hessian-vector product of one forward-mode derivative."""
    probes = jax.random.rademacher(key, x.shape, x.dtype)

    def one(xi, v):
        score, hvp = jax.jvp(score_fn, (xi,), (v,))
        return score, v @ hvp

    return jax.vmap(one)(x, probes)


def hutchinson_traces(score_fn: Callable, x: jax.Array, key: jax.Array) -> jax.Array:
    """vᵢᵀ ∇²log p(x_i) vᵢ at every particle of x (m, d), one Rademacher probe vᵢ each: (m,). An unbiased estimate of
    Tr ∇²log p(x_i) (exact where the Hessian is diagonal), for one Hessian-vector product."""
    return scores_and_hutchinson_traces(score_fn, x, key)[1]


def trace_self_excluded(x: jax.Array, scores: jax.Array, sq_dists: jax.Array, sigma_sq: jax.Array) -> jax.Array:
    """T_i of the module docstring for every particle: (m,)."""
    m, d = x.shape
    k = rbf(sq_dists, sigma_sq) * (1.0 - jnp.eye(m, dtype=x.dtype))
    diff = x[:, None, :] - x[None, :, :]  # x_i − x_j, (m, m, d)
    score_term = -jnp.einsum("ijd,jd->ij", diff, scores) / sigma_sq
    return jnp.sum(k * (score_term + d / sigma_sq - sq_dists / sigma_sq**2), axis=1) / (m - 1)


class StepContext(NamedTuple):
    """What a log-density rule sees of one SVGD step: the particles x (m, d), their scores g (m, d), what the rule's
    own score pass computed beside them (`self_term`), the squared distances and the bandwidth σ², the step ε (or
    the bounded ε'), and the particles' own Jacobians J_i (m, d, d) where the rule or the step bound needs them."""

    score_fn: Callable
    x: jax.Array
    scores: jax.Array
    self_term: jax.Array | None
    sq_dists: jax.Array
    sigma_sq: jax.Array
    step: float | jax.Array
    jacobians: jax.Array | None


def _plain_scores(score_fn: Callable, x: jax.Array, key: jax.Array | None) -> tuple[jax.Array, None]:
    return jax.vmap(score_fn)(x), None


def _first_order_with_self(ctx: StepContext) -> jax.Array:
    """ε Tr J_i = ε (1/m)[Tr ∇²log p(x_i) + (m − 1) T_i], the Hessian term a value without its own gradient (its
    derivative needs third derivatives: 5× the cost)."""
    assert ctx.self_term is not None  # the rule's score pass computes it
    m = ctx.x.shape[0]
    self_term = jax.lax.stop_gradient(ctx.self_term)
    return ctx.step * (self_term + (m - 1) * trace_self_excluded(ctx.x, ctx.scores, ctx.sq_dists, ctx.sigma_sq)) / m


def _exact(ctx: StepContext) -> jax.Array:
    assert ctx.jacobians is not None  # the rule asks for them
    return _logdets(ctx.jacobians, ctx.step)


class LogDensityRule(NamedTuple):
    """One rule for log q's change in an SVGD step, log q_i ← log q_i − change_i (the module docstring): how the
    scores are computed (with what the rule needs beside them), the change itself, and whether the rule needs the
    particles' own Jacobians (with the self term or without) or a key."""

    scores: Callable[..., tuple[jax.Array, jax.Array | None]]  # (score_fn, x, key) -> (g, self_term)
    change: Callable[[StepContext], jax.Array]
    jacobians: bool = False
    include_self: bool = True
    needs_key: bool = False


LOGDET_RULES: dict[str, LogDensityRule] = {
    "trace": LogDensityRule(_plain_scores, lambda c: c.step * trace_self_excluded(c.x, c.scores, c.sq_dists,
                                                                                   c.sigma_sq)),
    "trace-self": LogDensityRule(lambda score_fn, x, key: scores_and_hessian_traces(score_fn, x),
                                 _first_order_with_self),
    "hutchinson": LogDensityRule(scores_and_hutchinson_traces, _first_order_with_self, needs_key=True),
    "exact": LogDensityRule(_plain_scores, _exact, jacobians=True),
    "exact-excluded": LogDensityRule(_plain_scores, _exact, jacobians=True, include_self=False),
    "joint": LogDensityRule(_plain_scores, lambda c: joint_logdet(c.score_fn, c.x, jax.lax.stop_gradient(c.sigma_sq),
                                                                  c.step) / c.x.shape[0]),
}
"""The log-density rules by name; a new rule is one entry here (and its name in `LogDet`)."""
LOGDETS: tuple[str, ...] = tuple(LOGDET_RULES)
NEEDS_KEY = tuple(name for name, rule in LOGDET_RULES.items() if rule.needs_key)


def svgd_step(score_fn: Callable, x: jax.Array, log_q: jax.Array, step_size: float,
              bandwidth: str | float = "mean-half", logdet: LogDet = "trace-self",
              step_bound: float | None = None, key: jax.Array | None = None) -> tuple[jax.Array, jax.Array]:
    """One SVGD update of particles x (m, d) and their log-densities log_q (m,), log q by the rule `logdet`
    (LOGDET_RULES); with `step_bound` b, the step is ε' = min(ε, b / max_i ‖J_i‖_F) (`bounded_step_size`) instead
    of ε. `key` draws the probes of "hutchinson"."""
    if logdet not in LOGDET_RULES:
        raise ValueError(f"unknown logdet {logdet!r}; use one of {LOGDETS}")
    rule = LOGDET_RULES[logdet]
    if rule.needs_key and key is None:
        raise ValueError(f"logdet {logdet!r} draws random probes: pass key")
    scores, self_term = rule.scores(score_fn, x, key)
    sq_dists = squared_distances(x)
    sigma_sq = bandwidth_sq(sq_dists, bandwidth)
    phi = update_field(x, scores, rbf(sq_dists, sigma_sq), sigma_sq)
    step: float | jax.Array = step_size
    jacobians = None
    if step_bound is not None or rule.jacobians:
        jacobians = own_jacobians(score_fn, x, scores, sigma_sq, include_self=rule.include_self)
        if step_bound is not None:
            step = bounded_step_size(jacobians, step_size, step_bound)
    change = rule.change(StepContext(score_fn, x, scores, self_term, sq_dists, sigma_sq, step, jacobians))
    return x + step * phi, log_q - change


def svgd_sample(score_fn: Callable, x0: jax.Array, log_q0: jax.Array, *, steps: int, step_size: float,
                bandwidth: str | float = "mean-half", logdet: LogDet = "trace-self", step_bound: float | None = None,
                key: jax.Array | None = None, return_path: bool = False, unroll: bool = False):
    """Run `steps` SVGD updates from particles x0 (m, d) with log-densities log_q0 (m,).

    Returns (particles (m, d), log_q (m,)); with return_path, the log-densities after every step as well,
    (steps + 1, m) starting with log_q0. Jittable, vmappable over states, and differentiable with respect to x0
    and to whatever score_fn closes over (the bandwidth carries no gradient). `unroll` writes the steps out in the
    compiled program instead of a loop (short chains; XLA then also counts every step's operations). `key`: the
    random probes of logdet="hutchinson", one key per step split from it.
    """
    step_keys = jax.random.split(key, steps) if logdet in NEEDS_KEY and key is not None else None

    def body(carry, step_key):
        x, log_q = svgd_step(score_fn, *carry, step_size, bandwidth, logdet, step_bound, step_key)
        return (x, log_q), log_q

    (x, log_q), path = jax.lax.scan(body, (x0, log_q0), step_keys, length=steps, unroll=unroll)
    if return_path:
        return x, log_q, jnp.concatenate([log_q0[None], path])
    return x, log_q
