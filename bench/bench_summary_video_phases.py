"""Where a generate_video.py run's time goes: start-up and loading, the analysis pass, and the end
(scores, shots, writing the outputs), from the times its log lines appear; checkouts interleaved.

    TORCH_HOME=/tmp/th python bench/bench_summary_video_phases.py --video clip.mp4 --weights w.pt
    TORCH_HOME=/tmp/th python bench/bench_summary_video_phases.py --video clip.mp4 --weights w.pt \\
        --checkouts /tmp/before . --rounds 3 -- --segmentation full

Each run is a process of its own, timed from its start; ``loaded`` is when it says how many videos it
will summarise (imports and networks done), ``analysed`` when the last features bar line appears
(with --quiet there is none: leave it out), ``exit`` when the process has ended. Extra arguments after
``--`` go to every run.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def phases(checkout: Path, video: Path, weights: Path, extra: list[str]) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="phases_") as out:
        command = [sys.executable, "generate_video.py", str(video), "--weights", str(weights), "--out", out, *extra]
        started = time.perf_counter()
        process = subprocess.Popen(command, cwd=checkout, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                   env={**os.environ, "PYTHONUNBUFFERED": "1"})
        stamps: list[tuple[float, str]] = []

        def read() -> None:
            line = b""
            while chunk := process.stdout.read1(4096):
                for byte in re.split(rb"([\r\n])", chunk):
                    if byte in (b"\r", b"\n"):
                        stamps.append((time.perf_counter() - started, line.decode(errors="replace")))
                        line = b""
                    else:
                        line += byte

        reader = threading.Thread(target=read)
        reader.start()
        code = process.wait()
        ended = time.perf_counter() - started
        reader.join()
    if code != 0:
        raise SystemExit(f"{checkout}: exit status {code}:\n" + "\n".join(text for _, text in stamps[-20:]))
    loaded = next(t for t, text in stamps if "to summarise" in text)
    analysed = max((t for t, text in stamps if text.startswith("features ")), default=float("nan"))
    return {"loaded": loaded, "analysed": analysed, "exit": ended}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--video", type=Path, required=True)
    parser.add_argument("--weights", type=Path, required=True)
    parser.add_argument("--checkouts", type=Path, nargs="+", default=[ROOT], help="folders holding generate_video.py")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("extra", nargs="*", help="after --: arguments for every run")
    args = parser.parse_args()
    results: dict[Path, list[dict[str, float]]] = {checkout: [] for checkout in args.checkouts}
    for round_ in range(args.rounds):
        for checkout in args.checkouts if round_ % 2 == 0 else args.checkouts[::-1]:
            run = phases(checkout.resolve(), args.video.resolve(), args.weights.resolve(), args.extra)
            results[checkout].append(run)
            print(f"round {round_ + 1}, {checkout}: loaded {run['loaded']:.2f} s, analysed {run['analysed']:.2f} s, "
                  f"exit {run['exit']:.2f} s (analysis {run['analysed'] - run['loaded']:.2f} s, "
                  f"end {run['exit'] - run['analysed']:.2f} s)")
    for checkout, runs in results.items():
        medians = {key: statistics.median(run[key] for run in runs) for key in runs[0]}
        print(f"{checkout}: median loaded {medians['loaded']:.2f} s, analysed {medians['analysed']:.2f} s, "
              f"exit {medians['exit']:.2f} s")


if __name__ == "__main__":
    main()
