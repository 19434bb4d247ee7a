"""Generators of the sweep pages: docs/results/sweeps/README.md (a sweep's table, recomputed from its members' runs)
and benchmarks.md's sweep-against-processes benchmark (from the JSON benchmarks/sweep_programs.py writes)."""

from pathlib import Path

from ebrl.markdown import table
from ebrl.results.files import read_json
from ebrl.results.generated import generates


@generates("sweeps/README.md")
def sweep_final_returns(folder: Path, sweep: str) -> str:
    """sweep.md's table of the sweep in folder/sweep, from its members' config.json and metrics.csv."""
    from ebrl.studies.sweep_report import sweep_results, sweep_table

    return sweep_table(sweep_results(folder / sweep))


@generates("benchmarks.md")
def sweep_programs(folder: Path, file: str) -> str:
    """The benchmark's medians: per way, the time to the first result, the wall-clock and the aggregate rate."""
    data = read_json(folder / file)
    names = {"one_program": f"one program, --sweep of {data['members']} values", "processes":
             f"{data['members']} processes at once"}
    rows = [[names[way], f"{data[way]['first_result_s']:.1f}", f"{data[way]['wall_s']:.1f}",
             f"{data[way]['aggregate_env_steps_per_s']:.0f}"] for way in names]
    options, machine = data["options"], data["machine"]
    setting = (f"{options['algo']} on {options['env']}, {options['steps']:,} steps each ({options['learning_starts']:,}"
               f" random), {options['field']} ∈ {{{', '.join(f'{v:g}' for v in options['values'])}}}; medians of "
               f"{options['repeats']} runs of each way, alternating; {machine['cpu']}, {machine['device']}, jax "
               f"{machine['jax']}.")
    return setting + "\n\n" + table(["way", "time to first result (s)", "wall-clock (s)", "aggregate env-steps/s"],
                                     rows) + \
        f"\n\nOne program: {data['speedup_wall']:.2f}× faster to finish, {data['speedup_first_result']:.2f}× to the " \
        "first result."
