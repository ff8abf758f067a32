"""engine/inference.py: evaluating weights files split by split."""

import pytest
import torch

from config import DATASETS
from dataset import load_benchmark, read_splits
from engine.inference import evaluate_weights
from models.backbone import BackboneInit
from models.checkpoint import save_checkpoint
from models.csta import build_csta


@pytest.fixture
def split2_only(tmp_path):
    """Untrained CSTA weights for SumMe split 2 and none for split 1, with no training record."""
    torch.manual_seed(0)
    save_checkpoint(build_csta(BackboneInit.RANDOM).state_dict(), tmp_path / "SumMe" / "split2.pt")
    return tmp_path


def test_splits_without_weights_are_skipped_unless_all_are_required(tiny_data_dir, tiny_splits, split2_only):
    benchmark = load_benchmark(DATASETS["SumMe"], tiny_data_dir)
    splits = read_splits(tiny_splits["SumMe"])
    result = evaluate_weights(benchmark, splits, split2_only, torch.device("cpu"), require_all=False)
    assert [s.split for s in result.splits] == [2]
    only = result.splits[0]
    assert only.weights_path == split2_only / "SumMe" / "split2.pt"
    assert [v.key for v in only.videos] == list(splits[1].test_keys)
    assert set(only.scores) == set(splits[1].test_keys)
    assert only.record is None and only.backbone is None  # released-style weights: no record beside them
    assert result.mean == only.metrics
    with pytest.raises(FileNotFoundError, match="split1.pt"):
        evaluate_weights(benchmark, splits, split2_only, torch.device("cpu"), require_all=True)
