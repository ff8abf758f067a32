"""inference.py --compare (engine/evaluate/method_comparison.py): a row per folder, the published rows, Random and Human."""

import math
from pathlib import Path

import numpy as np
import pytest

from config import DATASETS, ModelConfig, PGLSumConfig
from dataset import load_benchmark
from engine.evaluate.method_comparison import compare_dataset, comparison_json, comparison_table
from engine.evaluate.weights_evaluation import DatasetEvaluation, SplitEvaluation
from evaluation.protocol import MeanMetrics, VideoMetrics
from models.method_choice import ModelChoice
from models.methods import METHODS, EpochRule


@pytest.fixture(scope="module")
def tvsum(tiny_data_dir):
    return load_benchmark(DATASETS["TVSum"], tiny_data_dir)


def _run(benchmark, choice, rule, f1, seed=None) -> DatasetEvaluation:
    keys = ["video_1", "video_2"]
    split = SplitEvaluation(1, Path("w/TVSum/split1.pt"), MeanMetrics(f1, 0.1, 0.2), [VideoMetrics(k, f1, 0.1, 0.2) for k in keys],
                            None, None, {k: np.zeros(benchmark.videos[k].n_steps) for k in keys}, None, choice, rule)
    return DatasetEvaluation("TVSum", benchmark.h5_path, True, [split], seed)


def test_rows_say_each_methods_figures_rule_and_source(tvsum):
    csta = ModelChoice("CSTA", ModelConfig())
    pgl = ModelChoice("PGL-SUM", PGLSumConfig())
    runs = {
        Path("runs/csta"): [_run(tvsum, csta, EpochRule.BEST_ON_TEST, f1, seed) for f1, seed in ((50.0, 1), (54.0, 2))],
        Path("runs/pgl"): [_run(tvsum, pgl, EpochRule.LOSS_CURVE, 40.0)],
        Path("released"): [_run(tvsum, pgl, None, 45.0)],
    }
    table = compare_dataset(tvsum, runs, random_draws=2)
    names = [row.name for row in table.rows]
    assert names == ["CSTA (defaults), here", "PGL-SUM (defaults), here", "PGL-SUM (defaults), here",
                     "CSTA, as published", "PGL-SUM, as published", "Random", "Human"]
    two_seeds, pgl_here, released = table.rows[:3]
    assert two_seeds.f1 == 52.0 and two_seeds.runs == 2 and math.isclose(two_seeds.std[0], math.sqrt(8))
    assert two_seeds.looks_at_test_labels is True and "looks at test labels" in two_seeds.rule
    assert pgl_here.looks_at_test_labels is False and pgl_here.std is None and "PGL-SUM's rule" in pgl_here.rule
    assert released.looks_at_test_labels is None and "no training record" in released.rule
    csta_paper, pgl_paper = table.rows[3:5]
    assert (csta_paper.kendall, csta_paper.spearman, csta_paper.f1) == (0.194, 0.255, None)
    assert (pgl_paper.kendall, pgl_paper.spearman) == (0.157, 0.206) and "github.com/e-apostolidis/PGL-SUM" in pgl_paper.note
    assert pgl_paper.looks_at_test_labels is False  # the authors' own rule
    assert all(row.kind == "baseline" and "2 test videos" in row.note for row in table.rows[5:])

    text = comparison_table(table)
    assert "| 52.00 ± 2.83 |" in text and "LOOKS AT TEST LABELS" in text and "no test labels" in text
    assert "| CSTA, as published | not stated | 0.194 | 0.255 |" in text and "SYNTHETIC" in text
    payload = comparison_json([table], "python inference.py --compare runs/csta runs/pgl released")
    assert [row["name"] for row in payload["datasets"]["TVSum"]["rows"]] == names


def test_every_published_figure_names_its_source():
    for method, dataset, figures in [(spec.name, dataset, figures) for spec in METHODS.values() for dataset, figures in spec.published.items()]:
        assert figures.source, (method, dataset)
        stated = [value for value in (figures.f1, figures.kendall, figures.spearman) if value is not None]
        assert not stated or "github.com" in figures.source or "CSTA" in figures.source
    assert METHODS["CA-SUM"].published_on("TVSum").kendall is None  # its README states no figures
    assert METHODS["CSTA"].published_on("VideoXum").source == "no source recorded"
