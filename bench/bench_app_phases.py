"""Where a summary through the web page spends the time that generate_video.py does not: the page started
in this process with timestamps around its job, and gradio's client beside it.

    python bench/bench_app_phases.py [--seconds 20] [--rounds 4]
    PYTHONPATH=DIR python DIR/bench/bench_app_phases.py     # the page of another copy of the project, e.g. an older commit

For each round: from the client's call to the command's start, the command's run (until its stderr
closes), and from its end to the outputs being back in the client, with the number of files the client
fetched. Wall times of the whole summary swing with the load of a shared machine; these two gaps
hardly do, so they say what the page adds. Run from another copy of the project (an older commit unpacked
there, first on PYTHONPATH) it times that copy's page with the same clip and client, for a before / after.
"""

from __future__ import annotations

import argparse
import functools
import os
import statistics
import tempfile
import threading
import time
from pathlib import Path


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=20.0, help="length of the clip (default 20 s)")
    parser.add_argument("--rounds", type=int, default=4, help="summaries through the page (default 4)")
    return parser.parse_args(argv)


class Marks:
    """Named moments of one summary, from any thread."""

    def __init__(self) -> None:
        self.at: dict[str, float] = {}
        self.downloads = 0
        self._lock = threading.Lock()

    def __call__(self, name: str) -> None:
        with self._lock:
            self.at.setdefault(name, time.perf_counter())


def instrument(marks: Marks) -> None:
    """Timestamps at the job's start and end, and the client's downloads counted (wrappers, same behaviour)."""
    import gradio_client.client as gradio_client

    from webapp import summary_job

    def wrap(owner: type, name: str, before: str | None, after: str | None) -> None:
        original = getattr(owner, name)

        @functools.wraps(original)
        def timed(*args, **kwargs):
            if before:
                marks(before)
            result = original(*args, **kwargs)
            if after:
                marks(after)
            return result

        setattr(owner, name, timed)

    wrap(summary_job.SummaryJob, "__init__", None, "command started")
    wrap(summary_job.SummaryJob, "_read", None, "command ended")  # its stderr closed
    original_download = gradio_client.Endpoint._download_file

    def download(self, x):
        marks.downloads += 1
        return original_download(self, x)

    gradio_client.Endpoint._download_file = download


def main(args: argparse.Namespace) -> None:
    from bench_app import CACHED, prepare  # noqa: PLC0415 - beside this script

    import webapp  # noqa: PLC0415 - the copy of the project this run times (PYTHONPATH)

    code = Path(webapp.__file__).resolve().parents[1]

    work = Path(tempfile.mkdtemp(prefix="bench-app-phases-"))
    clip, weights, home = prepare(work, args.seconds)
    os.environ["TORCH_HOME"] = str(home)
    from webapp.serve import start
    from webapp.settings import AppSettings

    url, stop = start(AppSettings(device="cpu", work_root=work / "page"))  # sets gradio's folders before importing it
    marks = Marks()
    instrument(marks)
    from gradio_client import Client

    rows = []
    try:
        client = Client(url, verbose=False)
        options = (None, str(clip), str(weights), None, CACHED, "percent of the video", 15, "fast", "cpu")
        for round_ in range(args.rounds):
            marks.at.clear()
            marks.downloads = 0
            begun = time.perf_counter()
            result = client.predict(*options, api_name="/summarise")
            back = time.perf_counter()
            if not result[0].startswith("**done**"):
                raise SystemExit(f"the page said: {result[0]}")
            started, ended = marks.at["command started"], marks.at["command ended"]
            rows.append((started - begun, ended - started, back - ended, marks.downloads))
            print(f"  round {round_ + 1}: call -> command started {rows[-1][0]:.3f} s, command ran {rows[-1][1]:.2f} s, "
                  f"command ended -> outputs in the client {rows[-1][2]:.3f} s ({marks.downloads} files fetched)", flush=True)
    finally:
        stop()
    print(f"page of {code}: call -> command started {statistics.median(r[0] for r in rows):.3f} s, "
          f"command ended -> outputs in the client {statistics.median(r[2] for r in rows):.3f} s "
          f"(medians of {len(rows)}; command {statistics.median(r[1] for r in rows):.2f} s); "
          f"load average (1 min) at the end {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main(parse_args())
