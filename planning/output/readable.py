"""Tables as a planner reads them: codes in words, whole residents and households, shares rounded.

The engine's tables hold codes (``urban``, ``existing``, ``generated``, ``mclp``, category keys)
and full-precision numbers (1237.7 households, a share of 65.9758 %). :func:`readable` turns a
copy of a table into what the exports with Chinese or English headers, the report and the app
show: the words of :data:`planning.texts.VALUE_LABELS`, whole numbers of people and households,
shares and minutes to one decimal, supply ratios as :func:`planning.output.styles.planner_number`
writes them (``ratios``), indicator keys as the indicators' names, yes/no for flags, and nothing (an empty
cell) where a value is missing. Files meant for scripts (``key`` headers, the GeoPackage) keep
the codes and the full numbers.

Examples
--------
>>> import pandas as pd
>>> row = readable(pd.DataFrame({"kind": ["urban"], "households": [1237.7],
...                              "coverage_pct": [65.9758]})).iloc[0]
>>> row["kind"], int(row["households"]), float(row["coverage_pct"])
('城市社区', 1238, 66.0)
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping

import numpy as np
import pandas as pd

from planning import columns
from planning.output.styles import planner_number
from planning.texts import VALUE_LABELS, note_text, value_label

#: Columns that count people, households or things: shown as whole numbers.
WHOLE_COLUMNS: frozenset[str] = frozenset({
    "population", "households", "covered_population", "uncovered_population", "newly_covered",
    "cumulative_covered", "covered_before", "covered_after", "population_analysed", "facilities",
    "count", "features", "unreachable", "sites", "rank",
})
#: Columns of minutes or square metres: one decimal.
ONE_DECIMAL_COLUMNS: frozenset[str] = frozenset({
    "circle_minutes", "urban_minutes", "rural_minutes", "minutes", "median", "p90", "value",
    "target", "floor_area_m2", "floor_area_per_100_households", "difference", "share",
})
#: Longitude and latitude: six decimals (about 0.1 m).
LONLAT_COLUMNS: frozenset[str] = frozenset({"lon", "lat", "lon_wgs84", "lat_wgs84"})
#: Columns whose cells are lists of indicator keys ("; "-joined in the engine's tables).
INDICATOR_LIST_COLUMNS: tuple[str, ...] = ("missed_targets",)


def _is_share(column: str) -> bool:
    """Percentages: ``coverage_pct_health``, ``complete_circle_pct``, ``方案一_pct``…"""
    return "pct" in column.split("_") or column.endswith("_pct") or column.startswith("pct_")


def _decimals(column: str) -> int | None:
    """Decimals a column is shown with (0 for counts), ``None`` to leave it as it is."""
    if column in WHOLE_COLUMNS or columns.is_measure(column, "facilities"):
        return 0
    if column in LONLAT_COLUMNS:
        return 6
    if column in ONE_DECIMAL_COLUMNS or _is_share(column) or columns.is_measure(column, "minutes"):
        return 1
    if column.startswith("floor_area_per_100_households"):
        return 1
    return None


def _round_half_up(values: pd.Series, decimals: int) -> pd.Series:
    """Halves go up, as a planner rounds (numpy's rounding would take 12.5 to 12)."""
    scale = 10.0 ** decimals
    number = pd.to_numeric(values, errors="coerce").astype(float)
    rounded = np.sign(number) * np.floor(np.abs(number) * scale + 0.5) / scale
    if decimals == 0 and not np.isinf(rounded).any():  # ∞ (unreachable) has no whole number
        return pd.Series(rounded, index=values.index).astype("Int64")
    return pd.Series(rounded, index=values.index)


def _joined(value: object) -> object:
    # "; " as in every file the engine writes (planning.output.files.plain).
    if isinstance(value, (list, tuple, set, np.ndarray)):
        return "; ".join(map(str, value))
    return value


def _missing(value: object) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isnan(value)


def indicator_names(indicators: pd.DataFrame | None, lang: str = "zh") -> dict[str, str]:
    """Indicator key → its name in ``lang``, from an indicator table (empty without one)."""
    column = "name_en" if lang == "en" else "name_zh"
    if indicators is None or not {"name", column} <= set(indicators.columns):
        return {}
    return dict(zip(indicators["name"].astype(str), indicators[column].astype(str)))


def _indicator_words(value: object, names: Mapping[str, str]) -> object:
    parts = value.split(";") if isinstance(value, str) else (
        list(value) if isinstance(value, (list, tuple, np.ndarray)) else None)
    if parts is None:
        return value
    words = [str(names.get(str(p).strip(), str(p).strip())) for p in parts if str(p).strip()]
    return "; ".join(words)


def readable(frame: pd.DataFrame, lang: str = "zh", *,
             indicators: Mapping[str, str] | None = None, ratios: bool = True) -> pd.DataFrame:
    """A copy of ``frame`` in words of ``lang`` with numbers rounded as a planner writes them.

    Parameters
    ----------
    frame : pandas.DataFrame
        Any result table (columns named as the engine names them; the index is kept).
    lang : {"zh", "en"}
    indicators : mapping of str to str, optional
        Indicator key → name (:func:`indicator_names`), for the ``missed_targets`` column and
        for indicator columns of the community table (their values are shares).
    ratios : bool
        Round the E2SFCA supply per 1,000 residents as a planner writes it (the report and the
        app); spreadsheets keep them in full, to compute with.

    Returns
    -------
    pandas.DataFrame
    """
    out = frame.copy()
    names = dict(indicators or {})
    yes, no = ("是", "否") if lang != "en" else ("yes", "no")
    for column in out.columns:
        key = str(column)
        values = out[column]
        if pd.api.types.is_bool_dtype(values):
            out[column] = values.map({True: yes, False: no}).astype(object)
            continue
        if key == "pass":  # met / missed / no data (None is "no data", not an empty cell)
            out[column] = values.map(lambda v: value_label(key, None if _missing(v) else bool(v), lang))
            continue
        if key in VALUE_LABELS or key == "category":
            out[column] = values.map(lambda v, k=key: None if _missing(v) else value_label(k, v, lang))
            continue
        if key == "note":
            out[column] = values.map(lambda v: note_text(v, lang) if isinstance(v, str) else v)
            continue
        if key in INDICATOR_LIST_COLUMNS:
            out[column] = values.map(lambda v: _indicator_words(v, names))
            continue
        if columns.is_measure(key, "e2sfca"):
            if not ratios:
                continue
            out[column] = pd.Series([None if _missing(v) else planner_number(v) for v in values],
                                    index=values.index, dtype=object)
            continue
        decimals = 1 if key in names else _decimals(key)
        if decimals is not None and pd.api.types.is_numeric_dtype(values):
            out[column] = _round_half_up(values, decimals)
            continue
        if values.dtype == object:
            out[column] = values.map(lambda v: None if _missing(v) else _joined(v))
    return out
