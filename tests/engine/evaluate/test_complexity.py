import pytest
import torch
from torch import nn

from engine.evaluate import complexity
from models.backbone import BackboneInit
from models.csta import build_csta


class _WithUnusedHead(nn.Module):
    def __init__(self):
        super().__init__()
        self.googlenet = nn.Module()
        self.googlenet.fc = nn.Linear(4, 2)  # 10 parameters, never run
        self.head = nn.Linear(3, 1)  # 4 parameters
        self.frozen = nn.Linear(5, 5)
        self.frozen.requires_grad_(False)


def test_parameter_conventions_by_hand():
    count = complexity.count_parameters(_WithUnusedHead())
    assert (count.trainable, count.trainable_used) == (14, 4)
    assert count.used_in_mebi == pytest.approx(4 / 2**20)


def test_csta_parameter_count():
    count = complexity.count_parameters(build_csta(BackboneInit.RANDOM))
    fc = 1000 * 1024 + 1000
    assert count.trainable - count.trainable_used == fc


def test_macs_by_hand():
    assert complexity.forward_macs(nn.Linear(1024, 1, bias=False), torch.zeros(7, 1024)) == 7 * 1024
    conv = nn.Conv2d(3, 8, 3, bias=False)
    assert complexity.forward_macs(conv, torch.zeros(1, 3, 10, 10)) == 8 * 8 * 8 * 3 * 9


def test_csta_macs_grow_with_length_and_cover_the_linear_layers(monkeypatch):
    model = build_csta(BackboneInit.RANDOM)
    d = 1024
    t = 40
    macs = complexity.forward_macs(model, torch.zeros(t, d))
    linear = (t + 1) * 3 * d * d + (t + 1) * d * d + t * (d * d + d)  # key (3 channels), value, head
    assert macs > linear  # the GoogLeNet trunk adds the rest
    calls = []
    original = complexity.forward_macs
    monkeypatch.setattr(complexity, "forward_macs", lambda m, f: calls.append(len(f)) or original(m, f))
    summary = complexity.macs_over_lengths(model, [t, t, 2 * t], torch.device("cpu"))
    assert calls == [t, 2 * t]  # a length already measured is not run again
    assert summary.videos[0].macs == macs and summary.videos[2].macs > macs
    assert summary.mean == pytest.approx((2 * macs + summary.videos[2].macs) / 3)
    with pytest.raises(ValueError, match="no videos"):
        complexity.macs_over_lengths(model, [], torch.device("cpu"))


@pytest.mark.parametrize("options", [{}, {"model_name": "MobileNet_Attention", "CLS_mix": "SM"}, {"Positional_encoding": "CPE"}])
def test_meta_counts_equal_real_counts(options):
    from config import ModelConfig

    config = ModelConfig.from_options(options)
    torch.manual_seed(0)
    model = build_csta(BackboneInit.RANDOM, config)
    lengths = [20, 33, 20]
    real = complexity.macs_over_lengths(model, lengths, torch.device("cpu"))
    assert complexity.meta_macs(config, lengths) == real
