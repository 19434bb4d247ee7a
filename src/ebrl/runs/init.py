"""Starting a run from another run's trained agent (pretraining, then fine-tuning): the sources of a group's seeds,
every check before any work, and the initial agent states, restored through `load_run` (checksums verified)."""

import dataclasses
import hashlib
from pathlib import Path
from typing import Any

import jax
import numpy as np

from ebrl.agents import ALGORITHMS
from ebrl.config import require
from ebrl.core import Agent, started_from
from ebrl.envs.task import Task, describe_task
from ebrl.loop.learner import seed_keys, stack_seeds
from ebrl.runs.layout import CONFIG_FILE, group_seeds, read_spec, seed_run_dirs
from ebrl.runs.load import load_run
from ebrl.runs.lock import lock_runs
from ebrl.runs.spec import InitFrom, RunSpec


@dataclasses.dataclass(frozen=True)
class InitialAgents:
    """The agent states a group starts from (leading seed axis) and what each seed's config.json records of its
    source (init_from: the request, the source run, its step, the SHA-256 of its agent state)."""

    states: Any
    records: list[dict]

    @property
    def origin(self) -> str:
        """For the start line: "runs/pre at step 30000", "runs/pre's seeds at step 30000"."""
        sources = {record["source"] for record in self.records}
        where = next(iter(sources)) if len(sources) == 1 else f"{self.records[0]['run']}'s seeds"
        steps = ", ".join(str(step) for step in sorted({record["step"] for record in self.records}))
        return f"{where} at step {steps}"


def as_init_from(init: "InitFrom | str | Path") -> InitFrom:
    """An InitFrom, or the text RUN, RUN@best, RUN@STEP as one."""
    return init if isinstance(init, InitFrom) else InitFrom.parse(str(init))


def source_runs(init: InitFrom, seeds: list[int]) -> list[Path]:
    """The run each seed starts from: seed k of a source group, or the one source run for every seed."""
    source = Path(init.run)
    if (source / CONFIG_FILE).is_file() or not group_seeds(source):
        read_spec(source)  # ConfigError for a folder that is not a run
        return [source for _ in seeds]
    missing = sorted(set(seeds) - set(group_seeds(source)))
    require(not missing, f"init_from {source} is a group of seeds {group_seeds(source)}, without seed(s) "
            f"{missing} of this run; train the same seeds, or start every seed from one of its runs, e.g. "
            f"{seed_run_dirs(source, group_seeds(source))[0]}", "init_from")
    return seed_run_dirs(source, seeds)


def state_sha256(state) -> str:
    """SHA-256 of an agent state: each array's dtype, shape and bytes, in pytree order."""
    digest = hashlib.sha256()
    for leaf in jax.tree.leaves(state):
        array = np.asarray(leaf)
        digest.update(f"{array.dtype}{array.shape}".encode())
        digest.update(np.ascontiguousarray(array).tobytes())
    return digest.hexdigest()


def check_source(spec: RunSpec, task: Task, agent: Agent, source: Path, saved: RunSpec) -> None:
    """ConfigError, naming the mismatch, unless the run of `spec` can start from the run `source` (of spec `saved`):
    the same algorithm, observation and action sizes, agent state shapes, and initial α (or alpha_from_config)."""
    assert spec.init is not None
    require(saved.algo == spec.algo, f"init_from {source} is a {saved.algo} run, and this run trains {spec.algo}; "
            f"start a {saved.algo} run from it, or choose a {spec.algo} run", "init_from")
    theirs = describe_task(saved.train.env, saved.train.env_kwargs)
    require((theirs.obs_dim, theirs.act_dim) == (task.obs_dim, task.act_dim),
            f"init_from {source} trained on {saved.train.env} (observation size {theirs.obs_dim}, action size "
            f"{theirs.act_dim}), and {spec.train.env} has observation size {task.obs_dim}, action size "
            f"{task.act_dim}; choose a run of a task with the same spaces", "init_from")
    make = ALGORITHMS[spec.algo].make_agent

    def shapes(config):
        return jax.eval_shape(make(config, task.obs_dim, task.act_dim).init, jax.random.key(0))

    changed = _settings_that_change(shapes, saved.agent, spec.agent)
    require(not changed, f"the agent settings {', '.join(changed)} give other networks than those of {source}, "
            "which this run starts from; drop them to keep its networks", *changed)
    temperature = agent.parts.temperature
    require(not spec.init.alpha_from_config or bool(temperature), f"{spec.algo} keeps its temperature in its "
            "configuration, not in its state; drop init_alpha_from_config", "init_alpha_from_config")
    if temperature and not spec.init.alpha_from_config:
        def initial_alpha(config):
            state = make(config, task.obs_dim, task.act_dim).init(jax.random.key(0))
            return tuple(float(getattr(state, name)) for name in temperature)

        changed = _settings_that_change(initial_alpha, saved.agent, spec.agent)
        require(not changed, f"the agent settings {', '.join(changed)} start α elsewhere than {source}, whose "
                "trained α this run takes; pass init_alpha_from_config to start from this run's α, or drop them",
                "init_alpha_from_config", *changed)


def _settings_that_change(measure, saved, config) -> list[str]:
    """The fields of the agent config `config` that change `measure(config)` from `measure(saved)`, each alone (all
    the fields that differ, where only their combination does)."""
    differ = [f.name for f in dataclasses.fields(config) if getattr(config, f.name) != getattr(saved, f.name)]
    if not differ or measure(config) == measure(saved):
        return []
    alone = [name for name in differ if measure(dataclasses.replace(saved, **{name: getattr(config, name)})) !=
             measure(saved)]
    return alone or differ


def load_initial_agents(specs: list[RunSpec], task: Task) -> InitialAgents:
    """The agent states the members `specs` of a group or a sweep start from (their init): each source's checkpoint,
    restored and checked, with the member's own counters, optimiser state (unless init.optimizer) and α (with
    init.alpha_from_config). ConfigError, with nothing written, for a source that is not a run, is being trained,
    has no such checkpoint, or does not fit (`check_source`)."""
    init = specs[0].init
    assert init is not None
    sources = source_runs(init, [spec.train.seed for spec in specs])
    make = ALGORITHMS[specs[0].algo].make_agent
    agents = [make(spec.agent, task.obs_dim, task.act_dim) for spec in specs]
    checked: list[tuple] = []
    for spec, agent, source in zip(specs, agents, sources):
        if (spec.agent, source) not in checked:  # once per setting and source
            check_source(spec, task, agent, source, read_spec(source))
            checked.append((spec.agent, source))
    with lock_runs(list(dict.fromkeys(sources))):  # not while another process writes it
        loaded = {source: load_run(source, init.checkpoint) for source in dict.fromkeys(sources)}
    own = [agent.init(seed_keys(spec.train.seed)[0]) for spec, agent in zip(specs, agents)]
    states = [started_from(mine, loaded[source].state, agents[0].parts, optimizer=init.optimizer,
                           temperature=not init.alpha_from_config) for mine, source in zip(own, sources)]
    records = [{**dataclasses.asdict(init), "source": str(source), "step": loaded[source].step,
                "agent_sha256": state_sha256(loaded[source].state)} for source in sources]
    return InitialAgents(stack_seeds(states), records)
