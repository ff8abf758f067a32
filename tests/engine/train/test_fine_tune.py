"""engine/train/fine_tune.py: --init weights checked before any epoch, loaded per split, named in the record."""

import hashlib

import pytest
import torch

from config import PGLSumConfig
from engine.train.fine_tune import check_init_weights, init_record, start_from_init
from engine.train.run_config import plan_for
from models.checkpoint import CheckpointMismatch, save_checkpoint
from models.method_choice import ModelChoice


def pgl_plan(init, **options):
    return plan_for(ModelChoice("PGL-SUM", PGLSumConfig(**options), frozenset()), init_weights=init)


def test_each_split_starts_from_its_file(tmp_path):
    plan = pgl_plan(str(tmp_path / "split{split}.pt"))
    saved = {}
    for split in (1, 2):
        torch.manual_seed(split)
        saved[split] = plan.spec.build(plan.model_config, None, "cpu").state_dict()
        save_checkpoint(saved[split], tmp_path / f"split{split}.pt")
    assert check_init_weights(plan, [1, 2, 1]) == [tmp_path / "split1.pt", tmp_path / "split2.pt"]
    model = plan.spec.build(plan.model_config, None, "cpu")
    start_from_init(model, plan, 2)
    assert all(torch.equal(value, saved[2][key]) for key, value in model.state_dict().items())
    digest = hashlib.sha256((tmp_path / "split2.pt").read_bytes()).hexdigest()
    assert init_record(plan, 2) == {"init_weights": str(tmp_path / "split2.pt"), "init_weights_sha256": digest}


def test_no_init_changes_nothing(tmp_path):
    plan = pgl_plan(None)
    model = plan.spec.build(plan.model_config, None, "cpu")
    before = {key: value.clone() for key, value in model.state_dict().items()}
    start_from_init(model, plan, 1)
    assert all(torch.equal(value, before[key]) for key, value in model.state_dict().items())
    assert check_init_weights(plan, [1]) == [] and init_record(plan, 1) == {"init_weights": None}


def test_a_missing_or_mismatched_file_is_refused(tmp_path):
    other = pgl_plan(None, hidden_dim=512)
    save_checkpoint(other.spec.build(other.model_config, None, "cpu").state_dict(), tmp_path / "other.pt")
    with pytest.raises(FileNotFoundError, match="missing.pt"):
        check_init_weights(pgl_plan(str(tmp_path / "missing.pt")), [1])
    with pytest.raises(CheckpointMismatch, match=r"other.pt does not fit the PGL-SUM model"):
        check_init_weights(pgl_plan(str(tmp_path / "other.pt")), [1])
