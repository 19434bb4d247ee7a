"""The S2AC entropy study (Messaoud et al., 2024, Sec. 5 and Fig. 4; anchor-s2ac.md §5): how well samplers that
track their particles' log-density estimate the entropy of their target, −mean_i log q_L(x_i).

(a) a 2-D correlated Gaussian: estimate against sampler steps for SVGD, LD, DLD, HMC, from two initialisations;
(b) Gaussian mixtures: estimate and truth against the number of components and the component std, in several
    dimensions, over a (particles, steps) grid;
(c) SVGD with a fixed kernel σ: the estimate against σ;
(d) the policy's entropy: on Gaussian targets and 4-component mixtures, d from 1 to 100, L ∈ {3, 10, 30},
    m ∈ {10, 32}, the entropy of the distribution S2AC's random-particle policy samples (one particle after L steps,
    measured over independent runs by ebrl.samplers.policy_samples) beside the target's and beside each rule's
    estimate, so that "has the sampler converged" and "does the estimate tell the policy's entropy" are separate
    columns;
(e) the same on a trained S2AC critic (`critic`: a MultiGoal run at its probe states, or a MuJoCo run at states from
    its replay): the entropy of the random-particle policy from 20 000 independent sampler runs (nearest-neighbour
    estimate before the tanh, plus the tanh's log-Jacobian: squashed_knn_entropy) beside each log-density rule's
    estimate, with and without MET-SVGD's step bound.

Initialisations "N(µ, v)" use variance v (as the official notebook): N(0, 6) and N(4, 0.2). Ground truths are
analytic for Gaussians and Monte Carlo (with standard error) for mixtures; the mixture density is normalised
with −(d/2)·log(2πσ²), which fixes the official notebook's −½·log(2πσ²).
"""

import csv
import dataclasses
import math
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from ebrl.agents import ALGORITHMS
from ebrl.config import require, require_positive
from ebrl.envs.task import describe_task
from ebrl.runs import load_run, read_spec, replay_observations, require_fresh_out
from ebrl.samplers import (
    LogDet,
    dld_step,
    fold_diagnostics,
    gaussian_fit_entropy,
    gaussian_log_density,
    hmc_step,
    knn_entropy,
    ld_step,
    policy_samples,
    run_chain,
    squashed_knn_entropy,
    svgd_sample,
    svgd_step,
)

INITS = {"N(0,6)": (0.0, 6.0), "N(4,0.2)": (4.0, 0.2)}
STUDY_A_STEPS = {"N(0,6)": {"SVGD": 30, "LD": 20, "DLD": 20, "HMC": 15},
                 "N(4,0.2)": {"SVGD": 100, "LD": 100, "DLD": 100, "HMC": 100}}
GAUSS_A_MEAN = (-0.6871, 0.8010)
GAUSS_A_COV = ((5 * 0.2260, 5 * 0.1652), (5 * 0.1652, 5 * 0.6779))
EXACT_BUDGET = 1e9  # run the exact log-dets where m²·d²·steps (their autodiff cost) stays below this
JOINT_BUDGET = 1e8  # and the joint one where (m·d)³·steps (its determinant) does


@dataclasses.dataclass(frozen=True)
class StudyConfig:
    seeds: int = 5
    step_size: float = 0.5
    dims: tuple[int, ...] = (2, 10, 20, 100)
    components: tuple[int, ...] = (1, 2, 4, 6)
    stds: tuple[float, ...] = (0.5, 1.0, 2.0, 5.0)
    grid_b: tuple[tuple[int, int], ...] = ((10, 20), (10, 10), (200, 200), (200, 500))
    sigmas: tuple[float, ...] = (0.1, 1.0, 3.0, 5.0, 7.0, 10.0, 100.0)
    grid_c: tuple[tuple[int, int], ...] = ((10, 20), (20, 20), (100, 100), (200, 200))
    mc_samples: int = 100_000
    particles_a: int = 20
    inits: tuple[str, ...] = tuple(INITS)
    """Initialisations of (a) and (c)."""
    long_particles: tuple[int, ...] = (20, 100, 400)
    """(a) beyond the official horizon: SVGD from N(0, 6) for `long_steps` steps with these particle counts."""
    long_steps: int = 200
    policy_dims: tuple[int, ...] = (1, 2, 3, 6, 8, 17, 20, 100)
    """(d): dimensions of the targets (MuJoCo's action sizes among them: 3, 6, 8, 17)."""
    policy_steps: tuple[int, ...] = (3, 10, 30)
    """(d): SVGD steps L."""
    policy_particles: tuple[int, ...] = (10, 32)
    """(d): particles m."""
    policy_targets: tuple[str, ...] = ("gaussian", "mixture")
    """(d): N(µ, diag s²), and a mixture of 4 such components (where the nearest-neighbour truth is reliable)."""
    policy_step_size: float = 0.1
    policy_chains: int = 1000
    """(d): independent sampler runs per cell, one policy sample each."""


QUICK = StudyConfig(seeds=2, dims=(2,), components=(1, 2), stds=(2.0,), grid_b=((10, 5),), sigmas=(1.0,),
                    grid_c=((10, 5),), mc_samples=20_000, long_particles=(20,), long_steps=40, inits=("N(0,6)",),
                    policy_dims=(2,), policy_steps=(3,), policy_particles=(10,), policy_chains=500)
PARTS = ("a", "b", "c", "d", "e")
KNN_MAX_DIM = 8  # the nearest-neighbour estimate is within 0.05 nats of the truth up to here (its tests)


def initial_particles(key, m: int, d: int, init: str):
    """m particles from N(µ·1, v·I) and their log-densities."""
    mu, var = INITS[init]
    mean, std = jnp.full(d, mu), jnp.full(d, math.sqrt(var))
    x = mean + std * jax.random.normal(key, (m, d))
    return x, gaussian_log_density(x, mean, std)


def mixture_log_prob(means: jax.Array, std, x: jax.Array) -> jax.Array:
    """log p(x) = logsumexp_i log N(x; µ_i, diag σ²) − log n, σ a scalar or (d,), with the normaliser
    −½ Σ_k log(2πσ_k²)."""
    n, d = means.shape
    scale = jnp.broadcast_to(jnp.asarray(std, x.dtype), (d,))
    sq = jnp.sum(((x - means) / scale) ** 2, axis=-1)
    return jax.nn.logsumexp(-0.5 * sq) - math.log(n) - 0.5 * jnp.sum(jnp.log(2 * math.pi * scale**2))


def mixture_means(key, n: int, d: int) -> jax.Array:
    """4·[sin(2πi/n), cos(2πi/n), U(−1, 1)^(d−2)] for components i = 0..n−1 (anchor-s2ac.md §5)."""
    angle = 2 * math.pi * jnp.arange(n) / n
    rest = jax.random.uniform(key, (n, d - 2), minval=-1.0, maxval=1.0)
    return 4.0 * jnp.concatenate([jnp.sin(angle)[:, None], jnp.cos(angle)[:, None], rest], axis=1)


def mixture_entropy(key, means: jax.Array, std, samples: int) -> tuple[float, float]:
    """Monte Carlo H = −E log p(X) over `samples` draws, and its standard error."""
    k_comp, k_noise = jax.random.split(key)
    n, d = means.shape
    comp = jax.random.randint(k_comp, (samples,), 0, n)
    x = means[comp] + std * jax.random.normal(k_noise, (samples, d))
    log_p = jax.lax.map(lambda xi: mixture_log_prob(means, std, xi), x, batch_size=4096)
    return float(-log_p.mean()), float(log_p.std() / math.sqrt(samples))


def gaussian_entropy(cov: np.ndarray) -> float:
    return 0.5 * float(np.linalg.slogdet(2 * np.pi * np.e * np.asarray(cov))[1])


def sampler_step(name: str, score_fn, step_size: float, logdet: LogDet, bandwidth):
    """`(x, log_q, key) -> (x, log_q)` for SVGD, LD, DLD or HMC."""
    if name == "SVGD":
        return lambda x, log_q, key: svgd_step(score_fn, x, log_q, step_size, bandwidth, logdet)
    if name == "LD":
        return lambda x, log_q, key: ld_step(score_fn, x, log_q, step_size, key, logdet=logdet)
    if name == "DLD":
        return lambda x, log_q, key: dld_step(score_fn, x, log_q, step_size, logdet)
    if name == "HMC":
        return lambda x, log_q, key: hmc_step(score_fn, x, log_q, step_size, logdet)
    raise ValueError(name)


def entropy_paths(name, log_prob, params, keys, m, d, init, steps, step_size, logdet="trace",
                  bandwidth="mean-half") -> np.ndarray:
    """Entropy estimates −mean log q after each step (0..steps), one row per seed: (seeds, steps + 1).

    `log_prob(params, x)` with params stacked over seeds (a target per seed)."""

    def one(params, key):
        init_key, chain_key = jax.random.split(key)
        x0, log_q0 = initial_particles(init_key, m, d, init)
        score = jax.grad(lambda x: log_prob(params, x))
        step = sampler_step(name, score, step_size, logdet, bandwidth)
        return -run_chain(step, x0, log_q0, steps, chain_key)[2].mean(axis=1)

    return np.asarray(jax.jit(jax.vmap(one))(params, keys))


def exact_affordable(m: int, d: int, steps: int) -> bool:
    return m * m * d * d * steps <= EXACT_BUDGET


# ------------------------------------------------------------------------------------------------ the studies


def study_a(config: StudyConfig) -> tuple[list[dict], dict]:
    mean, cov = jnp.asarray(GAUSS_A_MEAN), jnp.asarray(GAUSS_A_COV)
    precision = jnp.linalg.inv(cov)
    truth = gaussian_entropy(np.asarray(GAUSS_A_COV))
    log_prob = lambda params, x: -0.5 * (x - mean) @ precision @ (x - mean)  # noqa: E731  (normaliser irrelevant)
    keys = jax.random.split(jax.random.key(0), config.seeds)
    params = jnp.zeros(config.seeds)
    rows, paths = [], {}
    for init in config.inits:
        for sampler, steps in STUDY_A_STEPS[init].items():
            for logdet in ("trace", "exact-excluded", "exact") if sampler == "SVGD" else ("trace", "exact"):
                path = entropy_paths(sampler, log_prob, params, keys, config.particles_a, 2, init, steps,
                                     config.step_size, logdet)
                paths[(init, sampler, logdet)] = path
                rows.append(_row(path[:, -1], truth, 0.0, init=init, sampler=sampler, logdet=logdet, steps=steps,
                                 particles=config.particles_a))
    long_paths = {}
    for m in config.long_particles:
        path = entropy_paths("SVGD", log_prob, params, keys, m, 2, "N(0,6)", config.long_steps, config.step_size)
        long_paths[m] = path
        rows.append(_row(path[:, -1], truth, 0.0, init="N(0,6)", sampler="SVGD", logdet="trace",
                         steps=config.long_steps, particles=m))
    return rows, {"paths": paths, "long_paths": long_paths, "truth": truth}


def study_b(config: StudyConfig, log=print) -> list[dict]:
    rows = []
    targets = [(n, 1.0) for n in config.components]
    targets += [(1, std) for std in config.stds if (1, std) not in targets]
    for d in config.dims:
        for n, std in targets:
            target_keys = jax.random.split(jax.random.key(1000 * d + 10 * n + int(10 * std)), config.seeds)
            means = jnp.stack([mixture_means(k, n, d) for k in target_keys])
            truths = [mixture_entropy(jax.random.fold_in(k, 1), means[i], std, config.mc_samples)
                      for i, k in enumerate(target_keys)]
            per_seed_truth = np.array([t for t, _ in truths])
            truth_se = float(np.sqrt(np.mean([se**2 for _, se in truths])))  # a typical seed's
            log_prob = lambda m_, x, std=std: mixture_log_prob(m_, std, x)  # noqa: E731
            keys = jax.random.split(jax.random.key(7), config.seeds)
            for m, steps in config.grid_b:
                for logdet in ("trace", "exact-excluded", "exact"):
                    if logdet != "trace" and not exact_affordable(m, d, steps):
                        continue
                    final = entropy_paths("SVGD", log_prob, means, keys, m, d, "N(0,6)", steps, config.step_size,
                                          logdet)[:, -1]
                    rows.append(_row(final, per_seed_truth, truth_se, dim=d, components=n, std=std, particles=m,
                                     steps=steps, logdet=logdet))
        log(f"(b) dimension {d} done")
    return rows


def study_c(config: StudyConfig) -> list[dict]:
    truth = gaussian_entropy(np.eye(2))
    center = jnp.array([0.0, 4.0])
    log_prob = lambda params, x: -0.5 * jnp.sum((x - center) ** 2)  # noqa: E731
    keys = jax.random.split(jax.random.key(2), config.seeds)
    params = jnp.zeros(config.seeds)
    rows = []
    for init in config.inits:
        for m, steps in config.grid_c:
            for sigma in config.sigmas:
                for logdet in ("trace", "exact-excluded"):
                    final = entropy_paths("SVGD", log_prob, params, keys, m, 2, init, steps, config.step_size,
                                          logdet, bandwidth=sigma)[:, -1]
                    rows.append(_row(final, truth, 0.0, init=init, particles=m, steps=steps, sigma=sigma,
                                     logdet=logdet))
    return rows


def study_d(config: StudyConfig, log=print, partial_table: Callable[[list[dict]], object] | None = None) -> list[dict]:
    """Per cell (target, d, L, m): the target's entropy (Gaussians: analytic; mixtures: Monte Carlo), the policy's
    (one particle from each of `policy_chains` runs: the Gaussian fit, exact for the near-Gaussian marginals of a
    Gaussian target up to sampling error, and the nearest-neighbour estimate up to d = 8, the truth for mixtures),
    and each log-density rule's estimate −mean log q with its error against the policy's entropy. `partial_table`
    receives the rows so far after every dimension (a long study leaves its table as it goes)."""
    rows = []
    for target in config.policy_targets:
        for d in config.policy_dims:
            if target == "mixture" and d > KNN_MAX_DIM:
                continue  # no reliable truth
            for steps in config.policy_steps:
                for m in config.policy_particles:
                    rows.append(_policy_cell(target, d, steps, m, config.policy_step_size, config.policy_chains))
            log(f"(d) {target}, dimension {d} done")
            if partial_table is not None:
                partial_table(rows)
    return rows


POLICY_RULES: dict[str, dict[str, Any]] = {
    "trace": {"logdet": "trace"}, "trace-self": {"logdet": "trace-self"}, "hutchinson": {"logdet": "hutchinson"},
    "exact": {"logdet": "exact"}, "joint": {"logdet": "joint"},
    "exact, bound 0.5": {"logdet": "exact", "step_bound": 0.5}}
"""(d)'s log-density rules: svgd_sample's keyword arguments."""


def _policy_cell(target: str, d: int, steps: int, m: int, step_size: float, chains: int) -> dict:
    mean_key, var_key, run_key, truth_key = jax.random.split(jax.random.key(3000 + 10 * d + steps), 4)
    variances = jax.random.uniform(var_key, (d,), minval=0.5, maxval=2.0)
    components = 1 if target == "gaussian" else 4
    means = jax.random.uniform(mean_key, (components, d), minval=-1.0, maxval=1.0) * (1 if components == 1 else 3)
    log_prob = partial(mixture_log_prob, means, jnp.sqrt(variances))
    row: dict = {"target_kind": target, "dim": d, "steps": steps, "particles": m, "step_size": step_size,
                 "chains": chains}
    row["target"] = (gaussian_entropy(np.diag(np.asarray(variances))) if components == 1
                     else mixture_entropy(truth_key, means, jnp.sqrt(variances), 100_000)[0])
    truth = gaussian_fit_entropy if components == 1 else knn_entropy
    for rule, options in POLICY_RULES.items():
        joint = options.get("logdet") == "joint"
        exact = str(options.get("logdet")).startswith("exact")  # per-particle d×d Jacobians and log-dets
        if (joint and (m * d) ** 3 * steps > JOINT_BUDGET) or (exact and not exact_affordable(m, d, steps)):
            row[rule] = row[f"{rule} error"] = math.nan
            continue

        def run(key, options=options):
            init_key, probe_key = jax.random.split(key)  # the probes of "hutchinson"; the same draws for every rule
            x0, log_q0 = initial_particles(init_key, m, d, "N(0,6)")
            return svgd_sample(jax.grad(log_prob), x0, log_q0, steps=steps, step_size=step_size, key=probe_key,
                               **options)

        samples, row[rule] = policy_samples(run, run_key, chains)  # the unbounded rules share their samples
        if rule == "trace":
            row["policy"] = truth(samples)
            row["policy_knn"] = knn_entropy(samples) if d <= KNN_MAX_DIM else math.nan
        policy = row["policy"]
        if "step_bound" in options:  # a bounded step is another policy, with its own entropy
            policy = row[f"{rule} policy"] = truth(samples)
        row[f"{rule} error"] = row[rule] - policy
    return row


CRITIC_RULES: dict[str, dict[str, Any]] = {
    "trace": {"logdet": "trace"}, "trace-self": {"logdet": "trace-self"}, "hutchinson": {"logdet": "hutchinson"},
    "exact": {"logdet": "exact"}, "joint": {"logdet": "joint"},
    "trace, bound 1": {"logdet": "trace", "step_bound": 1.0},
    "hutchinson, bound 1": {"logdet": "hutchinson", "step_bound": 1.0},
    "exact, bound 1": {"logdet": "exact", "step_bound": 1.0}, "joint, bound 1": {"logdet": "joint", "step_bound": 1.0}}
"""(e)'s log-density rules: S2AC configuration fields. A bounded step samples another policy, with its own entropy."""


def check_critic(critic: Path, rules: tuple[str, ...]) -> None:
    """(e)'s inputs, before any work: an S2AC run directory and known rule names."""
    unknown = [rule for rule in rules if rule not in CRITIC_RULES]
    require(not unknown, f"unknown critic rules {unknown}; use some of {list(CRITIC_RULES)}", "critic_rules")
    algo = read_spec(critic).algo
    require(algo == "s2ac", f"critic {critic} is a {algo} run; part (e) needs an S2AC run", "critic")


def study_e(critic: Path, *, chains: int = 20_000, runs: int = 1000, fold_runs: int = 200,
            rules: tuple[str, ...] = tuple(CRITIC_RULES), replay_states: int = 4,
            svgd_steps: int | None = None) -> list[dict]:
    """Per probe state of the S2AC run `critic` (a MultiGoal task's probe states; elsewhere, e.g. MuJoCo,
    `replay_states` states drawn from the replay of its latest checkpoint): the policy's entropy (`chains` actions
    of its random-particle rule, one per independent sampler run, `squashed_knn_entropy`; `policy_knn_actions`,
    nearest neighbours on the actions themselves, shows what the squashing does to that estimator) and each rule's
    estimate −mean log q, the mean over `runs` sampler runs of the agent with that rule and the run's parameters;
    the policy of a bounded rule ("..., bound b": MET-SVGD's step bound) is measured in the same way. The sampler
    takes m, L and ε from the run, L replaced by `svgd_steps` if given (the policy then is that of L steps). With
    S2AC(φ)'s fixed initial distribution, also whether its SVGD steps are changes of variables at all
    (fold_diagnostics over `fold_runs` runs): the share of steps that fold (det(I + εJ) ≤ 0) and the median of
    ‖εJ‖_F."""
    check_critic(critic, rules)
    run = load_run(critic)
    probe_states = describe_task(run.spec.train.env, run.spec.train.env_kwargs).probe_states
    if probe_states is None:
        states = replay_observations(critic, replay_states)
        labels = [f"replay {i}" for i in range(replay_states)]
    else:
        states = np.asarray(probe_states)
        labels = [f"({x:g}, {y:g})" for x, y in states]
    config = run.spec.agent if svgd_steps is None else dataclasses.replace(run.spec.agent, svgd_steps=svgd_steps)
    policy_agent = ALGORITHMS["s2ac"].make_agent(config, run.obs_dim, run.act_dim)
    agents = {rule: ALGORITHMS["s2ac"].make_agent(dataclasses.replace(config, **CRITIC_RULES[rule]), run.obs_dim,
                                                  run.act_dim) for rule in rules}
    settings = config.sampler_settings()
    rows = []
    for index, (state, label) in enumerate(zip(states, labels)):
        obs = jnp.broadcast_to(jnp.asarray(state, jnp.float32), (chains, run.obs_dim))
        key = jax.random.fold_in(jax.random.key(5), index)
        actions = _random_particles(policy_agent, run.state, obs, key)
        row: dict = {"state": label, "step": run.step, "svgd_steps": config.svgd_steps, "chains": chains,
                     "policy": squashed_knn_entropy(actions),
                     "policy_knn_actions": knn_entropy(actions)}
        for rule, agent in agents.items():
            assert agent.entropy is not None  # S2AC's closed form
            row[rule] = float(agent.entropy(run.state, obs[:runs], jax.random.fold_in(key, 1)).mean())
            policy = row["policy"]
            if "step_bound" in CRITIC_RULES[rule]:
                policy = row[f"{rule} policy"] = squashed_knn_entropy(_random_particles(agent, run.state, obs, key))
            row[f"{rule} error"] = row[rule] - policy
        row["folded_steps"] = row["step_norm"] = math.nan
        if config.variant == "phi":
            assert policy_agent.sampler_score is not None  # S2AC's policy samples exp(Q)
            score = policy_agent.sampler_score(run.state, obs[0])
            starts = settings.sigma_p0 * jax.random.normal(jax.random.fold_in(key, 2),
                                                           (fold_runs, settings.particles, run.act_dim))
            folds, norms = jax.vmap(partial(fold_diagnostics, score, steps=settings.steps, step_size=settings.step_size,
                                            bandwidth=settings.bandwidth))(starts)
            row["folded_steps"], row["step_norm"] = float(jnp.mean(folds)), float(jnp.median(norms))
        rows.append(row)
    return rows


def _random_particles(agent, state, obs: jax.Array, key: jax.Array, chunk: int = 2000) -> np.ndarray:
    """The random-particle policy's actions at every row of obs, `chunk` states per call (memory)."""
    return np.concatenate([np.asarray(agent.act(state, obs[start:start + chunk], jax.random.fold_in(key, start),
                                                "random")) for start in range(0, len(obs), chunk)])


def _row(estimates: np.ndarray, truth, truth_se: float, **fields) -> dict:
    """One table row: settings, estimate mean ± std over seeds, truth (± its standard error), mean error."""
    errors = estimates - truth
    finite = np.isfinite(estimates)
    return {**fields, "seeds": len(estimates), "estimate": float(np.mean(estimates)),
            "estimate_std": float(np.std(estimates)), "truth": float(np.mean(truth)), "truth_se": truth_se,
            "error": float(np.mean(errors)), "finite_seeds": int(finite.sum())}


# ------------------------------------------------------------------------------------------------ output


def run_checked(out: Path, *, n_seeds: int = 5, quick: bool = False, parts: tuple[str, ...] = PARTS[:4],
                critic: Path | None = None, critic_rules: tuple[str, ...] | None = None,
                critic_svgd_steps: int | None = None, policy_dims: tuple[int, ...] | None = None,
                policy_targets: tuple[str, ...] | None = None, overwrite: bool = False, log=print) -> list[Path]:
    """`run_study` of `parts` into `out` (`ebrl entropy`), its arguments checked first (ConfigError, nothing
    written): `n_seeds` per setting, the QUICK grid with `quick`, part (d) on `policy_dims` and `policy_targets`
    only where given, part (e) on the S2AC run `critic` with `critic_rules` (default all of CRITIC_RULES) and
    `critic_svgd_steps`."""
    require_positive("n_seeds", n_seeds)
    require_fresh_out(out, "*.csv", overwrite=overwrite)
    require(all(d > 0 for d in policy_dims or ()), "policy_dims must be positive", "policy_dims")
    if critic_svgd_steps is not None:
        require_positive("critic_svgd_steps", critic_svgd_steps)
    config = dataclasses.replace(QUICK if quick else StudyConfig(), seeds=n_seeds)
    if policy_dims is not None:
        config = dataclasses.replace(config, policy_dims=policy_dims)
    if policy_targets is not None:
        config = dataclasses.replace(config, policy_targets=policy_targets)
    return run_study(out, config, log=log, parts=parts, critic=critic,
                     critic_rules=critic_rules or tuple(CRITIC_RULES), critic_svgd_steps=critic_svgd_steps)


def run_study(out: Path, config: StudyConfig, log=print, parts: tuple[str, ...] = PARTS[:4],
              critic: Path | None = None, critic_rules: tuple[str, ...] = tuple(CRITIC_RULES),
              critic_svgd_steps: int | None = None) -> list[Path]:
    """Run the `parts` of (a)–(e) ((e) on the S2AC run `critic`, with `critic_rules`, and `critic_svgd_steps` SVGD
    steps if given); write their tables (CSV and Markdown) and figures into `out`; return the files written."""
    require("e" not in parts or critic is not None, "part e needs critic, a trained S2AC run (MultiGoal or MuJoCo)",
            "critic")
    if critic is not None and "e" in parts:
        check_critic(critic, critic_rules)
    from ebrl.studies.entropy.figures import (  # matplotlib, when drawn
        plot_entropy_a,
        plot_entropy_b,
        plot_entropy_c,
        plot_entropy_long,
    )

    out.mkdir(parents=True, exist_ok=True)
    written = []
    start = time.perf_counter()
    if "a" in parts:
        rows_a, curves = study_a(config)
        log(f"(a) done in {time.perf_counter() - start:.0f} s")
        written += _write_table(out / "a_gaussian", rows_a)
        written.append(plot_entropy_a(curves["paths"], curves["truth"], out / "a_gaussian.png"))
        written.append(plot_entropy_long(curves["long_paths"], curves["truth"], out / "a_long_horizon.png"))
    if "b" in parts:
        rows_b = study_b(config, log)
        log(f"(b) done in {time.perf_counter() - start:.0f} s")
        written += _write_table(out / "b_mixtures", rows_b)
        written += plot_entropy_b(rows_b, out)
    if "c" in parts:
        rows_c = study_c(config)
        log(f"(c) done in {time.perf_counter() - start:.0f} s")
        written += _write_table(out / "c_kernel_sigma", rows_c)
        written.append(plot_entropy_c(rows_c, out / "c_kernel_sigma.png"))
    if "d" in parts:
        rows_d = study_d(config, log, partial(_write_table, out / "d_policy_entropy"))
        log(f"(d) done in {time.perf_counter() - start:.0f} s")
        written += _write_table(out / "d_policy_entropy", rows_d)
    if "e" in parts and critic is not None:
        rows_e = study_e(critic, rules=critic_rules, svgd_steps=critic_svgd_steps)
        log(f"(e) done in {time.perf_counter() - start:.0f} s")
        written += _write_table(out / "e_trained_critic", rows_e)
    return written


def _write_table(stem: Path, rows: list[dict]) -> list[Path]:
    columns = list(rows[0])
    csv_path, md_path = stem.with_suffix(".csv"), stem.with_suffix(".md")
    with csv_path.open("w", newline="") as f:
        writer = csv.DictWriter(f, columns)
        writer.writeheader()
        writer.writerows(rows)
    fmt = lambda v: f"{v:.3f}" if isinstance(v, float) else str(v)  # noqa: E731
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(fmt(row[c]) for c in columns) + " |" for row in rows]
    md_path.write_text("\n".join(lines) + "\n")
    return [csv_path, md_path]
