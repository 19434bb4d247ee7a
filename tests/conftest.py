import os
import tempfile

import jax
import pytest

from ebrl.commands import main

# Tests train tiny networks, whose programs take longer to compile than to run: XLA's CPU backend compiles them
# without LLVM's optimisation passes (a third less time for the suite), and runs each on one thread, since the test
# files already share the cores between them (a tenth less). Every comparison in a test is between programs compiled
# and run alike. Set before JAX starts its CPU client, and inherited by the subprocesses tests start.
for flag in ("--xla_backend_optimization_level=0", "--xla_cpu_multi_thread_eigen=false",
             "intra_op_parallelism_threads=1"):
    if flag.split("=")[0] not in os.environ.get("XLA_FLAGS", ""):
        os.environ["XLA_FLAGS"] = f"{os.environ.get('XLA_FLAGS', '')} {flag}".strip()
# Many tests train the same tiny programs, in this process and in subprocesses: compile each once.
os.environ.setdefault("JAX_COMPILATION_CACHE_DIR", tempfile.mkdtemp(prefix="ebrl-jax-cache-"))
os.environ.setdefault("JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS", "0")
jax.config.update("jax_compilation_cache_dir", os.environ["JAX_COMPILATION_CACHE_DIR"])
jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)

# A run small enough to train in seconds: tiny networks and batches, short intervals.
TINY = ["--algo", "sac", "--env", "Pendulum-v1", "--steps", "600", "--hidden", "32", "32", "--batch-size", "32",
        "--random-steps", "100", "--learning-starts", "100", "--chunk", "50", "--eval-every", "200",
        "--checkpoint-every", "200", "--eval-episodes", "2", "--no-progress"]


LONGER = [*TINY[:TINY.index("--steps")], "--steps", "1600", *TINY[TINY.index("--steps") + 2:]]


@pytest.fixture(scope="session")
def uninterrupted(tmp_path_factory):
    """A finished LONGER run (1600 steps, a checkpoint every 200), shared by the tests that compare against it."""
    run_dir = tmp_path_factory.mktemp("baseline") / "run"
    assert main(["train", *LONGER, "--out", str(run_dir)]) == 0
    return run_dir


@pytest.fixture(scope="session")
def tiny_run(tmp_path_factory):
    """A finished tiny SAC run directory, shared by the tests that only read it."""
    run_dir = tmp_path_factory.mktemp("runs") / "tiny"
    assert main(["train", *TINY, "--out", str(run_dir)]) == 0
    return run_dir


# module fixtures that train (10 s to a minute): a test that needs one is slow, however quick its own body
TRAINING_FIXTURES = {"study", "group", "multigoal_run", "source", "source_group", "sweep", "whole"}


def pytest_collection_modifyitems(items):
    for item in items:
        if TRAINING_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)


def pytest_xdist_auto_num_workers(config):
    """`-n auto`: one worker more than the cores, since the suite's tests wait on the subprocesses they start (a
    kill's moment, a resumed run, JAX's start-up in each). On 2 cores, .ci/run's suite took 772 s with 3 workers
    against 866 s with 2 (fresh clones, 2026-12-03)."""
    return (os.cpu_count() or 1) + 1
