"""Benchmarks print their figures; this collects them into one section at the end of every run
(CI included), so the figures are read in the log without running pytest with ``-s``."""

from __future__ import annotations

import pytest

_FIGURES: list[tuple[str, str]] = []


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.when == "call" and "benchmark" in report.keywords and report.capstdout.strip():
        _FIGURES.append((report.nodeid, report.capstdout.rstrip()))


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:  # noqa: ARG001
    if not _FIGURES:
        return
    terminalreporter.section("benchmark figures")
    for nodeid, text in _FIGURES:
        terminalreporter.write_line(nodeid)
        for line in text.splitlines():
            terminalreporter.write_line("    " + line)
