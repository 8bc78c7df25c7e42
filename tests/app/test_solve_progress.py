"""The siting page's progress line, and its stop: a click while solving stops the solver."""

from __future__ import annotations

import pytest
from streamlit.runtime.scriptrunner import RerunException
from streamlit.runtime.scriptrunner_utils.script_requests import RerunData
from streamlit.testing.v1 import AppTest

from app_support import solve_progress
from app_support.solve_progress import SolveProgress, gap_text


def _script() -> None:
    import streamlit as st

    from app_support.solve_progress import SolveProgress

    lang = st.session_state.get("lang", "zh")
    watch = SolveProgress(lang=lang, model="pmedian", time_limit_s=10)
    watch(3.0, 1234.0, 1200.0)
    st.write("stopped" if watch.stop.is_set() else "running")


@pytest.mark.parametrize(("lang", "text"), [
    ("en", "best so far 1,234 person-minutes · bound 1,200 person-minutes · gap at most 2.76 %"),
    ("zh", "当前最好 1,234 人·分钟 · 最优值界限 1,200 人·分钟 · 差距不超过 2.76 %"),
])
def test_progress_line_gives_the_best_the_bound_and_the_gap(lang: str, text: str) -> None:
    at = AppTest.from_function(_script)
    at.session_state["lang"] = lang
    at.run()
    assert not at.exception
    (bar,) = at.get("progress")
    assert text in bar.proto.text  # 34 / 1,234 = 2.76 %
    assert [b.label for b in at.button] == [{"en": "Stop and keep the best so far",
                                             "zh": "停止求解，采用当前最好结果"}[lang]]
    assert at.markdown[-1].value == "running"


def test_gap_text() -> None:
    assert gap_text(100.0, 90.0) == "10.00 %"
    assert gap_text(90.0, 100.0) == "10.00 %"  # maximising: the bound lies above
    assert gap_text(100.0, float("nan")) == "—" and gap_text(float("-inf"), 5.0) == "—"


class _Interrupted:
    """A progress bar whose next drawing call meets a click (Streamlit's rerun request)."""

    def __init__(self) -> None:
        self.calls = 0

    def progress(self, value: float, text: str) -> None:
        self.calls += 1
        raise RerunException(RerunData())


def test_a_click_while_solving_sets_the_stop_flag_and_is_answered_afterwards(monkeypatch) -> None:
    bar = _Interrupted()
    monkeypatch.setattr(solve_progress.st, "progress", lambda value: bar)
    monkeypatch.setattr(solve_progress.st, "button", lambda *a, **k: False)
    watch = SolveProgress(lang="en", model="mclp", time_limit_s=30)
    watch(1.0, 10.0, 20.0)  # the click arrives here: no exception escapes into the solver
    assert watch.stop.is_set()
    watch(2.0, 11.0, 19.0)  # nothing more is drawn while the solver winds down
    assert bar.calls == 1
    with pytest.raises(RerunException):
        watch.replay()
    watch.replay()  # only once
