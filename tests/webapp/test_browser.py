"""The page in a real headless browser (Debian's chromium driven by Playwright): load it, upload a
clip, summarise, see the summary play and the curve drawn, then a bad input's message.

Needs `pip install playwright` (in requirements-app.txt) and a chromium binary: Debian's package
(`apt-get install chromium`), or CHROMIUM=/path/to/chrome. Skips, saying which is missing, otherwise.
"""

from __future__ import annotations

import os
import shutil

import pytest

sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed: pip install -r requirements-app.txt")
CHROMIUM = os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="no chromium binary: apt-get install chromium (or set CHROMIUM=/path)")

TIMEOUT_MS = 90_000  # a summary on a busy two-core machine
ENDED = "/^(done|error|internal|cancelled)/.test(document.querySelector('#summary-status')?.innerText || '')"


@pytest.fixture(scope="module")
def browser_page(page):
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
        try:
            tab = browser.new_page(viewport={"width": 1280, "height": 1400})
            tab.goto(page[0])
            yield tab
        finally:
            browser.close()


def test_upload_summarise_play_and_a_bad_input(browser_page, clip):
    tab = browser_page
    tab.wait_for_selector("#summarise", timeout=TIMEOUT_MS)
    # random weights: the page says so, once it has looked at the files
    tab.wait_for_function("document.querySelector('#stand-in-banner')?.innerText.includes('STAND-IN')", timeout=TIMEOUT_MS)
    tab.set_input_files("#video-upload input[type=file]", str(clip))
    tab.wait_for_selector("#video-upload :text('KB')", timeout=TIMEOUT_MS)  # uploaded: its size is shown
    tab.click("#summarise")
    tab.wait_for_function(ENDED, timeout=TIMEOUT_MS)
    assert tab.inner_text("#summary-status").startswith("done"), tab.inner_text("#summary-status")
    tab.wait_for_selector("#summary-video video", timeout=TIMEOUT_MS)
    played = tab.evaluate("""async () => {
        const video = document.querySelector('#summary-video video');
        video.muted = true;
        await video.play();
        await new Promise(done => setTimeout(done, 400));
        return {time: video.currentTime, duration: video.duration};
    }""")
    assert played["duration"] > 0 and played["time"] > 0, played
    drawn = tab.evaluate("() => { const img = document.querySelector('#summary-picture img'); return img && img.naturalWidth; }")
    assert drawn and drawn > 500

    # a click on the last shot's row plays the original from that shot's start
    tab.locator("#shots").scroll_into_view_if_needed()
    tab.wait_for_selector("#shots .body-cell[data-col='1']", state="attached", timeout=TIMEOUT_MS)
    starts = tab.locator("#shots .body-cell[data-col='1']")  # each shot's start, in seconds
    assert starts.count() >= 2
    start = float(starts.last.inner_text())
    assert start > 0
    starts.last.click()
    tab.wait_for_function(f"(document.querySelector('#original-video video')?.currentTime || 0) >= {start} - 0.05",
                          timeout=TIMEOUT_MS)

    # a bad input: a length past the whole video, refused in the page with its reason, nothing run
    tab.fill("#length input", "150")
    tab.click("#summarise")
    tab.wait_for_function("document.querySelector('#summary-status')?.innerText.startsWith('error')", timeout=TIMEOUT_MS)
    message = tab.inner_text("#summary-status")
    assert "at most 100%" in message and "Traceback" not in message
