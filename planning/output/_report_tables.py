"""Tables of the report cut to what a printed page holds.

A scenario comparison per community has a column per category and scenario (159 communities ×
44 columns for Xi'an: 6,142 px wide). The report prints what a superior reads instead: coverage
by category under each scenario, and the communities each scenario changes most; the full table
stays in the XLSX export. :data:`PAPERS` gives the printable width of each paper size and
:func:`max_columns` how many columns fit it.

Examples
--------
>>> import pandas as pd
>>> wide = pd.DataFrame({"name": ["和平社区", "前进村"], "population": [1000.0, 500.0],
...                      "health_baseline_pct": [50.0, 0.0], "health_方案一_pct": [100.0, 0.0]},
...                     index=pd.Index(["C1", "C2"], name="community_id"))
>>> by_category, changed = scenario_tables(wide)
>>> by_category.round(1).to_dict("records")
[{'category': 'health', 'baseline_pct': 33.3, '方案一_pct': 66.7}]
>>> changed[["name", "category", "方案一_pct"]].to_dict("records")
[{'name': '和平社区', 'category': 'health', '方案一_pct': 100.0}]
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from geo.taxonomy import CATEGORIES


@dataclass(frozen=True)
class Paper:
    """A paper size: its CSS name, and the width inside the report's margins in millimetres."""

    css: str
    width_mm: float
    height_mm: float

    def content_width_mm(self, *, landscape: bool = False) -> float:
        """Printable width inside the 12 mm left and right margins."""
        return (self.height_mm if landscape else self.width_mm) - 2 * MARGIN_SIDE_MM


#: Left and right page margin of the report (``@page`` margin), millimetres.
MARGIN_SIDE_MM = 12.0
MARGIN_TOP_MM = 14.0
PAPERS: dict[str, Paper] = {"A4": Paper("A4", 210.0, 297.0), "A3": Paper("A3", 297.0, 420.0)}
#: Width one table column needs at the report's 12 px table text, millimetres (a number of
#: seven digits, or a header of four Chinese characters a line).
COLUMN_MM = 19.0


def max_columns(paper: str = "A4", *, landscape: bool = False) -> int:
    """How many columns of a report table fit across ``paper``.

    >>> max_columns("A4"), max_columns("A4", landscape=True), max_columns("A3", landscape=True)
    (9, 14, 20)
    """
    width = PAPERS[paper].content_width_mm(landscape=landscape)
    return int(width // COLUMN_MM)


def _per_community(table: pd.DataFrame) -> dict[str, dict[str, str]]:
    """Category → scenario name → column, for a per-community comparison table (taxonomy order;
    no category key is another's prefix followed by "_", so the prefixes cannot mix)."""
    found: dict[str, dict[str, str]] = {}
    for cat in CATEGORIES:
        baseline = f"{cat}_baseline_pct"
        if baseline in table.columns:
            found[cat] = {column[len(cat) + 1:-len("_pct")]: column
                          for column in map(str, table.columns)
                          if column != baseline and column.startswith(f"{cat}_")
                          and column.endswith("_pct")}
    return found


def scenario_tables(table: pd.DataFrame, *, top: int = 15,
                    ) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """What the report prints of a scenario comparison: (by category, communities changed most).

    Parameters
    ----------
    table : pandas.DataFrame
        ``Comparison.categories`` (index category; ``baseline_pct``, ``<name>_pct``,
        ``<name>_new_sites``), or ``Comparison.communities`` (index community_id; name,
        population, ``<category>_baseline_pct`` and ``<category>_<name>_pct``).
    top : int
        Rows of the second table: the community and category pairs where a scenario brings the
        most residents into the circle (or takes the most out).

    Returns
    -------
    (pandas.DataFrame, pandas.DataFrame or None)
        By category: category, baseline_pct, ``<name>_pct`` … (population-weighted over the
        communities for a per-community table). Communities: community_id, name, category,
        population, baseline_pct, ``<name>_pct`` …; ``None`` for a per-category table.
    """
    groups = _per_community(table)
    if not groups:
        frame = pd.DataFrame(table)
        if frame.index.name is not None:
            frame = frame.reset_index()
        return frame, None
    names = list(dict.fromkeys(n for group in groups.values() for n in group))
    population = pd.to_numeric(table.get("population", pd.Series(1.0, index=table.index)),
                               errors="coerce").fillna(0.0)
    summary, rows = [], []
    for cat, scenario_columns in groups.items():
        base = pd.to_numeric(table[f"{cat}_baseline_pct"], errors="coerce")
        known = base.notna() & (population > 0)
        weight = float(population[known].sum())
        record: dict[str, object] = {"category": cat}
        record["baseline_pct"] = (float((population * base)[known].sum()) / weight
                                  if weight else np.nan)
        gains = pd.DataFrame(index=table.index)
        for name in names:
            column = scenario_columns.get(name)
            values = (pd.to_numeric(table[column], errors="coerce") if column
                      else pd.Series(np.nan, index=table.index))
            record[f"{name}_pct"] = (float((population * values)[known].sum()) / weight
                                     if weight and column else np.nan)
            # Residents the scenario brings into (or takes out of) the circle.
            gains[name] = population * (values - base) / 100.0
        summary.append(record)
        change = gains.abs().max(axis=1, skipna=True).fillna(0.0)
        for community in change.index[change > 0]:
            row: dict[str, object] = {
                "community_id": community,
                "name": table["name"].get(community, community) if "name" in table else community,
                "category": cat, "population": population[community],
                "baseline_pct": base[community], "_change": change[community]}
            for name in names:
                column = scenario_columns.get(name)
                row[f"{name}_pct"] = table[column][community] if column else np.nan
            rows.append(row)
    by_category = pd.DataFrame(summary)
    changed = pd.DataFrame(rows, columns=["community_id", "name", "category", "population",
                                          "baseline_pct", *(f"{n}_pct" for n in names),
                                          "_change"])
    changed = (changed.sort_values("_change", ascending=False, kind="stable").head(top)
               .drop(columns="_change").reset_index(drop=True))
    return by_category, changed
