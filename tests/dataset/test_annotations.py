import numpy as np
import pytest

from dataset.annotations import annotator_step_scores, read_tvsum_annotations
from dataset.errors import DataError
from tests.conftest import SHARED_ANNOTATIONS


@pytest.mark.skipif(not SHARED_ANNOTATIONS.is_file(), reason="real TVSum annotations (../shared/data/ydata-anno.tsv) not present")
def test_real_tvsum_annotations():
    videos = read_tvsum_annotations(SHARED_ANNOTATIONS)
    assert len(videos) == 50
    assert all(scores.shape[0] == 20 for _, scores in videos)
    assert videos[0][0] == "AwmHb44_ouw" and videos[0][1].shape == (20, 10597)
    assert videos[1][0] == "98MoyGZKHXc" and videos[1][1].shape == (20, 4688)
    assert all(scores.min() >= 1 and scores.max() <= 5 for _, scores in videos)
    steps = annotator_step_scores(videos[0][1], 15, "real")
    assert steps.shape == (20, 707)  # ceil(10597 / 15)
    np.testing.assert_allclose(steps.max(axis=1), 1.0)
    np.testing.assert_array_equal(steps[:, 1], videos[0][1][:, 15] / videos[0][1].max(axis=1))


def test_normalisation_is_per_annotator():
    raw = np.array([[1, 2, 4, 2], [5, 5, 1, 1]], dtype=float)
    np.testing.assert_array_equal(annotator_step_scores(raw, 2, "test"), [[0.25, 1.0], [1.0, 0.2]])


def test_malformed_files(tmp_path):
    bad = tmp_path / "anno.tsv"
    bad.write_text("vid\tVT\t1,2,3\nvid\tVT\t1,2\n")
    with pytest.raises(DataError, match=r"anno.tsv:2: 2 scores"):
        read_tvsum_annotations(bad)
    bad.write_text("vid\tVT\n")
    with pytest.raises(DataError, match="3 tab-separated fields"):
        read_tvsum_annotations(bad)
    bad.write_text("vid\tVT\t1,x,3\n")
    with pytest.raises(DataError, match="not comma-separated numbers"):
        read_tvsum_annotations(bad)
    bad.write_text("a\tVT\t1,2\na\tVT\t1,2\nb\tVT\t1,2\n")
    with pytest.raises(DataError, match="different numbers of annotators"):
        read_tvsum_annotations(bad)


def test_rows_keep_category_and_line_numbers(tmp_path):
    from dataset.annotations import read_annotation_rows

    path = tmp_path / "anno.tsv"
    path.write_text("a\tVT\t1,2\n\nb\tXX\t3,4,5\na\tVT\t2,1\n")
    rows = read_annotation_rows(path)
    assert list(rows) == ["a", "b"] and rows["a"].lines == (1, 4) and rows["b"].category == "XX"
    np.testing.assert_array_equal(rows["a"].scores, [[1, 2], [2, 1]])
