"""Generators of docs/results/s2ac: the MultiGoal experiments (goals.csv), the main job (eval_random_100.json,
metrics.csv), the Pendulum run (metrics.csv) and the MuJoCo comparison of the entropy estimates (logdet-mujoco/:
results.json, runtime.json, each seed's metrics.csv)."""

from pathlib import Path

import numpy as np

from ebrl.markdown import num, nums, steps, table
from ebrl.results.entropy import STAGE_RULES, errors, span, stage, state
from ebrl.results.files import metric_per_seed, read_csv, read_json, seed_dirs
from ebrl.results.generated import generates
from ebrl.results.multigoal_files import left_share, percent, runs

README = "s2ac/README.md"
PRE_TANH = "s2ac/pre-tanh/README.md"
GOALS = ["G1 (5, 0), right", "G2 (−4, 3), left", "G3 (−4, −3), left"]


def _verdict(met: bool, detail: str) -> str:
    return f"**{'met' if met else 'not met'}** ({detail})"


GOAL_CLAIMS = ("reached", "goal_shares")


def goal_claim(r, what: str) -> str:
    """The goals a MultiGoal group's S2AC runs reach: 'reached' (every seed reaches a goal in at least 90 episodes)
    or 'goal_shares' (each goal takes at least 10 % of the pooled episodes)."""
    if what == "reached":
        return _verdict(r.reached.min() >= 90, nums(r.reached))
    episodes = int(r.hits.sum() + r.no_goal.sum())
    total = r.hits.sum(axis=0)
    return _verdict(total.min() >= 0.1 * episodes, ", ".join(percent(h, episodes) for h in total))


@generates(README)
def fig2_table(folder: Path) -> str:
    """Fig. 2's goal hits: S2AC's random particle per seed and pooled, the other rules and algorithms per seed."""
    goals = folder / "multigoal"
    s2ac = runs(goals / "goals.csv", "s2ac")
    rows = []
    for seed, (hits, missed) in enumerate(zip(s2ac.hits, s2ac.no_goal)):
        rows.append(["**S2AC, random particle**" if seed == 0 else "", str(seed), *map(str, hits), str(missed),
                     left_share(hits)[2]])
    total = s2ac.hits.sum(axis=0)
    episodes = int(s2ac.hits.sum() + s2ac.no_goal.sum())
    left, reached, _ = left_share(total)
    rows.append(["", "all", *[f"{h} ({percent(h, episodes)})" for h in total], str(s2ac.no_goal.sum()),
                 num(left / reached, 2)])
    others = [("S2AC, softmax (τ = 1)", goals / "s2ac-softmax" / "goals.csv", "s2ac"),
              ("S2AC, max", goals / "s2ac-max" / "goals.csv", "s2ac"),
              ("SAC, sample", goals / "goals.csv", "sac"), ("SQL, sample", goals / "goals.csv", "sql")]
    for label, path, group in others:
        r = runs(path, group)
        shares = ", ".join(num(left_share(h)[0] / h.sum(), 2) for h in r.hits)
        rows.append([label, f"0–{len(r.names) - 1}", *[r.per_seed(g) for g in range(3)], str(r.no_goal.sum()),
                     shares])
    return table(["", "seed", *GOALS, "no goal", "left share [95 %]"], rows)


@generates(README)
def fig2(folder: Path, what: str) -> str:
    """The numbers the text quotes from Fig. 2's goals.csv."""
    goals_csv = folder / "multigoal" / "goals.csv"
    s2ac, sac, sql = (runs(goals_csv, g) for g in ("s2ac", "sac", "sql"))
    episodes = int(s2ac.hits.sum() + s2ac.no_goal.sum())
    shares = [left_share(h) for h in s2ac.hits]
    if what in GOAL_CLAIMS:
        return goal_claim(s2ac, what)
    if what == "pooled_left":
        left, reached, _ = left_share(s2ac.hits.sum(axis=0))
        return f"{left} of {reached} goal episodes go left ({num(left / reached, 2)})"
    if what == "left_range":
        values = [left / reached for left, reached, _ in shares]
        return f"{num(min(values), 2)} to {num(max(values), 2)}"
    if what == "intervals_excluding_half":
        lows_highs = [tuple(float(x.replace("−", "-")) for x in s.split("[")[1].rstrip("]").split(", "))
                      for *_, s in shares]
        left = sum(low > 0.5 for low, _ in lows_highs)
        right = sum(high < 0.5 for _, high in lows_highs)
        return f"{left + right} of the {len(shares)} intervals exclude ½ ({left} left, {right} right)"
    if what == "sac_misses":
        return "; ".join(f"seed {s} misses {m}" for s, m in enumerate(sac.no_goal) if m) or "no seed misses"
    if what == "sql_no_goal":
        return percent(int(sql.no_goal.sum()), episodes)
    if what == "s2ac_goals":
        second = np.sort(s2ac.hits, axis=1)[:, -2]
        all_three = [str(s) for s, h in enumerate(s2ac.hits) if (h > 0).all()]
        return (f"every seed reaches at least two goals, each in {second.min()} or more episodes, and seeds "
                f"{', '.join(all_three)} reach all three")
    if what == "entropy_over_sac":
        gaps = [s2ac.entropy[p].mean() - sac.entropy[p].mean() for p in s2ac.entropy]
        return f"{num(min(gaps), 1)} to {num(max(gaps), 1)} nats"
    raise ValueError(f"fig2: unknown quantity {what!r}")


@generates(README)
def obstacle_table(folder: Path) -> str:
    rows = read_csv(folder / "multigoal" / "obstacle" / "goals.csv")
    columns = ["reached_no_contact", "reached_after_contact", "failed_after_contact"]
    labels = {"sac": "SAC (sample)", "sql": "SQL (sample)", "s2ac": "S2AC (random particle)"}
    lines = []
    for group, label in labels.items():
        mine = [r for r in rows if r["group"] == group]
        counts = [sum(int(r[c]) for r in mine) for c in columns]
        episodes = sum(sum(int(r[g]) for g in ("G1", "G2", "G3", "no_goal")) for r in mine)
        lines.append([label, *map(str, counts), str(episodes - sum(counts))])
    return table(["", "no wall contact, reached a goal", "touched the wall, still reached a goal",
                  "touched the wall, failed", "no contact, no goal"], lines)


@generates(README)
def obstacle(folder: Path, group: str, what: str) -> str:
    """'touched' (episodes that touched the wall, and how many of them still reached a goal) or 'reached'."""
    mine = [r for r in read_csv(folder / "multigoal" / "obstacle" / "goals.csv") if r["group"] == group]
    total = lambda column: sum(int(r[column]) for r in mine)  # noqa: E731
    recovered = total("reached_after_contact")
    touched = recovered + total("failed_after_contact")
    if what == "touched":
        return f"touches it in {touched} and recovers in {recovered} ({percent(recovered, touched)})"
    if what == "reached":
        episodes = sum(total(c) for c in ("G1", "G2", "G3", "no_goal"))
        return percent(total("reached_no_contact") + recovered, episodes)
    raise ValueError(f"obstacle: unknown quantity {what!r}")


@generates(README)
def hutchinson_table(folder: Path) -> str:
    r = runs(folder / "multigoal-hutchinson" / "goals.csv", "s2ac")
    episodes = int(r.hits.sum() + r.no_goal.sum())
    rows = [[str(s), *map(str, h), str(m), str(h.sum())] for s, (h, m) in enumerate(zip(r.hits, r.no_goal))]
    total = r.hits.sum(axis=0)
    rows.append(["all", *[f"{h} ({percent(h, episodes)})" for h in total], str(r.no_goal.sum()),
                 str(total.sum())])
    return table(["seed", *GOALS, "no goal", "at a goal"], rows)


@generates(README)
def hutchinson(folder: Path, what: str) -> str:
    r = runs(folder / "multigoal-hutchinson" / "goals.csv", "s2ac")
    if what in GOAL_CLAIMS:
        return goal_claim(r, what)
    if what == "own_entropy":
        means = [v.mean() for v in r.own_entropy.values()]
        return f"{num(max(means), 1)} to {num(min(means), 1)} nats"
    raise ValueError(f"hutchinson: unknown quantity {what!r}")


@generates(README)
def logdet_mujoco(folder: Path, task: str) -> str:
    """'IQM [CI] against IQM [CI]' at the last evaluation: the hutchinson arm, then the official trace."""
    tasks = read_json(folder / "logdet-mujoco" / "results.json")["tasks"][task]
    arm = lambda a: f"{tasks[a]['iqm']:.0f} [{tasks[a]['iqm_interval'][0]:.0f}, {tasks[a]['iqm_interval'][1]:.0f}]"  # noqa: E731
    return f"{arm('s2ac')} against {arm('s2ac@logdet=trace')}"


@generates(README)
def main_job_table(folder: Path) -> str:
    result = read_json(folder / "main_job" / "eval_random_100.json")
    return table(["G1 (5, 0)", "G2 (−4, 3)", "G3 (−4, −3)", "no goal", "reached a goal", "return"],
                 [[*map(str, result["goal_hits"]), str(result["no_goal"]),
                   percent(result["episodes"] - result["no_goal"], result["episodes"]),
                   f"{num(result['return_mean'])} ± {num(result['return_std'])}"]])


@generates(README)
def main_job_target(folder: Path) -> str:
    result = read_json(folder / "main_job" / "eval_random_100.json")
    met = result["episodes"] - result["no_goal"] >= 90 and sum(h >= 10 for h in result["goal_hits"]) >= 2
    return "met" if met else "not met"


@generates(README)
def main_job_greedy_rules(folder: Path) -> str:
    """Goal hits G1/G2/G3 of the softmax and max rules at the last training evaluation (metrics.csv)."""
    last = read_csv(folder / "main_job" / "metrics.csv")[-1]
    return "; ".join(f"{rule} {'/'.join(last[f'eval/{rule}/goal_hits_{g}'] for g in range(3))}"
                     for rule in ("softmax", "max"))


@generates(README)
def pre_tanh_table(folder: Path) -> str:
    path = folder / "pre-tanh" / "multigoal" / "score-through-tanh" / "goals.csv"
    rows = []
    for label, group in (("pre-tanh (the official code)", "s2ac (score_through_tanh=False)"),
                         ("through the tanh (ebrl's default)", "s2ac (score_through_tanh=True)")):
        r = runs(path, group)
        episodes = r.hits.sum() + r.no_goal.sum()
        rows.append([f"{label}, seeds 0/1/2", *[r.per_seed(g) for g in range(3)],
                     "/".join(map(str, r.no_goal)), percent(int(r.hits.sum()), int(episodes))])
    return table(["score", "G1", "G2", "G3", "no goal", "reached a goal"], rows)


@generates(README)
def pre_tanh_against_fig2(folder: Path) -> str:
    """Whether the through-the-tanh seeds 0–2 hit the goals as Fig. 2's seeds 0–2 do."""
    tanh = runs(folder / "pre-tanh" / "multigoal" / "score-through-tanh" / "goals.csv",
                "s2ac (score_through_tanh=True)")
    fig2 = runs(folder / "multigoal" / "goals.csv", "s2ac")
    n = len(tanh.names)
    same = np.array_equal(tanh.hits, fig2.hits[:n]) and np.array_equal(tanh.no_goal, fig2.no_goal[:n])
    return "the same counts, to the episode," if same else "other counts"


@generates(README)
@generates(PRE_TANH)
def pendulum_table(folder: Path, run: str) -> str:
    rows = read_csv(folder / run / "metrics.csv")
    labels = {"softmax": "softmax (test rule)", "max": "max", "random": "random (train rule)"}
    return table(["step", *[steps(int(r["step"])) for r in rows]],
                 [[label, *[num(float(r[f"eval/{rule}/return_mean"])) for r in rows]]
                  for rule, label in labels.items()])


@generates(README)
def pendulum_target(folder: Path) -> str:
    """The first step from which the test rule's return stays ≥ −250."""
    rows = read_csv(folder / "pendulum" / "metrics.csv")
    passing = [float(r["eval/softmax/return_mean"]) >= -250 for r in rows]
    first = next(i for i in range(len(rows)) if all(passing[i:]))
    return f"met from step {steps(int(rows[first]['step']))} on"


@generates("s2ac/main_job/README.md")
def random_particle_table(folder: Path) -> str:
    """The 100 random-particle episodes of this run (ebrl 0.3.0) and of the run at commit ed74ed1 (ebrl 0.2.0)."""
    rows = []
    for label, path in (("0.3.0 (this folder)", folder / "eval_random_100.json"),
                        ("0.2.0 ([ed74ed1/](ed74ed1/))", folder / "ed74ed1" / "eval_random_100.json")):
        result = read_json(path)
        rows.append([label, *map(str, result["goal_hits"]), str(result["no_goal"]),
                     f"{num(result['return_mean'])} ± {num(result['return_std'])}"])
    return table(["ebrl", "G1 (5, 0)", "G2 (−4, 3)", "G3 (−4, −3)", "no goal", "return"], rows)


LOGDET = "s2ac/logdet-mujoco/README.md"
ARMS = {"s2ac": "`s2ac` (`hutchinson`, ebrl's default)", "s2ac@logdet=trace": "`s2ac@logdet=trace` (official)"}


def arm_column(folder: Path, task: str, arm: str, column: str, step: int) -> np.ndarray:
    return metric_per_seed(folder / "runs" / task / arm, column, step)


def _iqm(result: dict) -> str:
    low, high = result["iqm_interval"]
    return f"{result['iqm']:.0f} [{low:.0f}, {high:.0f}]"


@generates(LOGDET)
def iqm_table(folder: Path) -> str:
    tasks = read_json(folder / "results.json")["tasks"]
    dims = {"Walker2d-v5": 6, "Ant-v5": 8}
    return table(["task", f"{ARMS['s2ac']}: IQM at 30 000 [95 % CI]", ARMS["s2ac@logdet=trace"]],
                 [[f"{task} (d = {dims[task]})", *[_iqm(tasks[task][arm]) for arm in ARMS]] for task in tasks])


@generates(LOGDET)
def improvement(folder: Path) -> str:
    """P(default > official) over both tasks with its interval, and each task's winning pairs of final returns."""
    results = read_json(folder / "results.json")
    p = results["probability_of_improvement"]["s2ac > s2ac@logdet=trace"]
    pairs = []
    for task, arms in results["tasks"].items():
        x, y = np.array(arms["s2ac"]["final_returns"]), np.array(arms["s2ac@logdet=trace"]["final_returns"])
        pairs.append(f"{task.removesuffix('-v5')} {int((x[:, None] > y[None, :]).sum())} of {x.size * y.size} pairs")
    return f"{p['probability']:.2f} [{p['interval'][0]:.2f}, {p['interval'][1]:.2f}] ({', '.join(pairs)})"


@generates(LOGDET)
def arm_table(folder: Path, task: str) -> str:
    """Softmax returns per seed at 20 000, 25 000, 30 000, the IQM at 30 000, and each seed's mean over the three."""
    tasks = read_json(folder / "results.json")["tasks"][task]
    rows = []
    for arm, label in ARMS.items():
        returns = [arm_column(folder, task, arm, "eval/softmax/return_mean", s) for s in (20_000, 25_000, 30_000)]
        per_seed = np.mean(returns, axis=0)
        rows.append([label, *[nums(r) for r in returns], _iqm(tasks[arm]),
                     f"{nums(per_seed)} (mean {per_seed.mean():.0f})"])
    return table(["arm", "step 20 000", "step 25 000", "step 30 000", "IQM at 30 000 [95 % CI]",
                  "mean of 20 000–30 000 per seed"], rows)


@generates(LOGDET)
def arm_values(folder: Path, task: str, arm: str, column: str, *steps_: str) -> str:
    """The seeds' values of a metrics.csv column at each step: 'a, b, c' per step, joined by ' and '."""
    digits = 2 if column.startswith("update/") else 0
    return " and ".join(nums(arm_column(folder, task, arm, column, int(s)), digits) for s in steps_)


@generates(LOGDET)
def arm_range(folder: Path, task: str, arm: str, column: str, first: str, last: str) -> str:
    """The range of a column over the seeds and the evaluations from step `first` to `last`."""
    values = [v for s in range(int(first), int(last) + 1, 5000) for v in arm_column(folder, task, arm, column, s)]
    digits = 2 if column.startswith("update/") else 0
    return f"{num(min(values), digits)} to {num(max(values), digits)}"


@generates(LOGDET)
def entropy_gap(folder: Path, task: str, first: str) -> str:
    """Where the official arm's own entropy estimate is above the default's, per seed and evaluation from `first`."""
    entropy = lambda arm, step: arm_column(folder, task, arm, "update/entropy", step)  # noqa: E731
    evaluations = range(int(first), 30_001, 5000)
    gaps = np.concatenate([entropy("s2ac@logdet=trace", s) - entropy("s2ac", s) for s in evaluations])
    where = ("at every evaluation from" if (gaps > 0).all()
             else f"in {(gaps > 0).sum()} of {gaps.size} seed-evaluations from")
    return f"{where} {steps(int(first))} steps on (by {num(gaps.min(), 3)} to {num(gaps.max(), 2)} nats)"


@generates(LOGDET)
def critic_errors_table(folder: Path, *critics: str) -> str:
    """Each rule's error range over a critic's four replay states (docs/results/entropy/e-squashed/NAME.csv)."""
    entropy = folder.parent.parent / "entropy"
    labels = {0: "trained with `hutchinson` (4 replay states)", 1: "trained with `trace` (4 replay states)"}
    return table(["critic (seed 0, step 30 000)", *[f"`{rule}` error" for rule in STAGE_RULES]],
                 [[labels[i], *[span([errors(r, rule) for r in stage(entropy, name)], 2) for rule in STAGE_RULES]]
                  for i, name in enumerate(critics)])


@generates(LOGDET)
def runtime(folder: Path, task: str) -> str:
    """Seconds per step of three seeds, the default arm then the official one (runtime.json)."""
    times = read_json(folder / "runtime.json")[task]
    return " and ".join(f"{times[arm]['ms_per_update_step'] / 1000:.2f} s" for arm in ARMS)


@generates(LOGDET)
def hours_per_100k(folder: Path) -> str:
    """The range over tasks and arms of hours per 100 000 steps (runtime.json)."""
    hours = [t["hours_per_million_steps"] / 10 for task in read_json(folder / "runtime.json").values()
             for t in task.values()]
    return f"{min(hours):.0f} to {max(hours):.0f} hours"


ALPHA = "s2ac/alpha/README.md"
ALPHA_ARMS = ("hutchinson", "trace")


def _alpha_rows(folder: Path, arm: str) -> list[list[dict]]:
    """Each seed's metrics.csv rows, seeds 0, 1, 2."""
    return [read_csv(run / "metrics.csv") for run in seed_dirs(folder / arm, range(3))]


def _seed_mean(rows: list[list[dict]], index: int, column: str) -> str:
    values = [float(seed[index][column]) for seed in rows if seed[index][column]]
    return num(float(np.mean(values)), 2) if values else "–"


@generates(ALPHA)
def alpha_table(folder: Path) -> str:
    """α per seed, and the seeds' mean entropy estimate and share of evaluation episodes at a goal, per arm."""
    arms = {arm: _alpha_rows(folder, arm) for arm in ALPHA_ARMS}
    rows = []
    for i, row in enumerate(arms["hutchinson"][0]):
        cells = [row["step"]]
        for rows_of_arm in arms.values():
            cells += [", ".join(f"{float(seed[i]['update/alpha']):.3f}" for seed in rows_of_arm),
                      _seed_mean(rows_of_arm, i, "update/entropy"),
                      _seed_mean(rows_of_arm, i, "eval/random/goal_fraction")]
        rows.append(cells)
    return table(["step", *[f"{arm}: {c}" for arm in ALPHA_ARMS for c in ("α (seeds 0, 1, 2)", "estimate",
                                                                         "at a goal")]], rows)


def _truth(folder: Path, arm: str) -> dict[str, np.ndarray]:
    """truth_ARM_seed0.txt: per probe state, the policy's entropy and each rule's estimate."""
    lines = (folder / f"truth_{arm}_seed0.txt").read_text().split("\n")
    fields = [line.split(")")[1].split() for line in lines if line.strip()]
    return {name: np.array([float(f[f.index(name) + 1]) for f in fields]) for name in ("policy", *ALPHA_ARMS)}


@generates(ALPHA)
def truth_table(folder: Path) -> str:
    rows = []
    for arm in ALPHA_ARMS:
        t = _truth(folder, arm)
        policy = t["policy"].mean()
        rows.append([arm, f"{num(policy, 2)} ({num(t['policy'].min(), 2)} to {num(t['policy'].max(), 2)})",
                     *[f"{num(t[rule].mean(), 2)} ({num(t[rule].mean() - policy, 2)})"
                       for rule in ("trace", "hutchinson")]])
    return table(["arm (critic)", "policy's entropy, mean of 6 states (range)", "`trace` estimate (error)",
                  "`hutchinson` estimate (error)"], rows)


@generates(ALPHA)
def alpha_at(folder: Path, arm: str, what: str) -> str:
    """final_alpha (the seeds' mean α at the last step), final_goals (their mean share of goal episodes, %),
    estimate (the seeds' mean entropy estimate at the last step)."""
    rows = _alpha_rows(folder, arm)
    if what == "final_alpha":
        return f"{np.mean([float(seed[-1]['update/alpha']) for seed in rows]):.2f}"
    if what == "final_goals":
        return f"{100 * np.mean([float(seed[-1]['eval/random/goal_fraction']) for seed in rows]):.0f} %"
    if what == "estimate":
        return num(float(np.mean([float(seed[-1]["update/entropy"]) for seed in rows])), 0)
    raise ValueError(f"alpha_at: unknown quantity {what!r}")


@generates(ALPHA)
def truth_error(folder: Path, rule: str) -> str:
    """How far the rule's mean estimate is from the policy's mean entropy, on each arm's critic: 'a to b' nats."""
    gaps = [abs(t[rule].mean() - t["policy"].mean()) for t in (_truth(folder, arm) for arm in ALPHA_ARMS)]
    return f"{min(gaps):.2f} to {max(gaps):.2f}"


def _counts(r) -> list[str]:
    """Per goal: the hits summed over the seeds, with the seeds' own in brackets (just 0 when none)."""
    return [f"{r.hits[:, g].sum()} ({r.per_seed(g)})" if r.hits[:, g].sum() else "0" for g in range(3)]


@generates(PRE_TANH)
def pre_tanh_goals_table(folder: Path) -> str:
    """ebrl 0.1's Fig. 2: goal hits of 100 episodes per seed (seeds 0–2) under each group's rule."""
    mg = folder / "multigoal"
    groups = [("SAC", mg / "goals.csv", "sac"), ("SQL", mg / "goals.csv", "sql"),
              ("S2AC, official defaults, random rule", mg / "goals.csv", "s2ac"),
              ("S2AC, official defaults, softmax rule", mg / "eval-rule" / "goals.csv", "s2ac"),
              ("**S2AC, `--score-through-tanh`**, random rule", mg / "score-through-tanh" / "goals.csv",
               "s2ac (score_through_tanh=True)")]
    return table(["", *GOALS, "no goal"],
                 [[label, *_counts(r), str(r.no_goal.sum())] for label, path, group in groups
                  for r in [runs(path, group)]])


@generates(PRE_TANH)
def pre_tanh_entropy_table(folder: Path) -> str:
    """Entropy of the training rule's actions at the probe states (nearest neighbours) and S2AC's own closed form,
    mean ± std over the seeds."""
    mg = folder / "multigoal"
    through = runs(mg / "score-through-tanh" / "goals.csv", "s2ac (score_through_tanh=True)")
    official = runs(mg / "goals.csv", "s2ac")
    rows = [("SAC (nearest neighbour)", runs(mg / "goals.csv", "sac").entropy),
            ("SQL (nearest neighbour)", runs(mg / "goals.csv", "sql").entropy),
            ("S2AC (nearest neighbour)", official.entropy), ("S2AC (its closed form)", official.own_entropy),
            ("S2AC through tanh (nearest neighbour)", through.entropy),
            ("S2AC through tanh (its closed form)", through.own_entropy)]
    probes = list(official.entropy)
    return table(["", *[state(p.removeprefix("H")).replace(",", ", ") for p in probes]],
                 [[label, *[f"{num(v[p].mean(), 2)} ± {num(v[p].std(), 2)}" for p in probes]] for label, v in rows])


@generates(PRE_TANH)
def pre_tanh_obstacle_table(folder: Path) -> str:
    mg = folder / "multigoal"
    outcomes = ("reached_no_contact", "reached_after_contact", "failed_after_contact")
    obstacle = mg / "obstacle" / "goals.csv"
    groups = [("SAC (sample)", obstacle, "sac"), ("SQL (sample)", obstacle, "sql"),
              ("S2AC, official defaults (random)", obstacle, "s2ac"),
              ("S2AC, official defaults (softmax)", mg / "eval-rule" / "obstacle" / "goals.csv", "s2ac")]
    rows = []
    for label, path, group in groups:
        mine = [r for r in read_csv(path) if r["group"] == group]
        counts = [sum(int(r[o]) for r in mine) for o in outcomes]
        episodes = sum(int(r[g]) for r in mine for g in ("G1", "G2", "G3", "no_goal"))
        rows.append([label, *map(str, counts), str(episodes - sum(counts))])
    return table(["", "reached a goal, no wall contact", "touched the wall, still reached a goal",
                  "touched the wall, failed", "no contact, no goal"], rows)
