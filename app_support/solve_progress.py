"""Progress of a siting solve on the page: the best solution and the bound while it runs, and a stop.

The engine reports ``(seconds, incumbent, bound)`` on the page's own thread
(:mod:`planning.siting._deadline`); :class:`SolveProgress` draws them as a progress bar with a
line of text. The solve runs inside the shared siting cache (one computation per set of
options, whichever sessions ask), whose replay of drawing calls must not record these updates
to a bar drawn outside it: they are drawn with the cache's recording switched off. Streamlit ends a running script at its next drawing call once the user clicks
anything (here the Stop button): the callback catches that request, sets the solver's stop
flag instead, so the solver returns the best sites so far with their certified gap, and
:meth:`SolveProgress.replay` hands the request back to Streamlit once the result is kept.
"""

from __future__ import annotations

import contextlib
import math
import threading
import time
from collections.abc import Iterator

import streamlit as st
from streamlit.runtime.scriptrunner import RerunException, StopException

from app_support.i18n import t

try:  # where Streamlit marks "inside a cached function" (elements drawn there are replayed)
    from streamlit.runtime.scriptrunner_utils.script_run_context import in_cached_function as _IN_CACHED
except ImportError:  # pragma: no cover - another Streamlit layout: draw as usual
    _IN_CACHED = None


@contextlib.contextmanager
def _not_recorded() -> Iterator[None]:
    """Draw without the cache recording it for replay (progress is not part of the result)."""
    if _IN_CACHED is None:
        yield
        return
    token = _IN_CACHED.set(False)
    try:
        yield
    finally:
        _IN_CACHED.reset(token)


def _number(value: float) -> str:
    if not math.isfinite(value):
        return "—"
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.2f}"


def gap_text(incumbent: float, bound: float) -> str:
    """The certified gap between an objective and its bound, as text (``—`` while unknown)."""
    if not (math.isfinite(incumbent) and math.isfinite(bound)):
        return "—"
    scale = max(abs(incumbent), abs(bound), 1e-12)
    return f"{100.0 * abs(incumbent - bound) / scale:.2f} %"


class SolveProgress:
    """A progress bar, a line of figures and a Stop button for one siting run (call it as the
    engine's ``progress``; pass :attr:`stop` as its ``stop``)."""

    def __init__(self, *, lang: str, model: str, time_limit_s: float) -> None:
        self.lang, self.model = lang, model
        self.limit_s = max(float(time_limit_s), 1e-9)
        self.start = time.perf_counter()
        self.stop = threading.Event()
        self.pending: BaseException | None = None
        self.bar = st.progress(0.0)
        st.button(t("site.stop", lang), key="site_stop", help=t("site.stop_help", lang))

    def __call__(self, seconds: float, incumbent: float, bound: float) -> None:
        if self.pending is not None:
            return  # stopping: draw nothing more until the result is kept
        elapsed = time.perf_counter() - self.start
        unit = t(f"site.unit.{self.model}", self.lang)
        text = t("site.progress", self.lang, seconds=f"{elapsed:.0f}", unit=unit,
                 incumbent=_number(incumbent), bound=_number(bound),
                 gap=gap_text(incumbent, bound))
        try:
            with _not_recorded():
                self.bar.progress(min(elapsed / self.limit_s, 1.0), text=text)
        except (RerunException, StopException) as request:
            # A click while solving: stop the solver, keep its best, answer the click afterwards.
            self.pending = request
            self.stop.set()

    def replay(self) -> None:
        """Hand a click caught while solving back to Streamlit (after the result is kept)."""
        if self.pending is not None:
            request, self.pending = self.pending, None
            raise request
