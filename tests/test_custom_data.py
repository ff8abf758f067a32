"""Own data through train.py and inference.py (--dataset custom --h5 PATH): folds written once and
reused, fine-tuning from a first run's weights (a mismatched file refused before any epoch), and the
demo path end to end: generated clips -> build_dataset.py -> train.py -> inference.py -> score.py."""

import json
import logging

import pytest

import build_dataset
import inference
import score
import train
from dataset.custom import LabelKind
from engine.train import loop as training
from models.backbone import BackboneOrigin
from tests.builder.helpers import make_part, write_built
from video.synthetic import write_demo_video


def built_file(folder, kind=LabelKind.SEGMENTS):
    parts = [make_part(f"c{i}.mp4", n_frames=240, cuts=(30, 70, 120, 160, 200), seed=i) for i in range(6)]
    return write_built(folder / "clips.h5", kind, parts, origin=BackboneOrigin.STAND_IN.value)


SMALL = ("--method", "PGL-SUM", "--heads", "2", "--segments", "None")  # a PGL-SUM small enough to train in a second


def run_train(h5, weights, *extra):
    return train.main(train.parse_args(["--dataset", "custom", "--h5", str(h5), "--weights-dir", str(weights), "--device", "cpu",
                                        "--epochs", "1", "--seed", "3", "--select", "last", *map(str, extra)]))


def run_inference(h5, weights, *extra):
    return inference.main(inference.parse_args(["--dataset", "custom", "--h5", str(h5), "--weights-dir", str(weights),
                                                "--device", "cpu", *map(str, extra)]))


@pytest.fixture(scope="module")
def first_run(tmp_path_factory):
    """A small PGL-SUM trained on splits 1 and 2 of a built file (score labels) with folds from seed 3."""
    folder = tmp_path_factory.mktemp("custom")
    h5, weights = built_file(folder, LabelKind.SCORES), folder / "weights"
    assert run_train(h5, weights, *SMALL, "--split", "1") == 0
    folds = weights / "clips" / "splits_seed3.json"
    written = folds.read_text()
    assert run_train(h5, weights, *SMALL, "--split", "2") == 0  # the same folds, read back
    assert folds.read_text() == written
    return h5, weights


def test_train_then_inference_on_a_built_file(first_run, tmp_path, caplog):
    caplog.set_level(logging.INFO)
    h5, weights = first_run
    record = json.loads((weights / "clips" / "split1.json").read_text())
    assert (record["dataset"], record["data_file"], record["features_backbone_origin"]) == ("clips", str(h5), "stand-in")
    assert record["init_weights"] is None
    saved = tmp_path / "scores.h5"
    assert run_inference(h5, weights, "--split", "1", "2", "--save-scores", saved, "--json", tmp_path / "table.json") == 0
    assert "STAND-IN backbone" in caplog.text and "clips" in caplog.text
    folds = json.loads((weights / "clips" / "splits_seed3.json").read_text())["splits"]
    table = json.loads((tmp_path / "table.json").read_text())["clips"]
    assert [split["split"] for split in table["splits"]] == [1, 2]
    caplog.clear()
    assert score.main(score.parse_args(["--data", str(h5), "--pred", str(saved), "--json", str(tmp_path / "s.json")])) == 0
    figures = json.loads((tmp_path / "s.json").read_text())
    assert sorted(v["key"] for v in figures["videos"]) == sorted(folds[0]["test"] + folds[1]["test"])
    assert figures["f1_over_annotators"] == "mean"  # score labels: TVSum's convention, as inference used


def test_fine_tuning_starts_from_the_first_runs_weights(first_run, tmp_path):
    h5, weights = first_run
    tuned = tmp_path / "tuned"
    init = weights / "clips" / "split{split}.pt"
    assert run_train(h5, tuned, *SMALL, "--split", "1", "2", "--init", init, "--lr", "1e-6",
                     "--splits-file", weights / "clips" / "splits_seed3.json") == 0
    for split in (1, 2):
        record = json.loads((tuned / "clips" / f"split{split}.json").read_text())
        assert record["init_weights"] == str(weights / "clips" / f"split{split}.pt") and len(record["init_weights_sha256"]) == 64
        assert record["protocol"]["learning_rate"] == 1e-6
    assert not (tuned / "clips" / "splits_seed3.json").exists()  # the folds given were read, not made again


def test_a_mismatched_init_file_is_refused_before_any_epoch(first_run, tmp_path, monkeypatch, caplog):
    h5, weights = first_run

    def refuse(*args, **kwargs):
        raise AssertionError("training started with weights that do not fit")

    monkeypatch.setattr(training, "train_method_split", refuse)
    out = tmp_path / "refused"
    assert run_train(h5, out, "--method", "PGL-SUM", "--heads", "2", "--split", "1", "--init", weights / "clips" / "split1.pt") == 2
    assert "split1.pt does not fit the PGL-SUM model" in caplog.text  # its local attentions are missing from the file
    assert not list(out.rglob("*.pt"))


def test_the_demo_path_end_to_end(tmp_path, stand_in_torch_home, caplog):
    """Six generated clips with planted scenes and segment labels: build, train two epochs, inference --save-scores, score."""
    caplog.set_level(logging.INFO)
    videos, labels = tmp_path / "videos", tmp_path / "labels.csv"
    rows = ["video,annotator,start,end"]
    for i in range(6):
        write_demo_video(videos / f"clip_{i}.mp4", scenes=5, seconds_per_scene=[2, 1, 2, 1, 2], fps=10, size=(64, 48), audio=False, seed=i)
        rows += [f"clip_{i},ann1,2.0,3.0", f"clip_{i},ann2,{4 + i % 3}.0,{5 + i % 3}.5"]
    labels.write_text("\n".join(rows) + "\n")
    h5, weights, saved = tmp_path / "demo.h5", tmp_path / "weights", tmp_path / "demo_scores.h5"
    assert build_dataset.main(build_dataset.parse_args([str(videos), "--labels", str(labels), "--out", str(h5), "--stride", "5",
                                                        "--quiet"])) == 0
    assert run_train(h5, weights, *SMALL, "--epochs", "2", "--split", "1") == 0
    assert (weights / "demo" / "split1.pt").is_file() and (weights / "demo" / "splits_seed3.json").is_file()
    assert run_inference(h5, weights, "--split", "1", "--save-scores", saved) == 0
    caplog.clear()
    assert score.main(score.parse_args(["--data", str(h5), "--pred", str(saved), "--json", str(tmp_path / "s.json")])) == 0
    figures = json.loads((tmp_path / "s.json").read_text())
    assert figures["labels"] == "segments" and figures["f1_over_annotators"] == "max" and len(figures["videos"]) >= 1
    assert "STAND-IN backbone" in caplog.text


def test_ray_trains_a_built_file_as_the_sequential_command(local_ray, tmp_path, caplog):
    """train.py --dataset custom --h5 --ray on a real local Ray (2 CPUs): the workers read the file and the folds the
    command made; the same weights bit for bit (one torch thread per run, as the sequential command here), records and folds."""
    import torch

    h5 = built_file(tmp_path)
    sequential, on_ray = tmp_path / "sequential", tmp_path / "ray"
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        assert run_train(h5, sequential, *SMALL, "--split", "1", "2") == 0
    finally:
        torch.set_num_threads(threads)
    caplog.set_level(logging.INFO)
    assert run_train(h5, on_ray, *SMALL, "--split", "1", "2", "--ray", "--cpus-per-run", "1") == 0
    assert "2 run(s), up to 2 at a time" in caplog.text

    files = sorted(path.relative_to(sequential) for path in sequential.rglob("*") if path.is_file())
    assert [str(name) for name in files if name.suffix != ".png"] == [
        "clips/split1.json", "clips/split1.pt", "clips/split2.json", "clips/split2.pt", "clips/splits_seed3.json"]
    assert files == sorted(path.relative_to(on_ray) for path in on_ray.rglob("*") if path.is_file())
    for name in files:
        if name.suffix == ".pt":
            first, second = torch.load(sequential / name), torch.load(on_ray / name)
            assert first.keys() == second.keys() and all(torch.equal(first[k], second[k]) for k in first), name
        elif name.suffix == ".json":
            first, second = (json.loads(path.read_text()) for path in (sequential / name, on_ray / name))
            for record in (first, second):
                record.pop("written", None)
            assert first == second, name


def test_features_of_another_backbone_train_a_model_of_their_width(first_run, tmp_path, caplog):
    """A ResNet-18 file (512-d, build_dataset.py --backbone resnet): train.py sizes the model for it as on VideoXum,
    inference.py rebuilds it from the record; weights of another width are refused, naming both widths."""
    from config import Backbone

    caplog.set_level(logging.INFO)
    parts = [make_part(f"c{i}.mp4", n_frames=240, cuts=(30, 70, 120, 160, 200), seed=i, width=512) for i in range(6)]
    h5 = write_built(tmp_path / "clips.h5", LabelKind.SCORES, parts, origin="random", network=Backbone.RESNET)
    weights = tmp_path / "weights"
    assert run_train(h5, weights, *SMALL, "--split", "1") == 0
    assert "clips: 512-d features; the model's input is sized for them" in caplog.text
    record = json.loads((weights / "clips" / "split1.json").read_text())
    assert (record["model_options"]["feature_dim"], record["model_options"]["hidden_dim"]) == (512, 512)
    assert run_inference(h5, weights, "--split", "1") == 0

    trained_on_1024 = first_run[1]  # a PGL-SUM trained on 1024-d features of a file with the same name
    caplog.clear()
    folds = weights / "clips" / "splits_seed3.json"
    assert run_inference(h5, trained_on_1024, "--split", "1", "--splits-file", folds) == 2
    assert f"{trained_on_1024 / 'clips' / 'split1.pt'} takes 1024-d features but {h5} holds 512-d ones" in caplog.text
    assert run_train(h5, tmp_path / "tuned", *SMALL, "--split", "1", "--init", trained_on_1024 / "clips" / "split1.pt") == 2
    assert "does not fit the PGL-SUM model" in caplog.text and not (tmp_path / "tuned" / "clips" / "split1.pt").exists()


def test_weights_of_an_earlier_build_of_the_same_file_are_refused(first_run, tmp_path, caplog):
    """The file rebuilt under its name with one more clip: its folds beside the weights no longer hold the videos the model
    was tested on, so scoring is refused, naming the record and the file; the file trained on is still accepted."""
    import shutil

    h5, weights = first_run
    copied, rebuilt = tmp_path / "weights", tmp_path / "clips.h5"
    shutil.copytree(weights, copied)
    parts = [make_part(f"c{i}.mp4", n_frames=240, cuts=(30, 70, 120, 160, 200), seed=i) for i in (6, 0, 1, 2, 3, 4, 5)]
    write_built(rebuilt, LabelKind.SCORES, parts, origin=BackboneOrigin.STAND_IN.value)
    caplog.clear()
    assert run_inference(rebuilt, copied, "--split", "1") == 2
    assert f"{copied / 'clips' / 'split1.json'} says split1.pt was trained on {h5}" in caplog.text
    assert f"but {rebuilt} holds other data" in caplog.text and "Point --h5 at the file the weights were trained on" in caplog.text
    caplog.clear()
    assert run_inference(h5, copied, "--split", "1") == 0


def test_a_misspelt_h5_is_one_line_naming_it(tmp_path, caplog):
    missing = tmp_path / "clipz.h5"
    assert run_inference(missing, tmp_path / "weights") == 2
    assert [r.getMessage() for r in caplog.records if r.levelname == "ERROR"] == [
        f"error: --h5 {missing}: no such file (give the file build_dataset.py wrote)"]


def test_inference_and_score_give_either_mean_and_say_which(first_run, tmp_path, caplog):
    """inference.py's mean over splits and score.py's mean over videos, of the same predictions, each a flag away."""
    caplog.set_level(logging.INFO)
    h5, weights = first_run
    saved, by_splits, by_videos = tmp_path / "scores.h5", tmp_path / "splits.json", tmp_path / "videos.json"
    assert run_inference(h5, weights, "--split", "1", "2", "--save-scores", saved, "--json", by_splits) == 0
    assert "mean: mean over 2 split(s) of each split's mean over its test videos" in caplog.text
    assert run_inference(h5, weights, "--split", "1", "2", "--json", by_videos, "--mean", "videos") == 0
    inferred = {name: json.loads(path.read_text())["clips"] for name, path in (("splits", by_splits), ("videos", by_videos))}
    assert [table["mean_over"] for table in inferred.values()] == ["splits", "videos"]
    for rule in ("videos", "splits"):
        figures = tmp_path / f"score-{rule}.json"
        assert score.main(score.parse_args(["--h5", str(h5), "--scores", str(saved), "--json", str(figures), "--mean", rule])) == 0
        overall = json.loads(figures.read_text())["overall"]
        assert overall["mean_over"] == rule
        for metric in ("f1", "kendall", "spearman"):
            assert overall[metric] == pytest.approx(inferred[rule]["mean"][metric], nan_ok=True)


def test_compare_reads_each_folders_own_folds(first_run, tmp_path, caplog):
    import shutil

    caplog.set_level(logging.INFO)
    h5, weights = first_run
    folders = [tmp_path / "a", tmp_path / "b"]
    for folder in folders:
        shutil.copytree(weights, folder)
    args = ["--dataset", "custom", "--h5", str(h5), "--weights-dir", str(tmp_path / "empty"), "--device", "cpu", "--split", "1",
            "--random-draws", "1", "--compare", *map(str, folders)]
    assert inference.main(inference.parse_args(args)) == 0, caplog.text
    assert "no folds" not in caplog.text and f"{folders[0]}; mean over 1 split(s)" in caplog.text
