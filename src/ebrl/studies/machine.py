"""The machine a study's seed trained on, recorded in the seed's run folder (machine.json) by the program that
finished it: sessions of the same study run on different machines (a group's later seeds on another than its first),
and a wall-clock means little without it."""

import os
import platform
import socket
from pathlib import Path

MACHINE_FILE = "machine.json"  # in a seed's run folder: the machine that trained it to its end


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


def record_machine(results: list) -> None:
    """Write this machine to each seed's machine.json when this call trained the seeds to their end (`results`:
    `ebrl.runs.train`'s); a finished seed that was only reused keeps the machine it records, or none."""
    from ebrl.runs import write_json_atomic

    if results and not results[0].interrupted and results[0].trained is not None:
        here = machine()
        for result in results:
            write_json_atomic(Path(result.run_dir) / MACHINE_FILE, here)
