import pytest

from ebrl.cli import main

# A run small enough to train in seconds: tiny networks and batches, short intervals.
TINY = ["--env", "Pendulum-v1", "--steps", "600", "--hidden", "32", "32", "--batch-size", "32",
        "--random-steps", "100", "--learning-starts", "100", "--chunk", "50", "--eval-every", "200",
        "--checkpoint-every", "200", "--eval-episodes", "2", "--no-progress"]


@pytest.fixture(scope="session")
def tiny_run(tmp_path_factory):
    """A finished tiny SAC run directory, shared by the tests that only read it."""
    run_dir = tmp_path_factory.mktemp("runs") / "tiny"
    assert main(["train", *TINY, "--out", str(run_dir)]) == 0
    return run_dir
