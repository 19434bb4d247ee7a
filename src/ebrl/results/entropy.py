"""Generators of docs/results/entropy: the tables and quoted numbers of parts (a)–(e) from the CSVs that
`ebrl entropy` wrote (a_gaussian.csv, b_mixtures.csv, c_kernel_sigma.csv, d_policy_entropy.csv, e_trained_critic.csv,
d-grid/, e-squashed/)."""

import math
from pathlib import Path

from ebrl.markdown import num, steps, table
from ebrl.results.files import read_csv
from ebrl.results.generated import generates

README = "entropy/README.md"
RULES = ("trace", "trace-self", "hutchinson", "exact", "joint")
STAGE_RULES = ("trace", "hutchinson", "exact", "joint")
STAGES = (5000, 10_000, 15_000, 20_000, 25_000, 30_000)


def bound(d: int) -> float:
    """The issue's tolerance on the policy's entropy: 0.15 + 0.01·d nats."""
    return 0.15 + 0.01 * d


def state(label: str) -> str:
    return label.replace("-", "−")


def select(rows: list[dict], **fields) -> list[dict]:
    """The rows whose columns equal the given values (compared as numbers where both parse)."""
    def equal(value: str, wanted) -> bool:
        try:
            return float(value) == float(wanted)
        except ValueError:
            return value == str(wanted)

    found = [r for r in rows if all(equal(r[k], v) for k, v in fields.items())]
    if not found:
        raise ValueError(f"no row with {fields}")
    return found


def one(rows: list[dict], **fields) -> dict:
    found = select(rows, **fields)
    if len(found) != 1:
        raise ValueError(f"{len(found)} rows with {fields}")
    return found[0]


def value(row: dict, column: str, digits: int = 2, signed: bool = False) -> str:
    """A cell, or — where the rule did not run (nan or empty)."""
    x = float(row[column]) if row[column] else math.nan
    return "—" if math.isnan(x) else num(x, digits, signed)


def span(values, digits: int = 2, signed: bool = True) -> str:
    return f"{num(min(values), digits, signed)} to {num(max(values), digits, signed)}"


def errors(row: dict, rule: str) -> float:
    return float(row[f"{rule} error"])


def grid(folder: Path, kind: str) -> list[dict]:
    """The cells of part (d) over the issue's grid: Gaussians (d = 1 … 17, then 20 and 100) or mixtures."""
    names = {"gaussian": ("d_policy_entropy.csv", "d_policy_entropy_d20_d100.csv"),
             "mixture": ("d_policy_entropy_mixtures.csv", "d_policy_entropy_mixtures_d8.csv")}[kind]
    return [r for name in names for r in read_csv(folder / "d-grid" / name)]


def stage(folder: Path, name: str) -> list[dict]:
    return read_csv(folder / "e-squashed" / f"{name}.csv")


@generates(README)
def a_table(folder: Path) -> str:
    rows = read_csv(folder / "a_gaussian.csv")
    cell = lambda r: f"{num(float(r['estimate']), 2)} ({num(float(r['error']), 2)})"  # noqa: E731
    first = select(rows, init="N(0,6)", sampler="SVGD", steps=30)
    by_rule = {r["logdet"]: r for r in first}
    trace = by_rule["trace"]
    out = [["N(0, 6)", "SVGD", "30", f"{num(float(trace['estimate']), 2)} ± {num(float(trace['estimate_std']), 2)} "
            f"({num(float(trace['error']), 2)})", cell(by_rule["exact-excluded"]), cell(by_rule["exact"])]]
    ld, dld = (select(rows, init="N(0,6)", sampler=s) for s in ("LD", "DLD"))
    if [r["estimate"] for r in ld] != [r["estimate"] for r in dld]:
        raise ValueError("LD and DLD differ: the table's shared row no longer holds")
    for label, sampler_rows in (("LD = DLD", ld), ("HMC", select(rows, init="N(0,6)", sampler="HMC"))):
        by_rule = {r["logdet"]: r for r in sampler_rows}
        out.append(["N(0, 6)", label, by_rule["trace"]["steps"], value(by_rule["trace"], "estimate"), "—",
                    value(by_rule["exact"], "estimate")])
    far = {r["logdet"]: r for r in select(rows, init="N(4,0.2)", sampler="SVGD")}
    out.append(["N(4, 0.2)", "SVGD", "100", *[value(far[k], "estimate") for k in ("trace", "exact-excluded", "exact")]])
    long = select(rows, init="N(0,6)", sampler="SVGD", steps=200, logdet="trace")
    out.append(["N(0, 6)", f"SVGD, 200 steps, m = {' / '.join(r['particles'] for r in long)}", "200",
                " / ".join(value(r, "estimate") for r in long), "", ""])
    return table(["init", "sampler", "steps", "`trace`", "`exact-excluded`", "`exact`"], out)


@generates(README)
def a_value(folder: Path, init: str, sampler: str, steps_: str, particles: str, logdet: str, column: str,
            digits: str = "2") -> str:
    """One cell of a_gaussian.csv, signed when it is an error."""
    row = one(read_csv(folder / "a_gaussian.csv"), init=init, sampler=sampler, steps=steps_, particles=particles,
              logdet=logdet)
    return value(row, column, int(digits), signed=column == "error")


@generates(README)
def a_rules_differ(folder: Path) -> str:
    """|trace − exact-excluded| at the official setting (N(0,6), SVGD, 30 steps)."""
    rows = {r["logdet"]: float(r["estimate"]) for r in select(read_csv(folder / "a_gaussian.csv"), init="N(0,6)",
                                                              sampler="SVGD", steps=30)}
    return num(abs(rows["trace"] - rows["exact-excluded"]), 2)


@generates(README)
def b_value(folder: Path, dim: str, components: str, std: str, particles: str, steps_: str, logdet: str) -> str:
    """'estimate against truth T (error)' of one cell of b_mixtures.csv."""
    row = one(read_csv(folder / "b_mixtures.csv"), dim=dim, components=components, std=std, particles=particles,
              steps=steps_, logdet=logdet)
    return f"{value(row, 'estimate', 1)} against truth {value(row, 'truth', 1)} ({value(row, 'error', 1, True)})"


@generates(README)
def b_errors(folder: Path, dim: str, std: str, by: str) -> str:
    """`trace`'s errors at one dimension and component std: over every cell (by=range), or per number of components
    (by=components: at (10, 20) and at (200, 500)), or per (m, L) (by=budget)."""
    rows = select(read_csv(folder / "b_mixtures.csv"), dim=dim, std=std, logdet="trace")
    if by == "range":
        return span([float(r["error"]) for r in rows], 1)
    if by == "components":
        at = lambda m, L: [r for r in rows if (r["particles"], r["steps"]) == (m, L)]  # noqa: E731
        listing = lambda cells: ", ".join(value(r, "error", 2, True) for r in cells)  # noqa: E731
        counts = ", ".join(r["components"] for r in at("10", "20"))
        return f"{listing(at('10', '20'))} for {counts} components at (10, 20), and {listing(at('200', '500'))} at " \
               "(200, 500)"
    if by == "budget":
        return ", ".join(f"{value(r, 'error', 1, True)} at ({r['particles']}, {r['steps']})" for r in rows)
    raise ValueError(f"b_errors: unknown grouping {by!r}")


@generates(README)
def b_initial_estimates(folder: Path) -> str:
    """`trace`'s estimates at (10, 20) for one component of std 1, d = 10, 20, 100: the initial entropy."""
    rows = read_csv(folder / "b_mixtures.csv")
    return ", ".join(value(one(rows, dim=d, components=1, std=1.0, particles=10, steps=20, logdet="trace"),
                           "estimate", 1) for d in ("10", "20", "100"))


@generates(README)
def c_value(folder: Path, init: str, particles: str, steps_: str, sigmas: str, column: str = "error") -> str:
    """'v/v' of `trace` at several σ (comma-separated) of one cell of c_kernel_sigma.csv."""
    rows = read_csv(folder / "c_kernel_sigma.csv")
    return "/".join(value(one(rows, init=init, particles=particles, steps=steps_, sigma=s, logdet="trace"), column,
                          2 if column == "error" else 1, column == "error") for s in sigmas.split(","))


@generates(README)
def c_sweet_spot(folder: Path) -> str:
    """The largest |error| of `trace` with σ ∈ {3, 5} and m ≥ 100, both initialisations."""
    rows = [r for r in read_csv(folder / "c_kernel_sigma.csv") if r["logdet"] == "trace"
            and float(r["sigma"]) in (3.0, 5.0) and int(r["particles"]) >= 100]
    return num(max(abs(float(r["error"])) for r in rows), 2)


@generates(README)
def c_few_particles(folder: Path) -> str:
    """`trace`'s errors with m = 10 and 20, per initialisation, at σ ≥ 1 and at σ = 0.1."""
    rows = [r for r in read_csv(folder / "c_kernel_sigma.csv") if r["logdet"] == "trace" and int(r["particles"]) <= 20]
    parts, small = [], []
    for init in ("N(0,6)", "N(4,0.2)"):
        mine = [r for r in rows if r["init"] == init]
        name = init.replace(",", ", ")
        parts.append(f"{span([float(r['error']) for r in mine if float(r['sigma']) >= 1], 2)} from {name}")
        small.append(" and ".join(value(r, "error", 1, True) for r in mine if float(r["sigma"]) < 1) + f" from {name}")
    return f"{' and '.join(parts)} at σ ≥ 1; at σ = 0.1, {small[0]}, {small[1]}"


@generates(README)
def d_table(folder: Path) -> str:
    rows = read_csv(folder / "d_policy_entropy.csv")
    return table(["d", "L", "target", "policy", "`trace` (official)", "error", "`exact`", "error"],
                 [[r["dim"], r["steps"], value(r, "target"), value(r, "policy"), value(r, "trace"),
                   value(r, "trace_error", 2, True), value(r, "exact"), value(r, "exact_error", 2, True)]
                  for r in rows])


@generates(README)
def d_errors(folder: Path, rule: str) -> str:
    """The range of a rule's error against the policy in d_policy_entropy.csv."""
    return span([float(r[f"{rule}_error"]) for r in read_csv(folder / "d_policy_entropy.csv")], 2)


@generates(README)
def e_table(folder: Path) -> str:
    rows = read_csv(folder / "e_trained_critic.csv")
    return table(["state", "policy", "`trace`", "error", "`exact`", "error", "`joint`", "error", "folded steps",
                  "‖εJ‖_F"],
                 [[state(r["state"]), value(r, "policy"), value(r, "trace"), value(r, "trace_error", 2, True),
                   value(r, "exact"), value(r, "exact_error", 2, True), value(r, "joint"),
                   value(r, "joint_error", 2, True), f"{float(r['folded_steps']):.0%}".replace("%", " %"),
                   value(r, "step_norm", 1)] for r in rows])


@generates(README)
def e_step_norms(folder: Path) -> str:
    return span([float(r["step_norm"]) for r in read_csv(folder / "e_trained_critic.csv")], 1, signed=False)


@generates(README)
def grid_table(folder: Path, kind: str) -> str:
    """Part (d) over the issue's grid: each rule's error against the policy, and the bound."""
    rows = grid(folder, kind)
    target = ["target"] if kind == "mixture" else []
    return table(["d", "L", "m", *target, "policy", *[f"`{rule}`" for rule in RULES], "bound 0.15 + 0.01·d"],
                 [[r["dim"], r["steps"], r["particles"], *[value(r, "target") for _ in target], value(r, "policy"),
                   *[value(r, f"{rule} error", 2, True) for rule in RULES], num(bound(int(r["dim"])), 2)]
                  for r in rows])


@generates(README)
def grid_counts(folder: Path, kind: str, what: str) -> str:
    """Counts over part (d)'s grid: self_within (cells where every self-term rule that ran is within the bound),
    trace_beyond (cells where `trace` is beyond it), self_agree (the largest spread of the self-term rules)."""
    rows = grid(folder, kind)
    self_rules = ("trace-self", "hutchinson", "exact", "joint")
    ran = lambda r: [errors(r, k) for k in self_rules if r[f"{k} error"] and not math.isnan(errors(r, k))]  # noqa: E731
    if what == "self_within":
        within = sum(all(abs(e) <= bound(int(r["dim"])) for e in ran(r)) for r in rows)
        return f"{within} of the {len(rows)} cells"
    if what == "trace_beyond":
        beyond = sum(abs(errors(r, "trace")) > bound(int(r["dim"])) for r in rows)
        return f"{beyond} of the {len(rows)} cells"
    if what == "self_agree":
        return num(max(max(ran(r)) - min(ran(r)) for r in rows), 2)
    raise ValueError(f"grid_counts: unknown count {what!r}")


@generates(README)
def stages_table(folder: Path) -> str:
    out = []
    for step in STAGES:
        for i, r in enumerate(stage(folder, f"walker2d-{step}")):
            out.append([steps(step) if i == 0 else "", r["state"], value(r, "policy"), value(r, "policy_knn_actions"),
                        *[value(r, f"{rule} error", 2, True) for rule in STAGE_RULES]])
    return table(["step", "state", "policy", "knn on actions", *[f"`{rule}`" for rule in STAGE_RULES]], out)


@generates(README)
def critic_table(folder: Path, name: str) -> str:
    """One critic's four replay states (e-squashed/NAME.csv)."""
    return table(["state", "policy", "knn on actions", *[f"`{rule}`" for rule in STAGE_RULES]],
                 [[r["state"], value(r, "policy"), value(r, "policy_knn_actions"),
                   *[value(r, f"{rule} error", 2, True) for rule in STAGE_RULES]] for r in stage(folder, name)])


@generates(README)
def halfcheetah_table(folder: Path) -> str:
    out = [[steps(s), *[span([errors(r, rule) for r in stage(folder, f"halfcheetah-{s}")], 2) for rule in STAGE_RULES]]
           for s in STAGES]
    out.append(["30 000, L = 10", *[span([errors(r, rule) for r in stage(folder, "halfcheetah-30000-L10")], 2)
                                    for rule in STAGE_RULES]])
    return table(["step", *[f"`{rule}`" for rule in STAGE_RULES]], out)


@generates(README)
def trace_lead(folder: Path, task: str) -> str:
    """How far `trace` sits above `hutchinson`, the largest over the four states of each stage."""
    leads = {s: max(errors(r, "trace") - errors(r, "hutchinson") for r in stage(folder, f"{task}-{s}"))
             for s in STAGES}
    return ", ".join(f"{num(lead, 2)} at {steps(s)}" for s, lead in leads.items())


@generates(README)
def ant_table(folder: Path) -> str:
    out = []
    for label, name in (("trained with `hutchinson`", "ant-30000"), ("trained with `trace`", "ant-trace-arm-30000")):
        for i, r in enumerate(stage(folder, name)):
            out.append([label if i == 0 else "", r["state"], value(r, "policy"),
                        *[value(r, f"{rule} error", 2, True) for rule in STAGE_RULES]])
    return table(["critic", "state", "policy", *[f"`{rule}`" for rule in STAGE_RULES]], out)


@generates(README)
def multigoal_table(folder: Path) -> str:
    bounded = "hutchinson, bound 1"
    return table(["state", "policy", *[f"`{rule}`" for rule in STAGE_RULES], f"`{bounded}` (its policy)",
                  "folded steps"],
                 [[state(r["state"]), value(r, "policy"), *[value(r, f"{rule} error", 2, True) for rule in STAGE_RULES],
                   f"{value(r, f'{bounded} error', 2, True)} ({value(r, f'{bounded} policy')})",
                   f"{float(r['folded_steps']):.0%}".replace("%", " %")] for r in stage(folder, "main-job")])


@generates(README)
def multigoal_errors(folder: Path, rule: str) -> str:
    return span([errors(r, rule) for r in stage(folder, "main-job")], 1)



CRITICS = {
    "walker2d": [(f"walker2d-{s}", 6) for s in STAGES],
    "walker2d-all": [(f"walker2d-{s}", 6) for s in STAGES] + [("walker2d-trace-arm-30000", 6)],
    "halfcheetah": [(f"halfcheetah-{s}", 6) for s in STAGES],
    "ant": [("ant-30000", 8), ("ant-trace-arm-30000", 8)],
}
CRITICS["mujoco"] = CRITICS["walker2d-all"] + CRITICS["halfcheetah"] + CRITICS["ant"]


@generates(README)
def states(folder: Path, critics: str, what: str, *rules: str) -> str:
    """A statistic over the replay states of a set of MuJoCo critics (CRITICS, or one e-squashed CSV with its d as
    NAME:D): within / beyond (states where the rule's error is within / beyond 0.15 + 0.01·d), above_policy (error
    > 0), range (of the rule's errors), lead (trace − hutchinson, its range), above_all (where `trace` exceeds every
    other rule), agree (the largest gap between the first rule and the others), best (states where the rule is within
    0.02 of the rule closest to the policy)."""
    names = CRITICS.get(critics) or [(critics.split(":")[0], int(critics.split(":")[1]))]
    cells = [(r, d) for name, d in names for r in stage(folder, name)]
    count = lambda flags: f"{sum(flags)} of the {len(cells)}"  # noqa: E731
    if what == "within":
        return count(abs(errors(r, rules[0])) <= bound(d) for r, d in cells)
    if what == "beyond":
        return count(abs(errors(r, rules[0])) > bound(d) for r, d in cells)
    if what == "above_policy":
        return count(errors(r, rules[0]) > 0 for r, _ in cells)
    if what == "range":
        return span([errors(r, rules[0]) for r, _ in cells], 2)
    if what == "lead":
        return span([errors(r, "trace") - errors(r, "hutchinson") for r, _ in cells], 2, signed=False)
    if what == "above_all":
        above = [all(errors(r, "trace") > errors(r, k) for k in STAGE_RULES[1:]) for r, _ in cells]
        return "every state" if all(above) else f"{count(above)} states"
    if what == "agree":
        return num(max(abs(errors(r, rules[0]) - errors(r, k)) for r, _ in cells for k in rules[1:]), 2)
    if what == "best":
        return count(abs(errors(r, rules[0])) <= min(abs(errors(r, k)) for k in STAGE_RULES) + 0.02 for r, _ in cells)
    raise ValueError(f"states: unknown statistic {what!r}")


@generates(README)
def stage_ranges(folder: Path, task: str, rule: str) -> str:
    """The range of a rule's errors at each stage."""
    return ", ".join(f"{span([errors(r, rule) for r in stage(folder, f'{task}-{s}')], 2)} at {steps(s)}"
                     for s in STAGES)


@generates(README)
def bounded_understatement(folder: Path) -> str:
    """How far the bounded `hutchinson` falls below its own policy's entropy on the MultiGoal critic."""
    return span([-errors(r, "hutchinson, bound 1") for r in stage(folder, "main-job")], 1, signed=False)
