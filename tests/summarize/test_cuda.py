"""generate_video on CUDA gives the CPU's summary; skipped on machines without a GPU (CI has none)."""

import json

import numpy as np
import pytest
import torch

import generate_video
from models.backbone import BackboneInit
from models.csta import build_csta
from video.reader import count_frames
from video.synthetic import write_demo_video

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device")


@pytest.mark.parametrize("route", ["fast", "full"])
def test_cuda_summary_matches_cpu(route, tmp_path):
    torch.manual_seed(0)
    weights = tmp_path / "csta.pt"
    torch.save(build_csta(BackboneInit.RANDOM).state_dict(), weights)
    clip = tmp_path / "clip.mp4"
    write_demo_video(clip, scenes=4, seconds_per_scene=2.0, fps=30.0, size=(160, 96), seed=3)
    records = {}
    for device in ("cpu", "cuda"):
        out = tmp_path / device
        argv = [str(clip), "--weights", str(weights), "--out", str(out), "--random-backbone",
                "--segmentation", route, "--device", device, "--quiet"]
        assert generate_video.main(generate_video.parse_args(argv)) == 0
        records[device] = json.loads((out / "clip.json").read_text())
        assert count_frames(out / "clip.mp4") == records[device]["summary_frames"]
    cpu, gpu = records["cpu"], records["cuda"]
    assert [(s["first_frame"], s["last_frame"]) for s in gpu["shots"]] == [(s["first_frame"], s["last_frame"]) for s in cpu["shots"]]
    np.testing.assert_allclose([s["score"] for s in gpu["shots"]], [s["score"] for s in cpu["shots"]], atol=1e-3)
    assert gpu["chosen_shots"] == cpu["chosen_shots"]
    assert gpu["summary_frames"] == cpu["summary_frames"]
