import pytest
import torch

from models.backbone import (
    STAND_IN_MARKER_SUFFIX,
    BackboneInit,
    BackboneOrigin,
    BackboneWeightsUnavailable,
    build_googlenet,
    imagenet_file_origin,
    imagenet_weights_are_stand_in,
    imagenet_weights_path,
    seeded_random_googlenet,
    trunk_origin,
)


def test_imagenet_path_loads_the_cached_file(stand_in_torch_home):
    path = imagenet_weights_path()
    assert path == stand_in_torch_home / "hub" / "checkpoints" / "googlenet-1378be20.pth"
    assert imagenet_weights_are_stand_in()
    net = build_googlenet(BackboneInit.IMAGENET)
    cached = torch.load(path, weights_only=True)
    assert torch.equal(net.conv1.conv.weight, cached["conv1.conv.weight"])
    assert torch.equal(net.inception5b.branch4[1].bn.running_var, cached["inception5b.branch4.1.bn.running_var"])
    assert net.aux1 is None and net.aux2 is None


def test_missing_imagenet_weights_say_where_to_put_them(offline_empty_torch_home):
    with pytest.raises(BackboneWeightsUnavailable) as error:
        build_googlenet(BackboneInit.IMAGENET)
    message = str(error.value)
    assert str(offline_empty_torch_home / "hub" / "checkpoints" / "googlenet-1378be20.pth") in message
    assert "TORCH_HOME" in message


def test_random_init_needs_no_file(offline_empty_torch_home):
    net = build_googlenet(BackboneInit.RANDOM)
    assert net.fc.weight.shape == (1000, 1024)
    assert not imagenet_weights_are_stand_in()


def test_origin_of_the_cached_file_is_a_value(stand_in_torch_home):
    assert imagenet_file_origin() is BackboneOrigin.STAND_IN
    assert trunk_origin(BackboneInit.IMAGENET) is BackboneOrigin.STAND_IN
    assert trunk_origin(BackboneInit.RANDOM) is BackboneOrigin.RANDOM
    (stand_in_torch_home / "hub" / "checkpoints" / ("googlenet-1378be20.pth" + STAND_IN_MARKER_SUFFIX)).unlink()
    assert imagenet_file_origin() is BackboneOrigin.IMAGENET


@pytest.mark.parametrize("origin", list(BackboneOrigin))
def test_origin_round_trips_through_a_record_and_only_the_stand_in_warns(origin):
    assert BackboneOrigin.from_record({"backbone": "reworded freely", "backbone_origin": origin.value}) is origin
    assert (origin.warning is not None) == (origin is BackboneOrigin.STAND_IN)


def test_records_written_before_the_origin_field_keep_their_meaning():
    old_stand_in = {"backbone": "STAND-IN ImageNet file (random weights written for offline tests/demo; not real ImageNet)"}
    assert BackboneOrigin.from_record(old_stand_in) is BackboneOrigin.STAND_IN
    assert BackboneOrigin.from_record({"backbone": "random init (--random-init)"}) is BackboneOrigin.RANDOM
    assert BackboneOrigin.from_record({"backbone": "something else"}) is None
    assert BackboneOrigin.from_record(None) is None


def test_seeded_random_googlenet_is_reproducible_and_leaves_the_global_stream_alone():
    torch.manual_seed(1)
    expected_next = torch.rand(1)
    torch.manual_seed(1)
    first, second = seeded_random_googlenet(3), seeded_random_googlenet(3)
    assert torch.rand(1) == expected_next
    assert torch.equal(first.conv1.conv.weight, second.conv1.conv.weight)
    assert first.aux1 is None and seeded_random_googlenet(3, aux_logits=True).aux1 is not None
