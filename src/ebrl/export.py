"""A trained policy as a file that JAX alone can load and run: `ebrl export RUN --out policy.jax`.

The file is `jax.export`'s serialisation of

    actions = policy(observations, key)     observations: (batch, obs_dim) float32, any batch size
                                            key: (2,) uint32, raw threefry key data (jax.random.key_data)
                                            actions: (batch, act_dim) float32, in the task's action bounds

for one action mode of the agent, with the checkpoint's parameters inside it: the whole action computation
(S2AC: its SVGD chain and the particle selection) is in the program. Load it with
`jax.export.deserialize(open(path, "rb").read()).call(obs, key)`; no ebrl needed. A JSON file beside it
(FILE.json) says what the program expects and where it comes from.
"""

import json
from pathlib import Path

import jax
import jax.numpy as jnp

from ebrl.runs import load_run

PLATFORMS = ("cpu", "cuda")


def export_policy(run_dir: Path, mode: str | None = None, checkpoint: str = "latest"):
    """(jax.export.Exported, description) of a run's action function in `mode` (default: the agent's evaluation
    default), with the parameters of `checkpoint` ("latest", "best" or a step)."""
    run = load_run(run_dir, checkpoint)
    mode = run.agent.check_mode(mode, run.spec.algo)
    obs_dim, act_dim, low, high = run.obs_dim, run.act_dim, run.action_low, run.action_high

    def policy(observations, key_data):
        unit = run.agent.act(run.state, observations, jax.random.wrap_key_data(key_data), mode)
        return low + (unit + 1.0) * 0.5 * (high - low)  # from the agent's [-1, 1] to the task's bounds

    batch = jax.export.symbolic_shape("batch")
    exported = jax.export.export(jax.jit(policy), platforms=PLATFORMS)(
        jax.ShapeDtypeStruct((*batch, obs_dim), jnp.float32), jax.ShapeDtypeStruct((2,), jnp.uint32))
    description = {"algo": run.spec.algo, "env": run.spec.train.env, "env_kwargs": run.spec.train.env_kwargs,
                   "step": run.step, "checkpoint": checkpoint, "mode": mode, "obs_dim": obs_dim, "act_dim": act_dim,
                   "action_low": low.tolist(), "action_high": high.tolist(), "platforms": list(PLATFORMS),
                   "call": "jax.export.deserialize(data).call(observations (batch, obs_dim) float32, "
                           "key (2,) uint32) -> actions (batch, act_dim) float32"}
    return exported, description


def write_policy(run_dir: Path, out: Path, mode: str | None = None, checkpoint: str = "latest") -> list[Path]:
    """Export and write FILE and FILE.json; returns their paths."""
    exported, description = export_policy(run_dir, mode, checkpoint)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(exported.serialize())
    sidecar = out.with_name(out.name + ".json")
    sidecar.write_text(json.dumps(description, indent=2) + "\n")
    return [out, sidecar]
