"""What a training run does with the checkpoint or finished weights a previous run left (engine/train/resume.py).

Standard library only: the command line (cli/options.py, --resume/--restart) names these values before
torch is imported, so that --help and argument errors answer at once.
"""

from __future__ import annotations

import enum


class ResumePolicy(enum.Enum):
    """What a training run does with the checkpoint or finished weights a previous run left."""

    AUTO = "auto"  # continue a matching checkpoint, skip a finished run, else train from the start
    RESUME = "resume"  # as AUTO, but a run with nothing to continue is refused instead of started
    RESTART = "restart"  # discard the checkpoint and train from the start, even a finished run
    # train a finished run again but go on from a checkpoint: --restart in a Ray task, once the command has
    # discarded the old checkpoints (a retried task must keep those its first attempt wrote)
    RETRAIN = "retrain"

    def for_tasks(self) -> ResumePolicy:
        """The policy each Ray task of a command runs with: --restart has discarded the old checkpoints once
        (the command did), so the tasks retrain finished runs but go on from their own checkpoints when
        Ray retries them."""
        return ResumePolicy.RETRAIN if self is ResumePolicy.RESTART else self
