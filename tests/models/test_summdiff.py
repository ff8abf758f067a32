"""SummDiff (models/summdiff.py): the authors' state_dict layout, sampling shapes and determinism, training, options."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import torch

from config import MethodConfigError
from models.summdiff import build_summdiff, config_from_keys, sampling_times
from models.summdiff_config import Denoiser, SummDiffConfig

SMALL = SummDiffConfig(hidden_dim=32, heads=4, feedforward_dim=64, encoder_layers=1, decoder_layers=1, feature_dim=16)


def _perturbed(config: SummDiffConfig, seed: int = 0) -> torch.nn.Module:
    """A model whose zero-initialised output layers are not zero, so that its scores vary."""
    torch.manual_seed(seed)
    model = build_summdiff(config)
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for parameter in model.parameters():
            parameter.add_(0.05 * torch.randn(parameter.shape, generator=generator))
    return model.eval()


def test_state_dict_has_the_authors_keys_and_shapes():
    state = build_summdiff(SummDiffConfig().for_dataset("SumMe")).state_dict()
    assert len(state) == 111
    expected = {
        "global_rep_token": (256,),
        "input_vid_proj.0.LayerNorm.weight": (1024,),
        "input_vid_proj.0.net.1.weight": (256, 1024),
        "input_vid_proj.2.net.1.weight": (256, 256),
        "transformer.encoder.layers.1.self_attn.in_proj_weight": (768, 256),
        "transformer.encoder.layers.0.activation.weight": (1,),
        "transformer.diffusion_decoder.noise_embed.weight": (201, 256),
        "transformer.diffusion_decoder.noise_map.layers.1.weight": (256, 256),
        "transformer.diffusion_decoder.layers.res_blocks.1.convs.weight": (256, 256, 3),
        "transformer.diffusion_decoder.layers.conv1d.weight": (256, 256, 3),
        "transformer.diffusion_decoder.time_mlp.mlp.0.weight": (256, 256),
        "transformer.diffusion_decoder.pos_emb.layers.0.weight": (256, 256),
        "transformer.diff_scores_embed.layers.1.weight": (1, 256),
        "transformer.sqrt_recipm1_alphas_cumprod": (1000,),
    }
    for key, shape in expected.items():
        assert tuple(state[key].shape) == shape, key
    assert state["transformer.alphas_cumprod"].dtype == torch.float64  # the authors' float64 schedule
    assert not any("null" in key for key in state)  # the null video is rebuilt from the options, not stored
    tvsum = build_summdiff(SummDiffConfig().for_dataset("TVSum")).state_dict()
    assert len(tvsum) == 111 + 14 and "transformer.diffusion_decoder.layers.res_blocks.2.convs.weight" in tvsum


def test_state_dict_round_trips_strictly():
    model = _perturbed(SMALL)
    other = build_summdiff(SMALL)
    other.load_state_dict(model.state_dict(), strict=True)
    features = torch.randn(9, 16)
    assert torch.equal(model.sample(features), other.eval().sample(features))


@pytest.mark.parametrize("length", [1, 2, 17])
def test_sampled_scores_are_one_per_step_in_0_1(length):
    scores = _perturbed(SMALL)(torch.randn(length, 16))
    assert scores.shape == (length,) and scores.dtype == torch.float32
    assert bool(((scores >= 0) & (scores <= 1)).all())


@pytest.mark.parametrize("denoiser", list(Denoiser))
def test_same_seed_same_scores_other_seed_other_scores(denoiser):
    model = _perturbed(replace(SMALL, denoiser=denoiser))
    features = torch.randn(12, 16)
    torch.manual_seed(1)
    first = model.sample(features, seed=5)
    torch.manual_seed(2)  # the global generator plays no part
    assert torch.equal(first, model.sample(features, seed=5))
    assert not torch.equal(first, model.sample(features, seed=6))
    several = model.sample(features, seed=5, samples=3)
    assert several.shape == first.shape and not torch.equal(several, first)


def test_sampling_takes_the_authors_ten_steps():
    pairs = sampling_times(1000, 10)
    assert pairs[0] == (999, 899) and pairs[-1] == (99, 0) and len(pairs) == 10


@pytest.mark.parametrize("denoiser", list(Denoiser))
def test_training_loss_falls_when_overfitting_one_video(denoiser):
    config = SummDiffConfig(hidden_dim=32, heads=4, feedforward_dim=64, encoder_layers=1, decoder_layers=1, feature_dim=16,
                            p_uncond=0.0, input_dropout=0.0, dropout=0.0, denoiser=denoiser)
    torch.manual_seed(0)
    model = build_summdiff(config).train()
    features, target = torch.randn(24, 16), torch.linspace(0.1, 0.9, 24)
    optimizer = torch.optim.Adam(model.parameters(), lr=5e-3)
    losses = []
    for _ in range(40):
        optimizer.zero_grad()
        loss = model(features, target)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert np.mean(losses[-10:]) < 0.5 * np.mean(losses[:10])


def test_eval_mode_samples_even_with_targets():
    model = _perturbed(SMALL)
    features = torch.randn(6, 16)
    assert torch.equal(model(features, torch.rand(6)), model.sample(features))


def test_per_dataset_values_are_the_authors_and_user_values_win():
    summe, tvsum = SummDiffConfig().for_dataset("SumMe"), SummDiffConfig().for_dataset("TVSum")
    assert (summe.individual, summe.guidance, summe.decoder_layers, summe.clamp) == (True, 0.2, 2, True)
    assert (tvsum.individual, tvsum.guidance, tvsum.decoder_layers, tvsum.clamp) == (False, 0.1, 3, True)
    assert SummDiffConfig(guidance=0.5).for_dataset("SumMe").guidance == 0.5
    assert SummDiffConfig.from_options(summe.to_options()) == summe


@pytest.mark.parametrize(("options", "named"), [
    ({"input_projections": 4}, "input_projections"),
    ({"p_uncond": 1.0}, "p_uncond"),
    ({"sampling_steps": 2000}, "sampling_steps"),
    ({"denoiser": "dit"}, "denoiser"),
    ({"ema": True, "ema_decay": 1.0}, "ema_decay"),
    ({"hidden_dim": 30, "heads": 4}, "hidden_dim"),
])
def test_bad_options_are_named(options, named):
    with pytest.raises(MethodConfigError, match=named):
        SummDiffConfig(**options)


def test_unknown_option_and_bad_null_video_are_named(tmp_path):
    with pytest.raises(MethodConfigError, match="no option colour"):
        SummDiffConfig.from_options({"colour": 1})
    with pytest.raises(MethodConfigError, match="score_embedding"):
        SummDiffConfig.from_options({"score_embedding": "fourier"})
    short = tmp_path / "null.npy"
    np.save(short, np.zeros(5, dtype=np.float32))
    with pytest.raises(MethodConfigError, match=str(short)):
        build_summdiff(SummDiffConfig(null_video=str(short)))


def test_the_keys_tell_the_architecture_and_a_misfit_file_is_explained(tmp_path):
    from models.checkpoint import CheckpointMismatch, load_checkpoint, save_checkpoint  # noqa: PLC0415
    from models.summdiff import config_from_keys  # noqa: PLC0415

    tvsum = build_summdiff(SummDiffConfig().for_dataset("TVSum"))
    found = config_from_keys(tvsum.state_dict(), SummDiffConfig())
    assert (found.decoder_layers, found.input_projections, found.resolved().score_levels) == (3, 3, 200)
    assert config_from_keys({"global_rep_token": torch.zeros(256)}, SummDiffConfig()) is None
    path = tmp_path / "tvsum.pt"
    save_checkpoint(tvsum.state_dict(), path)
    with pytest.raises(CheckpointMismatch, match="decoder_layers 3"):
        load_checkpoint(build_summdiff(SummDiffConfig().for_dataset("SumMe")), path)


def test_mr_hisum_takes_the_dit_denoiser_with_the_authors_keys():
    config = SummDiffConfig().for_dataset("MrHiSum")
    assert (config.denoiser, config.decoder_layers, config.score_levels, config.ema, config.clamp) == (Denoiser.DIT, 2, 100, True, False)
    assert SummDiffConfig().for_dataset("SumMe").denoiser is Denoiser.LATENT_MLP
    assert SummDiffConfig().for_dataset("a built data set").denoiser is Denoiser.LATENT_MLP
    state = build_summdiff(config).state_dict()
    expected = {
        "transformer.diffusion_decoder.layers.blocks.1.q_proj.weight": (256, 256),
        "transformer.diffusion_decoder.layers.blocks.0.attn.out_proj.weight": (256, 256),
        "transformer.diffusion_decoder.layers.blocks.0.mlp.layers.0.weight": (1024, 256),
        "transformer.diffusion_decoder.layers.blocks.0.adaLN_modulation.1.weight": (6 * 256, 256),
        "transformer.diffusion_decoder.layers.final_layer.adaLN_modulation.1.weight": (2 * 256, 256),
        "transformer.diffusion_decoder.layers.final_layer.linear.weight": (256, 256),
        "transformer.diffusion_decoder.noise_embed.weight": (101, 256),
    }
    for key, shape in expected.items():
        assert tuple(state[key].shape) == shape, key
    assert not any("res_blocks" in key or "layers.blocks.2." in key for key in state)
    # adaLN-Zero: the modulations and the output start at zero, so a fresh model's x0 ignores the noisy scores
    assert not state["transformer.diffusion_decoder.layers.final_layer.linear.weight"].any()
    assert not state["transformer.diffusion_decoder.layers.blocks.1.adaLN_modulation.1.bias"].any()
    found = config_from_keys(state, SummDiffConfig())
    assert (found.denoiser, found.resolved().decoder_layers) == (Denoiser.DIT, 2)
    assert config_from_keys(build_summdiff(SummDiffConfig().for_dataset("SumMe")).state_dict(), SummDiffConfig()).denoiser \
        is Denoiser.LATENT_MLP


def test_dit_attention_ignores_padded_condition_steps():
    """The dit's scores attend to the condition with the padding masked out: a padded batch gives a video the same
    output as the video alone (what makes the authors' padded batches and our one-video steps agree)."""
    from models.summdiff import DiT  # noqa: PLC0415

    torch.manual_seed(0)
    dit = DiT(channels=16, heads=4, feedforward=32, dropout=0.0, blocks=2).eval()
    with torch.no_grad():
        for parameter in dit.parameters():
            parameter.add_(0.1 * torch.randn(parameter.shape))
        x, memory, pos, time = torch.randn(5, 1, 16), torch.randn(5, 1, 16), torch.randn(5, 1, 16), torch.randn(1, 16)
        alone = dit(x, memory, time, None, pos)
        padded = [torch.cat([t, torch.randn(3, 1, 16)]) for t in (x, memory, pos)]
        mask = torch.tensor([[False] * 5 + [True] * 3])
        together = dit(padded[0], padded[1], time, mask, padded[2])[:5]
        unmasked = dit(padded[0], padded[1], time, None, padded[2])[:5]
    assert torch.allclose(alone, together, atol=1e-6)
    assert not torch.allclose(alone, unmasked, atol=1e-3)  # the padding would leak without the mask
