"""PNG figures: a video's predicted scores against the ground truth, and a split's training curve.

matplotlib's object API with the Agg canvas: no pyplot, no global backend, no display needed.
Every figure is written atomically, like every other output.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from utils import atomic_output


def warning_lines(warnings: Sequence[str], width: int = 155) -> list[str]:
    """Each warning in full, wrapped to a figure's width (``width`` characters at font size 8)."""
    return [line for message in warnings for line in textwrap.wrap(f"warning: {message}", width, subsequent_indent="  ")]


def _titled(figure: Figure, title: str, notes: list[str]) -> None:
    """The title, and ``notes`` (warning_lines) in red under the panels with a red title, so that a figure that
    looks ordinary cannot hide them; without notes the figure is unchanged."""
    if notes:
        figure.suptitle(f"WARNING, USELESS MODEL: {title}", fontsize=10, color="tab:red")
        figure.text(0.01, 0.01, "\n".join(notes), fontsize=8, color="tab:red", va="bottom", ha="left")
        figure.tight_layout(rect=(0, (0.17 * len(notes) + 0.2) / figure.get_figheight(), 1, 1))
        return
    figure.suptitle(title, fontsize=10)
    figure.tight_layout()


def _save(figure: Figure, path: Path) -> Path:
    FigureCanvasAgg(figure)
    with atomic_output(path) as tmp:
        figure.savefig(tmp, format="png", dpi=100)
    return Path(path)


def plot_video_scores(
    path: Path,
    title: str,
    picks: np.ndarray,
    predicted: np.ndarray,
    gtscore: np.ndarray,
    change_points: np.ndarray,
    chosen_shots: Sequence[int],
    warnings: Sequence[str] = (),
) -> Path:
    """Predicted and ground-truth step scores over the video's frames, the summary's shots shaded; ``warnings``
    (signs of a useless model: saturated or constant predictions, a training record's findings) in red.

    Args:
        picks: Sized [T], frame index of each step (the x axis is in frames).
        predicted: Sized [T].
        gtscore: Sized [T].
        change_points: Sized [S, 2], shots [first, last] inclusive.
        chosen_shots: indices into ``change_points`` of the shots the knapsack kept.
    """
    notes = warning_lines(warnings, 130)
    figure = Figure(figsize=(10, 3.2 + (0.17 * len(notes) + 0.2 if notes else 0)))
    axes = figure.add_subplot()
    for index, shot in enumerate(chosen_shots):
        first, last = change_points[shot]
        axes.axvspan(first, last + 1, color="tab:green", alpha=0.2, lw=0, label="summary shots" if index == 0 else None)
    axes.plot(picks, gtscore, color="tab:gray", lw=1.2, drawstyle="steps-post", label="gtscore")
    axes.plot(picks, predicted, color="tab:blue", lw=1.2, drawstyle="steps-post", label="predicted")
    axes.set_xlim(0, int(change_points[-1][1]) + 1)
    axes.set_ylim(-0.02, 1.02)
    axes.set_xlabel("frame")
    axes.set_ylabel("importance")
    axes.legend(loc="upper right", fontsize=8)
    _titled(figure, title, notes)
    return _save(figure, path)


def plot_training_curve(path: Path, title: str, epochs: Sequence[int], loss: Sequence[float], kendall: Sequence[float],
                        spearman: Sequence[float], kept_epoch: int | None = None, warnings: Sequence[str] = ()) -> Path:
    """Training loss (left) and the test tau/rho (right) per epoch; the kept epoch is marked.

    ``warnings`` (signs of a useless model, evaluation/degenerate.py) are written in red under the
    panels, so that a curve that looks ordinary cannot hide them; without any the figure is unchanged.
    """
    notes = warning_lines(warnings)  # 0.17 inch per line under the panels
    figure = Figure(figsize=(10, 3.2 + (0.17 * len(notes) + 0.2 if notes else 0)))
    loss_axes, rank_axes = figure.subplots(1, 2)
    loss_axes.plot(epochs, loss, marker="." if len(epochs) < 30 else None, color="tab:red")
    loss_axes.set_xlabel("epoch")
    loss_axes.set_ylabel("training loss")
    rank_axes.plot(epochs, kendall, marker="." if len(epochs) < 30 else None, label="Kendall tau")
    rank_axes.plot(epochs, spearman, marker="." if len(epochs) < 30 else None, label="Spearman rho")
    rank_axes.set_xlabel("epoch")
    rank_axes.set_ylabel("test correlation")
    if kept_epoch is not None:
        for axes in (loss_axes, rank_axes):
            axes.axvline(kept_epoch, color="tab:green", ls="--", lw=1, label="kept epoch" if axes is rank_axes else None)
    for axes in (loss_axes, rank_axes):
        axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    rank_axes.legend(fontsize=8)
    _titled(figure, title, notes)
    return _save(figure, path)



def plot_ablation(path: Path, title: str, bars: dict[str, Sequence[tuple]],
                  series: dict[str, tuple[str, Sequence[str]]] | None = None) -> Path:
    """Kendall tau and Spearman rho of each variant, one panel per dataset, error bars the std over seeds.

    Args:
        bars: {dataset: [(variant, tau, tau std, rho, rho std), ...]} in table order.
        series: {panel: (y label, bar labels)} for panels of other numbers (a protocol's own metrics), whose rows are
            (variant, value, std, value, std, ...) in the labels' order.
    """
    count = max((len(rows) for rows in bars.values()), default=1)
    figure = Figure(figsize=(max(6.0, 0.45 * count + 2), 3.6 * max(1, len(bars))))
    panels = figure.subplots(max(1, len(bars)), 1, squeeze=False)[:, 0]
    colours = ("tab:blue", "tab:orange", "tab:green", "tab:red")
    for axes, (dataset, rows) in zip(panels, bars.items(), strict=False):
        ylabel, names = (series or {}).get(dataset, (f"{dataset}\ncorrelation", ("Kendall tau", "Spearman rho")))
        x = np.arange(len(rows))
        width = 0.8 / len(names)
        for i, name in enumerate(names):
            values, stds = (np.array([row[1 + 2 * i + j] for row in rows], dtype=float) for j in (0, 1))
            axes.bar(x + (i - (len(names) - 1) / 2) * width, values, width, yerr=stds, label=name, color=colours[i % len(colours)])
        axes.set_xticks(x, [row[0] for row in rows], rotation=60, ha="right", fontsize=7)
        axes.axhline(0, color="black", lw=0.6)
        axes.set_ylabel(ylabel)
        axes.legend(fontsize=8)
    figure.suptitle(title, fontsize=10)
    figure.tight_layout()
    return _save(figure, path)
