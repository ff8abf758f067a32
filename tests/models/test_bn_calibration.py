import copy

import pytest
import torch
import torchvision
from torch import nn

from models.bn_calibration import calibrate_batch_norm, coloured_pictures

# ImageNet's channel statistics, written out here so that the test does not reuse the module's own
IMAGENET_MEAN = torch.tensor([0.485, 0.456, 0.406])[:, None, None]
IMAGENET_STD = torch.tensor([0.229, 0.224, 0.225])[:, None, None]


def random_googlenet(seed: int = 0) -> nn.Module:
    """torchvision's GoogLeNet with PyTorch's default initialisation (as the stand-in), pool5 as its output."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        net = torchvision.models.googlenet(weights=None, aux_logits=False, init_weights=False)
    net.fc = nn.Identity()  # forward then ends at the pooled 1024-d feature (dropout is off in eval mode)
    return net.eval()


def batch_norms(net: nn.Module) -> list[nn.BatchNorm2d]:
    return [m for m in net.modules() if isinstance(m, nn.BatchNorm2d)]


def flat_picture(rgb: tuple[float, float, float], size: int) -> torch.Tensor:
    """One picture of a single colour, preprocessed as ImageNet inputs. Sized [1, 3, size, size]."""
    picture = torch.tensor(rgb)[:, None, None].expand(3, size, size)
    return ((picture - IMAGENET_MEAN) / IMAGENET_STD)[None]


@torch.no_grad()
def feature_distance(net: nn.Module, a: torch.Tensor, b: torch.Tensor) -> float:
    """Distance between the L2-normalised pool5 features of two pictures (0: same direction, 2: opposite)."""
    features = net(torch.cat([a, b]))
    features = features / features.norm(dim=1, keepdim=True)
    return float((features[0] - features[1]).norm())


def test_coloured_pictures_are_flat_colours_with_a_few_rectangles():
    pictures = coloured_pictures(6, seed=5, size=48)
    assert pictures.shape == (6, 3, 48, 48) and pictures.dtype == torch.float32
    rgb = pictures * IMAGENET_STD + IMAGENET_MEAN
    assert rgb.min() >= -1e-6 and rgb.max() <= 1 + 1e-6
    for picture in rgb:
        colours = torch.unique(picture.reshape(3, -1).T, dim=0)
        assert 2 <= len(colours) <= 4  # the background and up to three rectangles (one may hide another)


def test_coloured_pictures_depend_on_the_seed_only():
    before = torch.get_rng_state()
    first = coloured_pictures(4, seed=1, size=32)
    assert torch.equal(torch.get_rng_state(), before)  # the global generator is left alone
    torch.rand(10)
    assert torch.equal(coloured_pictures(4, seed=1, size=32), first)
    assert not torch.equal(coloured_pictures(4, seed=2, size=32), first)


@pytest.fixture(scope="module")
def raw_and_calibrated():
    """The same random network (seed 0) as it is made and after calibration on 16 pictures of 64 px."""
    return random_googlenet(seed=0), calibrate_batch_norm(random_googlenet(seed=0), coloured_pictures(16, seed=0, size=64))


@pytest.mark.parametrize("rgb_a, rgb_b", [((0.9, 0.1, 0.1), (0.1, 0.1, 0.9)), ((0.2, 0.2, 0.2), (0.8, 0.8, 0.8))],
                         ids=["red_blue", "dark_bright_grey"])
def test_calibration_makes_differently_coloured_pictures_far_apart(raw_and_calibrated, rgb_a, rgb_b):
    # Measured (2026-12-01; network seeds 0-2, 16 calibration pictures of 64 px): uncalibrated distances
    # 0.20-0.38 (cosine 0.93-0.98), calibrated 0.83-0.98 (cosine 0.52-0.66); at 224 px with 64 pictures,
    # as the stand-in is made: 0.22-0.33 and 0.63-0.78.
    raw, calibrated = raw_and_calibrated
    a, b = flat_picture(rgb_a, 64), flat_picture(rgb_b, 64)
    assert feature_distance(raw, a, b) < 0.45
    assert feature_distance(calibrated, a, b) > 0.7


def test_running_statistics_are_the_mean_of_the_batch_statistics():
    net = random_googlenet(seed=3)
    pictures = coloured_pictures(8, seed=3, size=32)
    batches = list(pictures.split(3))  # 3 + 3 + 2: batches of unequal size

    # What each BatchNorm sees in training mode (it normalises with the batch's own statistics,
    # so its input does not depend on the running statistics being measured).
    witness = copy.deepcopy(net).train()
    seen = {id(norm): [] for norm in batch_norms(witness)}
    hooks = [norm.register_forward_pre_hook(lambda module, args: seen[id(module)].append(args[0].detach()))
             for norm in batch_norms(witness)]
    with torch.no_grad():
        for batch in batches:
            witness(batch)
    for hook in hooks:
        hook.remove()

    calibrate_batch_norm(net, pictures, batch_size=3)
    for norm, witness_norm in zip(batch_norms(net), batch_norms(witness), strict=True):
        inputs = seen[id(witness_norm)]
        mean = torch.stack([x.mean(dim=(0, 2, 3)) for x in inputs]).mean(dim=0)
        var = torch.stack([x.var(dim=(0, 2, 3), unbiased=True) for x in inputs]).mean(dim=0)
        torch.testing.assert_close(norm.running_mean, mean, rtol=1e-4, atol=1e-5)
        torch.testing.assert_close(norm.running_var, var, rtol=1e-4, atol=1e-5)
        assert int(norm.num_batches_tracked) == len(batches)


def test_momentum_and_mode_are_given_back():
    net = random_googlenet(seed=4)
    norms = batch_norms(net)
    norms[0].momentum, norms[5].momentum = 0.3, None
    momenta = [norm.momentum for norm in norms]
    assert calibrate_batch_norm(net, coloured_pictures(4, seed=4, size=32)) is net
    assert [norm.momentum for norm in norms] == momenta
    assert not any(module.training for module in net.modules())


def test_calibration_is_deterministic():
    pictures = coloured_pictures(4, seed=6, size=32)
    first = calibrate_batch_norm(random_googlenet(seed=6), pictures).state_dict()
    second = calibrate_batch_norm(random_googlenet(seed=6), pictures.clone()).state_dict()
    assert first.keys() == second.keys()
    assert all(torch.equal(first[key], second[key]) for key in first)
    assert not torch.equal(first["conv1.bn.running_mean"], random_googlenet(seed=6).state_dict()["conv1.bn.running_mean"])
