"""inference.py --complexity measures the model the weights are scored as: SummDiff weights trained with
--decoder-layers 1 are measured with one denoiser block (their record), with its MACs per sampling step."""

import json

import inference
import train
from engine.evaluate.complexity import measure_method
from models.method_choice import choice_from_record
from models.methods import method_spec


def test_summdiff_report_measures_the_weights_model_per_step(tiny_data_dir, tiny_splits, tmp_path):
    data = ["--dataset", "SumMe", "--split", "1", "--device", "cpu", "--data-dir", str(tiny_data_dir),
            "--splits-file", str(tiny_splits["SumMe"]), "--weights-dir", str(tmp_path / "w")]
    assert train.main(train.parse_args([*data, "--method", "SummDiff", "--epochs", "1", "--decoder-layers", "1"])) == 0
    report_dir = tmp_path / "rep"
    assert inference.main(inference.parse_args([*data, "--report", str(report_dir), "--random-draws", "1", "--complexity",
                                                "--sampling-steps", "4", "--method", "SummDiff"])) == 0
    computation = json.loads((report_dir / "report.json").read_text())["datasets"]["SumMe"]["complexity"]
    record = json.loads((tmp_path / "w" / "SumMe" / "split1.json").read_text())
    weights_model = method_spec("SummDiff").build(choice_from_record(record).config)
    assert computation["method"] == "SummDiff" and "decoder_layers=1" in computation["model"]
    assert computation["parameters"]["trainable"] == sum(p.numel() for p in weights_model.parameters())
    sampling = computation["macs"]["sampling"]
    assert (sampling["sampling_steps"], sampling["denoiser_calls_per_step"]) == (4, 2)  # the flag's steps, guided
    for video in computation["macs"]["videos"]:
        assert video["macs"] == video["encoder_macs"] + 4 * video["macs_per_step"]
    lengths = [video["n_steps"] for video in computation["macs"]["videos"]]
    assert computation["macs"]["mean_macs"] < measure_method("SummDiff", lengths, "cpu")["macs"]["mean_macs"]  # 10 steps, 2 blocks
    markdown = (report_dir / "report.md").read_text()
    assert "4 sampling step(s)" in markdown and "2 denoiser call(s) per step" in markdown
