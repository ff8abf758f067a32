import pytest
import torch

from models.backbone import BackboneInit
from models.checkpoint import CheckpointMismatch, load_checkpoint, save_checkpoint
from models.csta import build_csta


@pytest.fixture(scope="module")
def trained_like():
    torch.manual_seed(3)
    net = build_csta(BackboneInit.RANDOM)
    with torch.no_grad():
        for parameter in net.parameters():
            parameter.add_(0.01 * torch.randn_like(parameter))
    return net.eval()


def test_round_trip_gives_identical_scores(tmp_path, trained_like):
    path = tmp_path / "weights" / "SumMe" / "split1.pt"
    save_checkpoint(trained_like.state_dict(), path)
    loaded = build_csta(BackboneInit.RANDOM).eval()
    load_checkpoint(loaded, path)
    features = torch.rand(50, 1024)
    with torch.no_grad():
        assert torch.equal(loaded(features), trained_like(features))
    # the file is a plain state_dict, as the released weights are
    raw = torch.load(path, weights_only=True)
    assert set(raw) == set(trained_like.state_dict())


def test_accepts_data_parallel_prefix_and_wrapper(tmp_path, trained_like):
    path = tmp_path / "wrapped.pt"
    torch.save({"state_dict": {f"module.{k}": v for k, v in trained_like.state_dict().items()}}, path)
    load_checkpoint(build_csta(BackboneInit.RANDOM), path)


def test_mismatch_lists_missing_unexpected_and_shapes(tmp_path, trained_like):
    state = dict(trained_like.state_dict())
    del state["CLS"]
    state["extra.weight"] = torch.zeros(2)
    state["key_embedding.bias"] = torch.zeros(7)
    path = tmp_path / "bad.pt"
    torch.save(state, path)
    with pytest.raises(CheckpointMismatch) as error:
        load_checkpoint(build_csta(BackboneInit.RANDOM), path)
    message = str(error.value)
    assert str(path) in message
    assert "missing keys (1): CLS" in message
    assert "unexpected keys (1): extra.weight" in message
    assert "key_embedding.bias: file (7,), model (1024,)" in message


def test_missing_and_unreadable_files(tmp_path):
    model = build_csta(BackboneInit.RANDOM)
    with pytest.raises(FileNotFoundError, match="nothere.pt"):
        load_checkpoint(model, tmp_path / "nothere.pt")
    garbage = tmp_path / "garbage.pt"
    garbage.write_bytes(b"not a torch file")
    with pytest.raises(CheckpointMismatch, match="garbage.pt"):
        load_checkpoint(model, garbage)


def test_failed_save_keeps_previous_file(tmp_path, trained_like, monkeypatch):
    path = tmp_path / "split1.pt"
    path.write_bytes(b"previous weights")

    def broken_save(obj, f, *args, **kwargs):
        with open(f, "wb") as handle:
            handle.write(b"half")
        raise OSError("disk full (test)")

    monkeypatch.setattr(torch, "save", broken_save)
    with pytest.raises(OSError):
        save_checkpoint(trained_like.state_dict(), path)
    assert path.read_bytes() == b"previous weights"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["split1.pt"]
