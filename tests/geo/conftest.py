"""Summary line of the importer fuzz tests: how many hostile cases were tried."""

from __future__ import annotations

import sys
from typing import Any


def pytest_terminal_summary(terminalreporter: Any) -> None:
    fuzz = sys.modules.get("tests.geo.test_fuzz_importers")
    cases = getattr(fuzz, "CASES", None)
    if cases:
        detail = ", ".join(f"{name} {n}" for name, n in sorted(cases.items()))
        terminalreporter.write_line(f"importer fuzz: {sum(cases.values())} hostile cases tried "
                                    f"({detail}); every one gave a valid layer or a DataError")
