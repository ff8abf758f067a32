import pytest
import torch

from models.backbone import (
    BackboneInit,
    BackboneWeightsUnavailable,
    build_googlenet,
    imagenet_weights_are_stand_in,
    imagenet_weights_path,
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
    assert "--random-init" in message


def test_random_init_needs_no_file(offline_empty_torch_home):
    net = build_googlenet(BackboneInit.RANDOM)
    assert net.fc.weight.shape == (1000, 1024)
    assert not imagenet_weights_are_stand_in()
