from pathlib import Path
from types import SimpleNamespace

from config import EpochRule
from engine.reports.deployment import deployment_advice


def _run(split, rule=EpochRule.LAST, warnings=()):
    return SimpleNamespace(dataset="clips", split=split, weights_path=Path(f"weights/clips/split{split}.pt"), warnings=list(warnings),
                           plan=SimpleNamespace(rule=rule), rule_label=rule.label)


def test_the_advice_names_the_split_trained_on_most_videos_never_the_best_test_figures():
    sizes = {("clips", 1): 8, ("clips", 2): 9, ("clips", 3): 9}
    (line,) = deployment_advice([_run(1), _run(2), _run(3)], sizes)
    assert "use weights/clips/split2.pt" in line and "trained on 9 videos, the most of the 3 split(s)" in line
    assert "optimistic" in line


def test_useless_models_are_passed_over_and_test_label_rules_are_named():
    sizes = {("clips", 1): 8, ("clips", 2): 9}
    lines = deployment_advice([_run(1, EpochRule.BEST_ON_TEST), _run(2, EpochRule.BEST_ON_TEST, ["saturated"])], sizes)
    assert "use weights/clips/split1.pt" in lines[0] and "among those that do not look useless" in lines[0]
    assert "chosen on the test labels" in lines[1] and "--select last" in lines[1]
    warned, named = deployment_advice([_run(1, warnings=["saturated"])], {("clips", 1): 8})
    assert "every split's model looks useless" in warned and "use weights/clips/split1.pt" in named
