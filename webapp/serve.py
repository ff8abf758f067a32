"""Starting the page: its work folder (uploads and sessions) made first and removed at the end,
gradio told to keep its uploads there, the address printed once the page answers."""

from __future__ import annotations

import os
import shutil
import socket
import time
from collections.abc import Callable
from typing import Any

from webapp.settings import AppSettings


def free_port(host: str) -> int:
    """A port nothing listens on now (the system's choice)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


# gradio's queue looks for work every 1 ms and for progress to send every 10 ms, idle or not: 8.3% of a core measured
# on the idle page, taken from generate_video.py's threads while a summary runs on a small machine. 20 ms and 100 ms
# (1.5%): a click waits 10 ms more on average to start, and the bar can move 10 times a second (the page moves it
# 4 times a second at most).
QUEUE_LOOK_SECONDS = 0.02
PROGRESS_LOOK_SECONDS = 0.1


def _calm_queue(page: Any) -> None:
    """gradio's queue polled less often; gradio has no option for it, so its attributes are set where they exist
    (a gradio without them is left as it is)."""
    queue = getattr(page, "_queue", None)
    for name, seconds in (("sleep_when_free", QUEUE_LOOK_SECONDS), ("progress_update_sleep_when_free", PROGRESS_LOOK_SECONDS)):
        if isinstance(getattr(queue, name, None), float):
            setattr(queue, name, seconds)


def start(settings: AppSettings) -> tuple[str, Callable[[], None]]:
    """The page running in this process's threads: its address and the function that stops it
    (ends every session: summaries stopped, files removed)."""
    settings.work_root.mkdir(parents=True, exist_ok=True)
    # before gradio is imported: uploads go under the work folder, and nothing calls home
    os.environ["GRADIO_TEMP_DIR"] = str(settings.work_root / "uploads")
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    from webapp.page import build_page
    from webapp.sessions import Sessions

    sessions = Sessions(settings.work_root)
    page = build_page(settings, sessions)
    page.queue(default_concurrency_limit=1)
    _calm_queue(page)
    port = settings.port or free_port(settings.host)
    _, url, _ = page.launch(server_name=settings.host, server_port=port, prevent_thread_lock=True, quiet=True,
                            max_file_size=settings.max_upload, allowed_paths=[str(settings.work_root)],
                            footer_links=[], show_error=False)

    def stop() -> None:
        try:
            page.close()
        finally:
            sessions.end_all()
            shutil.rmtree(settings.work_root, ignore_errors=True)

    return url, stop


def serve(settings: AppSettings) -> None:
    """Start, print the address, serve until Ctrl-C or a kill."""
    url, stop = start(settings)
    print(f"page: {url}  (Ctrl-C stops it)", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        stop()
