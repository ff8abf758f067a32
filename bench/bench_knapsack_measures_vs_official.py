"""Our knapsack-aware measures (evaluation/knapsack_measures.py) against the authors' evaluate_knapsack_opt.

    git --git-dir=<mirror of Kwanseok-K/SummDiff> archive HEAD | tar -x -C /tmp/official/summdiff
    python bench/bench_knapsack_measures_vs_official.py [--official /tmp/official/summdiff] [--videos 60] [--seed 0]

The authors' module is imported in a child process (this script with --child), so nothing of theirs
enters the project; it needs numpy, scipy and torch only, all in the project's environment. Synthetic
videos, each given to both sides as the same arrays (step scores, step gtscore, change points,
picks; for theirs the shots ours counts as the ground-truth summary, marked whole frame by frame, so
that the two compute on one summary; for ours the VideoRecord):

- eccv16-like: a step every 15 frames and a random step-level gtsummary in the record;
- mrhisum-like: a step per frame and no gtsummary in the record (ours: GTSCORE_KNAPSACK, the way
  Mr.HiSum's gt_summary is made);
- arbitrary: a step per frame, shots marked at random, long shots included (a summary no knapsack chose);
- one-frame-shots: as eccv16-like with one-frame shots, where their slice (every frame of a shot but
  the last) drops a one-frame shot from the summary and ours keeps it: reported apart;
- long-shots-only: every shot longer than the budget: ours gives NaN WIR and IR, theirs raises.

Scores and gtscores are drawn from a few levels, so equal shot values (knapsack ties) are common.
Also compared: the shots their knapSack and ours pick, on tie-heavy instances.
Printed: per group, the largest absolute difference of each measure, and the seconds each side took.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from dataset.h5 import VideoRecord
from evaluation.knapsack import knapsack
from evaluation.knapsack_measures import MEASURES, shot_problem, video_knapsack_measures

DEFAULT_OFFICIAL = Path("/tmp/official/summdiff")
GROUPS = ("eccv16-like", "mrhisum-like", "arbitrary", "one-frame-shots", "long-shots-only")
LEVELS = np.array([0.0, 0.2, 0.25, 0.5, 0.75, 1.0], dtype=np.float32)  # few levels: many equal shot values
TIE_CASES = 300


def _child(job_path: str) -> None:
    """Runs the authors' evaluate_knapsack_opt and knapSack on the job's inputs; writes their outputs beside the job."""
    job = json.loads(Path(job_path).read_text())
    official = Path(job["official"]).resolve()  # their folder first on the path, this project's off it
    ours = {Path(__file__).resolve().parents[1], Path(__file__).resolve().parent}
    sys.path[:] = [str(official)] + [p for p in sys.path if p and Path(p).resolve() not in ours]
    from model.utils.evaluation_metrics import evaluate_knapsack_opt  # noqa: PLC0415
    from model.utils.knapsack_implementation import knapSack  # noqa: PLC0415

    videos, seconds = [], 0.0
    for video in job["videos"]:
        start = time.perf_counter()
        try:
            row = [float(value) for value in evaluate_knapsack_opt(
                np.array(video["score"], dtype=np.float32), np.array(video["gtscore"], dtype=np.float32),
                np.array(video["gt_frames"])[None, :], np.array(video["cps"]), np.array([video["n_frames"]]),
                list(video["nfps"]), np.array(video["picks"]))]
        except ZeroDivisionError as error:
            row = f"raised ZeroDivisionError: {error}"
        seconds += time.perf_counter() - start
        videos.append(row)
    picks = [knapSack(case["capacity"], case["weights"], case["values"], len(case["weights"])) for case in job["ties"]]
    Path(job_path).with_name("theirs.json").write_text(json.dumps({"videos": videos, "seconds": seconds, "ties": picks}))


def _shots(rng: np.random.Generator, n_frames: int, shortest: int) -> np.ndarray:
    """Change points [first, last] covering n_frames, shots of ``shortest`` to ~2x mean frames."""
    cuts, start = [], 0
    while start < n_frames:
        end = min(n_frames - 1, start + int(rng.integers(shortest, max(shortest + 1, n_frames // 6))) - 1)
        if n_frames - 1 - end < shortest:
            end = n_frames - 1
        cuts.append([start, end])
        start = end + 1
    return np.array(cuts, dtype=np.int64)


def _video(rng: np.random.Generator, group: str, index: int) -> VideoRecord:
    n_frames = int(rng.integers(60, 900))
    stride = 1 if group in ("mrhisum-like", "arbitrary") else 15
    if group == "long-shots-only":
        n_frames = int(rng.integers(60, 300))
        change_points = np.array([[0, n_frames // 2 - 1], [n_frames // 2, n_frames - 1]])  # each half > 15%
    else:
        change_points = _shots(rng, n_frames, 1 if group == "one-frame-shots" else 2)
        if group == "one-frame-shots":  # make sure several one-frame shots exist
            change_points = _split_some_into_single_frames(rng, change_points)
    picks = np.arange(0, n_frames, stride)
    gtscore = rng.choice(LEVELS, len(picks))
    gtsummary = None
    if group in ("eccv16-like", "one-frame-shots", "long-shots-only"):
        gtsummary = (rng.random(len(picks)) < 0.2).astype(np.uint8)
    return VideoRecord(f"video_{index}", np.zeros((len(picks), 1), np.float32), gtscore, picks, n_frames, change_points,
                       np.zeros((1, n_frames), np.uint8), gtsummary=gtsummary)


def _split_some_into_single_frames(rng: np.random.Generator, change_points: np.ndarray) -> np.ndarray:
    rows = []
    for first, last in change_points:
        if last > first and rng.random() < 0.4:
            rows += [[first, first], [first + 1, last]]
        else:
            rows.append([first, last])
    return np.array(rows, dtype=np.int64)


def _their_frames(video: VideoRecord, group: str, rng: np.random.Generator) -> tuple[VideoRecord, np.ndarray]:
    """The record ours scores and the frame-level summary theirs is given: the shots ours counts as the
    ground-truth summary, marked whole (arbitrary: random shots, written into the record first)."""
    if group == "arbitrary":  # a whole-shot summary that no knapsack chose, long shots included (a step per frame)
        marked = rng.random(len(video.change_points)) < 0.3
        frames = np.repeat(marked, video.change_points[:, 1] - video.change_points[:, 0] + 1).astype(np.uint8)
        video = replace(video, gtsummary=frames[video.picks])
    in_summary = shot_problem(np.zeros(video.n_steps, np.float32), video)[0].in_summary
    return video, np.repeat(in_summary, video.change_points[:, 1] - video.change_points[:, 0] + 1).astype(int)


def _tie_cases(rng: np.random.Generator) -> list[dict]:
    cases = []
    for _ in range(TIE_CASES):
        n = int(rng.integers(1, 12))
        weights = rng.integers(1, 6, n).tolist()
        values = [float(v) for v in rng.choice(np.array([0.0, 0.25, 0.5, 1.0, np.float32(1 / 3)]), n)]
        cases.append({"capacity": int(rng.integers(0, 15)), "weights": weights, "values": values})
    return cases


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--official", type=Path, default=DEFAULT_OFFICIAL,
                        help=f"a checkout of github.com/Kwanseok-K/SummDiff outside the project (default {DEFAULT_OFFICIAL})")
    parser.add_argument("--videos", type=int, default=60, help="synthetic videos per group (default 60)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the synthetic videos (default 0)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        _child(args.child)
        return
    if not (args.official / "model" / "utils" / "evaluation_metrics.py").is_file():
        raise SystemExit(f"--official {args.official}: no model/utils/evaluation_metrics.py there (a SummDiff checkout?)")
    rng = np.random.default_rng(args.seed)
    jobs, ours, ours_seconds = [], [], 0.0
    for group in GROUPS:
        for index in range(args.videos):
            video, frames = _their_frames(_video(rng, group, index), group, rng)
            scores = rng.choice(LEVELS, video.n_steps) if index % 2 else rng.random(video.n_steps).astype(np.float32)
            start = time.perf_counter()
            ours.append(video_knapsack_measures(scores, video))
            ours_seconds += time.perf_counter() - start
            lengths = (video.change_points[:, 1] - video.change_points[:, 0] + 1).tolist()
            jobs.append({"group": group, "score": scores.tolist(), "gtscore": video.gtscore.tolist(), "gt_frames": frames.tolist(),
                         "cps": video.change_points.tolist(), "n_frames": video.n_frames, "nfps": lengths, "picks": video.picks.tolist()})
    ties = _tie_cases(rng)
    with tempfile.TemporaryDirectory() as work:
        job_path = Path(work) / "job.json"
        job_path.write_text(json.dumps({"official": str(args.official), "videos": jobs, "ties": ties}))
        done = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--child", str(job_path)], check=False)
        if done.returncode:
            raise SystemExit(f"the authors' code failed (exit {done.returncode}); see its output above")
        theirs = json.loads(job_path.with_name("theirs.json").read_text())
    result = {"videos_per_group": args.videos, "seed": args.seed, "groups": {}}
    for group in GROUPS:
        pairs = [(o, t) for job, o, t in zip(jobs, ours, theirs["videos"], strict=True) if job["group"] == group]
        compared = [(o, t) for o, t in pairs if not isinstance(t, str)]
        row = {"videos": len(pairs), "theirs_raised": len(pairs) - len(compared)}
        for position, name in enumerate(MEASURES):
            gaps = [abs(getattr(o, name) - t[position]) for o, t in compared]
            row[f"max_abs_diff_{name}"] = max(gaps) if gaps else None
            row[f"videos_differing_{name}"] = int(sum(gap > 1e-9 for gap in gaps))
        row["ours_nan_wir_ir_where_theirs_raised"] = int(sum(np.isnan(o.wir) and np.isnan(o.ir) for o, t in pairs if isinstance(t, str)))
        result["groups"][group] = row
    same = sum(knapsack(c["capacity"], c["weights"], c["values"]) == picked for c, picked in zip(ties, theirs["ties"], strict=True))
    result["knapsack_tie_cases"] = {"cases": len(ties), "same_picks": same}
    result["seconds"] = {"ours": round(ours_seconds, 3), "theirs": round(theirs["seconds"], 3)}
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
