"""Custom environments on the command line: `--env module:Id` imports the module that registers Id, and
`--env-kwargs` reaches the constructor in training and in evaluation."""

import json

import pytest

from ebrl.commands import main
from ebrl.runs import read_spec
from tests.conftest import TINY
from tests.test_cli import fails_cleanly

CUSTOM = "tests.envs.toy:ebrl-test/ReachTarget-v0"


def with_env(env_id: str) -> list[str]:
    i = TINY.index("--env")
    return [*TINY[:i], "--env", env_id, *TINY[i + 2:]]


@pytest.mark.slow
def test_a_custom_environment_trains_and_evaluates_with_its_arguments(capsys, tmp_path):
    out = tmp_path / "run"
    kwargs = {"target": 0.5, "horizon": 7}
    assert main(["train", *with_env(CUSTOM), "--env-kwargs", json.dumps(kwargs), "--out", str(out)]) == 0
    spec = read_spec(out)
    assert (spec.train.env, spec.train.env_kwargs) == (CUSTOM, kwargs)
    capsys.readouterr()
    assert main(["eval", str(out), "--episodes", "3", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["lengths"] == [7, 7, 7]  # the horizon of --env-kwargs, not the default 20


@pytest.mark.parametrize("flags, fragments", [
    (["--env", "no_such_module_here:Foo-v0"], ["cannot import 'no_such_module_here'", "--env"]),
    (["--env", CUSTOM, "--env-kwargs", "{target: 1}"], ["--env-kwargs is not valid JSON"]),
    (["--env", CUSTOM, "--env-kwargs", "[1, 2]"], ["--env-kwargs must be a JSON object"]),
    (["--env", CUSTOM, "--env-kwargs", '{"speed": 2}'], ["does not take the arguments", "--env-kwargs"]),
])
def test_bad_custom_environment_input_is_one_line(capsys, tmp_path, flags, fragments):
    out = tmp_path / "run"
    i = TINY.index("--env")
    fails_cleanly(capsys, ["train", *TINY[:i], *TINY[i + 2:], *flags, "--out", str(out)], *fragments)
    assert not out.exists()


def test_an_environment_module_that_raises_is_one_line(capsys, tmp_path, monkeypatch):
    (tmp_path / "broken_envs.py").write_text("raise RuntimeError('no licence for the simulator')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    out = tmp_path / "run"
    fails_cleanly(capsys, ["train", *with_env("broken_envs:my/Broken-v0"), "--out", str(out)],
                  "importing 'broken_envs'", "raised RuntimeError: no licence for the simulator", "fix the module")
    assert not out.exists()
