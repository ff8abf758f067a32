"""Switching --protocol on a weights folder: the other protocol's extra checkpoints (split1_map50.pt, split1_map15.pt)
are removed when the new run's checkpoints are written, so none can be taken for the new run's."""

import json
import logging

import train
from engine.run_paths import record_path_for, weights_path_for
from evaluation.replay_metrics import ReplayProtocol
from sources.replay.training import remove_stale_checkpoints


def test_only_another_protocols_extra_checkpoints_are_removed(tmp_path):
    weights = tmp_path / "split1.pt"
    for name in ("split1.pt", "split1_map50.pt", "split1_map15.pt", "split1.json", "split1_other.pt"):
        (tmp_path / name).write_bytes(b"x")
    assert remove_stale_checkpoints(weights, ReplayProtocol.MRHISUM) == []  # its own
    assert sorted(p.name for p in remove_stale_checkpoints(weights, ReplayProtocol.TRIPLESUMM)) == ["split1_map15.pt", "split1_map50.pt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["split1.json", "split1.pt", "split1_other.pt"]


def test_a_run_under_the_other_protocol_leaves_no_stale_checkpoint(replay_sets, tmp_path, caplog):
    caplog.set_level(logging.WARNING)
    common = ["--dataset", "MrHiSum", "--data-dir", str(replay_sets["mrhisum"]), "--method", "PGL-SUM", "--select", "validation",
              "--epochs", "1", "--device", "cpu", "--workers", "0", "--weights-dir", str(tmp_path)]
    assert train.main(train.parse_args(common)) == 0
    folder = weights_path_for(tmp_path, "MrHiSum", 1).parent
    assert (folder / "split1_map50.pt").is_file() and (folder / "split1_map15.pt").is_file()
    assert train.main(train.parse_args([*common, "--protocol", "triplesumm"])) == 0
    assert not (folder / "split1_map50.pt").exists() and not (folder / "split1_map15.pt").exists()
    assert "another protocol's checkpoints" in caplog.text and "split1_map50.pt" in caplog.text
    record = json.loads(record_path_for(folder / "split1.pt").read_text())
    assert record["evaluation_protocol"] == "triplesumm" and list(record["checkpoints"]) == ["tau+rho"]
