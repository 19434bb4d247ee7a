"""The version of the code is written in one place, ebrl.__version__, and every run's config.json records it."""

import tomllib
from pathlib import Path

import ebrl
from ebrl.runs.spec import preset_spec

ROOT = Path(__file__).resolve().parents[1]


def test_pyproject_takes_its_version_from_the_package():
    """No second copy to drift: the wheel's metadata is built from ebrl.__version__, and an editable install (whose
    metadata keeps the version of its first install) still reports the code's version, read from the source."""
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert "version" not in pyproject["project"] and "version" in pyproject["project"]["dynamic"]
    assert pyproject["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "ebrl.__version__"}


def test_config_json_records_the_code_version():
    assert preset_spec("sac", "Pendulum-v1").to_json()["ebrl_version"] == ebrl.__version__


def test_config_json_records_every_version_key():
    from ebrl.runs.spec import VERSION_KEYS, code_versions

    versions = code_versions()
    assert tuple(versions) == VERSION_KEYS
    assert versions["ebrl_version"] == ebrl.__version__ and versions["mujoco_version"] is not None
