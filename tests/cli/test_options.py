"""The command line of train.py and inference.py (cli/options.py): every number checked at parse time,
and parsing fast because it imports no heavy library."""

import argparse
import os
import subprocess
import sys
from pathlib import Path

import pytest

import inference
import train
from cli.method_options import model_flag_dests
from cli.options import SEED_MAX

ROOT = Path(__file__).resolve().parents[2]
SCRIPTS = {"train": train, "inference": inference}
HEAVY = ("torch", "torchvision", "numpy", "scipy", "h5py", "matplotlib", "ray")

# Values every numeric flag must refuse, and values it must accept, by flag.
BAD = {
    "--seed": ["-1", str(SEED_MAX + 1), "1.5", "x", "nan"],
    "--seeds": ["-1", str(SEED_MAX + 1), "x"],
    "--epochs": ["0", "-3", "1.5", "inf"],
    "--split": ["0", "-1", "x"],
    "--random-draws": ["0", "-5", "x"],
    "--videos-per-step": ["0", "-1", "2.5"],
    "--lr": ["0", "-0.001", "x", "nan", "inf"],
    "--weight-decay": ["-0.5", "x", "nan"],
    "--lr-decay": ["-0.1", "1.5", "x", "nan"],
    "--sample-seeds": ["-1", str(SEED_MAX + 1), "x", "1.5"],
    "--grad-clip": ["-1", "x", "inf"],
    "--length-factor": ["0", "1", "1.5", "x", "nan"],
    "--cpus-per-run": ["0", "-1", "1.5", "nan", "inf", "x"],
    "--gpus-per-run": ["-0.25", "1.5", "nan", "x"],
    "--workers": ["-1", "x", "1.5"],
    "--limit": ["0", "-1", "x", "1.5"],
    "--mean": ["split", "x", "1"],  # not a number, but a converter: splits or videos (evaluation/means.py)
}
GOOD = {"--seed": ["0", str(SEED_MAX)], "--seeds": ["0", str(SEED_MAX)], "--epochs": ["1"], "--split": ["1"], "--random-draws": ["1"],
        "--videos-per-step": ["1"], "--lr": ["1e-4"], "--weight-decay": ["0"], "--lr-decay": ["0.99", "1", "none"],
        "--sample-seeds": ["0", str(SEED_MAX)], "--grad-clip": ["0", "none", "5"], "--length-factor": ["0.5"],
        "--cpus-per-run": ["0.5", "1", "2"], "--gpus-per-run": ["0", "0.25", "1", "2"], "--workers": ["0", "4"], "--limit": ["1", "12"],
        "--mean": ["splits", "videos"]}
SHARES = ("--cpus-per-run", "--gpus-per-run")  # Ray resource requests: a share of one device or whole devices
# Flags that only mean something beside others, and are refused alone: the flags that give them their meaning.
CONTEXT = {**{flag: ["--ray"] for flag in SHARES}, "--workers": ["--dataset", "VideoXum"], "--limit": ["--dataset", "MrHiSum"],
           "--sample-seeds": ["--method", "SummDiff"]}
# What argparse says after the flag for a refused value.
EXPECTED = {"--lr": "expected a number above 0", "--weight-decay": "expected a number of at least 0",
            "--lr-decay": "expected a number between 0 and 1 or none",
            "--grad-clip": "expected a number of at least 0 or none", "--length-factor": "expected a number between 0 and 1",
            **{flag: "expected a share of one device" for flag in SHARES}, "--mean": "expected splits or videos"}


def numeric_flags(parser: argparse.ArgumentParser) -> list[str]:
    """Every option that takes a value with a converter other than a path or plain text (the model options are
    checked in tests/cli/test_method_options.py, inference's [METHOD=]DIR folders in tests/test_inference.py)."""
    model_flags = model_flag_dests()
    return [action.option_strings[0] for action in parser._actions
            if action.option_strings and action.type not in (None, str, Path, inference.compared_folder) and action.dest not in model_flags]


@pytest.mark.parametrize("script", SCRIPTS)
def test_every_numeric_flag_is_range_checked_at_parse_time(script, capsys):
    parser_flags = numeric_flags(SCRIPTS[script].build_parser())
    assert parser_flags, "no numeric flag found: the introspection is broken"
    for action in SCRIPTS[script].build_parser()._actions:
        assert action.type not in (int, float), f"{script} {action.option_strings}: a bare {action.type.__name__} accepts any value"
    for flag in parser_flags:
        assert flag in BAD, f"{script} {flag}: add its bad values to this test"
        for value in BAD[flag]:
            with pytest.raises(SystemExit) as caught:
                SCRIPTS[script].parse_args([flag, value])
            assert caught.value.code == 2
            assert f"argument {flag}: {EXPECTED.get(flag, 'expected a whole number')}" in capsys.readouterr().err
        for value in GOOD[flag]:
            assert SCRIPTS[script].parse_args([*CONTEXT.get(flag, []), flag, value]) is not None


@pytest.mark.parametrize("script", SCRIPTS)
def test_parsing_imports_no_heavy_library(script):
    """--help and argument errors answer in well under a second: nothing heavy is loaded to parse."""
    code = (f"import sys, {script}; {script}.parse_args(['--dataset', 'SumMe']); "
            f"print(' '.join(m for m in {HEAVY!r} if m in sys.modules))")
    loaded = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
                            capture_output=True, text=True, check=True).stdout.strip()
    assert loaded == "", f"parsing {script}.py's arguments imported {loaded}"


@pytest.mark.parametrize("script", SCRIPTS)
def test_help_answers(script):
    result = subprocess.run([sys.executable, f"{script}.py", "--help"], cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and "--weights-dir" in result.stdout


@pytest.mark.parametrize("script", SCRIPTS)
def test_a_built_data_set_needs_h5_and_only_it_takes_h5_and_f1(script, capsys):
    args = SCRIPTS[script].parse_args(["--dataset", "custom", "--h5", "my.h5", "--f1", "mean"])
    assert (args.dataset, args.h5, args.f1) == ("custom", Path("my.h5"), "mean")
    assert SCRIPTS[script].parse_args(["--dataset", "custom", "--h5", "my.h5"]).f1 is None
    refused = {("--dataset", "custom"): "--dataset custom reads a file build_dataset.py wrote: give it with --h5 PATH",
               ("--dataset", "SumMe", "--h5", "my.h5"): "use it with --dataset custom, not --dataset SumMe",
               ("--h5", "my.h5"): "use it with --dataset custom, not --dataset all",
               ("--dataset", "TVSum", "--f1", "max"): "--f1 chooses the F1 convention of a built data set",
               ("--dataset", "custom", "--h5", "my.h5", "--f1", "median"): "invalid choice: 'median'",
               ("--dataset", "custom", "--h5", "my.h5", "--splits", "pgl-sum"): "a built data set takes --splits-file FILE"}
    for argv, message in refused.items():
        with pytest.raises(SystemExit) as caught:
            SCRIPTS[script].parse_args(list(argv))
        assert caught.value.code == 2 and message in capsys.readouterr().err


@pytest.mark.parametrize("script", SCRIPTS)
def test_parsing_a_built_data_set_imports_no_heavy_library(script):
    code = (f"import sys, {script}; {script}.parse_args(['--dataset', 'custom', '--h5', 'my.h5', '--f1', 'max']); "
            f"print(' '.join(m for m in {HEAVY!r} if m in sys.modules))")
    loaded = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
                            capture_output=True, text=True, check=True).stdout.strip()
    assert loaded == "", f"parsing {script}.py's arguments imported {loaded}"


def test_ablate_keeps_to_the_benchmarks(capsys):
    import ablate

    with pytest.raises(SystemExit):
        ablate.parse_args(["--dataset", "custom"])
    assert "invalid choice: 'custom'" in capsys.readouterr().err
    assert not hasattr(ablate.parse_args(["--dataset", "SumMe"]), "h5")
