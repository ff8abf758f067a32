import pytest

from builder.build_plan import plan_build
from builder.errors import BuildError
from builder.settings import BuildConfig
from dataset.custom import LabelKind
from dataset.errors import DataError
from engine.run_outputs import OutputExists


@pytest.fixture
def videos(tmp_path):
    folder = tmp_path / "videos"
    folder.mkdir()
    for name in ("a.mp4", "b.mkv", "notes.txt"):
        (folder / name).write_bytes(b"x")
    return folder


def test_unlabelled_videos_and_labels_without_a_video_are_listed(tmp_path, videos):
    labels = tmp_path / "l.csv"
    labels.write_text("video,annotator,start,end\na,x,0,1\nz,x,0,1\n")
    plan = plan_build(BuildConfig(inputs=(videos,), out=tmp_path / "o.h5", labels=labels))
    assert [v.name for v in plan.videos] == ["a.mp4"] and plan.kind is LabelKind.SEGMENTS
    assert [v.name for v in plan.unlabelled] == ["b.mkv"] and plan.unmatched == ["z"]
    with pytest.raises(BuildError, match=r"do not match \(--require-labels\): videos without labels: .*b.mkv; labels for videos not among the inputs: z"):
        plan_build(BuildConfig(inputs=(videos,), out=tmp_path / "o.h5", labels=labels, require_labels=True))


def test_no_labels_builds_every_video(tmp_path, videos):
    plan = plan_build(BuildConfig(inputs=(videos,), out=tmp_path / "o.h5"))
    assert [v.name for v in plan.videos] == ["a.mp4", "b.mkv"] and plan.kind is LabelKind.NONE


def test_refusals_before_any_decoding(tmp_path, videos):
    out = tmp_path / "o.h5"
    out.write_bytes(b"earlier")
    with pytest.raises(OutputExists, match="already exists; --overwrite replaces it"):
        plan_build(BuildConfig(inputs=(videos,), out=out))
    (videos / "a.mkv").write_bytes(b"x")
    with pytest.raises(BuildError, match="have the same name"):
        plan_build(BuildConfig(inputs=(videos,), out=tmp_path / "new.h5"))
    with pytest.raises(BuildError, match="no videos found"):
        plan_build(BuildConfig(inputs=(videos,), out=tmp_path / "new.h5", extensions=("avi",)))
    bad = tmp_path / "bad.tsv"
    bad.write_text("a\tX\t1,2\na\tX\t1\n")
    with pytest.raises(DataError, match="bad.tsv:2"):
        plan_build(BuildConfig(inputs=(videos / "a.mp4",), out=tmp_path / "new.h5", labels=bad))
    other = tmp_path / "other.csv"
    other.write_text("video,annotator,start,end\nq,x,0,1\n")
    with pytest.raises(BuildError, match="labels none of the 1 videos"):
        plan_build(BuildConfig(inputs=(videos / "a.mp4",), out=tmp_path / "new.h5", labels=other))
