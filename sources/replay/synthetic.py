"""The SYNTHETIC generators Mr.HiSum's and MoSu's declarations name (cli/synthetic_data.py asks for them):
dataset/replay_synthetic.py's files in each data set's own layout and width."""

from __future__ import annotations

from pathlib import Path

from dataset.replay import ReplayFiles
from dataset.replay_synthetic import SyntheticReplayConfig, write_synthetic_replay


def write_synthetic_mrhisum(out: Path, cfg: SyntheticReplayConfig | None = None, layout: str = "mrhisum") -> Path:
    """Mr.HiSum in its authors' layout (mr_hisum.h5 + mr_hisum_split.json), or TripleSumm's re-release (``layout`` triplesumm);
    1024-d features unless ``cfg`` says otherwise."""
    cfg = cfg or SyntheticReplayConfig(dim=1024)
    files = ReplayFiles.mrhisum(out) if layout == "mrhisum" else ReplayFiles.triplesumm("Mr.HiSum", "mrhisum", "inceptionv3", out)
    return write_synthetic_replay(files, cfg)


def write_synthetic_mosu(out: Path, cfg: SyntheticReplayConfig | None = None, layout: str = "triplesumm") -> Path:
    """MoSu in TripleSumm's layout (mosu_gt.h5, mosu_feat_visual_clip.h5, mosu_split.json); 768-d as its CLIP features
    unless ``cfg`` says otherwise."""
    cfg = cfg or SyntheticReplayConfig(dim=768)
    if layout != "triplesumm":
        raise ValueError("MoSu has one layout, TripleSumm's")
    return write_synthetic_replay(ReplayFiles.triplesumm("MoSu", "mosu", "clip", out), cfg)
