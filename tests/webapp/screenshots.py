"""The README's pictures of the page (docs/page_summary.png, docs/page_predictions.png), taken in
headless chromium with Playwright on synthetic inputs (the demo's clip, random weights, the stand-in
GoogLeNet; a synthetic TVSum-like file with two made-up methods), so that they can be made again:

    python -m tests.webapp.screenshots [--out docs]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import tempfile
from dataclasses import replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=ROOT / "docs")
    out = parser.parse_args().out
    work = Path(tempfile.mkdtemp(prefix="page-shots-"))
    try:
        shoot(work, out)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def shoot(work: Path, out: Path) -> None:
    from playwright.sync_api import sync_playwright

    from config import DATASETS
    from dataset.h5 import read_eccv16
    from dataset.synthetic import TVSUM_LIKE, write_synthetic_benchmark
    from models.stand_in import write_stand_in_imagenet_weights
    from video.synthetic import write_demo_video
    from webapp.serve import start
    from webapp.settings import AppSettings

    os.environ["TORCH_HOME"] = str(work / "torch_home")
    write_stand_in_imagenet_weights()
    clip = work / "demo.mp4"
    write_demo_video(clip, scenes=10, seconds_per_scene=[3, 1.5, 2, 4, 1, 2.5, 3, 1.5, 2, 3.5])
    h5 = write_synthetic_benchmark(DATASETS["TVSum"], work / "data", replace(TVSUM_LIKE, n_videos=6))
    videos, _ = read_eccv16(h5)
    rng = np.random.default_rng(0)
    noisy, flat = work / "noisy_truth.json", work / "random.json"
    noisy.write_text(json.dumps({k: (v.gtscore + rng.normal(0, 0.15, v.n_steps)).tolist() for k, v in videos.items()}))
    flat.write_text(json.dumps({k: rng.random(v.n_steps).tolist() for k, v in videos.items()}))

    url, stop = start(AppSettings(device="cpu", work_root=work / "page"))
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=shutil.which("chromium"), headless=True, args=["--no-sandbox"])
            tab = browser.new_page(viewport={"width": 1280, "height": 900})
            tab.goto(url)
            tab.wait_for_function("document.querySelector('#stand-in-banner')?.innerText.includes('STAND-IN')")
            tab.set_input_files("#video-upload input[type=file]", str(clip))
            tab.wait_for_selector("#video-upload :text('KB')")
            tab.click("#summarise")
            tab.wait_for_function("/^(done|error)/.test(document.querySelector('#summary-status')?.innerText || '')", timeout=300_000)
            tab.wait_for_timeout(1500)
            tab.screenshot(path=str(out / "page_summary.png"), full_page=True)
            tab.click("button[role=tab]:has-text('Look inside predictions')")
            tab.fill("#data-path textarea, #data-path input", str(h5))
            tab.fill("#score-paths textarea", f"{noisy}\n{flat}")
            tab.click("#score")
            tab.wait_for_selector("#video-view img", timeout=120_000)
            tab.wait_for_timeout(1500)
            tab.screenshot(path=str(out / "page_predictions.png"), full_page=True)
            browser.close()
    finally:
        stop()


if __name__ == "__main__":
    main()
