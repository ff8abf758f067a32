"""bench/bench_videoxum_memory.py on a tiny synthetic set: it streams every video and reads /proc's figures."""


from dataset.videoxum import VideoXumDataset, VideoXumSplit
from dataset.videoxum_synthetic import SyntheticVideoXumConfig, write_synthetic_videoxum
from tests.bench.script import load_bench_script


def _bench_module():
    return load_bench_script("bench_videoxum_memory")


def test_streams_every_split_and_samples_memory(tmp_path, capsys):
    bench = _bench_module()
    write_synthetic_videoxum(tmp_path, SyntheticVideoXumConfig(n_videos=5, dim=4, median_seconds=12, max_seconds=20), progress=False)
    datasets = [VideoXumDataset(tmp_path, split, "blip") for split in VideoXumSplit]
    own, together = bench.resident_mb()
    assert own > 0 and together > 0
    bench.stream(datasets, workers=0, sample_every=2)
    out = capsys.readouterr().out
    assert "streamed 5 videos" in out and out.count(" videos (") == 3  # after videos 2 and 4, and at the end
