"""What every study's plan shares: its lists of tasks and algorithms (or arms, ALGO@FIELD=VALUE,...), and the
FIELD=VALUE changes of its groups' training loop (--loop)."""

import dataclasses

from ebrl.config import ALGORITHM_NAMES, TrainConfig, check_change_types, json_or_text, require

# the TrainConfig fields a study's plan sets, and the flags that set them
STUDY_SETS = {"env": "--envs", "env_kwargs": "--envs (a study trains each task with its default arguments)",
              "seed": "--seeds", "steps": "--steps", "eval_every": "--eval-every", "eval_episodes": "--eval-episodes"}


def check_study_lists(envs: tuple[str, ...], algos: tuple[str, ...]) -> None:
    """A study's tasks and algorithms (or arms ALGO@...): at least one of each, known algorithms, none twice."""
    require(len(envs) > 0, "envs needs at least one task", "envs")
    require(len(algos) > 0, "algos needs at least one algorithm", "algos")
    for arm in algos:
        algo, _ = parse_arm(arm)
        require(algo in ALGORITHM_NAMES, f"algos: unknown algorithm {algo!r}; choose from "
                f"{', '.join(ALGORITHM_NAMES)}", "algos")
    for name, values in (("envs", envs), ("algos", algos)):
        repeated = sorted({v for v in values if values.count(v) > 1})
        require(not repeated, f"{name} lists {', '.join(repeated)} more than once; give each once", name)


def parse_arm(arm: str) -> tuple[str, dict]:
    """An entry of a study's `algos`, "ALGO" or "ALGO@FIELD=VALUE,...": (ALGO, {FIELD: VALUE})."""
    algo, variant, changes = arm.partition("@")
    return algo, parse_changes(changes.split(",") if variant else (), f"algos: {arm!r} is not ALGO@FIELD=VALUE,...; "
                               "write e.g. s2ac@logdet=trace", "algos")


def parse_changes(changes, wrong: str, flag: str) -> dict:
    """FIELD=VALUE texts as {FIELD: VALUE}, each VALUE read as JSON where it is JSON (1, 0.5, null, true, [256, 256])
    and as a string otherwise (trace); ConfigError(wrong, flag) for a text that is not FIELD=VALUE."""
    overrides = {}
    for change in changes:
        name, equals, text = change.partition("=")
        require(bool(equals and name and text), wrong, flag)
        overrides[name.replace("-", "_")] = json_or_text(text)
    return overrides


def loop_changes(loop: tuple[str, ...]) -> dict:
    """A study's --loop FIELD=VALUE changes of its groups' training loop; ConfigError for a change that is not
    FIELD=VALUE of the loop's config, or of a field the study sets itself."""
    changes = parse_changes(loop, f"loop {' '.join(loop)} is not FIELD=VALUE ...; write e.g. --loop "
                            "learning_starts=1000", "loop")
    settable = {f.name for f in dataclasses.fields(TrainConfig)} - set(STUDY_SETS)
    for field in changes:
        require(field not in STUDY_SETS, f"loop {field}=... is the study's to set; use {STUDY_SETS.get(field)}",
                "loop")
        require(field in settable, f"loop {field}=... names no field of the training loop; choose from "
                f"{', '.join(sorted(settable))}", "loop")
    check_change_types(TrainConfig, changes, "loop")
    return changes


def with_loop_changes(plan, loop: tuple[str, ...]):
    """A study's plan (any frozen plan with a `train` dict) with --loop's FIELD=VALUE changes (loop_changes) over
    its own loop changes."""
    return dataclasses.replace(plan, train={**plan.train, **loop_changes(loop)})
