"""The machine a study's group trained on, recorded beside the group (machine.json) by the study that finished it:
sessions of the same study can run on different machines, and a group's wall-clock means little without it."""

import os
import platform
import socket
from pathlib import Path

MACHINE_FILE = "machine.json"  # in a group's folder: the machine that finished it


def machine() -> dict:
    """This machine: host, CPU model and count, and the accelerator JAX uses."""
    import jax

    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    device = jax.devices()[0]
    return {"host": socket.gethostname(), "cpu": cpu, "cpus": os.cpu_count(),
            "device": "cpu" if device.platform == "cpu" else device.device_kind}


def record_machine(group_dir: Path, results: list) -> None:
    """Write this machine to the group's machine.json when this call trained the group to its end (`results`:
    `ebrl.runs.train`'s); a finished group that was only reused keeps the machine it records, or none."""
    from ebrl.runs import write_json_atomic

    if results and not results[0].interrupted and results[0].trained is not None:
        write_json_atomic(Path(group_dir) / MACHINE_FILE, machine())
