"""Weights & Biases logging, in W&B's offline mode: each seed's metrics rows reach its own W&B run."""

import json
import os
import subprocess
import sys

import pytest

from ebrl.commands import main
from ebrl.runs import read_metrics
from tests.conftest import TINY

BLOCK, HEADER = 32768, 7  # the LevelDB log format of W&B's .wandb files: 32 KiB blocks, 7-byte record headers


def wandb_history(path) -> list[dict]:
    """The history rows of an offline W&B run file: a 7-byte file header (":W&B", magic, version), then
    records (checksum, length, type FULL/FIRST/MIDDLE/LAST) holding protobuf `Record`s."""
    from wandb.proto import wandb_internal_pb2

    raw, position, pending, rows = path.read_bytes(), HEADER, b"", []
    while position + HEADER <= len(raw):
        left = BLOCK - position % BLOCK
        length, kind = int.from_bytes(raw[position + 4:position + 6], "little"), raw[position + 6]
        if left < HEADER or (length == 0 and kind == 0):  # block trailer or padding
            position += left
            continue
        pending += raw[position + HEADER:position + HEADER + length]
        position += HEADER + length
        if kind in (1, 4):  # FULL or LAST
            record = wandb_internal_pb2.Record()
            record.ParseFromString(pending)
            pending = b""
            if record.WhichOneof("record_type") == "history":
                rows.append({item.key or "/".join(item.nested_key): json.loads(item.value_json)
                             for item in record.history.item})
    return rows


@pytest.mark.slow
def test_wandb_receives_every_metrics_row_of_every_seed_offline(tmp_path, monkeypatch):
    pytest.importorskip("wandb")
    monkeypatch.setenv("WANDB_MODE", "offline")
    monkeypatch.setenv("WANDB_SILENT", "true")
    out = tmp_path / "group"
    assert main(["train", *TINY, "--seeds", "0", "1", "--out", str(out), "--wandb", "--wandb-project", "test"]) == 0
    for seed in (0, 1):
        run_dir = out / f"seed_{seed}"
        (run_file,) = run_dir.glob("wandb/offline-run-*/run-*.wandb")
        assert run_file.name == f"run-{(run_dir / 'wandb' / 'ebrl-run-id').read_text()}.wandb"
        history = wandb_history(run_file)
        rows = read_metrics(run_dir)
        assert [h["_step"] for h in history] == [int(r["step"]) for r in rows] == [200, 400, 600]
        for logged, row in zip(history, rows):
            for name in ("eval/mean/return_mean", "update/critic_loss", "train/episodes"):
                assert logged[name] == pytest.approx(row[name])


def test_wandb_without_its_package_is_a_one_line_error(capsys, tmp_path, monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_wandb(name, *args, **kwargs):
        if name == "wandb":
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_wandb)
    assert main(["train", *TINY, "--out", str(tmp_path / "run"), "--wandb"]) == 2
    assert capsys.readouterr().err.strip() == ('error: --wandb needs Weights & Biases; install it with pip install '
                                               '"ebrl[wandb]"')
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize("mode, fragment", [
    (None, "--wandb needs a W&B login: run `wandb login`"),  # no API key, no terminal to ask for one
    ("", "WANDB_MODE='' is not a mode of W&B"),
])
@pytest.mark.slow
def test_wandb_that_cannot_log_is_one_line_before_any_work(tmp_path, mode, fragment):
    """In a fresh process (W&B keeps its settings per process), with a home that holds no W&B login."""
    pytest.importorskip("wandb")
    env = {k: v for k, v in os.environ.items() if not k.startswith("WANDB_") and k != "NETRC"}
    env |= {"HOME": str(tmp_path), **({"WANDB_MODE": mode} if mode is not None else {})}
    out = tmp_path / "run"
    done = subprocess.run([sys.executable, "-m", "ebrl", "train", *TINY, "--out", str(out), "--wandb"],
                          capture_output=True, text=True, env=env, cwd=tmp_path, stdin=subprocess.DEVNULL,
                          timeout=120, check=False)
    assert done.returncode == 2 and done.stderr.startswith(f"error: {fragment}") and done.stderr.count("\n") == 1, \
        done.stderr
    assert not out.exists()  # nothing left to block the next try
