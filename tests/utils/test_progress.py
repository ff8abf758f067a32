import io
from pathlib import Path

import pytest

from utils.progress import progress_bar

ROOT = Path(__file__).resolve().parents[2]


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def _epochs(stream: io.StringIO, **settings) -> str:
    bar = progress_bar(range(1, 4), desc="SumMe split 1", unit="epoch", total=3, file=stream, dynamic_ncols=True, **settings)
    for epoch in bar:
        bar.set_postfix(loss=f"{0.1 * epoch:.4f}")
    bar.close()
    return stream.getvalue()


def test_in_a_log_a_bar_writes_one_plain_line_per_unit_with_its_postfix_and_no_redraw():
    text = _epochs(io.StringIO())
    assert "\r" not in text and "\x1b" not in text
    rows = text.splitlines()
    assert len(rows) == 3
    for number, row in enumerate(rows, 1):
        assert row.startswith(f"SumMe split 1: {number}/3 epoch [") and row.endswith(f"loss={0.1 * number:.4f}]")


def test_a_resumed_bar_in_a_log_prints_only_the_units_done_now():
    stream = io.StringIO()
    bar = progress_bar(range(3, 5), desc="run", unit="epoch", total=4, initial=2, file=stream)
    list(bar)
    bar.close()
    assert [row.split(" [")[0] for row in stream.getvalue().splitlines()] == ["run: 3/4 epoch", "run: 4/4 epoch"]


def test_on_a_terminal_the_bar_redraws_in_place():
    assert "\r" in _epochs(Terminal())


@pytest.mark.parametrize("settings", [{"lines": False}, {"shown": False}])
def test_fine_units_in_a_log_and_hidden_bars_write_nothing(settings):
    assert _epochs(io.StringIO(), **settings) == ""


def test_hidden_bars_write_nothing_on_a_terminal_either():
    assert _epochs(Terminal(), shown=False) == ""


def test_every_progress_bar_of_the_project_is_made_by_progress_bar():
    makers = [path.relative_to(ROOT).as_posix() for folder in ("builder", "dataset", "engine", "features", "sources", "summarize",
                                                               "utils", "video", "evaluation", "models", "kts", "cli")
              for path in (ROOT / folder).rglob("*.py") if "tqdm(" in path.read_text(encoding="utf-8")]
    scripts = [path.name for path in ROOT.glob("*.py") if "tqdm(" in path.read_text(encoding="utf-8")]
    assert makers + scripts == ["utils/progress.py"]


def test_a_reader_of_the_pipe_can_ask_for_the_bars(monkeypatch):
    import io  # noqa: PLC0415

    from utils.progress import BARS_FOR_A_READER, progress_bar  # noqa: PLC0415

    monkeypatch.setenv(BARS_FOR_A_READER, "1")
    log = io.StringIO()
    for _ in progress_bar(range(3), desc="features", unit="frame", lines=False, file=log, mininterval=0):
        pass
    assert "\r" in log.getvalue() and "3/3" in log.getvalue()  # redrawn as on a terminal, frames included
