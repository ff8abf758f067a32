"""Our Mr.HiSum and TripleSumm protocols (evaluation.replay_metrics) against their authors' code on the same scores.

    PYTHONPATH=$PWD python bench/bench_replay_protocols_vs_official.py --mrhisum /tmp/official/MR.HiSum \
        --triplesumm /tmp/official/TripleSumm --python /tmp/sk-venv/bin/python [--videos 2000] [--seed 0]

--mrhisum and --triplesumm are checkouts of github.com/MRHiSum/MR.HiSum and github.com/smkim37/TripleSumm
kept outside this project. Their metric functions run in a child process (``--python``: an interpreter with
torch, scikit-learn and scipy; scikit-learn is not a dependency of this project) whose import path holds
their folder and not this project. The child calls them as their solvers do, one video at a time:
Mr.HiSum's generate_summary + evaluate_summary (F1) and generate_mrhisum_seg_scores + top50/top15_summary
+ softmax + average_precision_score (mAP); TripleSumm's evaluate_summary and evaluate_highlight, per video
(batches of one) and in their batches of 64 padded videos, as their Solver.evaluate averages them.

The synthetic set (seeded): lengths mostly 60 to 600 rows, one video in ten of 1 to 40 rows; ground
truth alternately a Most-replayed-like curve (100 heat bins stretched over the video, as their
preprocess aligns them: piecewise constant, so equal clip scores are common) and a continuous random
one; predictions uniform random float32, every third video rounded to one decimal (tied clips); KTS-like
shots of 1 to 15 rows (one-row shots included; ours get inclusive [start, end] rows, theirs [start, next
start] as their h5 holds them); gt_summary a 15% knapsack of the ground truth. A second,
small set has constant predictions (TripleSumm's tau and rho are NaN there) and short videos.

Printed: per protocol and metric, the largest |ours - theirs| over videos and how many videos are equal;
for Mr.HiSum, how many videos' positive clips differ (their torch.argsort orders equal ground-truth
clips in no defined way; ours takes the earlier clip); then, on the main set, how far TripleSumm's
batch averaging (64, and 32 as in their Mr.HiSum config) moves each number from the mean over videos, in
the set's order and over 200 random orders (ours only: our batch means equal theirs, printed above).
"""

from __future__ import annotations

import argparse
import json
import math
import subprocess
import sys
import tempfile
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SHUFFLES = 200  # random orders of the main set for the spread of the batch-averaging shift


# ---------------------------------------------------------------- the child: their code only


def _child_mrhisum(videos: list[dict]) -> list[dict]:
    import torch  # noqa: PLC0415
    from model.utils.evaluate_map import generate_mrhisum_seg_scores, top15_summary, top50_summary  # noqa: PLC0415
    from model.utils.evaluation_metrics import evaluate_summary  # noqa: PLC0415
    from model.utils.generate_summary import generate_summary  # noqa: PLC0415
    from sklearn.metrics import average_precision_score  # noqa: PLC0415

    out = []
    for video in videos:
        score = torch.tensor(video["pred"], dtype=torch.float32).reshape(-1)  # their score.squeeze() (a 0-d tensor at 1 row)
        gtscore = torch.tensor(video["gtscore"], dtype=torch.float32)
        rows = len(video["pred"])
        cps = np.asarray(video["change_points"], dtype=np.int64) + [0, 1]  # their h5's shots: [start, next shot's start]
        nfps = [int(end - start) for start, end in cps]  # their loader's n_frame_per_seg
        summary = generate_summary(score, cps, np.array([rows]), nfps, np.arange(rows))
        f1, _, _ = evaluate_summary(summary, np.asarray(video["gt_summary"], dtype=np.float32)[None], eval_method="avg")
        gt_clips = generate_mrhisum_seg_scores(gtscore, uniform_clip=5)
        top50, top15 = top50_summary(gt_clips), top15_summary(gt_clips)
        clips = generate_mrhisum_seg_scores(score, uniform_clip=5)
        ranked = (torch.exp(clips) / (torch.exp(clips).sum() + 1e-7)).numpy()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # no positive clip: scikit-learn warns and returns 0
            ap50 = average_precision_score(top50, ranked)
            ap15 = average_precision_score(top15, ranked)
        out.append({"f1": float(f1), "map50": 100 * float(ap50), "map15": 100 * float(ap15),
                    "top50": list(top50), "top15": list(top15), "ranked": ranked.tolist()})
    return out


def _child_triplesumm(videos: list[dict], batch: int) -> dict:
    from utils.compute_metrics import evaluate_highlight, evaluate_summary  # noqa: PLC0415

    def scored(group: list[dict]) -> tuple[float, float, float, float]:
        longest = max(len(video["pred"]) for video in group)
        pred = [list(video["pred"]) + [0.37] * (longest - len(video["pred"])) for video in group]  # padded rows: any output
        gt = [list(video["gtscore"]) + [0.0] * (longest - len(video["gtscore"])) for video in group]
        mask = np.array([[row < len(video["pred"]) for row in range(longest)] for video in group])
        tau, rho = evaluate_summary(pred, gt, mask)
        map50, map15 = evaluate_highlight(pred, gt, mask)
        return float(tau), float(rho), float(map50), float(map15)

    names = ("tau", "rho", "map50", "map15")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # constant input: scipy warns, the value is NaN
        per_video = [dict(zip(names, scored([video]), strict=True)) for video in videos]
        batches = [scored(videos[start:start + batch]) for start in range(0, len(videos), batch)]
    return {"per_video": per_video, "batched": {name: float(np.mean([row[i] for row in batches])) for i, name in enumerate(names)}}


def run_child(job_path: str) -> None:
    """Inside the child: their folder first on the path, this project off it."""
    job = json.loads(Path(job_path).read_text())
    official = Path(job["official"]).resolve()
    ours = {ROOT, ROOT / "bench"}
    sys.path[:] = [str(official)] + [p for p in sys.path if p and Path(p).resolve() not in ours]
    import sklearn  # noqa: PLC0415

    videos = json.loads(Path(job["inputs"]).read_text())
    result = {"sklearn": sklearn.__version__, "numpy": np.__version__}
    for name, group in videos.items():
        result[name] = _child_mrhisum(group) if job["repo"] == "mrhisum" else _child_triplesumm(group, job["batch"])
        if job["repo"] == "triplesumm" and name == "main":
            result["main_batch32"] = _child_triplesumm(group, 32)["batched"]
    Path(job["out"]).write_text(json.dumps(result))


# ---------------------------------------------------------------- the parent: this project


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mrhisum", type=Path, required=True, help="checkout of github.com/MRHiSum/MR.HiSum")
    parser.add_argument("--triplesumm", type=Path, required=True, help="checkout of github.com/smkim37/TripleSumm")
    parser.add_argument("--python", type=Path, default=Path(sys.executable),
                        help="interpreter for their code, with torch, scikit-learn and scipy (default: this one)")
    parser.add_argument("--videos", type=int, default=2000, help="videos in the main synthetic set (default 2000)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the synthetic set (default 0)")
    args = parser.parse_args(argv)
    if not (args.mrhisum / "model" / "utils" / "evaluate_map.py").is_file():
        parser.error(f"--mrhisum {args.mrhisum}: not a checkout of MR.HiSum (model/utils/evaluate_map.py is needed)")
    if not (args.triplesumm / "utils" / "compute_metrics.py").is_file():
        parser.error(f"--triplesumm {args.triplesumm}: not a checkout of TripleSumm (utils/compute_metrics.py is needed)")
    if args.videos < 1:
        parser.error(f"--videos must be at least 1, got {args.videos}")
    return args


def _most_replayed_curve(rng: np.random.Generator, rows: int) -> np.ndarray:
    """100 heat bins, max 1, each row taking the bin its second falls in (their preprocess's alignment)."""
    heat = np.convolve(rng.random(104), np.ones(5) / 5, mode="valid")
    heat = np.round(heat / heat.max(), 3)
    bins = np.minimum(np.floor(np.arange(rows) * 100 / rows).astype(int), 99)
    return heat[bins].astype(np.float32)


def _shots(rng: np.random.Generator, rows: int) -> np.ndarray:
    bounds, start = [], 0
    while start < rows:
        end = min(rows, start + int(rng.integers(1, 16))) - 1
        bounds.append([start, end])
        start = end + 1
    return np.array(bounds, dtype=np.int64)


def _video(rng: np.random.Generator, index: int, rows: int, constant: bool = False) -> dict:
    from evaluation.knapsack import knapsack  # noqa: PLC0415

    gtscore = _most_replayed_curve(rng, rows) if index % 2 == 0 else rng.random(rows).astype(np.float32)
    pred = np.full(rows, 0.5, dtype=np.float32) if constant else rng.random(rows).astype(np.float32)
    rounded = index % 3 == 0 or constant
    if rounded:
        pred = np.round(pred, 1)
    cps = _shots(rng, rows)
    lengths = cps[:, 1] - cps[:, 0] + 1
    chosen = knapsack(int(rows * 0.15), lengths, [float(gtscore[s:e + 1].mean()) for s, e in cps])
    gt_summary = np.zeros(rows, dtype=np.int64)
    for shot in chosen:
        gt_summary[cps[shot, 0]:cps[shot, 1] + 1] = 1
    return {"pred": pred.tolist(), "gtscore": gtscore.tolist(), "change_points": cps.tolist(), "gt_summary": gt_summary.tolist(),
            "rounded": bool(rounded)}


def make_sets(videos: int, seed: int) -> dict[str, list[dict]]:
    """The main set holds no video whose tau or rho is undefined (1 row, constant rows): one NaN would make
    TripleSumm's batch means NaN and hide the batch-averaging figure. Those are in the edge set."""
    from evaluation.replay_metrics import ReplayProtocol  # noqa: PLC0415

    rng = np.random.default_rng(seed)
    main = []
    while len(main) < videos:
        rows = int(rng.integers(1, 41)) if rng.random() < 0.1 else int(rng.integers(60, 601))
        video = _video(rng, len(main), rows)
        if all(np.isfinite(value) for value in ours(ReplayProtocol.TRIPLESUMM, [video])[0].values()):
            main.append(video)
    edge = [_video(rng, i, rows, constant=i % 2 == 0) for i, rows in enumerate([1, 2, 5, 6, 7, 10, 11, 20, 30, 31, 65, 66, 100, 101] * 2)]
    return {"main": main, "edge": edge}


def ours(protocol, group: list[dict]) -> list[dict]:  # noqa: ANN001
    from evaluation.replay_metrics import video_metrics  # noqa: PLC0415

    return [video_metrics(protocol, np.array(v["pred"], dtype=np.float32), np.array(v["gtscore"], dtype=np.float32),
                          np.array(v["gt_summary"]), np.array(v["change_points"])) for v in group]


def compare(title: str, mine: list[dict], theirs: list[dict], names: tuple[str, ...], tied: np.ndarray) -> None:
    """tied: per video, whether its predictions were rounded (clip means that tie in exact arithmetic)."""
    print(f"\n{title} ({len(mine)} videos, {int(tied.sum())} with rounded predictions): largest |ours - theirs|, videos "
          "bit-equal, NaN on one side only, videos that differ with continuous predictions")
    for name in names:
        a = np.array([row[name] for row in mine])
        b = np.array([row[name] for row in theirs])
        both_nan = np.isnan(a) & np.isnan(b)
        one_nan = int(np.count_nonzero(np.isnan(a) ^ np.isnan(b)))
        gap = np.where(both_nan, 0.0, np.abs(a - b))
        equal = int(np.count_nonzero((a == b) | both_nan))
        worst = float(np.nanmax(gap)) if gap.size else 0.0
        continuous = int(np.count_nonzero((gap > 0) & ~tied))
        print(f"  {name:6s} max diff {worst:.3g}   equal {equal}/{len(a)}   NaN one side {one_nan}   (NaN both {int(both_nan.sum())})   "
              f"differ with continuous predictions {continuous}   mean over videos: ours {np.mean(a):.6f}, theirs {np.mean(b):.6f}")


def mrhisum_ties(group: list[dict], theirs: list[dict]) -> None:
    """Where their positive clips differ from ours, and what our AP is with their positives."""
    from evaluation.replay_metrics import _mrhisum_clip_means, _top_clips_stable, average_precision  # noqa: PLC0415

    for key, share in (("top50", None), ("top15", 0.15)):
        differ, gaps_theirs_pos = 0, []
        for video, their in zip(group, theirs, strict=True):
            clips = _mrhisum_clip_means(np.array(video["gtscore"], dtype=np.float32))
            count = len(clips) // 2 if share is None else int(len(clips) * share)
            mine = _top_clips_stable(clips, count)
            if list(mine) != their[key]:
                differ += 1
                gaps_theirs_pos.append(abs(100 * average_precision(np.array(their[key]), np.array(their["ranked"], dtype=np.float32))
                                           - their["map" + key[3:]]))
        worst = max(gaps_theirs_pos) if gaps_theirs_pos else 0.0
        print(f"  {key}: positive clips differ in {differ} videos (equal ground-truth clips at the cut, ordered otherwise by "
              f"torch.argsort); with their positives and their softmax our AP differs by at most {worst:.3g} there")


def batch_effect(mine: list[dict], theirs_batched: dict, theirs_batched32: dict) -> None:
    from evaluation.replay_metrics import batch_of_64_means, mean_over_videos  # noqa: PLC0415

    mean = mean_over_videos(mine)
    b64, b32 = batch_of_64_means(mine), batch_of_64_means(mine, batch=32)
    print(f"\nTripleSumm's batch averaging on the main set ({len(mine)} videos, in order): mean over videos -> mean of batch means")
    for name in mean:
        print(f"  {name:6s} mean {mean[name]:.6f}   batches of 64 {b64[name]:.6f} ({b64[name] - mean[name]:+.3g}; theirs "
              f"{theirs_batched[name]:.6f}, {theirs_batched[name] - b64[name]:+.2g} from ours)   batches of 32 {b32[name]:.6f} "
              f"({b32[name] - mean[name]:+.3g}; theirs {theirs_batched32[name] - b32[name]:+.2g} from ours)")
    rng = np.random.default_rng(1)
    shifts = {name: [] for name in mean}
    for _ in range(SHUFFLES):
        order = [mine[i] for i in rng.permutation(len(mine))]
        for name, value in batch_of_64_means(order).items():
            shifts[name].append(value - mean[name])
    print(f"  the same videos in {SHUFFLES} random orders, batches of 64: shift of each number from the mean over videos")
    for name, values in shifts.items():
        values = np.abs(values)
        print(f"  {name:6s} median |shift| {np.median(values):.3g}   95th percentile {np.percentile(values, 95):.3g}   largest {values.max():.3g}")


def main(args: argparse.Namespace) -> None:
    from evaluation.replay_metrics import TRIPLESUMM_BATCH, ReplayProtocol  # noqa: PLC0415

    sets = make_sets(args.videos, args.seed)
    results = {}
    with tempfile.TemporaryDirectory() as work:
        inputs = Path(work) / "inputs.json"
        inputs.write_text(json.dumps(sets))
        for repo, folder in (("mrhisum", args.mrhisum), ("triplesumm", args.triplesumm)):
            job = Path(work) / f"{repo}.job.json"
            out = Path(work) / f"{repo}.out.json"
            job.write_text(json.dumps({"repo": repo, "official": str(folder.resolve()), "inputs": str(inputs), "out": str(out),
                                       "batch": TRIPLESUMM_BATCH}))
            done = subprocess.run([str(args.python), str(Path(__file__).resolve()), "--child", str(job)], cwd=work,
                                  capture_output=True, text=True, check=False)
            if done.returncode:
                sys.exit(f"their {repo} code failed (exit {done.returncode}):\n{done.stderr[-4000:]}")
            results[repo] = json.loads(out.read_text())
    print(f"their side: scikit-learn {results['mrhisum']['sklearn']}, numpy {results['mrhisum']['numpy']}; "
          f"ours: numpy {np.__version__}")
    for name, group in sets.items():
        tied = np.array([video["rounded"] for video in group])
        compare(f"Mr.HiSum protocol, {name} set", ours(ReplayProtocol.MRHISUM, group), results["mrhisum"][name],
                ReplayProtocol.MRHISUM.metrics, tied)
        mrhisum_ties(group, results["mrhisum"][name])
        compare(f"TripleSumm protocol, {name} set", ours(ReplayProtocol.TRIPLESUMM, group), results["triplesumm"][name]["per_video"],
                ReplayProtocol.TRIPLESUMM.metrics, tied)
    batch_effect(ours(ReplayProtocol.TRIPLESUMM, sets["main"]), results["triplesumm"]["main"]["batched"], results["triplesumm"]["main_batch32"])
    lengths = [len(video["pred"]) for video in sets["main"]]
    print(f"\nmain set: {len(lengths)} videos of {min(lengths)} to {max(lengths)} rows (median {int(np.median(lengths))}); "
          f"{math.fsum(lengths) / len(lengths):.0f} rows on average")


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--child":
        run_child(sys.argv[2])
    else:
        main(parse_args())
