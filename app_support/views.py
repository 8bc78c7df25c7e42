"""Page building blocks: map layers from an analysis, translated tables, chart data.

No numbers are computed here beyond selecting and joining what :mod:`planning` returned.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from app_support import drawn, layer_store
from app_support.i18n import TEXT, category_label, t, translate_columns
from app_support.mapping import Layer, MapLayers, SurfaceImage, ring_colors
from app_support.tiles import TileSet
from geo.taxonomy import ESSENTIAL_CATEGORIES
from planning import columns
from planning.output.readable import indicator_names, readable
from planning.texts import e2sfca_labels, note_text

COMPLETE = "__complete__"
#: Residents outside the circle beyond this many points are drawn as an image, not as points.
UNCOVERED_POINTS_MAX = 5_000
#: Columns of the community indicator row shown in map popups (besides coverage).
POPUP_COLUMNS: tuple[str, ...] = ("community_id", "name", "kind", "population", "households", "circle_minutes",
                                  "complete_circle_pct", "floor_area_per_100_households", "missed_targets")


def category_options(analysis: Any) -> list[str]:
    """The complete circle first, then every analysed category."""
    return [COMPLETE, *list(analysis.categories)]


def first_category(analysis: Any) -> str:
    """The category the map opens with: community living rooms when the data have some (the
    first thing plans ask for), else the first essential category with facilities, else the
    first with facilities. A category without facilities would show every community in red."""
    counts = analysis.category_summary["facilities"]
    having = [c for c in analysis.categories if float(counts.get(c, 0) or 0) > 0]
    for wanted in ("community_living_room", *ESSENTIAL_CATEGORIES, *having):
        if wanted in having:
            return wanted
    return analysis.categories[0] if analysis.categories else COMPLETE


def category_name(key: str, lang: str) -> str:
    return t("map.complete", lang) if key == COMPLETE else category_label(key, lang)


def essential_in(analysis: Any) -> list[str]:
    return [c for c in ESSENTIAL_CATEGORIES if c in analysis.categories]


def coverage_column(category: str) -> str:
    return "complete_circle_pct" if category == COMPLETE else columns.coverage_pct(category)


def covered_flags(analysis: Any, category: str) -> pd.Series:
    """Whether each demand point is inside the circle of ``category`` (or of every essential one)."""
    if category == COMPLETE:
        cols = essential_in(analysis) or list(analysis.categories)
        return analysis.covered[cols].all(axis=1)
    return analysis.covered[category]


def supply_labels(analysis: Any, lang: str, categories: Sequence[str] | None = None) -> dict[str, str]:
    """Headers of the ``e2sfca_<category>`` columns, naming what they count (m², places…).

    ``categories``: only these (default every analysed one, computing their supply).
    """
    if categories is None:
        supply = getattr(analysis, "e2sfca_supply", {}) or {}
    else:
        supply = {cat: analysis.supply_per_1000(cat)[1] for cat in categories}
    return {columns.e2sfca(cat): e2sfca_labels(cat, kind)[1 if lang == "en" else 0]
            for cat, kind in supply.items()}


def readable_rows(analysis: Any, table: pd.DataFrame, *, lang: str) -> pd.DataFrame:
    """Community rows in words of ``lang`` (kind, missed targets by the indicators' names), numbers
    as a planner writes them (whole households, shares to one decimal, supply per 1,000 residents
    rounded); a copy. The words come from the one table the exports and the report use
    (:func:`planning.output.readable.readable`); numbers stay numbers, so tables sort."""
    names = indicator_names(getattr(analysis, "indicators", None), lang)
    out = readable(table, lang, indicators=names)
    for column in out.columns:
        # Whole numbers kept as floats: the table's numbers sort and compare as numbers.
        if pd.api.types.is_integer_dtype(out[column]) and not pd.api.types.is_integer_dtype(
                table[column]):
            out[column] = out[column].astype("float64")
    if "missed_targets" in out.columns:
        sep = "; " if lang == "en" else "；"
        out["missed_targets"] = out["missed_targets"].map(
            lambda v: v.replace("; ", sep) if isinstance(v, str) else _as_text(v))
    return out


def community_frame(dataset: Any, analysis: Any, *, lang: str = "zh",
                    supply: Sequence[str] | None = None) -> gpd.GeoDataFrame:
    """Community polygons joined with their indicator row, in words of ``lang``.

    ``supply``: categories whose E2SFCA column to include (default every one, as
    :attr:`~planning.access.analysis.Analysis.community_table` has them).
    """
    rows = analysis.community_table if supply is None else analysis.community_rows(supply)
    table = readable_rows(analysis, rows, lang=lang)
    polygons = dataset.communities[["community_id", dataset.communities.geometry.name]].copy()
    extra = table.drop(columns=[c for c in table.columns if c in ("community_id",)], errors="ignore")
    joined = polygons.merge(extra, left_on="community_id", right_index=True, how="left")
    return gpd.GeoDataFrame(joined, geometry=polygons.geometry.name, crs=dataset.communities.crs)


def _as_text(value: Any) -> Any:
    if isinstance(value, (list, tuple, set, np.ndarray)):
        return "、".join(map(str, value))
    return value


def uncovered_points(dataset: Any, analysis: Any, category: str) -> gpd.GeoDataFrame:
    """Population points outside the circle of ``category`` (with their population).

    For a category whose target group has counts (elderly care: residents aged 60+), the
    group outside its circle at its own speed, ``population`` being the group's residents.
    """
    group = counted_group(analysis, category)
    if group != "all":
        cov = analysis.coverage
        flags, weight = cov.group_covered(category), cov.group_weight(category)
        population = analysis.dataset.population.assign(population=weight.to_numpy())
    else:
        flags, population = covered_flags(analysis, category), dataset.population
    outside = flags.index[~flags.to_numpy(dtype=bool)]
    frame = population.loc[population.index.intersection(outside), ["population", population.geometry.name]]
    return frame[frame["population"] > 0]


def counted_group(analysis: Any, category: str) -> str:
    """The group the figures of ``category`` count (``"all"`` for the complete circle)."""
    cov = getattr(analysis, "coverage", None)
    if category == COMPLETE or cov is None or not hasattr(cov, "counted_group"):
        return "all"
    return str(cov.counted_group(category))


def group_caption(analysis: Any, category: str, lang: str) -> str | None:
    """"服务对象：60岁以上老年人；服务圈内 …" for a category that serves a group (None otherwise)."""
    cov = getattr(analysis, "coverage", None)
    if category == COMPLETE or cov is None or not hasattr(cov, "group_of"):
        return None
    group = cov.group_of(category)
    if group == "all":
        return None
    if counted_group(analysis, category) == "all":
        return t("map.group_no_counts", lang, group=t(f"group.{group}", lang))
    row = analysis.category_summary.loc[category]
    return t("map.group", lang, group=t(f"group.{group}", lang), covered=display_value(row["covered_group_population"]),
             total=display_value(row["group_population"]),
             pct=display_value(row["group_coverage_pct"], lang, percent=True) + "%")


def circles_of(analysis: Any, category: str) -> gpd.GeoDataFrame | None:
    """Merged network service circle of one category as polygons (each kind's circle kept to its
    own area), drawn by :meth:`planning.access.analysis.Analysis.circles_for`. The map shows the
    circle as an image (:func:`drawn_layers`); the polygons are what exports write."""
    if category == COMPLETE or category not in analysis.categories:
        return None
    return analysis.circles_for([category])


def buffer_of(analysis: Any, category: str) -> gpd.GeoDataFrame | None:
    """Straight-line comparison circles (radius = circle time × speed) of one category."""
    if category == COMPLETE or category not in analysis.categories:
        return None
    return analysis.buffer_circle(category)


def ring_legend(analysis: Any, lang: str) -> list[tuple[str, str]]:
    """(colour, text) rows of the ring classes: each ring, beyond the last, farther."""
    settings = analysis.settings
    kinds = analysis.surfaces.kinds
    urban, rural = settings.urban_ring_minutes, settings.rural_ring_minutes
    count = max(len(settings.ring_minutes(k)) for k in kinds)
    colors = ring_colors(count)
    both = "urban" in kinds and "rural" in kinds

    def minutes(values: Sequence[float], i: int) -> str:
        return f"{values[min(i, len(values) - 1)]:g}"

    first = urban if "urban" in kinds else rural
    rows = []
    for i in range(count):
        text = (t("map.legend.within_rural", lang, minutes=minutes(urban, i), rural=minutes(rural, i)) if both
                else t("map.legend.within", lang, minutes=minutes(first, i)))
        rows.append((colors[i], text))
    last = first[-1]
    rows.append((colors[count], t("map.legend.beyond", lang, minutes=f"{last:g}", double=f"{2 * last:g}")))
    rows.append((colors[count + 1], t("map.legend.far", lang, double=f"{2 * last:g}")))
    return rows


SurfaceLayers = tuple[Layer, Layer, SurfaceImage | None]


def surface_layers(analysis: Any, category: str, lang: str, basemap: str = "none", *,
                   scope: str = layer_store.SHARED,
                   ) -> tuple[Layer, Layer, SurfaceImage | None, tuple[tuple[str, str], ...]]:
    """Rings, responsibility areas, the surface image and the ring legend of one category.

    The first three are prepared once per travel-time surfaces, category, ring times and base
    map (:func:`prepare_surface_layers`).
    """
    if category == COMPLETE or category not in analysis.categories:
        return None, None, None, ()
    rings, areas, image = prepare_surface_layers(analysis, category, basemap, scope=scope)
    return rings, areas, image, tuple(ring_legend(analysis, lang))


def prepare_surface_layers(analysis: Any, category: str, basemap: str = "none", *,
                           scope: str = layer_store.SHARED) -> SurfaceLayers:
    """Rings and responsibility areas as map data, and the surface image, of one category (kept;
    see :func:`app_support.drawn.surface_and_areas`)."""
    return drawn.surface_and_areas(analysis, category, basemap, scope=scope)


def drawn_layers(analysis: Any, category: str, basemap: str = "none", *,
                 scope: str = layer_store.SHARED, part: str = "all") -> drawn.DrawnLayers | None:
    """The drawn layers of one category (``None`` for the complete circle); ``part``: ``"circle"``,
    ``"extras"`` (those the map starts with hidden) or ``"all"``."""
    if category == COMPLETE or category not in analysis.categories:
        return None
    return drawn.drawn_layers(analysis, category, basemap, scope=scope, part=part)


def supply_shown(analysis: Any, category: str) -> list[str]:
    """Categories whose E2SFCA supply the map shows: those computed already (the background
    warm-up fills them in), and on a small data set the shown one in any case. On a city's
    network one category's supply takes seconds; the map does not wait for it."""
    ready = [c for c in analysis.categories if analysis.supply_ready(c)]
    if category in analysis.categories and category not in ready and not drawn.is_large(analysis.dataset):
        ready.append(category)
    return ready


def map_layers(dataset: Any, analysis: Any, category: str, *, lang: str, uncovered_as: str = "heat",
               roads: Any = None, facilities: Any = None, labels: Sequence[str] = (),
               sites: gpd.GeoDataFrame | None = None, site_circles: Any = None,
               circles: tuple[Any, Any] | None = None, basemap: str = "none",
               layers: drawn.DrawnLayers | None = None, pending: bool = False,
               scope: str = layer_store.SHARED) -> MapLayers:
    """Everything the map shows for one category (or the complete circle).

    ``roads`` (GeoJSON text, a file or a :class:`app_support.tiles.TileSet`), ``facilities``
    and the drawn layers (``layers``, see :func:`drawn_layers`; or the older ``circles`` pair of
    network circle and straight-line buffer) may be given already prepared; otherwise the drawn
    layers are prepared here for ``basemap``. ``pending``: they are still being drawn in the
    background, and the map shows the communities and facilities meanwhile.
    """
    if layers is None and circles is None and not pending:
        layers = drawn_layers(analysis, category, basemap, scope=scope)
    communities = community_frame(dataset, analysis, lang=lang, supply=supply_shown(analysis, category))
    full = dataset.facilities if facilities is None else facilities
    wanted = set(essential_in(analysis)) if category == COMPLETE else {category}
    if isinstance(full, gpd.GeoDataFrame):
        selected: Any = full[full["category"].astype(str).isin(wanted)]
    else:
        selected = {key: text for key, text in full.items() if key in wanted}
    value = coverage_column(category)
    popup = [c for c in POPUP_COLUMNS if c in communities.columns]
    if value not in popup and value in communities.columns:
        popup.append(value)
    supply = columns.e2sfca(category) if category != COMPLETE else None
    if supply in communities.columns:
        popup.append(supply)  # supply per 1,000 residents of the category shown
    outside = uncovered_points(dataset, analysis, category)
    # A city's residents outside the circle are an image; a few thousand stay points for Leaflet.
    picture = drawn.kept_on(analysis, ("uncovered", category, uncovered_as, basemap, scope),
                            lambda: drawn.uncovered_image(outside, mode=uncovered_as, basemap=basemap, scope=scope)) \
        if len(outside) > UNCOVERED_POINTS_MAX else None
    tiles = roads if isinstance(roads, TileSet) else None
    legend = tuple(ring_legend(analysis, lang)) if category in analysis.categories else ()
    network_circle, buffer = circles if circles is not None else (None, None)
    return MapLayers(
        communities=communities,
        value_column=value if value in communities.columns else None,
        popup_columns=popup,
        popup_labels=supply_labels(analysis, lang, supply_shown(analysis, category)),
        simplify_m=drawn.display_simplify_m(dataset),
        facilities=selected,
        all_facilities=full,
        facility_counts=dataset.facilities["category"].astype(str).value_counts().to_dict()
        if len(dataset.facilities) else {},
        # The complete circle concerns many categories: their markers start hidden.
        selected_category=COMPLETE if category == COMPLETE else None,
        circles=network_circle,
        circle_image=layers.circle if layers is not None else None,
        buffer=layers.buffer if layers is not None else buffer,
        uncovered=None if picture is not None else outside,
        uncovered_as=uncovered_as,
        uncovered_image=picture,
        roads=None if tiles is not None else roads,
        road_tiles=tiles,
        uncovered_title=(t("layer.uncovered_group", lang, group=t(f"group.{counted_group(analysis, category)}", lang))
                         if counted_group(analysis, category) != "all" else None),
        attribution=list(map(str, dataset.attribution)),
        banner=list(labels),
        sites=sites,
        site_circles=site_circles,
        rings=layers.rings if layers is not None else None,
        ring_legend=legend,
        responsibility=layers.responsibility if layers is not None else None,
        responsibility_image=layers.responsibility_image if layers is not None else None,
        surface=layers.surface if layers is not None else None,
    )


def targets_notice(analysis: Any, dataset: Any, lang: str) -> tuple[str, bool]:
    """Which plan the targets come from, and whether it is another city's (then said plainly)."""
    targets = getattr(analysis, "targets", None)
    if targets is None:
        return "", False
    return targets.notice(dataset, lang), bool(targets.for_another_city(dataset))


def table_view(frame: pd.DataFrame, lang: str = "zh") -> pd.DataFrame:
    """``frame`` for ``st.dataframe`` with missing cells empty, never "None" (a copy).

    Streamlit draws every null cell as "None", whatever a Styler says; so a column with missing
    values is shown as text (numbers as :func:`display_value` writes them), and the columns
    without gaps stay numbers, which sort.
    """
    out = frame.copy()
    for column in out.columns:
        values = out[column]
        gaps = values.map(_missing).astype(bool)
        if not gaps.any():
            continue
        if pd.api.types.is_numeric_dtype(values):
            out[column] = pd.Series(["" if gap else display_value(v, lang) for v, gap in zip(values, gaps)],
                                    index=values.index, dtype=object)
        else:
            out[column] = pd.Series(["" if gap else v for v, gap in zip(values, gaps)], index=values.index,
                                    dtype=object)
    return out


def display_value(value: Any, lang: str = "zh", *, percent: bool = False) -> str:
    """A table cell as text: whole numbers without decimals (7,085), others and percentages with one
    decimal, "—" when missing.

    >>> display_value(7085.0), display_value(12.345), display_value(0.0, percent=True)
    ('7,085', '12.3', '0.0')
    """
    if isinstance(value, (bool, np.bool_)):
        return t("yes" if value else "no", lang)
    if isinstance(value, (int, np.integer)) and not percent:
        return f"{int(value):,}"
    if isinstance(value, (int, float, np.integer, np.floating)):
        if not np.isfinite(value):
            return "—"
        return f"{value:,.0f}" if float(value).is_integer() and not percent else f"{value:,.1f}"
    return "—" if _missing(value) else str(value)


def _missing(value: Any) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):  # lists and arrays are values, not missing
        return False


def translate_table(analysis: Any, frame: pd.DataFrame, lang: str) -> pd.DataFrame:
    """:func:`translate_columns`, with indicator columns (``service_facility_coverage``…) headed
    by the indicator's name from the targets and supply columns (``e2sfca_<category>``) by what
    they count (:func:`supply_labels`)."""
    present = [cat for cat in getattr(analysis, "categories", ()) if columns.e2sfca(cat) in frame.columns]
    supply = supply_labels(analysis, lang, present)
    shown = translate_columns(frame, lang)
    shown.columns = [supply.get(str(c), new) for c, new in zip(frame.columns, shown.columns)]
    indicators = getattr(analysis, "indicators", None)
    name_col = "name_en" if lang == "en" else "name_zh"
    if indicators is None or not {"name", name_col} <= set(indicators.columns):
        return shown
    names = dict(zip(indicators["name"].astype(str), indicators[name_col].astype(str)))
    taken = set(map(str, shown.columns))
    rename = {c: names[c] for c in shown.columns if c in names and names[c] not in taken}
    return shown.rename(columns=rename)


def community_details(analysis: Any, community_id: str, *, lang: str,
                      supply: Sequence[str] | None = None) -> pd.DataFrame | None:
    """One community's indicator row as a two-column (label, value) table of text.

    ``supply``: categories whose E2SFCA supply to show (default every one).
    """
    table = analysis.community_table if supply is None else analysis.community_rows(supply)
    if community_id not in table.index:
        return None
    row = readable_rows(analysis, table.loc[[community_id]], lang=lang).reset_index()
    indicators = getattr(analysis, "indicators", None)
    percent = {str(c) for c in row.columns if "pct" in str(c)}
    if indicators is not None and {"name", "unit"} <= set(indicators.columns):
        percent |= set(indicators.loc[indicators["unit"].astype(str) == "%", "name"].astype(str))
    values = [display_value(v, lang, percent=str(c) in percent) for c, v in zip(row.columns, row.iloc[0].tolist())]
    headers = list(map(str, translate_table(analysis, row, lang).columns))
    return pd.DataFrame({t("map.clicked", lang): values}, index=headers)


def readable_sites(sites: pd.DataFrame, *, lang: str) -> pd.DataFrame:
    """Recommended sites with their source (``public_building``, ``generated``…) in words of
    ``lang`` and numbers as a planner writes them (a copy)."""
    out = readable(sites, lang)
    for column in out.columns:
        if pd.api.types.is_integer_dtype(out[column]) and not pd.api.types.is_integer_dtype(
                sites[column]):
            out[column] = out[column].astype("float64")
    return out


def readable_before_after(frame: pd.DataFrame, *, lang: str) -> pd.DataFrame:
    """The before/after table (index reset) with the demand outside communities named in ``lang``."""
    from planning.siting import OUTSIDE_COMMUNITIES

    out = frame.copy()
    outside = t("site.outside_communities", lang)
    for column in ("community_id", "name"):
        if column in out.columns:
            out[column] = out[column].map(lambda v: outside if v == OUTSIDE_COMMUNITIES else v)
    return out


def indicator_table(analysis: Any, *, lang: str) -> pd.DataFrame:
    """The indicator table with the indicator name in the current language and yes/no for pass."""
    table = analysis.indicators.copy()
    name_col = "name_en" if lang == "en" else "name_zh"
    if name_col in table.columns:
        table.insert(0, "indicator", table[name_col])
        table = table.drop(columns=[c for c in ("name", "name_zh", "name_en") if c in table.columns])
    if "pass" in table.columns:
        table["pass"] = table["pass"].map(
            lambda v: t("ind.na", lang) if v is None or (isinstance(v, float) and np.isnan(v))
            else t("ind.pass", lang) if bool(v) else t("ind.fail", lang))
    if "communities_missing" in table.columns:
        table["communities_missing"] = table["communities_missing"].map(_as_text)
    if "scope" in table.columns:
        table["scope"] = table["scope"].map(lambda v: t(f"scope.{v}", lang) if f"scope.{v}" in TEXT else v)
    if "note" in table.columns:
        table["note"] = table["note"].map(lambda v: note_text(v, lang) if isinstance(v, str) else v)
    for column in ("value", "target"):
        if column in table.columns:
            table[column] = pd.to_numeric(table[column], errors="coerce").round(1)  # as a planner writes
    return table


def community_table(analysis: Any, *, lang: str) -> pd.DataFrame:
    """The per-community table in words of ``lang`` (kind, missed targets)."""
    return readable_rows(analysis, analysis.community_table, lang=lang).reset_index()


def time_distribution(dataset: Any, analysis: Any, categories: Sequence[str], *, lang: str,
                      step_minutes: float = 5.0) -> pd.DataFrame:
    """Population-weighted share of residents by minutes to the nearest facility, per category."""
    weights = dataset.population["population"].reindex(analysis.demand_minutes.index).fillna(0.0)
    total = float(weights.sum()) or 1.0
    limit = float(max(analysis.settings.urban_circle_minutes, analysis.settings.rural_circle_minutes))
    edges = np.arange(0.0, limit + step_minutes, step_minutes)
    rows = []
    for cat in categories:
        minutes = analysis.demand_minutes[cat].to_numpy(dtype=float)
        finite = np.isfinite(minutes)
        inside = finite & (minutes < edges[-1])
        counts, _ = np.histogram(minutes[inside], bins=edges, weights=weights.to_numpy()[inside])
        over = float(weights.to_numpy()[finite & (minutes >= edges[-1])].sum())
        for lo, hi, value in zip(edges[:-1], edges[1:], counts, strict=True):
            rows.append({"category": category_label(cat, lang), "bin": f"{lo:.0f}–{hi:.0f}",
                         "order": lo, "share": 100.0 * value / total})
        rows.append({"category": category_label(cat, lang), "bin": f"≥{edges[-1]:.0f}", "order": edges[-1],
                     "share": 100.0 * over / total})
        rows.append({"category": category_label(cat, lang), "bin": t("ind.unreachable", lang),
                     "order": edges[-1] + step_minutes,
                     "share": 100.0 * float(weights.to_numpy()[~finite].sum()) / total})
    return pd.DataFrame(rows)
