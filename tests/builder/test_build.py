"""The build loop with a stand-in extractor (no decoding): resume after an interruption, videos that
fail, labels that cannot be used, the output only under its name when complete."""

import json

import h5py
import numpy as np
import pytest

from builder.build import BuildReport, assemble, build, local_map, part_settings, report_path
from builder.build_plan import plan_build
from builder.errors import BuildError
from builder.settings import BuildConfig
from dataset.custom import read_custom
from tests.builder.helpers import make_part
from video.errors import VideoOpenError

LENGTHS = {"a": 300, "b": 240, "c": 270}


@pytest.fixture
def folder(tmp_path):
    videos = tmp_path / "videos"
    videos.mkdir()
    for name in LENGTHS:
        (videos / f"{name}.mp4").write_bytes(name.encode())
    labels = tmp_path / "seg.csv"
    labels.write_text("video,annotator,start,end\n" + "".join(f"{n},x,1,2\n{n},y,1.5,3\n" for n in LENGTHS) + "ghost,x,0,1\n")
    return tmp_path


def fake_extract(calls, fail=()):
    def extract(source):
        calls.append(source.stem)
        if source.stem in fail:
            raise VideoOpenError(f"{source}: cannot open as a video (test)")
        return make_part(source.name, LENGTHS[source.stem], cuts=(30, 120))
    return extract


def config(folder, **changes):
    return BuildConfig(inputs=(folder / "videos",), out=folder / "my.h5", labels=folder / "seg.csv", progress=False, **changes)


def test_resume_after_an_interruption_skips_finished_videos(folder):
    cfg = config(folder)
    calls = []

    def killed_after_two(sources):
        for count, item in enumerate(local_map(fake_extract(calls))(sources)):
            if count == 2:
                raise KeyboardInterrupt  # as a kill between two videos
            yield item

    with pytest.raises(KeyboardInterrupt):
        build(cfg, plan_build(cfg), killed_after_two, "test backbone", "imagenet")
    assert not cfg.out.exists() and calls == ["a", "b", "c"]
    assert len(list((folder / "my.h5.parts").glob("*.h5"))) == 2
    calls.clear()
    report = build(cfg, plan_build(cfg), local_map(fake_extract(calls)), "test backbone", "imagenet")
    assert calls == ["c"] and report.resumed == 2
    data = read_custom(cfg.out)
    assert list(data.names.values()) == ["a.mp4", "b.mp4", "c.mp4"]
    assert not (folder / "my.h5.parts").exists()  # every video is in the file
    assert json.loads(report_path(cfg.out).read_text())["labels_without_video"] == ["ghost"]


def test_a_video_that_fails_is_listed_and_the_rest_are_built(folder):
    cfg = config(folder)
    report = build(cfg, plan_build(cfg), local_map(fake_extract([], fail={"b"})), "test backbone", "imagenet")
    assert report.videos == ["a.mp4", "c.mp4"]
    assert "b.mp4: cannot open as a video" in report.failed[str(folder / "videos" / "b.mp4")]
    assert (folder / "my.h5.parts").is_dir()  # kept for the next run
    with h5py.File(cfg.out, "r") as h5:
        assert sorted(h5) == ["video_1", "video_2"]


def test_nothing_built_writes_nothing(folder):
    cfg = config(folder)
    with pytest.raises(BuildError, match="not one video could be built"):
        build(cfg, plan_build(cfg), local_map(fake_extract([], fail=set(LENGTHS))), "test backbone", "imagenet")
    assert not cfg.out.exists()


def test_other_settings_do_not_mix_with_kept_parts(folder):
    cfg = config(folder)
    build(cfg, plan_build(cfg), local_map(fake_extract([], fail={"b"})), "test backbone", "imagenet")
    other = config(folder, stride=5, overwrite=True)
    assert part_settings(other, "x") != part_settings(cfg, "x")
    calls = []
    build(other, plan_build(other), local_map(fake_extract(calls)), "test backbone", "imagenet")
    assert calls == ["a", "b", "c"]  # --overwrite with other settings starts again


def test_unusable_labels_leave_the_video_out_with_the_reason(folder):
    cfg = config(folder)
    plan = plan_build(cfg)
    part = make_part("a.mp4", 300, cuts=(30, 120))
    plan.labels.videos["a"].segments.clear()
    plan.labels.videos["a"].segments["x"] = [(0.0, 10.0)]  # one annotator choosing everything: a constant mean
    report = BuildReport(cfg.out)
    assert assemble(plan, [(folder / "videos" / "a.mp4", part)], report) == []
    assert "every user summary selects every frame" in report.failed[str(folder / "videos" / "a.mp4")]


def test_a_clip_whose_every_shot_outlasts_the_budget_is_offered_split_long_shots(folder):
    cfg = config(folder)
    part = make_part("a.mp4", 300, cuts=(100, 200))  # three shots of 100 frames, budget 45
    source = folder / "videos" / "a.mp4"
    report = BuildReport(cfg.out)
    assert assemble(plan_build(cfg), [(source, part)], report) == []
    assert "every shot is longer than the 15% summary budget" in report.failed[str(source)]
    assert "pass --split-long-shots to keep such a video" in report.failed[str(source)]

    report = BuildReport(cfg.out)
    (entry,) = assemble(plan_build(cfg), [(source, part)], report, split_long=True)
    assert len(entry.part.change_points) == 9 and report.failed == {}  # each 100-frame shot in 3 pieces of at most 45
    assert report.notes["a.mp4"][0] == ("every shot was longer than the 15% summary budget (45 of 300 frames): 3 shot(s) cut "
                                        "into 9 (--split-long-shots)")


def test_label_lengths_that_disagree_are_resolved_and_reported(tmp_path):
    videos = tmp_path / "videos"
    videos.mkdir()
    (videos / "a.mp4").write_bytes(b"a")
    labels = tmp_path / "anno.tsv"
    rows = np.random.default_rng(0).integers(1, 6, (2, 297))  # 3 frames short of the 300 decoded
    labels.write_text("".join(f"a\tX\t{','.join(map(str, row))}\n" for row in rows))
    cfg = BuildConfig(inputs=(videos,), out=tmp_path / "my.h5", labels=labels, progress=False)
    report = BuildReport(cfg.out)
    entries = assemble(plan_build(cfg), [(videos / "a.mp4", make_part("a.mp4", 300))], report)
    assert len(entries) == 1 and entries[0].targets.fields["user_scores"].shape == (2, 300)
    assert report.notes == {"a.mp4": ["297 labelled frames for 300 decoded: padded with the last score (3 frames)"]}


def test_the_human_baseline_runs_on_a_built_file(tmp_path):
    from dataset.custom import LabelKind
    from evaluation.baselines import human_baseline
    from tests.builder.helpers import write_built

    for kind in (LabelKind.SCORES, LabelKind.SEGMENTS):
        data = read_custom(write_built(tmp_path / f"{kind.value}.h5", kind, [make_part("a.mp4"), make_part("b.mp4", seed=3)]))
        row = human_baseline(list(data.videos.values()), data.spec)
        assert row.n_videos == 2 and 0 <= row.f1 <= 100 and -1 <= row.kendall <= 1
