"""Which weights to summarise new videos with, said after k-fold training.

k-fold training writes k models, each trained on its fold's training videos only; none has seen every
video, and each one's test figures estimate how such a model does on videos it has not seen. Picking
the fold with the best test figures would make that estimate optimistic (the choice itself looks at
the test labels), so the advice chooses by what needs no test labels: the most training videos
(the first such fold on a tie), among the models that do not look useless when there are any. When the epochs were
chosen on the test labels (--select test), it says that weights meant for new videos should be
trained with a rule that needs none. Standard library only.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from engine.train.loop import SplitTraining


def deployment_advice(results: Sequence[SplitTraining], train_videos: Mapping[tuple[str, int], int]) -> list[str]:
    """One paragraph per data set: the weights file to give generate_video.py, and why that one.

    Args:
        results: the trained splits of one seed.
        train_videos: (data set, split number) -> how many videos that split trained on.
    """
    lines = []
    for dataset in dict.fromkeys(result.dataset for result in results):
        runs = [result for result in results if result.dataset == dataset]
        usable = [result for result in runs if not result.warnings]
        if not usable:
            lines.append(f"{dataset}: every split's model looks useless (WARNING lines above): read the warnings before "
                         "summarising new videos with any of them")
        best = max(usable or runs, key=lambda result: (train_videos.get((dataset, result.split), 0), -result.split))
        n_splits = len([key for key in train_videos if key[0] == dataset])
        lines.append(
            f"{dataset}: to summarise new videos, use {best.weights_path} (generate_video.py VIDEOS --weights FILE): it trained on "
            f"{train_videos.get((dataset, best.split), 0)} videos, the most of the {n_splits} split(s) here"
            + (", among those that do not look useless" if 0 < len(usable) < len(runs) else "")
            + ". Each split's model saw only its fold's training videos, and its test figures estimate how it does on new ones; "
            "choosing the split with the best test figures instead would make that estimate optimistic")
        if any(result.plan is not None and result.plan.rule.looks_at_test_labels for result in runs):
            lines.append(f"{dataset}: these epochs were chosen on the test labels ({runs[0].rule_label}); for weights meant for new "
                         "videos, train with --select last, loss-curve or min-loss, which look at no test label")
    return lines
