"""`make_env`: MuJoCo's warnings about Gymnasium's own model files are not repeated to the user."""

import subprocess
import sys

MAKE_TWICE = """
from ebrl.envs import make_env
for _ in range(2):
    make_env("HalfCheetah-v5").close()
import mujoco
model = mujoco.MjModel.from_xml_string('<mujoco><worldbody><body><joint type="slide"/><geom size="1"/></body>'
                                       '</worldbody></mujoco>')
data = mujoco.MjData(model)
data.qvel[:] = float("nan")
mujoco.mj_step(model, data)
"""


def test_the_settotalmass_deprecation_is_silenced_and_other_warnings_are_kept():
    done = subprocess.run([sys.executable, "-c", MAKE_TWICE], check=False, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    output = done.stdout + done.stderr
    assert "settotalmass" not in output
    assert "WARNING: Nan, Inf or huge value in QVEL" in output
