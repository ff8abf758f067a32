"""generate_video.py's progress bars (tqdm on stderr) read back as words and one overall fraction."""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass

# "features clip.mp4:  40%|####      | 48/120 [00:01<00:02, ...]": the bar's name and its count
_BAR = re.compile(r"^(?P<name>\w+) .*?:\s+\d+%\|.*?\|\s*(?P<done>\d+)/(?P<total>\d+)")


class Stage(enum.Enum):
    """The summary's steps in order, each with the words the page shows and its share of the bar."""

    LOADING = ("loading the networks", 0.0, 0.10)
    FEATURES = ("decoding the video and computing its features", 0.10, 0.70)
    SHOTS = ("finding the shots", 0.70, 0.75)
    SCORES = ("scoring the steps and choosing the shots", 0.75, 0.78)
    WRITING = ("writing the summary video, the JSON and the picture", 0.78, 1.0)
    DONE = ("done", 1.0, 1.0)

    def __init__(self, words: str, start: float, end: float) -> None:
        self.words = words
        self.start = start
        self.end = end


# tqdm's bar names in summarize/ and video/ -> the stage they measure
_BAR_STAGES = {"features": Stage.FEATURES, "shots": Stage.SHOTS, "writing": Stage.WRITING}


@dataclass(frozen=True)
class Progress:
    stage: Stage
    within: float = 0.0  # share of the stage done, in [0, 1]

    @property
    def fraction(self) -> float:
        return self.stage.start + (self.stage.end - self.stage.start) * min(max(self.within, 0.0), 1.0)

    @property
    def words(self) -> str:
        return f"{self.stage.words} ({100 * self.within:.0f}%)" if 0 < self.within < 1 else self.stage.words


def read_progress(line: str, current: Progress) -> Progress:
    """The progress a line of generate_video's stderr shows; ``current`` when it shows none.
    A finished shots bar means the scores are next (they have no bar of their own)."""
    match = _BAR.match(line.strip())
    if match is None or match["name"] not in _BAR_STAGES:
        return current
    stage = _BAR_STAGES[match["name"]]
    total = int(match["total"])
    within = int(match["done"]) / total if total else 0.0
    if stage is Stage.SHOTS and within >= 1:
        return Progress(Stage.SCORES)
    return Progress(stage, within)
