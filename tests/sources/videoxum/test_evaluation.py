"""inference.py --dataset VideoXum: the V2V table with the Human and published rows; --seeds, --report,
--save-scores and --compare; and the refusals."""

import json
import logging
import math
import shutil

import h5py
import numpy as np
import pytest
import torch

import inference
from dataset.videoxum import VideoXumSplit
from evaluation.v2v import PUBLISHED_V2V, V2VMeans, human_v2v, mean_v2v, top_share_selection
from sources.videoxum.data import VideoXumFiles
from sources.videoxum.evaluation import human_means, spread_v2v

OURS = "PGL-SUM (feature_dim=32, hidden_dim=32), here"  # PGL-SUM sized for the synthetic set's 32-d features


def _args(videoxum_dir, weights, *extra):
    return ["--dataset", "VideoXum", "--data-dir", str(videoxum_dir), "--features", "tiny", "--device", "cpu", "--workers", "0",
            "--weights-dir", str(weights), *extra]


def _rows(text: str) -> dict[str, list[str]]:
    """The Markdown table's rows by their first cell."""
    rows = [[cell.strip() for cell in line.strip("|").split("|")] for line in text.splitlines() if line.startswith("| ")]
    return {row[0]: row[1:] for row in rows}


@pytest.fixture(scope="module")
def two_seeds(videoxum_trained, tmp_path_factory):
    """The trained weights as seed 1, and a perturbed copy of them (same record) as seed 2."""
    weights, code = videoxum_trained
    assert code == 0
    folder = tmp_path_factory.mktemp("videoxum_seeds")
    for seed in (1, 2):
        target = folder / "VideoXum" / f"seed{seed}"
        target.mkdir(parents=True)
        shutil.copy(weights / "VideoXum" / "split1.json", target / "split1.json")
        state = torch.load(weights / "VideoXum" / "split1.pt", weights_only=True)
        if seed == 2:
            generator = torch.Generator().manual_seed(0)
            state = {key: value + 0.5 * torch.randn(value.shape, generator=generator) if value.is_floating_point() else value
                     for key, value in state.items()}
        torch.save(state, target / "split1.pt")
    return folder


def test_the_table_holds_ours_human_and_the_published_rows(videoxum_trained, videoxum_dir, tmp_path, caplog):
    weights, code = videoxum_trained
    assert code == 0
    caplog.set_level(logging.INFO)
    assert inference.main(inference.parse_args(_args(videoxum_dir, weights, "--json", str(tmp_path / "v2v.json")))) == 0
    rows = _rows(caplog.text)
    header = rows["row"]
    assert header[:7] == ["F1 max", "F1 mean", "F1 (published)", "Kendall tau", "Spearman rho", "tau each (mean)", "rho each (mean)"]
    ours = rows[OURS]
    assert "selected on validation" in ours[7] and ours[8] == "no test labels" and str(weights) in ours[9]
    assert rows["Human"][7] == "none (no training)"
    for row in PUBLISHED_V2V:
        cells = rows[f"{row.method}, as published"]
        assert cells[2] == f"{row.f1:.1f}" and cells[3] == f"{row.kendall:.3f}" and row.source in cells[9] and "last epoch" in cells[7]
    assert "SYNTHETIC data" in caplog.text

    payload = json.loads((tmp_path / "v2v.json").read_text())["datasets"]["VideoXum"]
    (run,) = payload["folders"][0]["runs"]
    record = json.loads((weights / "VideoXum" / "split1.json").read_text())
    assert run["test"] == pytest.approx(record["test_v2v"])  # the test numbers training wrote, scored again
    assert run["test"]["n_videos"] == len(run["videos"]) == 2 and payload["synthetic_data"] is True
    assert [row["name"] for row in payload["rows"]] == [OURS, *(f"{p.method}, as published" for p in PUBLISHED_V2V), "Human"]
    assert float(ours[0]) == pytest.approx(record["test_v2v"]["f1_max"], abs=0.005)


def test_the_human_row_is_the_mean_over_videos_of_the_annotators_agreement(videoxum_dir):
    test = VideoXumFiles(videoxum_dir, "tiny", 0).split(VideoXumSplit.TEST)
    expected = mean_v2v([human_v2v(test[i].user_summary, test[i].key) for i in range(len(test))])
    assert human_means(test) == expected


def test_spread_over_seeds_is_the_mean_and_sample_std_of_every_number():
    names = [name for name in V2VMeans.__dataclass_fields__ if name != "n_videos"]
    first = V2VMeans(3, **dict.fromkeys(names, 1.0))
    second = V2VMeans(3, **{name: 3.0 if name == "f1_max" else 1.0 for name in names})
    spread = spread_v2v([1, 2], [first, second])
    assert spread.mean.f1_max == 2.0 and math.isclose(spread.std.f1_max, math.sqrt(2)) and spread.std.kendall == 0.0
    assert spread.mean.n_videos == 3 and spread_v2v([None], [first]).std is None


def test_several_seeds_give_mean_and_std(two_seeds, videoxum_dir, tmp_path, caplog):
    caplog.set_level(logging.INFO)
    json_path = tmp_path / "seeds.json"
    assert inference.main(inference.parse_args(_args(videoxum_dir, two_seeds, "--seeds", "1", "2", "--json", str(json_path)))) == 0
    folder = json.loads(json_path.read_text())["datasets"]["VideoXum"]["folders"][0]
    first, second = (run["test"] for run in folder["runs"])
    assert [run["seed"] for run in folder["runs"]] == [1, 2] and first != second
    spread = folder["across_seeds"]
    assert spread["mean"]["kendall"] == pytest.approx((first["kendall"] + second["kendall"]) / 2)
    assert spread["std"]["kendall"] == pytest.approx(abs(first["kendall"] - second["kendall"]) / math.sqrt(2))
    row = _rows(caplog.text)[OURS]
    assert row[3] == f"{spread['mean']['kendall']:.3f} ± {spread['std']['kendall']:.3f}" and "seeds 1, 2" in row[9]


def test_save_scores_keeps_every_test_video_s_frame_scores_and_v2v_summary(two_seeds, videoxum_dir, tmp_path):
    path = tmp_path / "scores.h5"
    assert inference.main(inference.parse_args(_args(videoxum_dir, two_seeds, "--seeds", "1", "2", "--save-scores", str(path)))) == 0
    test = VideoXumFiles(videoxum_dir, "tiny", 0).split(VideoXumSplit.TEST)
    with h5py.File(path, "r") as scores:
        assert scores.attrs["format"] == "csta-scores/1" and "--save-scores" in scores.attrs["command"]
        group = scores["VideoXum"]
        assert group.attrs["layout"] == "video" and "1 fps" in group.attrs["frames"] and group.attrs["videoxum_split"] == "test"
        assert sorted(group) == ["seed1", "seed2"]
        for seed in (1, 2):
            assert sorted(group[f"seed{seed}"]) == sorted(test.keys)
            for index in range(len(test)):
                video = group[f"seed{seed}"][test.keys[index]]
                step_scores = video["step_scores"][()]
                assert step_scores.dtype == np.float32 and len(step_scores) == len(test[index].features)  # one per 1 fps frame
                np.testing.assert_array_equal(video["machine_summary"][()], top_share_selection(step_scores).astype(np.uint8))
                assert video.attrs["split"] == 1 and video.attrs["method"] == "PGL-SUM" and video.attrs["seed"] == seed
                assert video.attrs["selection_rule"] == "validation" and video.attrs["weights"].endswith(f"seed{seed}/split1.pt")


def test_the_report_holds_the_table_the_runs_and_their_checksums(two_seeds, videoxum_dir, tmp_path):
    report = tmp_path / "report"
    assert inference.main(inference.parse_args(_args(videoxum_dir, two_seeds, "--seeds", "1", "2", "--report", str(report)))) == 0
    payload = json.loads((report / "report.json").read_text())
    data = payload["datasets"]["VideoXum"]
    assert data["protocol"] == "VideoXum V2V" and data["synthetic_data"] and len(data["runs"]) == 2
    assert data["across_seeds"]["seeds"] == [1, 2] and data["annotation_file"]["path"].endswith("test_videoxum.json")
    assert all(len(run["weights"]["sha256"]) == 64 and run["training"]["epochs"] == 2 for run in data["runs"])
    markdown = (report / "report.md").read_text()
    rows = _rows(markdown)
    assert "±" in rows[OURS][0] and "Human" in rows and "SYNTHETIC" in markdown
    assert all(f"{p.method}, as published" in rows for p in PUBLISHED_V2V)
    assert data["runs"][1]["weights"]["sha256"][:16] in markdown and "no per-video plots" in markdown


def test_compare_puts_several_folders_in_one_table(videoxum_trained, two_seeds, videoxum_dir, tmp_path, caplog):
    released = tmp_path / "released" / "VideoXum"
    released.mkdir(parents=True)
    shutil.copy(videoxum_trained[0] / "VideoXum" / "split1.pt", released / "split1.pt")  # weights without a record
    caplog.set_level(logging.INFO)
    json_path = tmp_path / "compare.json"
    argv = _args(videoxum_dir, tmp_path, "--compare", str(videoxum_trained[0]), f"PGL-SUM={tmp_path / 'released'}", "--json", str(json_path))
    assert inference.main(inference.parse_args(argv)) == 0
    names = [row["name"] for row in json.loads(json_path.read_text())["datasets"]["VideoXum"]["rows"]]
    assert names == [OURS] * 2 + [f"{p.method}, as published" for p in PUBLISHED_V2V] + ["Human"]
    rows = json.loads(json_path.read_text())["datasets"]["VideoXum"]["rows"]
    assert rows[0]["values"] == rows[1]["values"]  # the same weights, with and without their record
    assert rows[0]["looks_at_test_labels"] is False and rows[1]["looks_at_test_labels"] is None and "no training record" in rows[1]["rule"]


@pytest.mark.parametrize(("extra", "message"), [
    (["--split", "1"], "VideoXum has its own train/val/test split"),
    (["--report", "r", "--complexity"], "not available with --dataset VideoXum"),
    (["--compare", "a", "--save-scores", "s.h5"], "does not combine with --report or --save-scores"),
])
def test_what_cannot_be_done_is_refused_at_parse_time(videoxum_dir, tmp_path, extra, message, capsys):
    with pytest.raises(SystemExit):
        inference.parse_args(_args(videoxum_dir, tmp_path, *extra))
    assert message in capsys.readouterr().err


def test_missing_weights_and_features_are_named(videoxum_trained, videoxum_dir, tmp_path, caplog):
    assert inference.main(inference.parse_args(_args(videoxum_dir, tmp_path / "none"))) == 2
    assert "no VideoXum weights at" in caplog.text and "train.py --dataset VideoXum" in caplog.text
    assert inference.main(inference.parse_args(_args(videoxum_dir, videoxum_trained[0], "--seeds", "1", "2"))) == 2
    assert "seed1/split1.pt" in caplog.text and "--seeds" in caplog.text
    args = _args(videoxum_dir, videoxum_trained[0])
    args[args.index("tiny")] = "blip"
    assert inference.main(inference.parse_args(args)) == 2
    assert "unknown feature set 'blip'" in caplog.text
