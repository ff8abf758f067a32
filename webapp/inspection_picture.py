"""The picture that explains one video's numbers: the annotators' curve (mean and spread), each
method's predicted curve, the user summaries as a heat strip, each method's knapsack selection."""

from __future__ import annotations

import io

import numpy as np

from summarize.outputs import load_matplotlib
from webapp.inspection import VideoView


def draw_video_view(view: VideoView) -> bytes:
    """PNG bytes; frames on the x axis of every panel, so the strips line up with the curves."""
    plt = load_matplotlib()
    methods = list(view.predictions)
    rows = 1 + 1 + max(len(methods), 1)
    figure = plt.figure(figsize=(12, 3.2 + 0.9 * rows), dpi=100)
    grid = figure.add_gridspec(rows, 1, height_ratios=[4, 2] + [0.5] * (rows - 2))
    n_frames = view.user_summaries.shape[1]

    curve = figure.add_subplot(grid[0])
    curve.plot(view.picks, view.truth_mean, color="black", linewidth=1.4, label=f"ground truth: {view.truth_words}, mean")
    curve.fill_between(view.picks, view.truth_mean - view.truth_spread, view.truth_mean + view.truth_spread,
                       color="0.6", alpha=0.35, label="mean ± one standard deviation")
    predicted = curve.twinx() if methods else None
    for colour, label in zip(plt.rcParams["axes.prop_cycle"].by_key()["color"], methods, strict=False):
        metrics = view.metrics[label]
        assert predicted is not None
        predicted.plot(view.picks, view.predictions[label], color=colour, linewidth=1.1,
                       label=f"{label}: F1 {metrics.f1:.1f}, tau {metrics.kendall:.3f}, rho {metrics.spearman:.3f}")
    if predicted is not None:
        predicted.set_ylabel("predicted score")
        handles = curve.get_legend_handles_labels()
        extra = predicted.get_legend_handles_labels()
        curve.legend(handles[0] + extra[0], handles[1] + extra[1], loc="upper right", fontsize=7)
    else:
        curve.legend(loc="upper right", fontsize=7)
    curve.set_xlim(0, n_frames - 1)
    curve.set_ylabel("ground truth")
    curve.set_title(f"{view.key} ({view.name}): {n_frames} frames, {len(view.user_summaries)} annotators", fontsize=10,
                    parse_math=False)

    users = figure.add_subplot(grid[1], sharex=curve)
    users.imshow(view.user_summaries, aspect="auto", interpolation="nearest", cmap="Greys",
                 extent=(0, n_frames - 1, len(view.user_summaries), 0))
    users.set_ylabel("user\nsummaries", fontsize=8)
    users.set_yticks([])
    for row, label in enumerate(methods):
        strip = figure.add_subplot(grid[2 + row], sharex=curve)
        strip.imshow(view.selections[label][np.newaxis, :], aspect="auto", interpolation="nearest", cmap="Oranges",
                     extent=(0, n_frames - 1, 1, 0), vmin=0, vmax=1)
        strip.set_yticks([])
        strip.set_ylabel(label, fontsize=8, rotation=0, ha="right", va="center")
    figure.axes[-1].set_xlabel("frame (shaded: in the summary)")
    figure.tight_layout()
    picture = io.BytesIO()
    try:
        figure.savefig(picture, format="png")
    finally:
        plt.close(figure)
    return picture.getvalue()
