import shutil

import numpy as np
import pytest

from config import DATASETS, FRAME_SAMPLE_RATE, TVSUM_ANNOTATION_FILE
from dataset import DataError, load_benchmark

SUMME = DATASETS["SumMe"]
TVSUM = DATASETS["TVSum"]


def _annotation_rows(path):
    """Each line of a ydata-anno.tsv as (video id, scores), read with nothing but str.split."""
    rows = []
    for line in path.read_text().splitlines():
        video_id, _, scores = line.split("\t")
        rows.append((video_id, [float(s) for s in scores.split(",")]))
    return rows


def test_summe_needs_no_annotation_file(tiny_data_dir):
    benchmark = load_benchmark(SUMME, str(tiny_data_dir))
    assert benchmark.spec is SUMME and benchmark.synthetic
    assert benchmark.h5_path == tiny_data_dir / SUMME.h5_name and benchmark.annotation_path is None
    assert list(benchmark.videos) == [f"video_{i}" for i in range(1, 9)]
    assert all(video.annotator_scores is None for video in benchmark.videos.values())


def test_tvsum_annotator_scores_are_each_annotators_scores_over_their_maximum_every_15th_frame(tiny_data_dir):
    benchmark = load_benchmark(TVSUM, tiny_data_dir)
    assert benchmark.annotation_path == tiny_data_dir / TVSUM_ANNOTATION_FILE
    rows = _annotation_rows(benchmark.annotation_path)
    for number, video in enumerate(benchmark.videos.values(), start=1):
        mine = [scores for video_id, scores in rows if video_id == f"SYNTHETIC_{number:03d}"]
        expected = [[row[frame] / max(row) for frame in range(0, len(row), FRAME_SAMPLE_RATE)] for row in mine]
        assert video.annotator_scores.shape == (4, video.n_steps)
        np.testing.assert_array_equal(video.annotator_scores, expected)


def test_subset_gives_the_records_in_the_asked_order(tiny_data_dir):
    benchmark = load_benchmark(SUMME, tiny_data_dir)
    chosen = benchmark.subset(("video_3", "video_1", "video_8"))
    assert [video.key for video in chosen] == ["video_3", "video_1", "video_8"]
    assert chosen[0] is benchmark.videos["video_3"]


def test_missing_files_say_what_and_where(tmp_path, tiny_data_dir):
    with pytest.raises(DataError) as error:
        load_benchmark(SUMME, tmp_path)
    assert str(tmp_path / SUMME.h5_name) in str(error.value) and "--data-dir" in str(error.value)
    shutil.copy(TVSUM.h5_path(tiny_data_dir), tmp_path)
    with pytest.raises(DataError) as error:
        load_benchmark(TVSUM, tmp_path)
    assert str(tmp_path / TVSUM_ANNOTATION_FILE) in str(error.value) and "ydata-tvsum50-anno.tsv" in str(error.value)


@pytest.fixture
def tvsum_copy(tmp_path, tiny_data_dir):
    shutil.copy(TVSUM.h5_path(tiny_data_dir), tmp_path)
    shutil.copy(tiny_data_dir / TVSUM_ANNOTATION_FILE, tmp_path)
    return tmp_path


def _rewrite_annotator(folder, video_number, annotator, make_row):
    path = folder / TVSUM_ANNOTATION_FILE
    lines = path.read_text().splitlines()
    index = [i for i, line in enumerate(lines) if line.startswith(f"SYNTHETIC_{video_number:03d}\t")][annotator - 1]
    fields = lines[index].split("\t")
    fields[2] = ",".join(map(str, make_row(len(fields[2].split(",")))))
    lines[index] = "\t".join(fields)
    path.write_text("\n".join(lines) + "\n")


def test_an_annotation_file_for_another_number_of_videos_is_refused(tvsum_copy):
    path = tvsum_copy / TVSUM_ANNOTATION_FILE
    path.write_text("\n".join(line for line in path.read_text().splitlines() if not line.startswith("SYNTHETIC_006\t")) + "\n")
    with pytest.raises(DataError, match="annotates 5 videos but .* has 6") as error:
        load_benchmark(TVSUM, tvsum_copy)
    assert str(path) in str(error.value) and str(TVSUM.h5_path(tvsum_copy)) in str(error.value)


def test_annotations_of_another_length_than_the_video_are_refused(tvsum_copy):
    n_frames = len(_annotation_rows(tvsum_copy / TVSUM_ANNOTATION_FILE)[0][1])
    for annotator in range(1, 5):  # every annotator of video 1 rates 15 frames more: one step more than the h5 file
        _rewrite_annotator(tvsum_copy, 1, annotator, lambda n: [1 + (i // FRAME_SAMPLE_RATE) % 5 for i in range(n + FRAME_SAMPLE_RATE)])
    with pytest.raises(DataError, match=f"video SYNTHETIC_001 has {n_frames + FRAME_SAMPLE_RATE} annotated frames") as error:
        load_benchmark(TVSUM, tvsum_copy)
    assert "video_1" in str(error.value) and "steps" in str(error.value)


@pytest.mark.parametrize("make_row", [
    lambda n: [3] * n,  # the same score everywhere
    lambda n: [3 if i % 15 == 0 else 1 + i % 5 for i in range(n)],  # varies, but not at the feature steps
], ids=["constant", "constant_at_steps"])
def test_an_annotator_with_one_score_at_every_step_is_refused(tvsum_copy, make_row):
    _rewrite_annotator(tvsum_copy, 3, 2, make_row)
    with pytest.raises(DataError, match="annotator\\(s\\) 2 of 4 give the same score at every feature step") as error:
        load_benchmark(TVSUM, tvsum_copy)
    message = str(error.value)
    assert str(tvsum_copy / TVSUM_ANNOTATION_FILE) in message and "SYNTHETIC_003" in message and "video_3" in message


def test_non_finite_annotator_scores_are_refused(tvsum_copy):
    _rewrite_annotator(tvsum_copy, 1, 1, lambda n: ["nan"] + [2] * (n - 1))
    with pytest.raises(DataError, match="NaN or infinite"):
        load_benchmark(TVSUM, tvsum_copy)
