"""bench/bench_evaluation_vs_official.py without the official code: it reads the official's printed
correlations and ours from --json alike, so a difference in any split shows, and it refuses a folder
that is not a checkout of the official code."""

import pytest

from tests.bench.script import load_bench_script

# what the official inference.py prints (its format, our synthetic run's values)
OFFICIAL_OUTPUT = """PARAMS: 8.35M
[Split0]Kendall:0.113, Spear:0.121
[Split1]Kendall:0.140, Spear:0.152
[Split2]Kendall:0.013, Spear:0.015
[Split3]Kendall:0.070, Spear:0.075
[Split4]Kendall:0.014, Spear:0.014
[FINAL - SumMe]Kendall:0.070, Spear:0.075

[Split0]Kendall:-0.009, Spear:-0.012
[Split1]Kendall:0.020, Spear:0.024
[Split2]Kendall:0.014, Spear:0.019
[Split3]Kendall:-0.023, Spear:-0.031
[Split4]Kendall:-0.045, Spear:-0.060
[FINAL - TVSum]Kendall:-0.009, Spear:-0.012
"""


@pytest.fixture(scope="module")
def bench():
    return load_bench_script("bench_evaluation_vs_official")


def our_report(values):
    return {name: {"splits": [{"split": k + 1, "kendall": tau, "spearman": rho} for k, (tau, rho) in enumerate(rows)]}
            for name, rows in values.items()}


def test_both_outputs_read_alike(bench):
    official = bench.official_correlations(OFFICIAL_OUTPUT)
    assert official["SumMe"][1] == ("0.140", "0.152") and official["TVSum"][4] == ("-0.045", "-0.060")
    exact = {name: [(float(t), float(r)) for t, r in rows] for name, rows in official.items()}
    nudged = {name: [(t + 4e-4, r - 4e-4) for t, r in rows] for name, rows in exact.items()}  # the same to 3 decimals
    assert bench.our_correlations(our_report(nudged)) == official
    exact["TVSum"][2] = (0.015, 0.019)
    assert bench.our_correlations(our_report(exact)) != official


def test_a_missing_split_line_and_a_wrong_folder_stop_the_bench(bench, tmp_path):
    with pytest.raises(SystemExit, match="printed 9 split lines"):
        bench.official_correlations(OFFICIAL_OUTPUT.replace("[Split3]Kendall:-0.023, Spear:-0.031\n", ""))
    with pytest.raises(SystemExit, match="checkout of thswodnjs3/CSTA"):
        bench.main(bench.parse_args(["--reference", str(tmp_path), "--data-dir", str(tmp_path), "--weights-dir", str(tmp_path)]))
