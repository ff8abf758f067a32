"""Whole evaluations, ours against the official inference.py, each a process timed from start to exit.

    python -m cli.synthetic_data --dataset all --out /tmp/syn                  # or the real eccv16 files
    python bench/bench_evaluation_speed.py --data-dir /tmp/syn --skip-evaluation --levers-videos 0 --write-weights /tmp/w
    python bench/bench_evaluation_vs_official.py --reference /tmp/CSTA --data-dir /tmp/syn --weights-dir /tmp/w --rounds 3

--reference is a checkout of github.com/thswodnjs3/CSTA, kept outside this repository and run
unchanged: its inference.py reads ./data, ./weights and ./splits, so it runs in a scratch folder
whose data/ and weights/ are links to --data-dir and --weights-dir (its splits/ to the checkout's).
Its model builder loads torchvision's ImageNet GoogLeNet before the split files: without that file in
TORCH_HOME's cache a stand-in is written to a scratch TORCH_HOME (every line says so; the evaluated
weights replace every tensor anyway). Rounds alternate which program runs first. Printed: the
seconds of each and their ratio per round, and whether both gave the same per-split Kendall tau
and Spearman rho to 3 decimals (the official prints 3).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATASETS = ("SumMe", "TVSum")  # the order the official evaluates them in
_SPLIT_LINE = re.compile(r"^\[Split(\d+)\]Kendall:(-?[\d.]+|nan), Spear:(-?[\d.]+|nan)", re.MULTILINE)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reference", type=Path, required=True, help="a checkout of the official CSTA code")
    parser.add_argument("--data-dir", type=Path, required=True, help="the eccv16 h5 files of both datasets and ydata-anno.tsv")
    parser.add_argument("--weights-dir", type=Path, required=True, help="<dataset>/split<k>.pt for both datasets, splits 1-5")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of both programs (default 3)")
    parser.add_argument("--scoring", choices=["fast", "exact"], default="fast", help="our scoring route (default fast)")
    return parser.parse_args(argv)


def official_correlations(output: str) -> dict[str, list[tuple[str, str]]]:
    """Per dataset, the (tau, rho) the official printed for each split, as printed (3 decimals)."""
    rows = [(tau, rho) for _, tau, rho in _SPLIT_LINE.findall(output)]
    if len(rows) != 5 * len(DATASETS):
        raise SystemExit(f"the official inference.py printed {len(rows)} split lines, not {5 * len(DATASETS)}:\n{output[-2000:]}")
    return {name: rows[5 * i:5 * i + 5] for i, name in enumerate(DATASETS)}


def our_correlations(report: dict) -> dict[str, list[tuple[str, str]]]:
    """The same from our --json file, rounded as the official prints."""
    return {name: [(f"{split['kendall']:.3f}", f"{split['spearman']:.3f}") for split in report[name]["splits"]] for name in DATASETS}


def run(command: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, str]:
    """(wall seconds from start to exit, output); a failure stops the bench with its output."""
    start = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed ({done.returncode}):\n{(done.stdout + done.stderr)[-3000:]}")
    return seconds, done.stdout + done.stderr


def scratch_folder(reference: Path, data_dir: Path, weights_dir: Path) -> Path:
    """A folder where the official script finds ./data, ./weights and ./splits."""
    folder = Path(tempfile.mkdtemp(prefix="bench_official_evaluation_"))
    for name, target in (("data", data_dir), ("weights", weights_dir), ("splits", reference / "splits")):
        (folder / name).symlink_to(target.resolve(), target_is_directory=True)
    return folder


def torch_home_with_googlenet(scratch: Path) -> tuple[dict[str, str], bool]:
    """The environment for both programs; True when the GoogLeNet file is a stand-in written here."""
    from models.backbone import imagenet_weights_are_stand_in, imagenet_weights_path  # where torchvision looks, as it looks

    env = dict(os.environ)
    if imagenet_weights_path().is_file():
        return env, imagenet_weights_are_stand_in()
    env["TORCH_HOME"] = str(scratch / "torch_home")
    subprocess.run([sys.executable, "-m", "cli.stand_in"], cwd=ROOT, env=env, check=True, capture_output=True)
    return env, True


def main(args: argparse.Namespace) -> int:
    reference = args.reference.resolve()
    if not (reference / "inference.py").is_file() or not (reference / "splits").is_dir():
        raise SystemExit(f"--reference {args.reference}: no inference.py and splits/ there (a checkout of thswodnjs3/CSTA is expected)")
    scratch = scratch_folder(reference, args.data_dir, args.weights_dir)
    env, stand_in = torch_home_with_googlenet(scratch)
    label = " (official: STAND-IN ImageNet GoogLeNet file, replaced by the weights)" if stand_in else ""
    ours_json = scratch / "ours.json"
    programs = {
        "official": ([sys.executable, str(reference / "inference.py"), "--device", "cpu"], scratch),
        "ours": ([sys.executable, str(ROOT / "inference.py"), "--data-dir", str(args.data_dir.resolve()), "--weights-dir",
                  str(args.weights_dir.resolve()), "--device", "cpu", "--scoring", args.scoring, "--json", str(ours_json)], ROOT),
    }
    print(f"ours: --scoring {args.scoring}; {args.rounds} round(s), whole processes{label}")
    print("round | official s | ours s | ours / official | per-split tau, rho to 3 decimals")
    for round_index in range(args.rounds):
        order = list(programs) if round_index % 2 == 0 else list(programs)[::-1]
        seconds, outputs = {}, {}
        ours_json.unlink(missing_ok=True)  # written afresh by this round's run of ours
        for name in order:
            seconds[name], outputs[name] = run(*programs[name], env)
        official = official_correlations(outputs["official"])
        ours = our_correlations(json.loads(ours_json.read_text()))
        differing = [f"{name} split {k + 1}: {official[name][k]} vs {ours[name][k]}"
                     for name in DATASETS for k in range(5) if official[name][k] != ours[name][k]]
        verdict = "identical" if not differing else "DIFFERENT: " + "; ".join(differing)
        print(f"{round_index + 1:5d} | {seconds['official']:10.1f} | {seconds['ours']:6.1f} | "
              f"{seconds['ours'] / seconds['official']:15.2f} | {verdict}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(parse_args()))
