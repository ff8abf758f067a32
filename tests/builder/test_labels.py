import numpy as np
import pytest

from builder.labels import ScoreLabels, SegmentLabels, read_labels
from dataset.custom import LabelKind
from dataset.errors import DataError
from tests.conftest import ROOT

EXAMPLES = ROOT / "data" / "examples"


def test_score_lines_by_video_with_different_annotator_counts(tmp_path):
    path = tmp_path / "anno.tsv"
    path.write_text("a\tVT\t1,2,3\na\tVT\t3,2,1\nb\tXX\t5,5,1,1\n")
    labels = read_labels(path)
    assert labels.kind is LabelKind.SCORES and list(labels.videos) == ["a", "b"]
    assert isinstance(labels.videos["a"], ScoreLabels)
    np.testing.assert_array_equal(labels.videos["a"].scores, [[1, 2, 3], [3, 2, 1]])
    assert labels.videos["b"].scores.shape == (1, 4)


@pytest.mark.parametrize(("name", "text", "kind"), [
    ("seg.csv", "video,annotator,start,end\r\nclip,ann1,0,1.5\r\n", LabelKind.SEGMENTS),
    ("anno.tsv", "clip\tVT\t1,2,3\r\n", LabelKind.SCORES),
])
def test_a_spreadsheet_s_utf8_export_with_a_byte_order_mark_is_read(tmp_path, name, text, kind):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8-sig", newline="")  # what "CSV UTF-8" in a spreadsheet writes
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    labels = read_labels(path)
    assert labels.kind is kind and list(labels.videos) == ["clip"]  # the stem without the mark, so it matches clip.mp4


def test_segments_keep_overlaps_and_annotators(tmp_path):
    path = tmp_path / "seg.csv"
    path.write_text("video,annotator,start,end\nclip,ann1,0,1.5\nclip,ann1,1.0,2\nclip,ann2,3,4\nother,ann1,0.5,0.75\n")
    labels = read_labels(path)
    assert labels.kind is LabelKind.SEGMENTS
    clip = labels.videos["clip"]
    assert isinstance(clip, SegmentLabels)
    assert clip.segments == {"ann1": [(0.0, 1.5), (1.0, 2.0)], "ann2": [(3.0, 4.0)]}


@pytest.mark.parametrize("text, message", [
    ("video,annotator,start,end\nclip,a,2,1\n", r"seg.csv:2: the segment ends \(1.0 s\) before it starts"),
    ("video,annotator,start,end\nclip,a,x,1\n", r"seg.csv:2: start 'x' is not a number"),
    ("video,annotator,start,end\nclip,a,-1,1\n", r"seg.csv:2: start '-1' must be"),
    ("video,annotator,start,end\nclip,a,1\n", r"seg.csv:2: expected 4 fields"),
    ("video,annotator,start,end\nclip,a,0,1\nclip,b,0,1\nclip,a,0,1\n", r"seg.csv:4: repeats line 2 exactly"),
    ("video,annotator,start,end\n", "a header but no segments"),
    ("name;start\n", "neither a segment CSV"),
])
def test_bad_segment_files_name_the_line(tmp_path, text, message):
    path = tmp_path / "seg.csv"
    path.write_text(text)
    with pytest.raises(DataError, match=message):
        read_labels(path)


def test_duplicated_annotator_line_in_scores(tmp_path):
    path = tmp_path / "anno.tsv"
    path.write_text("a\tVT\t1,2,3\na\tVT\t2,2,3\na\tVT\t1,2,3\n")
    with pytest.raises(DataError, match=r"anno.tsv:3: repeats line 1 of a exactly"):
        read_labels(path)


def test_a_file_that_is_not_text(tmp_path):
    path = tmp_path / "seg.csv"
    path.write_bytes(b"video,annotator,start,end\nclip,a,0,1\n\xff\xfe,a,0,1\n")
    with pytest.raises(DataError, match=r"seg.csv: cannot be read"):
        read_labels(path)


def test_missing_file(tmp_path):
    with pytest.raises(DataError, match="cannot be read"):
        read_labels(tmp_path / "none.csv")


def test_the_example_files_read():
    scores = read_labels(EXAMPLES / "labels-scores.tsv")
    segments = read_labels(EXAMPLES / "labels-segments.csv")
    assert scores.kind is LabelKind.SCORES and segments.kind is LabelKind.SEGMENTS
    assert set(scores.videos) == set(segments.videos) == {"clip_a", "clip_b"}
