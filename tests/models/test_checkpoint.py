import errno
import os
from collections import OrderedDict

import pytest
import torch

from config import ModelConfig, PositionalEncoding
from models.backbone import BackboneInit
from models.ca_sum import CASumConfig
from models.checkpoint import WRAPPER_KEYS, CheckpointMismatch, load_checkpoint, read_state_dict, save_checkpoint
from models.csta import build_csta
from models.methods import method_spec
from models.pgl_sum import PGLSumConfig
from utils.files import OutputError


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

    def broken_save(obj, stream, *args, **kwargs):
        stream.write(b"half")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(torch, "save", broken_save)
    with pytest.raises(OutputError, match="split1.pt"):
        save_checkpoint(trained_like.state_dict(), path)
    assert path.read_bytes() == b"previous weights"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["split1.pt"]


class _Evil:
    """Unpickling this would create a folder: the reader must never run a file's code."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.mkdir, (str(self.marker),))


PICKLED_OBJECTS = {
    "whole CSTA": lambda model, tmp_path: model,
    "whole small module": lambda model, tmp_path: torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.ReLU()),
    "module in a dict": lambda model, tmp_path: {"model": torch.nn.Linear(2, 2), "epoch": 3},
    "modules in a list": lambda model, tmp_path: [torch.nn.Linear(2, 2)],
    "object that runs code": lambda model, tmp_path: {"state_dict": model.state_dict(), "x": _Evil(tmp_path / "ran")},
}


@pytest.mark.parametrize("legacy", [False, True], ids=["zip", "legacy"])
@pytest.mark.parametrize("content", PICKLED_OBJECTS)
def test_pickled_objects_are_named_with_how_to_make_a_state_dict(tmp_path, trained_like, content, legacy):
    path = tmp_path / "pickled.pt"
    torch.save(PICKLED_OBJECTS[content](trained_like, tmp_path), path, _use_new_zipfile_serialization=not legacy)
    with pytest.raises(CheckpointMismatch) as error:
        read_state_dict(path, "CSTA weights")
    message = str(error.value)
    assert message.startswith(f"{path}: this CSTA weights file is not a state_dict")
    assert "pickled" in message and "torch.save(model.state_dict(), path)" in message
    assert "Weights only load failed" not in message and len(message.splitlines()) <= 3
    assert not (tmp_path / "ran").exists()


def test_a_whole_model_is_named_by_its_class_with_a_conversion_command(tmp_path, trained_like):
    path = tmp_path / "whole.pt"
    torch.save(trained_like, path)
    with pytest.raises(CheckpointMismatch, match="whole pickled models.csta.CSTA object") as error:
        read_state_dict(path, "CSTA weights")
    command = str(error.value).splitlines()[-1].strip()
    assert command.startswith("python -c") and str(path) in command
    # the command does what it says (the file is our own, so it may be trusted here)
    converted = tmp_path / "state_dict.pt"
    exec(command.split('"')[1].replace("'state_dict.pt'", repr(str(converted))))
    load_checkpoint(build_csta(BackboneInit.RANDOM), converted)


@pytest.mark.parametrize("wrapper", WRAPPER_KEYS)
@pytest.mark.parametrize("prefix", ["", "module.", "_orig_mod."])
def test_every_known_wrapper_reads_like_a_plain_state_dict(tmp_path, wrapper, prefix):
    state = {"head.weight": torch.rand(3, 2), "head.bias": torch.rand(3), "CLS": torch.rand(1, 4)}
    path = tmp_path / "wrapped.pt"
    torch.save({wrapper: {f"{prefix}{k}": v for k, v in state.items()}, "epoch": 7, "optimizer": {"lr": 1e-3}}, path)
    read = read_state_dict(path, "CSTA weights")
    assert read.keys() == state.keys() and all(torch.equal(read[k], state[k]) for k in state)


def test_a_model_wrapper_loads_into_csta(tmp_path, trained_like):
    path = tmp_path / "wrapped.pt"
    torch.save({"model": trained_like.state_dict(), "epoch": 7}, path)
    loaded = build_csta(BackboneInit.RANDOM)
    load_checkpoint(loaded, path)
    expected = trained_like.state_dict()
    assert all(torch.equal(value, expected[key]) for key, value in loaded.state_dict().items())


@pytest.mark.parametrize("payload, holds", [
    ([1, 2], "holds a list, not a state_dict"),
    ((torch.zeros(2),), "holds a tuple, not a state_dict"),
    (torch.zeros(3), "holds a Tensor, not a state_dict"),
    (3, "holds a int, not a state_dict"),
    ("weights", "holds a str, not a state_dict"),
    (None, "holds a NoneType, not a state_dict"),
    ({}, "holds an empty dict"),
    ({"net": {"a": torch.zeros(1)}, "epoch": 3}, "entries: 'net' \\(dict\\), 'epoch' \\(int\\)"),
    ({"weights": [torch.zeros(1)]}, "entries: 'weights' \\(list\\)"),
    ({1: torch.zeros(1)}, "entries: 1 \\(Tensor\\)"),
    ({"model": {"a": torch.zeros(1)}, "state_dict": {"a": torch.zeros(1)}}, "several state_dicts \\('state_dict', 'model'\\)"),
])
def test_any_other_content_is_named(tmp_path, payload, holds):
    path = tmp_path / "odd.pt"
    torch.save(payload, path)
    with pytest.raises(CheckpointMismatch, match=holds) as error:
        read_state_dict(path, "GoogLeNet weights")
    assert str(error.value).startswith(f"{path}: ")


def test_a_missing_file_names_what_it_should_be(tmp_path):
    with pytest.raises(FileNotFoundError, match="GoogLeNet weights file not found: .*nothere.pt"):
        read_state_dict(tmp_path / "nothere.pt", "GoogLeNet weights")


# ---- every method: the authors' layouts, and what a file that does not fit looks like ----

# The state_dict keys and shapes of the authors' models as their code builds them for the released
# weights (PGL-SUM inference/inference.py: PGL_SUM(input_size=1024, output_size=1024, num_segments=4,
# heads=8, fusion="add", pos_enc="absolute"); CA-SUM inference/inference.py: CA_SUM(input_size=1024,
# output_size=1024, block_size=60)), read from their model/layers/*.py at commits 81d0d6d (PGL-SUM)
# and 43eee5d (CA-SUM). Each attention's Wk, Wq and Wv are ModuleLists of one Linear per head.
def _headed(prefix: str, width: int, heads: int) -> dict[str, tuple[int, ...]]:
    keys = {f"{prefix}.{w}.{h}.weight": (width // heads, 1024) for w in ("Wk", "Wq", "Wv") for h in range(heads)}
    return {**keys, f"{prefix}.out.weight": (1024, width)}


_REGRESSOR = {"linear_1.weight": (1024, 1024), "linear_1.bias": (1024,), "linear_2.weight": (1, 1024), "linear_2.bias": (1,),
              "norm_y.weight": (1024,), "norm_y.bias": (1024,), "norm_linear.weight": (1024,), "norm_linear.bias": (1024,)}
OFFICIAL_KEYS = {
    "PGL-SUM": {**_headed("attention.attention", 1024, 8),
                **{k: v for s in range(4) for k, v in _headed(f"attention.local_attention.{s}", 256, 4).items()}, **_REGRESSOR},
    "CA-SUM": {"attention.Wk.weight": (1024, 1024), "attention.Wq.weight": (1024, 1024), "attention.Wv.weight": (1024, 1024),
               "attention.out.weight": (1024, 1026), **_REGRESSOR},
}


@pytest.mark.parametrize("method", ["PGL-SUM", "CA-SUM"])
def test_our_weights_have_the_authors_keys_and_theirs_load_here(tmp_path, method):
    spec = method_spec(method)
    ours = spec.build().state_dict()
    assert {key: tuple(value.shape) for key, value in ours.items()} == OFFICIAL_KEYS[method]
    assert len(OFFICIAL_KEYS["PGL-SUM"]) == 85
    # their solver's torch.save(model.state_dict(), path): an OrderedDict of tensors under exactly these keys
    torch.manual_seed(1)
    theirs = OrderedDict((key, torch.randn(shape)) for key, shape in OFFICIAL_KEYS[method].items())
    path = tmp_path / "epoch-199.pkl"
    torch.save(theirs, path)
    model = spec.build()
    load_checkpoint(model, path)
    assert all(torch.equal(model.state_dict()[key], value) for key, value in theirs.items())
    # and ours, written by save_checkpoint, are the plain state_dict their inference.py loads strictly
    save_checkpoint(model.state_dict(), tmp_path / "ours.pt")
    raw = torch.load(tmp_path / "ours.pt", weights_only=True)
    assert {key: tuple(value.shape) for key, value in raw.items()} == OFFICIAL_KEYS[method]


def _save(tmp_path, model) -> object:
    path = tmp_path / "weights.pt"
    save_checkpoint(model.state_dict(), path)
    return path


@pytest.mark.parametrize(("weights", "asked", "named"), [
    ("PGL-SUM", "CA-SUM", "These are PGL-SUM weights by their keys (such as 'attention.attention.out.weight'), not CA-SUM's: "
                          "evaluate them with --method PGL-SUM."),
    ("CA-SUM", "PGL-SUM", "These are CA-SUM weights by their keys (such as 'attention.Wk.weight'), not PGL-SUM's: "
                          "evaluate them with --method CA-SUM."),
    ("CA-SUM", "CSTA", "These are CA-SUM weights"),
    ("CSTA", "PGL-SUM", "These are CSTA weights by their keys (such as 'Positional_encoding_op.pe'), not PGL-SUM's: "
                        "evaluate them with --method CSTA (GoogleNet_Attention)."),
])
def test_weights_of_another_method_are_named(tmp_path, weights, asked, named):
    path = _save(tmp_path, method_spec(weights).build())
    with pytest.raises(CheckpointMismatch) as error:
        load_checkpoint(method_spec(asked).build(), path)
    message = str(error.value)
    assert message.startswith(f"{path} does not fit the {asked} model asked for:\n  missing keys (")
    assert "unexpected keys (" in message
    assert message.endswith(named) if named.endswith(".") else named in message


def test_a_csta_variant_without_a_stored_table_is_still_named_csta(tmp_path):
    cpe = ModelConfig.from_options({"Positional_encoding": "CPE"})
    path = _save(tmp_path, build_csta(BackboneInit.RANDOM, cpe))
    with pytest.raises(CheckpointMismatch, match="These are CSTA weights .* --method CSTA") as error:
        load_checkpoint(method_spec("CA-SUM").build(), path)
    assert cpe.positional_encoding is PositionalEncoding.CPE and "Positional_encoding CPE" in str(error.value)


def test_other_options_of_the_same_method_are_named(tmp_path):
    spec = method_spec("PGL-SUM")
    path = _save(tmp_path, spec.build(PGLSumConfig(heads=4, num_segments=2)))
    with pytest.raises(CheckpointMismatch) as error:
        load_checkpoint(spec.build(), path)
    message = str(error.value)
    assert "shape mismatches" in message and "missing keys" in message
    assert message.endswith("The keys fit PGL-SUM with heads 4, num_segments 2 (the other options as asked).")
    # and CA-SUM's widths
    ca = method_spec("CA-SUM")
    path = _save(tmp_path, ca.build(CASumConfig(feature_dim=64, hidden_dim=32)))
    with pytest.raises(CheckpointMismatch, match="The keys fit CA-SUM with feature_dim 64, hidden_dim 32"):
        load_checkpoint(ca.build(), path)


def test_keys_of_no_known_method_say_so(tmp_path):
    path = tmp_path / "other.pt"
    torch.save({"fc.weight": torch.zeros(2, 2)}, path)
    with pytest.raises(CheckpointMismatch, match="unexpected keys \\(1\\): fc.weight\nThe keys look like the weights of none of CSTA, PGL-SUM, CA-SUM."):
        load_checkpoint(method_spec("PGL-SUM").build(), path)
