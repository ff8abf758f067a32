import pytest
import torch

from config import Backbone, ModelConfigError
from models.backbone import (
    BACKBONES,
    STAND_IN_MARKER_SUFFIX,
    BackboneInit,
    BackboneOrigin,
    BackboneWeightsUnavailable,
    backbone_spec,
    build_backbone,
    build_googlenet,
    imagenet_file_origin,
    imagenet_weights_are_stand_in,
    imagenet_weights_path,
    run_trunk,
    seeded_random_googlenet,
    spec_of,
    trunk_origin,
)
from models.stand_in import write_stand_in_imagenet_weights


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


@pytest.mark.parametrize("backbone", list(Backbone))
def test_every_backbone_loads_its_stand_in_from_torchvisions_file_name(stand_in_torch_home, backbone):
    spec = BACKBONES[backbone]
    file_names = {
        Backbone.GOOGLENET: "googlenet-1378be20.pth",
        Backbone.RESNET: "resnet18-f37072fd.pth",
        Backbone.EFFICIENTNET: "efficientnet_b0_rwightman-7f5810bc.pth",
        Backbone.MOBILENET: "mobilenet_v2-b0353104.pth",
    }
    assert imagenet_weights_path(spec) == stand_in_torch_home / "hub" / "checkpoints" / file_names[backbone]
    if backbone is not Backbone.GOOGLENET:  # the fixture wrote GoogLeNet's
        assert trunk_origin(BackboneInit.IMAGENET, spec) is BackboneOrigin.IMAGENET  # nothing marked yet
        write_stand_in_imagenet_weights(seed=1, spec=spec)
    assert imagenet_file_origin(spec) is BackboneOrigin.STAND_IN
    net = build_backbone(spec, BackboneInit.IMAGENET)
    cached = torch.load(imagenet_weights_path(spec), weights_only=True)
    for key, value in net.state_dict().items():
        assert torch.equal(value, cached[key]), key
    assert spec_of(net) is spec
    trunk = run_trunk(net, torch.rand(1, 3, 3, 64))  # three rows: fewer than GoogLeNet's max pools take
    assert trunk.shape == (3, spec.width) == (3, backbone.width)


def test_missing_weights_name_the_backbone_and_its_file(offline_empty_torch_home):
    spec = BACKBONES[Backbone.MOBILENET]
    with pytest.raises(BackboneWeightsUnavailable, match="ImageNet MobileNet-V2 weights are not available") as error:
        build_backbone(spec, BackboneInit.IMAGENET)
    assert "mobilenet_v2-b0353104.pth" in str(error.value)


def test_origin_descriptions_per_backbone():
    assert BackboneOrigin.IMAGENET.description == "torchvision ImageNet GoogLeNet (IMAGENET1K_V1)"  # as older records say
    assert BackboneOrigin.IMAGENET.describe(BACKBONES[Backbone.RESNET]) == "torchvision ImageNet ResNet-18 (IMAGENET1K_V1)"
    assert "EfficientNet-B0" in BackboneOrigin.FILE.describe(BACKBONES[Backbone.EFFICIENTNET])
    assert backbone_spec("resnet") is BACKBONES[Backbone.RESNET]
    with pytest.raises(ModelConfigError, match="choose one of GoogleNet, ResNet, EfficientNet, MobileNet"):
        backbone_spec("VGG")
