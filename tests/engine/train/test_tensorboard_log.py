"""engine/train/tensorboard_log.py: per-epoch scalars in TensorBoard's own event files."""

from pathlib import Path

from engine.train.tensorboard_log import LOSS_TAG, METRIC_TAGS, EpochBoard, run_folder
from evaluation.protocol import MeanMetrics


def read_scalars(folder: Path) -> dict[str, list[tuple[int, float]]]:
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    events = EventAccumulator(str(folder))
    events.Reload()
    return {tag: [(e.step, e.value) for e in events.Scalars(tag)] for tag in events.Tags()["scalars"]}


def test_every_epoch_logs_loss_f1_tau_and_rho(tmp_path):
    folder = run_folder(tmp_path, "CA-SUM", "SumMe", 2, seed=5, length_factor=0.6)
    assert folder == tmp_path / "CA-SUM" / "SumMe" / "seed5" / "split2" / "sigma0.6"
    with EpochBoard(folder) as board:
        board.log(1, 0.5, MeanMetrics(40.0, 0.1, 0.2))
        board.log(2, 0.25, MeanMetrics(50.0, 0.3, 0.4))
    scalars = read_scalars(folder)
    assert scalars[LOSS_TAG] == [(1, 0.5), (2, 0.25)]
    assert [v for _, v in scalars[METRIC_TAGS["f1"]]] == [40.0, 50.0]
    assert [round(v, 6) for _, v in scalars[METRIC_TAGS["kendall"]]] == [0.1, 0.3]
    assert [round(v, 6) for _, v in scalars[METRIC_TAGS["spearman"]]] == [0.2, 0.4]


def test_without_a_folder_nothing_is_written(tmp_path):
    with EpochBoard(None) as board:
        board.log(1, 0.5, MeanMetrics(40.0, 0.1, 0.2))
    assert run_folder(tmp_path, "PGL-SUM", "TVSum", 1) == tmp_path / "PGL-SUM" / "TVSum" / "split1"
    assert not list(tmp_path.iterdir())
