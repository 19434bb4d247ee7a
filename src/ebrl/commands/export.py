"""the policy as a file JAX alone runs: ebrl export runs/x --out policy.jax [--mode mean] [--checkpoint best]"""

import dataclasses
from pathlib import Path
from typing import Annotated

import tyro

from ebrl.commands.parsing import parse
from ebrl.config import require


@dataclasses.dataclass(frozen=True)
class ExportOptions:
    run_dir: Annotated[str, tyro.conf.Positional]
    """The run whose policy to export."""
    out: str = "policy.jax"
    """File to write (and FILE.json beside it, describing the program)."""
    mode: str | None = None
    """Action mode (default: the agent's evaluation default), as in `ebrl eval`."""
    checkpoint: str = "latest"
    """latest, best, or a step that has a checkpoint."""
    overwrite: bool = False
    """Replace FILE if it exists."""


def run(args: list[str]) -> int:
    from ebrl.export import write_policy
    from ebrl.runs import make_dir

    options = parse(ExportOptions, args, "ebrl export")
    out = Path(options.out)
    require(not out.is_dir(), f"--out {out} is a folder; give the policy's file name, e.g. --out {out / 'policy.jax'}")
    require(not out.exists() or options.overwrite, f"{out} exists; pass --overwrite to replace it or choose another "
            "--out")
    make_dir(out.parent)
    for path in write_policy(Path(options.run_dir), out, options.mode, options.checkpoint):
        print(f"wrote {path}")
    return 0
