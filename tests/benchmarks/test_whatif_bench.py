"""How fast a what-if edit updates coverage, indicators and circles on data/xian (``pytest -m benchmark -s``).

One planned facility added (a 社区客厅, a category with no facility yet, and a health station,
the densest category: 332 stations) and one health station closed. Printed: the incremental
update (only the edited category recomputed: coverage, indicators, E2SFCA, its circle patched
where the facilities changed) against a full re-analysis of the edited data set (every category's
searches, indicators, E2SFCA and circles). The target is < 1 s for the update. Only the answers
are asserted (the two agree), never the timings: they depend on the machine and its load.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import Any

import pandas as pd
import pytest
import shapely

from planning.access.analysis import analyze
from planning.siting.edits import apply_edits, edit_table
from planning.siting.whatif import analysis_with_edits

pytestmark = pytest.mark.benchmark
XIAN = os.path.join(os.path.dirname(__file__), "..", "..", "data", "xian")


def _timed(fn: Callable[[], Any], repeat: int = 3) -> tuple[float, Any]:
    best, out = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - start)
    return best, out


@pytest.fixture(scope="module")
def xian():
    if not os.path.isdir(XIAN):
        pytest.skip("data/xian is not built")
    from geo.dataset_loader import load_dataset

    ds = load_dataset(XIAN)
    base = analyze(ds)
    base.community_table  # what the app has computed before the first edit
    base.circles_for(list(base.categories))
    return ds, base


@pytest.mark.parametrize("what", ["add community_living_room", "add health", "close health"])
def test_one_edit_incremental_against_full(xian, what: str) -> None:
    ds, base = xian
    edit, category = what.split()
    home = ds.population.geometry.iloc[100]
    fac = ds.facilities
    if edit == "add":
        row = {"edit": "add", "facility_id": "P1", "category": category, "x": home.x, "y": home.y,
               "floor_area_m2": 300.0}
    else:
        row = {"edit": "close", "facility_id": str(fac.loc[fac["category"] == category, "facility_id"].iloc[3])}
    edits = edit_table([row], crs=ds.crs)

    def incremental() -> Any:
        after = analysis_with_edits(base, edits)
        after.community_table  # E2SFCA of the edited category
        return after

    def full() -> Any:
        after = analyze(apply_edits(ds, edits), categories=base.categories + (
            [category] if category not in base.categories else []))
        after.community_table
        return after

    t_tables, after = _timed(incremental)
    fresh_updates = [incremental() for _ in range(3)]
    t_circle = min(_timed(lambda u=u: u.circles_for([category]), repeat=1)[0] for u in fresh_updates)
    t_full_tables, again = _timed(full, repeat=2)
    fresh, other = full(), full()
    t_full_one, drawn = _timed(lambda: fresh.circles_for([category]), repeat=1)
    t_full_circles, _ = _timed(lambda: other.circles_for(list(after.categories)), repeat=1)
    print(f"\n[what-if {what}] load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"[what-if {what}] incremental: tables (coverage, indicators, E2SFCA) {t_tables:.2f} s, "
          f"+ circle of {category} {t_circle:.2f} s = {t_tables + t_circle:.2f} s (target < 1 s)")
    print(f"[what-if {what}] full re-analysis: tables {t_full_tables:.2f} s, + every circle "
          f"{t_full_circles:.2f} s = {t_full_tables + t_full_circles:.2f} s; its {category} circle alone "
          f"{t_full_one:.2f} s")
    for name in ("demand_minutes", "covered", "category_summary", "indicators", "community_table"):
        pd.testing.assert_frame_equal(getattr(after, name), getattr(again, name), obj=name)
    patched = after.circles_for([category]).geometry.iloc[0]
    new = drawn.geometry.iloc[0]
    assert shapely.symmetric_difference(patched, new).area <= 1e-6 * max(new.area, 1.0)
