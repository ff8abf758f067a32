from dataclasses import replace

import pytest
import torch
from torch import nn

from config import MethodConfigError
from engine.evaluate import complexity
from models.backbone import BackboneInit
from models.csta import build_csta
from models.methods import METHOD_NAMES, UnknownMethod, method_spec
from models.summdiff_config import SummDiffConfig


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


# ---- every method as the registry builds it; SummDiff's MACs per sampling step ----


@pytest.mark.parametrize("method", METHOD_NAMES)
def test_each_method_is_measured_as_the_registry_builds_it(method):
    measured = complexity.measure_method(method, [12, 12], torch.device("cpu"))
    model = method_spec(method).build()
    assert measured["method"] == method
    assert measured["parameters"]["trainable"] == sum(p.numel() for p in model.parameters())
    assert measured["macs"]["n_videos"] == 2 and measured["macs"]["mean_macs"] > 0
    assert ("sampling" in measured["macs"]) == complexity.is_sampled(model)


def test_the_options_asked_for_are_measured():
    small, large = SummDiffConfig(decoder_layers=1), SummDiffConfig(decoder_layers=4)
    counts = [complexity.measure_method("SummDiff", [10], torch.device("cpu"), config) for config in (small, large)]
    assert [c["parameters"]["trainable"] for c in counts] == [sum(p.numel() for p in method_spec("SummDiff").build(config).parameters())
                                                             for config in (small, large)]
    assert counts[0]["macs"]["sampling"]["mean_encoder_macs"] == counts[1]["macs"]["sampling"]["mean_encoder_macs"]
    assert counts[0]["macs"]["sampling"]["mean_macs_per_step"] < counts[1]["macs"]["sampling"]["mean_macs_per_step"]


def _direct_parts(model, t):
    """The encoder's and one denoiser call's MACs, counted around direct calls (not through the sampling)."""
    guided = model.config.p_uncond > 0
    features = torch.zeros(2 if guided else 1, t, model.config.feature_dim)
    valid = torch.ones(features.shape[:2], dtype=torch.bool)
    with torch.no_grad(), complexity.FlopCounterMode(display=False) as counter:
        memory, _, pos = model.encode(features, valid)
    encoder = counter.get_total_flops() // 2
    with torch.no_grad(), complexity.FlopCounterMode(display=False) as counter:
        model.denoise(torch.zeros(1, t), memory[:, :1], torch.full((1,), 999).long(), pos[:, :1])
    return encoder, counter.get_total_flops() // 2


@pytest.mark.parametrize(("p_uncond", "calls_per_step"), [(0.2, 2), (0.0, 1)], ids=["guided", "unguided"])
def test_summdiff_macs_per_video_are_the_encoder_and_the_steps(p_uncond, calls_per_step):
    t = 17
    model = method_spec("SummDiff").build(SummDiffConfig(p_uncond=p_uncond)).eval()
    video = complexity.sampled_macs(model, torch.zeros(t, 1024))
    encoder, call = _direct_parts(model, t)
    split = video.sampling
    assert (split.encoder, split.denoiser_call, split.calls_per_step) == (encoder, call, calls_per_step)
    assert split.per_step == calls_per_step * call
    assert video.macs == encoder + model.config.sampling_steps * calls_per_step * call
    assert video.macs == complexity.forward_macs(model, torch.zeros(t, 1024))  # the same count as a plain forward pass
    row = video.as_dict()
    assert row["encoder_macs"] == encoder and row["macs_per_step"] == split.per_step and row["sampling_steps"] == 10


def test_sampling_steps_and_samples_change_the_total_by_whole_steps():
    import inference

    def measured(*flags):
        choice = inference.parse_args(["--method", "SummDiff", *flags]).model  # the options as the command line gives them
        return complexity.measure_method(choice.method, [25], torch.device("cpu"), choice.config)["macs"]

    ten, twenty, two_samples = measured(), measured("--sampling-steps", "20"), measured("--sampling-steps", "20", "--samples", "2")
    step = ten["sampling"]["mean_macs_per_step"]
    assert twenty["sampling"]["sampling_steps"] == 20 and twenty["sampling"]["mean_macs_per_step"] == step
    assert twenty["mean_macs"] - ten["mean_macs"] == 10 * step
    assert two_samples["mean_macs"] - twenty["mean_macs"] == 20 * step  # a second chain: the encoder runs once


def test_summdiff_meta_counts_equal_real_counts():
    config = SummDiffConfig(decoder_layers=2)
    torch.manual_seed(0)
    real = complexity.macs_over_lengths(method_spec("SummDiff").build(config), [9, 14, 9], torch.device("cpu"))
    assert complexity.meta_macs(config, [9, 14, 9], method="SummDiff") == real


class _Sampled(nn.Module):
    """A sampled model whose denoiser calls are not whole steps: 3 calls for 2 steps."""

    def __init__(self):
        super().__init__()
        self.config = replace(SummDiffConfig(), sampling_steps=2)
        self.layer = nn.Linear(4, 4)

    def encode(self, x):
        return self.layer(x)

    def denoise(self, x):
        return self.layer(x)

    def forward(self, x):
        return self.denoise(self.denoise(self.denoise(self.encode(x))))


def test_unknown_and_unsupported_cases_are_named_errors():
    with pytest.raises(UnknownMethod, match="unknown method 'NoSuch'"):
        complexity.measure_method("NoSuch", [10], torch.device("cpu"))
    with pytest.raises(MethodConfigError, match="SummDiff takes SummDiffConfig options, not ModelConfig"):
        complexity.measure_method("SummDiff", [10], torch.device("cpu"), method_spec("CSTA").default_config())
    with pytest.raises(complexity.ComplexityError, match="no videos"):
        complexity.measure_method("CA-SUM", [], torch.device("cpu"))
    with pytest.raises(complexity.ComplexityError, match="3 denoiser calls do not divide into 1 sample"):
        complexity.sampled_macs(_Sampled(), torch.zeros(5, 4))
