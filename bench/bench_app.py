"""The web page (python app.py): how soon it is interactive once its address is printed, and a
summary through the page against generate_video.py on the same clip, side by side in one run.

    python bench/bench_app.py [--seconds 20] [--rounds 3] [--work DIR]

Everything is offline: a synthetic clip (video.synthetic, 640 x 360, 30 fps, with sound), random
CSTA weights and the stand-in GoogLeNet file (models/stand_in.py) in a TORCH_HOME of the bench's own.

1. Time to interactive: app.py is started as a user starts it; from the moment its address line is
   printed, (a) until the page's HTML and its configuration answer over HTTP, and (b) where
   Playwright and a chromium binary are installed, until a real headless browser (started before)
   shows the Summarise button enabled.
2. Summary: the same options, through the page (gradio's client, a typed path, until the outputs
   are back) and generate_video.py run as the page shows it (a process, in a folder of its own),
   rounds interleaved with the order swapped each round; the outputs compared byte for byte. Wall
   times and CPU seconds (the page's: its own process and the generate_video.py it ran, from
   /proc, and its own process alone; the command's: the child's), the latter less moved by other
   jobs on a shared machine; the load average before and after, to say how shared it was.
"""

from __future__ import annotations

import argparse
import os
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CACHED = "the ImageNet GoogLeNet file in the torch hub cache"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=20.0, help="length of the clip (default 20 s)")
    parser.add_argument("--rounds", type=int, default=3, help="summaries of each kind (default 3)")
    parser.add_argument("--work", type=Path, help="working folder (default: a temporary one, removed)")
    return parser.parse_args()


def prepare(work: Path, seconds: float) -> tuple[Path, Path, Path]:
    """The clip, the weights and the TORCH_HOME holding the stand-in GoogLeNet file."""
    import torch

    from models.backbone import BackboneInit
    from models.csta import build_csta
    from models.stand_in import write_stand_in_imagenet_weights
    from video.synthetic import write_demo_video

    home = work / "torch_home"
    os.environ["TORCH_HOME"] = str(home)
    write_stand_in_imagenet_weights()
    scenes = max(int(seconds // 2), 1)
    clip = work / "clip.mp4"
    write_demo_video(clip, scenes=scenes, seconds_per_scene=seconds / scenes, fps=30.0, size=(640, 360), seed=3)
    torch.manual_seed(0)
    weights = work / "csta.pt"
    torch.save(build_csta(BackboneInit.RANDOM).state_dict(), weights)
    return clip, weights, home


def browser():
    """A started headless chromium (Playwright), or None where either is missing."""
    chromium = os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return None, None
    if chromium is None:
        return None, None
    playwright = sync_playwright().start()
    return playwright, playwright.chromium.launch(executable_path=chromium, headless=True, args=["--no-sandbox"])


def cpu_seconds(pid: int, children: bool = True) -> float:
    """CPU seconds of a process and of the children it has waited for (/proc/<pid>/stat: utime, stime, cutime, cstime);
    ``children=False``: of the process alone (the page's own work: gradio, the job's reader and wait)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return sum(int(value) for value in fields[11:15 if children else 13]) / os.sysconf("SC_CLK_TCK")


def own_children_cpu() -> float:
    import resource

    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status == 200
    except OSError:
        return False


def start_page(home: Path) -> tuple[subprocess.Popen, str, float, float]:
    """app.py started; its address, seconds until the address was printed, and the moment it was."""
    started = time.perf_counter()
    process = subprocess.Popen([sys.executable, str(ROOT / "app.py"), "--device", "cpu"], cwd=ROOT, stdout=subprocess.PIPE,
                               text=True, env={**os.environ, "TORCH_HOME": str(home)})
    assert process.stdout is not None
    line = process.stdout.readline()
    printed = time.perf_counter()
    if not line.startswith("page: "):
        raise SystemExit(f"app.py said {line!r}")
    return process, line.split()[1], printed - started, printed


def main() -> None:
    args = parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="bench-app-"))
    work.mkdir(parents=True, exist_ok=True)
    clip, weights, home = prepare(work, args.seconds)
    playwright, chromium = browser()
    tab = chromium.new_page() if chromium is not None else None
    process, url, startup, printed = start_page(home)
    try:
        while not (answers(url) and answers(url + "config")):
            time.sleep(0.02)
        http = time.perf_counter() - printed
        shown = None
        if tab is not None:
            tab.goto(url)
            tab.wait_for_selector("#summarise:enabled", timeout=60_000)
            shown = time.perf_counter() - printed
        print(f"app.py: address printed {startup:.2f} s after start; then HTML and config answered in {http:.2f} s; "
              + (f"Summarise button shown in chromium in {shown:.2f} s" if shown is not None else "no browser (Playwright or chromium missing)"))

        from gradio_client import Client

        client = Client(url, verbose=False)
        options = (None, str(clip), str(weights), None, CACHED, "percent of the video", 15, "fast", "cpu")
        page_times, command_times, page_cpu, command_cpu, page_own_cpu = [], [], [], [], []
        load_before = os.getloadavg()[0]
        for round_ in range(args.rounds):
            for kind in (("page", "command") if round_ % 2 == 0 else ("command", "page")):
                begun = time.perf_counter()
                cpu_before = cpu_seconds(process.pid) if kind == "page" else own_children_cpu()
                own_before = cpu_seconds(process.pid, children=False)
                if kind == "page":
                    result = client.predict(*options, api_name="/summarise")
                    page_times.append(time.perf_counter() - begun)
                    page_cpu.append(cpu_seconds(process.pid) - cpu_before)  # the page's process and its generate_video.py
                    page_own_cpu.append(cpu_seconds(process.pid, children=False) - own_before)
                    if not result[0].startswith("**done**"):
                        raise SystemExit(f"the page said: {result[0]}")
                    page_outputs, said = result[3], result[6]
                else:
                    folder = work / f"command{round_}"
                    folder.mkdir()
                    argv = shlex.split(said) if page_times else None
                    if argv is None:  # the first round's command comes before the page's: the page's command, as it shows it
                        argv = ["python", "generate_video.py", str(clip), "--weights", str(weights), "--out", "summary",
                                "--segmentation", "fast", "--ratio", "0.15", "--device", "cpu"]
                    done = subprocess.run([sys.executable, str(ROOT / "generate_video.py"), *argv[2:]], cwd=folder,
                                          capture_output=True, text=True, env={**os.environ, "TORCH_HOME": str(home)})
                    command_times.append(time.perf_counter() - begun)
                    command_cpu.append(own_children_cpu() - cpu_before)
                    if done.returncode:
                        raise SystemExit(done.stderr)
                times, cpu = (page_times, page_cpu) if kind == "page" else (command_times, command_cpu)
                print(f"  round {round_ + 1} {kind}: {times[-1]:.2f} s wall, {cpu[-1]:.2f} s CPU", flush=True)
        same = all(Path(p).read_bytes() == (work / "command0" / "summary" / Path(p).name).read_bytes() for p in page_outputs)
        page_median, command_median = statistics.median(page_times), statistics.median(command_times)
        print(f"summary of a {args.seconds:g} s clip: page {page_median:.2f} s, generate_video.py {command_median:.2f} s "
              f"(medians of {args.rounds}); page / command = {page_median / command_median:.3f}; "
              f"outputs byte for byte the same: {same}")
        page_cpu_median, command_cpu_median = statistics.median(page_cpu), statistics.median(command_cpu)
        print(f"CPU seconds: page {page_cpu_median:.2f} (its process and generate_video.py), generate_video.py {command_cpu_median:.2f}; "
              f"page / command = {page_cpu_median / command_cpu_median:.3f}; the page's own process alone "
              f"{statistics.median(page_own_cpu):.2f}")
        print(f"load average (1 min) before the summaries {load_before:.2f}, after {os.getloadavg()[0]:.2f}")
        print(f"command: {said}")
    finally:
        process.terminate()
        process.wait(30)
        if chromium is not None:
            chromium.close()
            playwright.stop()
        if args.work is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
