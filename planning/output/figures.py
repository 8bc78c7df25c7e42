"""Maps and charts of the planning report, drawn with matplotlib as base64 PNG images.

Every figure reads plain layers and tables (:class:`FigureContent`, which
:class:`planning.output.report.ReportContent` is) and draws Chinese text with the first CJK font
found (:func:`cjk_fonts`); the caller falls back to English labels when there is none.

Examples
--------
>>> from planning.output.figures import weighted_percentile
>>> import numpy as np
>>> weighted_percentile(np.array([4.0, 9.5, np.inf]), np.array([1.0, 2.0, 1.0]), 50)
9.5
"""

from __future__ import annotations

import base64
import io
import math
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import geopandas as gpd
import numpy as np
import pandas as pd
from pyproj import CRS

from geo.taxonomy import CATEGORIES
from geo.taxonomy import label as _label
from planning import columns
from planning.output.styles import COVERAGE_CLASSES, coverage_colour
from planning.texts import Language, report_text

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

#: Families tried in order for Chinese text in charts; DejaVu Sans covers the rest.
CJK_FONT_FAMILIES: tuple[str, ...] = (
    "Noto Sans CJK SC", "Source Han Sans SC", "WenQuanYi Zen Hei", "WenQuanYi Micro Hei",
    "Microsoft YaHei", "SimHei", "PingFang SC", "Hiragino Sans GB", "Noto Sans SC",
    "Noto Sans CJK JP",
)
_CJK_FILE_HINTS = ("notosanscjk", "sourcehansans", "wqy", "msyh", "simhei", "pingfang",
                   "notosanssc", "droidsansfallback")
# Residents outside the circle: dark, so that they show on every coverage class colour.
_OUTSIDE = "#1a1a1a"
# Facilities of a category the taxonomy does not know.
_OTHER_FACILITY = "#333333"
_t = report_text


class FigureContent(Protocol):
    """What the figures read (see :class:`planning.output.report.ReportContent`)."""

    layers: dict[str, gpd.GeoDataFrame]
    tables: dict[str, pd.DataFrame]
    categories: list[str]
    circle_minutes: dict[str, float]
    siting_category: str


_FONT_CACHE: list[str] | None = None


def cjk_fonts() -> list[str]:
    """Font families available to matplotlib that can draw Chinese, best first.

    Fonts installed after matplotlib built its font cache are found on disk and registered, so a
    fresh ``apt-get install fonts-noto-cjk`` works without clearing any cache.
    """
    global _FONT_CACHE
    if _FONT_CACHE is not None:
        return _FONT_CACHE
    from matplotlib import font_manager

    def known() -> set[str]:
        return {f.name for f in font_manager.fontManager.ttflist}

    names = known()
    if not any(f in names for f in CJK_FONT_FAMILIES):
        for path in font_manager.findSystemFonts():
            if any(h in Path(path).name.lower().replace("-", "").replace("_", "")
                   for h in _CJK_FILE_HINTS):
                try:
                    font_manager.fontManager.addfont(path)
                except (OSError, RuntimeError, ValueError):
                    continue  # an unreadable font file is not a reason to fail the report
        names = known()
    _FONT_CACHE = [f for f in CJK_FONT_FAMILIES if f in names]
    return _FONT_CACHE


def _rc(lang: Language) -> dict[str, Any]:
    return {"font.family": ["sans-serif"],
            "font.sans-serif": [*cjk_fonts(), "DejaVu Sans"],
            "axes.unicode_minus": False, "figure.dpi": 100, "savefig.dpi": 130,
            "font.size": 9}


def _png(fig: Figure) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", bbox_inches="tight", facecolor="white")
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _metric(gdf: gpd.GeoDataFrame, crs: CRS | None) -> gpd.GeoDataFrame:
    if crs is None or gdf.crs is None:
        return gdf
    return gdf if CRS.from_user_input(gdf.crs) == crs else gdf.to_crs(crs)


def _map_crs(layers: Mapping[str, gpd.GeoDataFrame]) -> CRS | None:
    for gdf in layers.values():
        if gdf.crs is not None and len(gdf):
            crs = CRS.from_user_input(gdf.crs)
            return crs if not crs.is_geographic else gdf.estimate_utm_crs()
    return None


def _scale_bar(ax: Axes) -> None:
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    span = (x1 - x0) / 5
    nice = 10 ** math.floor(math.log10(span)) if span > 0 else 1
    length = max(n * nice for n in (1, 2, 5) if n * nice <= span) if span >= nice else nice
    x, y = x0 + (x1 - x0) * 0.05, y0 + (y1 - y0) * 0.05
    ax.plot([x, x + length], [y, y], color="black", linewidth=3, solid_capstyle="butt")
    label = f"{length / 1000:g} km" if length >= 1000 else f"{length:g} m"
    ax.text(x + length / 2, y + (y1 - y0) * 0.015, label, ha="center", va="bottom", fontsize=8)
    ax.annotate("N", xy=(x1 - (x1 - x0) * 0.05, y1 - (y1 - y0) * 0.05),
                xytext=(x1 - (x1 - x0) * 0.05, y1 - (y1 - y0) * 0.14),
                arrowprops={"arrowstyle": "-|>", "color": "black"}, ha="center", fontsize=9)


def _coverage_map(ax: Axes, communities: gpd.GeoDataFrame, column: str | None,
                  outside: gpd.GeoDataFrame | None, facilities: gpd.GeoDataFrame | None,
                  sites: gpd.GeoDataFrame | None = None,
                  site_circles: gpd.GeoDataFrame | None = None) -> None:
    if len(communities):
        values = (communities[column].astype(float) if column and column in communities
                  else pd.Series(np.nan, index=communities.index))
        communities.plot(ax=ax, color=[coverage_colour(v) for v in values], edgecolor="#555555",
                         linewidth=0.4)
    if site_circles is not None and len(site_circles):
        site_circles.plot(ax=ax, facecolor="#6a3d9a22", edgecolor="#6a3d9a", linewidth=0.8)
    if outside is not None and len(outside):
        points = outside.geom_type == "Point"
        if (~points).any():  # areas outside the circle (e.g. grid cells) are drawn as areas
            outside[~points].plot(ax=ax, facecolor="#1a1a1a66", edgecolor="#1a1a1a",
                                  linewidth=0.5, zorder=3)
        pts = outside[points]
        if len(pts):
            pop = (pts["population"].astype(float).fillna(0.0).to_numpy()
                   if "population" in pts else np.ones(len(pts)))
            # Dot area grows with the residents it stands for.
            size = 2 + 30 * np.sqrt(pop / max(pop.max(), 1.0))
            ax.scatter(pts.geometry.x, pts.geometry.y, s=size, c=_OUTSIDE, alpha=0.55,
                       linewidths=0, zorder=3)
    if facilities is not None and len(facilities):
        colours = [CATEGORIES[c].color if c in CATEGORIES else _OTHER_FACILITY
                   for c in facilities.get("category", pd.Series("", index=facilities.index))]
        ax.scatter(facilities.geometry.x, facilities.geometry.y, s=14, c=colours,
                   edgecolors="black", linewidths=0.4, zorder=4)
    if sites is not None and len(sites):
        ax.scatter(sites.geometry.x, sites.geometry.y, s=120, marker="*", c="#6a3d9a",
                   edgecolors="white", linewidths=0.6, zorder=5)
        ranks = sites["rank"] if "rank" in sites else range(1, len(sites) + 1)
        for x, y, r in zip(sites.geometry.x, sites.geometry.y, ranks):
            ax.annotate(str(r), (x, y), xytext=(4, 4), textcoords="offset points", fontsize=7,
                        color="#3f007d", zorder=6)
    ax.set_aspect("equal")
    ax.set_axis_off()


def _drawn_categories(facilities: gpd.GeoDataFrame | None) -> list[str]:
    """Categories of the facilities a map draws, in taxonomy order (each has its own colour)."""
    if facilities is None or not len(facilities) or "category" not in facilities:
        return []
    present = set(facilities["category"].astype(str))
    return [c for c in CATEGORIES if c in present] + sorted(present - set(CATEGORIES))


def _legend(fig: Figure, lang: Language, *, facilities: list[str], sites: bool) -> None:
    """Coverage classes, residents outside, then one marker per facility category drawn, in the
    colour the map draws it with (never one grey symbol for many colours)."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    handles: list[Any] = [Patch(facecolor=c, edgecolor="#555555", label=lab)
                          for _, _, c, lab in COVERAGE_CLASSES]
    handles.append(Patch(facecolor="#d9d9d9", edgecolor="#555555", label=_t("no_data", lang)))
    handles.append(Line2D([], [], marker="o", linestyle="", color=_OUTSIDE, alpha=0.55,
                          label=_t("legend_outside", lang)))
    for key in facilities:
        colour = CATEGORIES[key].color if key in CATEGORIES else _OTHER_FACILITY
        handles.append(Line2D([], [], marker="o", linestyle="", markerfacecolor=colour,
                              markeredgecolor="black", markeredgewidth=0.4,
                              label=_label(key, lang) if key in CATEGORIES else key))
    if sites:
        handles.append(Line2D([], [], marker="*", linestyle="", color="#6a3d9a", markersize=12,
                              label=_t("legend_sites", lang)))
    fig.legend(handles=handles, loc="lower center", ncol=min(len(handles), 5), frameon=False,
               fontsize=8)


def overview_map(content: FigureContent, *, lang: Language) -> str:
    """Base64 PNG: communities by complete-circle coverage, residents outside, facilities."""
    import matplotlib
    from matplotlib.figure import Figure

    layers = content.layers
    crs = _map_crs(layers)
    communities = _metric(layers["communities"], crs)
    demand = layers.get("demand")
    outside = None
    if demand is not None and "complete_circle" in demand:
        outside = _metric(demand[~demand["complete_circle"].astype(bool)], crs)
    facilities = _metric(layers["facilities"], crs) if "facilities" in layers else None
    sites = _metric(layers["recommended_sites"], crs) if "recommended_sites" in layers else None
    with matplotlib.rc_context(_rc(lang)):
        fig = Figure(figsize=(8.0, 7.0))
        ax = fig.subplots()
        _coverage_map(ax, communities, "complete_circle_pct", outside, facilities, sites)
        _scale_bar(ax)
        ax.set_title(_t("map_overall", lang), fontsize=11)
        _legend(fig, lang, facilities=_drawn_categories(facilities),
                sites=sites is not None and len(sites) > 0)
        return _png(fig)


def category_maps(content: FigureContent, *, lang: Language, max_categories: int = 16) -> str:
    """Base64 PNG: one small map per category (coverage by community, residents outside)."""
    import matplotlib
    from matplotlib.figure import Figure

    layers = content.layers
    crs = _map_crs(layers)
    communities = _metric(layers["communities"], crs)
    uncovered = _metric(layers["uncovered"], crs) if "uncovered" in layers else None
    facilities = _metric(layers["facilities"], crs) if "facilities" in layers else None
    cats = content.categories[:max_categories]
    ncols = min(3, max(len(cats), 1))
    nrows = max(math.ceil(len(cats) / ncols), 1)
    with matplotlib.rc_context(_rc(lang)):
        fig = Figure(figsize=(3.2 * ncols, 3.2 * nrows + 0.6))
        axes = np.atleast_1d(fig.subplots(nrows, ncols)).ravel()
        for ax, cat in zip(axes, cats):
            out = (uncovered[uncovered["category"] == cat]
                   if uncovered is not None and "category" in uncovered else None)
            fac = (facilities[facilities["category"] == cat]
                   if facilities is not None and "category" in facilities else None)
            _coverage_map(ax, communities, columns.coverage_pct(cat), out, fac)
            ax.set_title(_label(cat, lang), fontsize=9)
        for ax in axes[len(cats):]:
            ax.set_axis_off()
        drawn = [c for c in _drawn_categories(facilities) if c in cats]
        _legend(fig, lang, facilities=drawn, sites=False)
        return _png(fig)


def sites_map(content: FigureContent, *, lang: Language) -> str | None:
    """Base64 PNG: recommended sites, their circles, and community coverage after siting."""
    import matplotlib
    from matplotlib.figure import Figure

    layers = content.layers
    if "recommended_sites" not in layers:
        return None
    crs = _map_crs(layers)
    communities = _metric(layers["communities"], crs)
    sites = _metric(layers["recommended_sites"], crs)
    circles = _metric(layers["site_circles"], crs) if "site_circles" in layers else None
    category = content.siting_category or None
    uncovered = layers.get("uncovered")
    outside = None
    if uncovered is not None and category and "category" in uncovered:
        outside = _metric(uncovered[uncovered["category"] == category], crs)
    facilities = layers.get("facilities")
    if facilities is not None and category and "category" in facilities:
        facilities = _metric(facilities[facilities["category"] == category], crs)
    column = columns.coverage_pct(category) if category else None
    before_after = content.tables.get("siting_before_after")
    if (before_after is not None and "pct_after" in before_after
            and "community_id" in communities):
        # Colour communities by their coverage once the recommended sites are built.
        communities = communities.assign(_after=communities["community_id"].astype(str).map(
            before_after["pct_after"].set_axis(before_after.index.astype(str))))
        column = "_after"
    with matplotlib.rc_context(_rc(lang)):
        fig = Figure(figsize=(8.0, 7.0))
        ax = fig.subplots()
        _coverage_map(ax, communities, column, outside, facilities, sites, circles)
        _scale_bar(ax)
        title = _t("map_sites", lang)
        ax.set_title(f"{title}: {_label(category, lang)}" if category else title, fontsize=11)
        _legend(fig, lang, facilities=_drawn_categories(facilities), sites=True)
        return _png(fig)


def coverage_chart(content: FigureContent, *, lang: Language) -> str | None:
    """Base64 PNG: horizontal bars of population coverage per category, against 100 %."""
    import matplotlib
    from matplotlib.figure import Figure

    summary = content.tables.get("category_summary")
    if summary is None or not len(summary) or "coverage_pct" not in summary:
        return None
    summary = summary.iloc[::-1]
    keys = [str(k) for k in summary.index]
    with matplotlib.rc_context(_rc(lang)):
        fig = Figure(figsize=(7.5, 0.35 * len(keys) + 1.2))
        ax = fig.subplots()
        values = summary["coverage_pct"].astype(float).fillna(0.0).to_numpy()
        ax.barh([_label(k, lang) for k in keys], values,
                color=[CATEGORIES[k].color if k in CATEGORIES else "#888888" for k in keys])
        for y, v in enumerate(values):
            ax.text(min(v, 100) + 1, y, f"{v:.1f} %", va="center", fontsize=8)
        ax.axvline(100, color="#333333", linestyle="--", linewidth=0.8)
        ax.set_xlim(0, 112)
        ax.set_xlabel(_t("share", lang))
        ax.set_title(_t("coverage_chart", lang), fontsize=11)
        ax.spines[["top", "right"]].set_visible(False)
        return _png(fig)


def weighted_share_within(minutes: np.ndarray, weights: np.ndarray,
                           grid: np.ndarray) -> np.ndarray:
    """Percent of ``weights`` whose ``minutes`` ≤ each grid value (NaN/inf never reached)."""
    total = weights.sum()
    if total <= 0:
        return np.zeros_like(grid)
    finite = np.isfinite(minutes)
    order = np.argsort(minutes[finite])
    m = minutes[finite][order]
    cum = np.concatenate([[0.0], np.cumsum(weights[finite][order])])
    return 100.0 * cum[np.searchsorted(m, grid, side="right")] / total


def weighted_percentile(minutes: np.ndarray, weights: np.ndarray, q: float) -> float:
    """Population-weighted ``q``-th percentile of travel time (``inf`` when not reached).

    The smallest time ``t`` such that at least ``q`` % of the residents reach a facility within
    ``t``; unreachable residents count as infinitely far.
    """
    minutes = np.where(np.isnan(minutes), np.inf, minutes)
    keep = weights > 0
    minutes, weights = minutes[keep], weights[keep]
    if not len(minutes):
        return float("nan")
    order = np.argsort(minutes)
    cum = np.cumsum(weights[order]) / weights.sum()
    idx = int(np.searchsorted(cum, q / 100.0 - 1e-12, side="left"))
    return float(minutes[order][min(idx, len(order) - 1)])


def travel_time_chart(content: FigureContent, *, lang: Language) -> str | None:
    """Base64 PNG: cumulative share of residents within t minutes, per category and kind."""
    import matplotlib
    from matplotlib.figure import Figure

    demand = content.layers.get("demand")
    if demand is None or not len(demand):
        return None
    kinds = [k for k in ("urban", "rural")
             if "kind" not in demand or (demand["kind"] == k).any()] or ["urban"]
    top = max(content.circle_minutes.get(k, 15.0) for k in kinds) * 2
    grid = np.linspace(0, top, 121)
    with matplotlib.rc_context(_rc(lang)):
        fig = Figure(figsize=(4.2 * len(kinds), 4.0))
        axes = np.atleast_1d(fig.subplots(1, len(kinds)))
        for ax, kind in zip(axes, kinds):
            part = demand if "kind" not in demand else demand[demand["kind"] == kind]
            weights = part["population"].astype(float).fillna(0.0).to_numpy()
            for cat in content.categories:
                col = columns.minutes(cat)
                if col not in part:
                    continue
                minutes = part[col].astype(float).to_numpy()
                ax.plot(grid, weighted_share_within(minutes, weights, grid),
                        color=CATEGORIES[cat].color if cat in CATEGORIES else None,
                        label=_label(cat, lang), linewidth=1.3)
            circle = content.circle_minutes.get(kind)
            if circle:
                ax.axvline(circle, color="#333333", linestyle="--", linewidth=0.8)
            ax.set_ylim(0, 101)
            ax.set_xlim(0, top)
            ax.set_xlabel(_t("minutes", lang))
            ax.set_ylabel(_t("share", lang))
            ax.set_title(_t(kind, lang), fontsize=10)
            ax.grid(alpha=0.3)
        handles, labels = axes[0].get_legend_handles_labels()
        if handles:
            fig.legend(handles, labels, loc="lower center", ncol=4, frameon=False, fontsize=7,
                       bbox_to_anchor=(0.5, -0.02 - 0.035 * math.ceil(len(labels) / 4)))
        fig.suptitle(_t("time_chart", lang), fontsize=11)
        return _png(fig)


def travel_time_table(content: FigureContent) -> pd.DataFrame:
    """Per category: population-weighted median and 90th percentile minutes, unreachable people."""
    demand = content.layers.get("demand")
    rows = []
    if demand is None:
        return pd.DataFrame(columns=["category", "median", "p90", "unreachable"])
    weights = demand["population"].astype(float).fillna(0.0).to_numpy()
    for cat in content.categories:
        col = columns.minutes(cat)
        if col not in demand:
            continue
        minutes = demand[col].astype(float).to_numpy()
        unreachable = weights[~np.isfinite(minutes)].sum()
        rows.append({"category": cat, "median": weighted_percentile(minutes, weights, 50),
                     "p90": weighted_percentile(minutes, weights, 90),
                     "unreachable": unreachable})
    return pd.DataFrame(rows, columns=["category", "median", "p90", "unreachable"])
