"""Which mean a final figure is: over splits (the papers' number) or over test videos.

The papers (and inference.py) average each split's test videos, then the splits; score.py averages the
videos it is given. The two differ whenever the splits hold different numbers of videos or one split is
easier than the others (41.98 against 34.98 F1 on one built data set), so every table and JSON says which
one it holds, and both commands give either (--mean splits|videos).

Standard library at import (the rule is an argparse choice, read before numpy loads).
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # numpy and scipy: only when a mean is taken
    from evaluation.protocol import MeanMetrics, VideoMetrics


class MeanOver(enum.Enum):
    """What the final mean averages."""

    SPLITS = "splits"  # each split's mean over its test videos, then the mean of those (the papers', inference.py's default)
    VIDEOS = "videos"  # every test video once, whatever its split (score.py's default)

    @property
    def other(self) -> MeanOver:
        return MeanOver.VIDEOS if self is MeanOver.SPLITS else MeanOver.SPLITS

    def what(self, n_splits: int | None, n_videos: int) -> str:
        """Which mean it is, in words (for a table's note)."""
        if self is MeanOver.SPLITS:
            return f"mean over {n_splits} split(s) of each split's mean over its test videos ({n_videos} in all)"
        return f"mean over the {n_videos} test video(s)" + (f" of {n_splits} split(s)" if n_splits else "")

    def describe(self, n_splits: int | None, n_videos: int) -> str:
        """The wording tables print under their mean row, with the flag that gives the other mean."""
        return f"{self.what(n_splits, n_videos)}; --mean {self.other.value} gives the mean over {self.other.value}"


def mean_over(rule: MeanOver, by_split: Mapping[int, Sequence[VideoMetrics]]) -> MeanMetrics:
    """The final mean of per-video metrics grouped by split (a video tested in two splits counts in each)."""
    from evaluation.protocol import mean_metrics

    if rule is MeanOver.SPLITS:
        return mean_metrics([mean_metrics(rows) for rows in by_split.values()])
    return mean_metrics([row for rows in by_split.values() for row in rows])
