"""Time, peak memory and shots of generate_video.py's routes, and optionally of the official code on the same clip.

    python bench/bench_summary_video.py                         # a generated 60 s 640x360 30 fps clip
    python bench/bench_summary_video.py --video my.mp4 --weights weights/SumMe/split4.pt --routes fast
    TORCH_HOME=/tmp/th python -m cli.stand_in           # once, for the next line without ImageNet weights
    TORCH_HOME=/tmp/th python bench/bench_summary_video.py --size 320x240 --scenes 11 --routes full \\
        --reference /tmp/csta-ref --repeat 2

Every run is a process of its own, timed from start to exit (Python start-up and imports included)
with its own peak resident memory. Without --weights a randomly initialised CSTA checkpoint is
written and used by every program; without real ImageNet weights in the torch cache, pass
--random-backbone (the figures are then about speed, not summaries) or write the stand-in file.
With a generated clip, the shots each route finds are compared with the clip's known cuts.

--reference DIR runs the official implementation (a checkout of github.com/thswodnjs3/CSTA, kept
outside this repository) on the same clip, weights and ImageNet file, interleaved with ours
(--repeat rounds, the order alternating), and checks that the full route chose what it chose:
the same shots and the same frames. The official script is run unchanged, inside a small wrapper
that records its shots and its selection as it hands them on.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]


def run_reference_child(reference: Path, dump: Path, argv: list[str]) -> None:
    """Inside the child process: the official generate_video.py as ``python generate_video.py ARGV`` in
    its own folder, recording its shots and per-frame selection in ``dump``_shots.npy / _selection.npy."""
    sys.path[:] = [str(reference)] + [p for p in sys.path if Path(p or ".").resolve() not in (ROOT, ROOT / "bench")]
    os.chdir(reference)
    sys.argv = [str(reference / "generate_video.py"), *argv]
    import video_helper

    import generate_video as official  # its own modules (config, kts, models) shadow ours by name

    hand_over = official.pick_frames
    preprocess = video_helper.VideoPreprocessor.run

    def pick_frames(video_path, selections):  # noqa: ANN001, ANN202 - the official signature
        np.save(f"{dump}_selection.npy", np.asarray(selections))
        return hand_over(video_path, selections)

    def run(self, video_path):  # noqa: ANN001, ANN202
        result = preprocess(self, video_path)
        np.save(f"{dump}_shots.npy", np.asarray(result[2]))
        return result

    official.pick_frames = pick_frames
    video_helper.VideoPreprocessor.run = run
    official.main()


def timed(command: list[str], cwd: Path) -> tuple[float, float, float, str]:
    """Run ``command``; (wall seconds, CPU seconds (user + system), peak resident MiB of that process, its output)."""
    with tempfile.TemporaryFile("w+") as output:
        start = time.perf_counter()
        process = subprocess.Popen(command, cwd=cwd, stdout=output, stderr=subprocess.STDOUT, text=True)
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - start
        process.returncode = os.waitstatus_to_exitcode(status)
        output.seek(0)
        text = output.read()
    if process.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed ({process.returncode}):\n{text[-3000:]}")
    return seconds, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, text


def load() -> str:
    return f"{os.getloadavg()[0]:.1f}"


def boundaries(shots: np.ndarray) -> np.ndarray:
    return np.asarray(shots)[1:, 0].astype(int)


def our_record(record_path: Path) -> tuple[np.ndarray, np.ndarray, bool]:
    """(shots Sized [m, 2], the knapsack's choice per frame, whether a fallback replaced it) from our JSON."""
    record = json.loads(record_path.read_text())
    shots = np.array([[s["first_frame"], s["last_frame"]] for s in record["shots"]])
    chosen = np.zeros(record["n_frames"], dtype=np.int8)
    for shot in record["shots"]:
        if shot["chosen"]:
            chosen[shot["first_frame"]:shot["last_frame"] + 1] = 1
    return shots, chosen, bool(record["fallback"])


def compare(found: np.ndarray, reference: np.ndarray) -> str:
    if len(reference) == 0 or len(found) == 0:
        return f"{len(found)} boundaries vs {len(reference)}"
    distance = np.abs(reference[:, None] - found[None, :]).min(axis=1)
    return (f"{len(found)} boundaries vs {len(reference)}; of the latter, {np.mean(distance == 0):.0%} matched exactly, "
            f"{np.mean(distance <= 3):.0%} within 3 frames (max distance {distance.max()})")


def same_choice(ours: tuple[np.ndarray, np.ndarray, bool], reference_dump: Path) -> str:
    """Whether our full route chose the official code's shots and frames (ours may add a fallback where it chose none)."""
    shots, chosen, fallback = ours
    official_shots = np.load(f"{reference_dump}_shots.npy")
    official_selection = np.load(f"{reference_dump}_selection.npy")
    same_shots = shots.shape == official_shots.shape and np.array_equal(shots, official_shots)
    same_frames = len(chosen) == len(official_selection) and np.array_equal(chosen, official_selection)
    verdict = "IDENTICAL" if same_shots and same_frames else "DIFFERENT"
    note = " (the official code wrote an empty summary; ours kept a fallback stretch)" if fallback and not official_selection.any() else ""
    return (f"{verdict}: {len(shots)} shots vs the official {len(official_shots)} (same: {same_shots}); "
            f"{int(chosen.sum())} frames chosen vs {int(official_selection.sum())} (same: {same_frames}){note}")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--video", type=Path, help="video to summarise (default: generate a clip with known cuts)")
    parser.add_argument("--seconds", type=float, default=60.0, help="length of the generated clip (default 60)")
    parser.add_argument("--scenes", type=int, default=12, help="scenes (hard cuts + 1) in the generated clip (default 12)")
    parser.add_argument("--size", default="640x360", help="frame size of the generated clip, WIDTHxHEIGHT (default 640x360)")
    parser.add_argument("--weights", type=Path, help="CSTA weights (default: a random checkpoint written for the bench)")
    parser.add_argument("--routes", nargs="+", choices=["fast", "full"], default=["fast", "full"], help="segmentation routes to run")
    parser.add_argument("--device", default="cpu", help="torch device (default cpu)")
    parser.add_argument("--random-backbone", action="store_true", help="random GoogLeNet (when no ImageNet file is cached)")
    parser.add_argument("--reference", type=Path, help="a checkout of the official CSTA code: run its generate_video.py too")
    parser.add_argument("--repeat", type=int, default=1, help="rounds of runs, interleaved (default 1)")
    return parser.parse_args()


def main() -> None:
    if sys.argv[1:2] == ["--reference-child"]:
        run_reference_child(Path(sys.argv[2]), Path(sys.argv[3]), sys.argv[4:])
        return
    args = parse_args()
    if args.reference is not None:
        if args.random_backbone:
            raise SystemExit("--reference needs the ImageNet file both programs load (real or stand-in), not --random-backbone")
        if not (args.reference / "generate_video.py").is_file():
            raise SystemExit(f"--reference {args.reference}: no generate_video.py there (a checkout of thswodnjs3/CSTA is expected)")
    work = Path(tempfile.mkdtemp(prefix="bench_summary_video_"))
    cuts = None
    video = args.video
    if video is None:
        from video.synthetic import write_demo_video

        video = work / "clip.mp4"
        seconds = args.seconds / args.scenes
        width, height = (int(n) for n in args.size.lower().split("x"))
        cuts = np.array(write_demo_video(video, scenes=args.scenes, seconds_per_scene=seconds, fps=30.0, size=(width, height)))
        print(f"generated {video}: {args.seconds:.0f} s, {width}x{height}, 30 fps, {args.scenes} scenes, cuts at {cuts.tolist()}")
    weights = args.weights
    if weights is None:
        import torch

        from models.backbone import BackboneInit
        from models.csta import build_csta

        torch.manual_seed(0)
        weights = work / "random_csta.pt"
        torch.save(build_csta(BackboneInit.RANDOM).state_dict(), weights)
        print(f"using a randomly initialised CSTA checkpoint ({weights}): timings only, the summary itself is arbitrary")
    video, weights = video.resolve(), weights.resolve()

    programs = [f"ours {route}" for route in args.routes] + (["official"] if args.reference else [])
    found, times = {}, {name: [] for name in programs}
    for round_index in range(args.repeat):
        for name in programs if round_index % 2 == 0 else programs[::-1]:
            out = work / f"{name.replace(' ', '_')}_{round_index}"
            if name == "official":
                dump = out / "record"
                out.mkdir(parents=True)
                command = [sys.executable, str(Path(__file__).resolve()), "--reference-child", str(args.reference.resolve()), str(dump),
                           "--input_is_file", "true", "--file_path", str(video), "--weight_path", str(weights),
                           "--save_path", str(out), "--device", args.device]
                cwd = args.reference
            else:
                route = name.split()[1]
                command = [sys.executable, str(ROOT / "generate_video.py"), str(video), "--weights", str(weights), "--out", str(out),
                           "--segmentation", route, "--device", args.device, "--quiet"]
                command += ["--random-backbone"] if args.random_backbone else []
                cwd = ROOT
            before = load()
            seconds, cpu, peak, _ = timed(command, cwd)
            times[name].append(seconds)
            print(f"round {round_index + 1}, {name:9s}: {seconds:6.1f} s ({cpu:.0f} s of CPU), peak {peak:.0f} MiB "
                  f"(load average {before} -> {load()})", flush=True)
            if name == "official":
                found[name] = np.load(f"{dump}_shots.npy")
                official_dump = dump
            else:
                found[name] = our_record(out / f"{video.stem}.json")
    for name, values in times.items():
        print(f"{name:9s}: {', '.join(f'{v:.1f}' for v in values)} s (median {np.median(values):.1f} s)")
    if "official" in times:
        for name in programs[:-1]:
            ratios = [ours / official for ours, official in zip(times[name], times["official"], strict=True)]
            print(f"{name} / official, per round: {', '.join(f'{r:.2f}' for r in ratios)}")
        if "ours full" in found:
            print(f"ours full vs official: {same_choice(found['ours full'], official_dump)}")
    shots = {name: (value[0] if isinstance(value, tuple) else value) for name, value in found.items()}
    if cuts is not None:
        for name, value in shots.items():
            print(f"{name} vs the clip's cuts: {compare(boundaries(value), cuts)}")
    if "ours fast" in shots and "ours full" in shots:
        print(f"fast vs full: {compare(boundaries(shots['ours fast']), boundaries(shots['ours full']))}")


if __name__ == "__main__":
    main()
