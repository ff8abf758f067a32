import logging
from dataclasses import replace

import pytest

from builder.run import run_build
from builder.settings import BuildConfig
from config import Backbone


def test_mistakes_answer_with_status_2_before_any_network_loads(tmp_path, caplog):
    caplog.set_level(logging.INFO)
    out = tmp_path / "o.h5"
    out.write_bytes(b"earlier")
    (tmp_path / "v").mkdir()
    (tmp_path / "v" / "a.mp4").write_bytes(b"x")
    assert run_build(BuildConfig(inputs=(tmp_path / "v",), out=out)) == 2
    assert "already exists" in caplog.text
    assert run_build(BuildConfig(inputs=(tmp_path / "missing",), out=tmp_path / "new.h5")) == 2
    assert "no such file or folder" in caplog.text
    assert out.read_bytes() == b"earlier"


def test_ctrl_c_says_where_the_finished_videos_are(tmp_path, caplog, monkeypatch):
    import builder.build
    from video.synthetic import write_demo_video

    caplog.set_level(logging.INFO)
    write_demo_video(tmp_path / "v" / "a.mp4", scenes=1, seconds_per_scene=0.6, fps=30, size=(64, 64), audio=False)

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(builder.build, "build", interrupted)
    cfg = BuildConfig(inputs=(tmp_path / "v",), out=tmp_path / "o.h5", random_backbone=True, progress=False)
    assert run_build(cfg) == 130
    assert "o.h5.parts/: run the same command to resume" in caplog.text


@pytest.mark.parametrize("overwrite", [False, True])
@pytest.mark.parametrize("which", ["video", "labels"])
def test_an_output_that_is_an_input_is_refused_before_any_network_loads(tmp_path, caplog, which, overwrite):
    caplog.set_level(logging.INFO)
    video, labels = tmp_path / "v" / "a.mp4", tmp_path / "labels.csv"
    video.parent.mkdir()
    video.write_bytes(b"the only copy")
    labels.write_text("video,annotator,start,end\na,x,0,1\n")
    out = video if which == "video" else labels
    before = out.read_bytes()
    cfg = BuildConfig(inputs=(video.parent,), out=out, labels=labels, overwrite=overwrite, random_backbone=True, progress=False)
    assert run_build(cfg) == 2
    assert f"the output {out} is the input {out}" in caplog.text
    assert "features:" not in caplog.text  # refused before the network loaded
    assert out.read_bytes() == before


def test_an_output_folder_that_does_not_exist_is_made(tmp_path, caplog):
    caplog.set_level(logging.INFO)
    out = tmp_path / "new" / "deeper" / "o.h5"
    assert run_build(BuildConfig(inputs=(clip(tmp_path),), out=out, random_backbone=True, progress=False)) == 0
    assert out.is_file() and (out.parent / "o.build.json").is_file()


def clip(folder):
    from video.synthetic import write_demo_video

    write_demo_video(folder / "v" / "a.mp4", scenes=2, seconds_per_scene=0.5, fps=30, size=(64, 64), audio=False)
    return folder / "v"


def built_attributes(path):
    import h5py

    with h5py.File(path, "r") as h5:
        return dict(h5.attrs), h5["video_1"]["features"].shape


def test_resnet_features_from_the_imagenet_file_in_the_torch_cache(stand_in_torch_home, tmp_path):
    """The stand-in route: ResNet-18's file written where torchvision looks for the real one; the file says what it holds."""
    from models.backbone import BACKBONES
    from models.stand_in import write_stand_in_imagenet_weights

    write_stand_in_imagenet_weights(spec=BACKBONES[Backbone.RESNET])
    out = tmp_path / "o.h5"
    assert run_build(BuildConfig(inputs=(clip(tmp_path),), out=out, backbone=Backbone.RESNET, device="cpu", progress=False)) == 0
    attributes, shape = built_attributes(out)
    assert shape == (2, 512)
    assert (attributes["backbone_network"], attributes["feature_dim"], attributes["backbone_origin"]) == ("ResNet", 512, "stand-in")


@pytest.mark.parametrize("backbone", [Backbone.EFFICIENTNET, Backbone.MOBILENET])
def test_random_features_of_each_backbone(backbone, tmp_path):
    out = tmp_path / "o.h5"
    assert run_build(BuildConfig(inputs=(clip(tmp_path),), out=out, backbone=backbone, random_backbone=True, device="cpu",
                                 progress=False)) == 0
    attributes, shape = built_attributes(out)
    assert shape == (2, backbone.width) and attributes["feature_dim"] == 1280
    assert (attributes["backbone_network"], attributes["backbone_origin"]) == (backbone.value, "random")


def test_a_local_weights_file_must_be_the_chosen_backbone_s(tmp_path, caplog):
    import torch

    from models.backbone import BACKBONES, seeded_random_backbone

    caplog.set_level(logging.INFO)
    videos, resnet = clip(tmp_path), tmp_path / "resnet18.pth"
    torch.save(seeded_random_backbone(BACKBONES[Backbone.RESNET], 1).state_dict(), resnet)
    cfg = BuildConfig(inputs=(videos,), out=tmp_path / "o.h5", backbone=Backbone.RESNET, backbone_weights=resnet, device="cpu",
                      progress=False)
    assert run_build(cfg) == 0
    attributes, shape = built_attributes(cfg.out)
    assert shape == (2, 512) and attributes["backbone_origin"] == "file" and str(resnet) in attributes["backbone"]
    other = tmp_path / "other.h5"
    assert run_build(replace(cfg, out=other, backbone=Backbone.MOBILENET)) == 2
    assert f"{resnet} is not a torchvision MobileNet-V2 state_dict" in caplog.text and not other.exists()


def test_a_backbone_without_its_imagenet_file_says_where_to_put_it(offline_empty_torch_home, tmp_path, caplog):
    out = tmp_path / "o.h5"
    assert run_build(BuildConfig(inputs=(clip(tmp_path),), out=out, backbone=Backbone.EFFICIENTNET, device="cpu", progress=False)) == 2
    assert "ImageNet EfficientNet-B0 weights are not available" in caplog.text and "efficientnet_b0_rwightman-7f5810bc.pth" in caplog.text
    assert "--backbone-weights PATH" in caplog.text and not out.exists()
