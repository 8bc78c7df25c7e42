"""What-if analyses: the analysis of a data set with a scenario's edits, and what they change.

:func:`analysis_with_edits` applies an edit table (:mod:`planning.siting.edits`) to the data set
of an analysis and recomputes only the categories the edits touch
(:func:`planning.access.update.reanalysed`); given the analysis of a previous edit table of the
same data set, it starts from there, so one more planned facility costs one category's
searches, whatever else the scenario holds. :func:`change_tables` says what the edits changed:
coverage per category and per community, and the indicators, before and after.

Examples
--------
>>> after = analysis_with_edits(analysis, edits)                           # doctest: +SKIP
>>> categories, communities, indicators = change_tables(analysis, after)   # doctest: +SKIP
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from planning.access.analysis import Analysis
from planning.access.update import reanalysed
from planning.siting.edits import apply_edits, changed_categories

OUTSIDE = "(outside communities)"
#: Indicator columns of a before/after table.
INDICATOR_COLUMNS: tuple[str, ...] = ("name", "name_zh", "name_en", "unit", "target", "baseline_value", "value",
                                      "baseline_pass", "pass")


def analysis_with_edits(base: Analysis, edits: gpd.GeoDataFrame | None, *,
                        previous: Analysis | None = None) -> Analysis:
    """The analysis of ``base.dataset`` with ``edits`` made.

    Parameters
    ----------
    base : Analysis
        Analysis of the data set as loaded (no edits).
    edits : geopandas.GeoDataFrame or None
        The scenario's whole edit table (relative to the data set as loaded).
    previous : Analysis, optional
        An analysis of ``base.dataset`` with other edits (made by this function): only the
        categories whose facilities differ between the two edit tables are recomputed.

    Returns
    -------
    Analysis
        Its ``scenario_edits`` holds ``edits``.
    """
    start = previous if previous is not None else base
    dataset = apply_edits(base.dataset, edits)
    changed = changed_categories(base.dataset, getattr(start, "scenario_edits", None), edits)
    out = reanalysed(start, dataset, changed)
    out.scenario_edits = None if edits is None or len(edits) == 0 else edits.copy()
    return out


def coverage_tables(
    dataset: Any,
    covered: pd.DataFrame,
    population: pd.Series,
    community_id: pd.Series,
    after: dict[str, np.ndarray],
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per category and per community: % of residents inside their circle, before and after.

    ``covered`` holds the shares (0–1) per demand point and category without the scenario;
    ``after`` replaces some categories' shares with those the scenario gives.
    """
    cats = list(covered.columns)
    pop = np.asarray(population, dtype=float)
    before = covered.to_numpy(dtype=float)
    later = before.copy()
    for cat, share in after.items():
        later[:, cats.index(cat)] = np.asarray(share, dtype=float)
    total = pop.sum()
    with np.errstate(invalid="ignore", divide="ignore"):
        per_cat = pd.DataFrame({
            "population": total,
            "baseline_pct": 100.0 * (pop[:, None] * before).sum(axis=0) / total,
            "pct": 100.0 * (pop[:, None] * later).sum(axis=0) / total,
        }, index=pd.Index(cats, name="category"))
    ids = pd.Series(community_id).astype(object).where(pd.Series(community_id).notna(), OUTSIDE)
    frame = pd.DataFrame(np.column_stack([pop[:, None] * before, pop[:, None] * later, pop]),
                         columns=[f"{c}_baseline" for c in cats] + [f"{c}_after" for c in cats] + ["population"])
    frame["community_id"] = ids.astype(str).to_numpy()
    sums = frame.groupby("community_id", sort=True).sum()
    names = dict(zip(dataset.communities["community_id"].astype(str), dataset.communities["name"])) \
        if len(dataset.communities) else {}
    out = pd.DataFrame({"name": [str(names.get(i, i)) for i in sums.index], "population": sums["population"]},
                       index=pd.Index(sums.index, name="community_id"))
    denom = sums["population"].where(sums["population"] > 0)
    for c in cats:
        out[f"{c}_baseline_pct"] = 100.0 * sums[f"{c}_baseline"] / denom
        out[f"{c}_pct"] = 100.0 * sums[f"{c}_after"] / denom
    return per_cat, out


def change_tables(base: Analysis, after: Analysis) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """What the edits changed: (per category, per community, indicators), before and after.

    Per category: population, baseline_pct, pct. Per community: name, population,
    ``<category>_baseline_pct``, ``<category>_pct``. Indicators: :data:`INDICATOR_COLUMNS`
    (``pass`` True/False/None).
    """
    cats = list(after.categories)
    covered = base.covered.reindex(columns=cats, fill_value=False)
    shares = {c: after.covered[c].to_numpy(dtype=float) for c in cats}
    per_cat, per_comm = coverage_tables(base.dataset, covered, base.coverage.population,
                                        base.coverage.community_id, shares)
    return per_cat, per_comm, indicator_change(base.indicators, after.indicators)


def indicator_change(before: pd.DataFrame, after: pd.DataFrame) -> pd.DataFrame:
    """Indicator values and verdicts before and after, one row per indicator of ``after``."""
    old = before.set_index("name") if len(before) else pd.DataFrame(columns=["value", "pass"])
    rows = []
    for row in after.to_dict("records"):
        name = str(row["name"])
        known = name in old.index
        rows.append({"name": name, "name_zh": row.get("name_zh", name), "name_en": row.get("name_en", name),
                     "unit": row.get("unit", ""), "target": row.get("target", np.nan),
                     "baseline_value": float(old.at[name, "value"]) if known else np.nan,
                     "value": float(row["value"]),
                     "baseline_pass": _verdict(old.at[name, "pass"]) if known else None,
                     "pass": _verdict(row["pass"])})
    table = pd.DataFrame(rows, columns=list(INDICATOR_COLUMNS))
    for column in ("baseline_pass", "pass"):
        table[column] = table[column].astype(object)
    return table


def _verdict(value: Any) -> bool | None:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    return bool(value)


def by_change(frame: pd.DataFrame, before: list[str], after: list[list[str]]) -> pd.DataFrame:
    """``frame`` with a ``change_pct`` column (the largest absolute change of any ``after`` column
    against its ``before`` column, in percentage points) and sorted by it, largest first.

    Rows that did not change keep their order, after the changed ones.
    """
    change = pd.Series(0.0, index=frame.index)
    for base_col, cols in zip(before, after):
        for col in cols:
            diff = (frame[col].astype(float) - frame[base_col].astype(float)).abs().fillna(0.0)
            change = np.maximum(change, diff)
    out = frame.copy()
    out["change_pct"] = change.to_numpy(dtype=float)
    order = np.argsort(-out["change_pct"].to_numpy(), kind="stable")
    return out.iloc[order]
