"""Background jobs: a page's job is not held up by paused background work; a dropped background
job stops at its next pause and can be asked for again."""

from __future__ import annotations

import threading
import time

import pytest

from app_support import jobs


def _wait_for(event: threading.Event) -> None:
    assert event.wait(10), "the job did not start"


def test_page_jobs_run_while_background_work_pauses_and_a_dropped_job_stops() -> None:
    started, steps = threading.Event(), []

    def background() -> str:
        started.set()
        for i in range(200):
            jobs.pause_for_pages()
            steps.append(i)
            time.sleep(0.01)
        return "done"

    bg = jobs.submit(("test-tiles", "left-behind", 1), background, priority=jobs.TILES)
    _wait_for(started)
    # Two page jobs at once while the background job is running: both workers are free for them.
    both = threading.Barrier(2, timeout=10)
    pages = [jobs.submit(("test-page", i), lambda: both.wait() is not None or True) for i in range(2)]
    assert all(p.result(timeout=10) for p in pages)
    dropped = jobs.drop_queued(lambda key: key[:2] == ("test-tiles", "left-behind"))
    assert dropped == 0  # it was running, not queued
    with pytest.raises(jobs.Stopped):
        bg.result(timeout=10)
    assert len(steps) < 200
    # Asked for again (the user came back): it runs to the end this time.
    again = jobs.submit(("test-tiles", "left-behind", 1), background, priority=jobs.TILES)
    assert again is not bg
    assert again.result(timeout=30) == "done"
