"""The planning report: one self-contained HTML file (and a PDF when Chromium is installed).

The report holds the indicator table against targets, maps of coverage gaps and recommended
sites, charts of travel times, and the data sources, attribution and settings, so that a planner
can attach it to a memo. Maps and charts are PNG images drawn with matplotlib and embedded as
base64; the file loads nothing from the network, opens offline and prints on A4.

Examples
--------
>>> from planning.output.report import ReportContent, render_report   # doctest: +SKIP
>>> html = render_report(ReportContent(title="雨山区服务圈评估", layers=..., tables=...))  # doctest: +SKIP
"""

from __future__ import annotations

import base64
import datetime as dt
import html
import io
import math
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
from pyproj import CRS

from geo._errors import DataError
from geo.taxonomy import CATEGORIES
from planning import columns
from planning.output.styles import COVERAGE_CLASSES, coverage_colour
from planning.texts import column_label

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from planning.access.analysis import Analysis

Language = Literal["zh", "en"]

#: Families tried in order for Chinese text in charts; DejaVu Sans covers the rest.
CJK_FONT_FAMILIES: tuple[str, ...] = (
    "Noto Sans CJK SC", "Source Han Sans SC", "WenQuanYi Zen Hei", "WenQuanYi Micro Hei",
    "Microsoft YaHei", "SimHei", "PingFang SC", "Hiragino Sans GB", "Noto Sans SC",
    "Noto Sans CJK JP",
)
_CJK_FILE_HINTS = ("notosanscjk", "sourcehansans", "wqy", "msyh", "simhei", "pingfang",
                   "notosanssc", "droidsansfallback")
CHROMIUM_PATHS: tuple[str, ...] = ("/usr/bin/chromium", "/usr/bin/chromium-browser",
                                   "/usr/bin/google-chrome")
_CSS_FONTS = ('"Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", "PingFang SC", '
              '"WenQuanYi Zen Hei", "SimHei", "DejaVu Sans", sans-serif')
# Residents outside the circle: dark, so that they show on every coverage class colour.
_OUTSIDE = "#1a1a1a"

_TEXT: dict[str, tuple[str, str]] = {
    "report": ("服务圈规划评估报告", "Service circle planning report"),
    "generated": ("生成时间", "Generated"),
    "summary": ("一、概况", "1. Summary"),
    "indicators": ("二、指标与目标", "2. Indicators against targets"),
    "gaps": ("三、服务圈覆盖缺口", "3. Coverage gaps"),
    "categories": ("四、各类设施覆盖情况", "4. Coverage by category"),
    "times": ("五、出行时间", "5. Travel times"),
    "sites": ("六、推荐选址", "6. Recommended sites"),
    "scenarios": ("七、方案比较", "7. Scenario comparison"),
    "communities": ("八、社区明细", "8. Communities"),
    "sources": ("九、数据来源与参数设置", "9. Data sources and settings"),
    "population": ("总人口", "Population"),
    "n_communities": ("社区/村数量", "Communities and villages"),
    "n_facilities": ("现状设施数量", "Existing facilities"),
    "complete": ("完整服务圈人口覆盖率", "Population reaching every essential category"),
    "passed": ("达标指标", "Targets met"),
    "no_data": ("无数据", "no data"),
    "yes": ("达标", "met"),
    "no": ("未达标", "missed"),
    "map_overall": ("完整服务圈覆盖率（按社区）及圈外人口", "Complete-circle coverage by community "
                    "and residents outside it"),
    "map_category": ("各类设施服务圈覆盖率（按社区）", "Coverage by community, per category"),
    "map_sites": ("推荐选址及其服务圈", "Recommended sites and their service circles"),
    "legend_outside": ("圈外人口", "Residents outside"),
    "legend_facilities": ("现状设施", "Existing facilities"),
    "legend_sites": ("推荐选址", "Recommended sites"),
    "coverage_chart": ("各类设施服务圈人口覆盖率", "Population inside the circle, by category"),
    "time_chart": ("到最近设施的出行时间（累计人口比例）", "Travel time to the nearest facility "
                   "(cumulative share of residents)"),
    "minutes": ("出行时间（分钟）", "Travel time (minutes)"),
    "share": ("人口比例（%）", "Share of residents (%)"),
    "urban": ("城市社区", "Urban communities"),
    "rural": ("农村社区", "Rural communities"),
    "percentiles": ("出行时间分位数（按人口加权，分钟）", "Travel time percentiles (population "
                    "weighted, minutes)"),
    "median": ("中位数", "Median"),
    "p90": ("90%分位", "90th percentile"),
    "unreachable": ("不可达人口", "Unreachable population"),
    "attribution": ("数据来源与版权", "Data sources and attribution"),
    "data_notes": ("数据说明", "Notes on the data"),
    "settings": ("参数设置", "Settings"),
    "crs": ("坐标系", "Coordinate system"),
    "worst": ("按完整服务圈覆盖率由低到高列出前 {n} 个；完整表格见 CSV/XLSX 导出。",
              "The {n} communities with the lowest complete-circle coverage; the full table is "
              "in the CSV/XLSX export."),
    "no_font": ("本机未找到中文字体，图表文字以英文显示（可安装 fonts-noto-cjk）。",
                "No Chinese font was found; chart text is in English (install fonts-noto-cjk)."),
    "before_after": ("新增设施后覆盖率提高的社区", "Communities whose coverage rises with the new sites"),
}


def _t(key: str, lang: Language, **kw: Any) -> str:
    zh, en = _TEXT[key]
    return (zh if lang == "zh" else en).format(**kw)


# --------------------------------------------------------------------------------------------
# Content


@dataclass
class ReportContent:
    """Everything the report shows, as plain layers and tables (no engine objects).

    Attributes
    ----------
    title : str
        Title of the report (e.g. the data set's title).
    layers : dict of str to GeoDataFrame
        ``communities`` (with ``coverage_pct_<category>`` and ``complete_circle_pct``),
        ``facilities``, ``demand`` (``population``, ``kind``, ``minutes_<category>``,
        ``complete_circle``), ``uncovered`` (``category``, ``population``), optionally
        ``recommended_sites`` and ``site_circles``; any metric CRS.
    tables : dict of str to DataFrame
        ``indicators``, ``category_summary``, ``community_table``, optionally
        ``recommended_sites``, ``siting_before_after``, ``scenario_comparison``.
    categories : list of str
        Categories analysed, in display order.
    circle_minutes : dict of str to float
        Circle time by community kind (``urban``, ``rural``).
    settings : dict of str to str
        Rows of the settings table.
    attribution, notes : list of str
        Data sources and notes on the data, shown as given.
    crs_note : str
        Coordinate system of the exported layers, when the report goes with an export.
    subtitle : str
        Shown under the title (e.g. a demonstration-data banner).
    siting_summary : dict of str to str
        Rows describing the siting run (model, solver, gap, covered before/after).
    siting_category : str
        Category key of the recommended sites (for the sites map).
    """

    title: str
    layers: dict[str, gpd.GeoDataFrame]
    tables: dict[str, pd.DataFrame]
    categories: list[str] = field(default_factory=list)
    circle_minutes: dict[str, float] = field(default_factory=lambda: {"urban": 15.0,
                                                                      "rural": 30.0})
    settings: dict[str, str] = field(default_factory=dict)
    attribution: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    crs_note: str = ""
    subtitle: str = ""
    siting_summary: dict[str, str] = field(default_factory=dict)
    siting_category: str = ""


def report_content(analysis: Analysis, *, siting: Any = None,
                   scenario_comparison: Any = None, crs_note: str = "",
                   lang: Language = "zh") -> ReportContent:
    """:class:`ReportContent` of an analysis (and optional siting result / scenario comparison)."""
    from planning.output.export import analysis_about, analysis_layers

    # Circle polygons are slow to draw and the maps show residents outside instead.
    layers, tables = analysis_layers(analysis, siting=siting,
                                     scenario_comparison=scenario_comparison, circles=False)
    about = analysis_about(analysis, lang=lang)
    meta = dict(getattr(analysis.dataset, "meta", {}) or {})
    settings = {k.removeprefix("setting."): v for k, v in about.items()
                if k.startswith("setting.")}
    siting_summary: dict[str, str] = {}
    if siting is not None:
        total = max(int(getattr(siting, "total_population", 0) or 0), 1)
        cat = CATEGORIES.get(siting.category)
        zh = lang == "zh"
        before, after = int(siting.covered_before), int(siting.covered_after)
        siting_summary = {
            "设施类别" if zh else "Category":
                (cat.zh if zh else cat.en) if cat else str(siting.category),
            "选址模型" if zh else "Model": str(siting.model),
            "求解" if zh else "Solver": f"{siting.solver} (gap {float(siting.gap_pct):.2f} %)",
            "新增设施数" if zh else "New sites": str(len(siting.sites)),
            "规划前圈内人口" if zh else "Covered before": f"{before:,} ({100 * before / total:.1f} %)",
            "规划后圈内人口" if zh else "Covered after": f"{after:,} ({100 * after / total:.1f} %)",
        }
    return ReportContent(
        title=str(meta.get("title_zh" if lang == "zh" else "title_en") or analysis.dataset.name),
        layers={k: v for k, v in layers.items() if k != "circles"},
        tables=tables,
        categories=list(analysis.categories),
        circle_minutes={"urban": float(analysis.settings.urban_circle_minutes),
                        "rural": float(analysis.settings.rural_circle_minutes)},
        settings=settings,
        attribution=[str(a) for a in (analysis.dataset.attribution or [])],
        notes=[str(n) for n in (analysis.dataset.notes or [])],
        crs_note=crs_note,
        subtitle=str(meta.get("demo_label_zh" if lang == "zh" else "demo_label_en") or ""),
        siting_summary=siting_summary,
        siting_category=str(siting.category) if siting is not None else "",
    )


# --------------------------------------------------------------------------------------------
# Fonts and figures

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
        colours = [CATEGORIES[c].color if c in CATEGORIES else "#333333"
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


def _legend(fig: Figure, lang: Language, *, facilities: bool, sites: bool) -> None:
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    handles: list[Any] = [Patch(facecolor=c, edgecolor="#555555", label=lab)
                          for _, _, c, lab in COVERAGE_CLASSES]
    handles.append(Patch(facecolor="#d9d9d9", edgecolor="#555555", label=_t("no_data", lang)))
    handles.append(Line2D([], [], marker="o", linestyle="", color=_OUTSIDE, alpha=0.55,
                          label=_t("legend_outside", lang)))
    if facilities:
        handles.append(Line2D([], [], marker="o", linestyle="", markerfacecolor="#999999",
                              markeredgecolor="black", label=_t("legend_facilities", lang)))
    if sites:
        handles.append(Line2D([], [], marker="*", linestyle="", color="#6a3d9a", markersize=12,
                              label=_t("legend_sites", lang)))
    fig.legend(handles=handles, loc="lower center", ncol=min(len(handles), 5), frameon=False,
               fontsize=8)


def _label(key: str, lang: Language) -> str:
    cat = CATEGORIES.get(key)
    return (cat.zh if lang == "zh" else cat.en) if cat else key


def overview_map(content: ReportContent, *, lang: Language) -> str:
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
        _legend(fig, lang, facilities=facilities is not None and len(facilities) > 0,
                sites=sites is not None and len(sites) > 0)
        return _png(fig)


def category_maps(content: ReportContent, *, lang: Language, max_categories: int = 16) -> str:
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
        _legend(fig, lang, facilities=True, sites=False)
        return _png(fig)


def sites_map(content: ReportContent, *, lang: Language) -> str | None:
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
        _legend(fig, lang, facilities=True, sites=True)
        return _png(fig)


def coverage_chart(content: ReportContent, *, lang: Language) -> str | None:
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


def _weighted_share_within(minutes: np.ndarray, weights: np.ndarray,
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


def travel_time_chart(content: ReportContent, *, lang: Language) -> str | None:
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
                ax.plot(grid, _weighted_share_within(minutes, weights, grid),
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


def travel_time_table(content: ReportContent) -> pd.DataFrame:
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


# --------------------------------------------------------------------------------------------
# HTML


def _fmt(value: Any, *, digits: int = 1) -> str:
    if value is None or value is pd.NA or value is pd.NaT:
        return ""
    if isinstance(value, (bool, np.bool_)):
        return "✓" if value else "✗"
    if isinstance(value, (int, np.integer)):
        return f"{int(value):,}"
    if isinstance(value, (float, np.floating)):
        if math.isnan(value):
            return ""
        if math.isinf(value):
            return "∞"
        return f"{value:,.{digits}f}"
    if isinstance(value, (list, tuple)):
        return "、".join(str(v) for v in value)
    return str(value)


def _table_html(frame: pd.DataFrame, *, lang: Language, classes: str = "",
                row_class: Sequence[str] | None = None, labels: Mapping[str, str] | None = None,
                ) -> str:
    labels = labels or {}
    head = "".join(f"<th>{html.escape(labels.get(str(c), column_label(str(c), lang)))}</th>"
                   for c in frame.columns)
    body = []
    for i, (_, row) in enumerate(frame.iterrows()):
        cls = f' class="{row_class[i]}"' if row_class is not None and row_class[i] else ""
        cells = []
        for c in frame.columns:
            value = row[c]
            numeric = isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(
                value, (bool, np.bool_))
            text = html.escape(_fmt(value))
            cells.append(f'<td class="num">{text}</td>' if numeric else f"<td>{text}</td>")
        body.append(f"<tr{cls}>{''.join(cells)}</tr>")
    return (f'<table class="{classes}"><thead><tr>{head}</tr></thead>'
            f"<tbody>{''.join(body)}</tbody></table>")


_SETTING_LABELS: dict[str, tuple[str, str]] = {
    "urban_circle_minutes": ("城市社区服务圈（分钟）", "Urban circle (minutes)"),
    "rural_circle_minutes": ("农村社区服务圈（分钟）", "Rural circle (minutes)"),
    "urban_mode": ("城市社区出行方式", "Urban travel mode"),
    "rural_mode": ("农村社区出行方式", "Rural travel mode"),
    "walk_speed_m_per_min": ("步行速度（米/分钟）", "Walking speed (m/min)"),
    "elderly_walk_speed_m_per_min": ("老年人步行速度（米/分钟）", "Elderly walking speed (m/min)"),
    "profile": ("出行人群", "Walking profile"),
    "ebike_speed_km_per_h": ("电动自行车速度（千米/小时）", "E-bike speed (km/h)"),
    "car_speeds_km_per_h": ("小汽车速度（千米/小时，按道路等级）", "Car speeds by road class (km/h)"),
    "ebike_respects_oneway": ("电动自行车遵守单行道", "E-bikes keep to one-way streets"),
    "urban_ring_minutes": ("城市社区时间圈层（分钟）", "Urban rings (minutes)"),
    "rural_ring_minutes": ("农村社区时间圈层（分钟）", "Rural rings (minutes)"),
    "surface_cell_m": ("出行时间栅格单元（米）", "Travel-time surface cell (m)"),
    "surface_max_cells": ("出行时间栅格最大单元数", "Most cells of a travel-time surface"),
}
_SCOPES: dict[str, tuple[str, str]] = {
    "community": ("社区", "communities"), "population": ("人口", "residents"),
    "street": ("街道/乡镇", "streets"), "district": ("区县", "districts"),
    "area": ("全域", "whole area"),
}


def _short_list(value: Any, *, lang: Language, shown: int = 8,
                names: Mapping[str, str] | None = None) -> str:
    """"N 个：a、b、c…" for a long list (the full list is in the exports).

    ``names`` translates items (e.g. indicator keys to their Chinese names).
    """
    if isinstance(value, str):
        items = [v for v in re.split(r"; |、|, ", value) if v]
    elif isinstance(value, (list, tuple, np.ndarray, pd.Index)):
        items = [str(v) for v in value]
    else:
        return ""
    items = [(names or {}).get(v, v) for v in items]
    if not items:
        return ""
    head = "、".join(items[:shown]) + ("…" if len(items) > shown else "")
    return f"{len(items)} 个：{head}" if lang == "zh" else f"{len(items)}: {head}"


def _indicator_html(indicators: pd.DataFrame, *, lang: Language) -> tuple[str, int, int]:
    frame = indicators.copy()
    name_col = "name_zh" if lang == "zh" and "name_zh" in frame else (
        "name_en" if "name_en" in frame else "name")
    status = []
    shown = []
    for _, row in frame.iterrows():
        passed = row.get("pass")
        if passed is None or (isinstance(passed, float) and math.isnan(passed)):
            status.append("nodata")
            shown.append(_t("no_data", lang))
        elif bool(passed):
            status.append("pass")
            shown.append("✓ " + _t("yes", lang))
        else:
            status.append("fail")
            shown.append("✗ " + _t("no", lang))
    missing = frame["communities_missing"] if "communities_missing" in frame else None
    out = pd.DataFrame({
        "indicator": frame[name_col].astype(str),
        "scope": (frame["scope"].map(lambda v: _SCOPES.get(v, (v, v))[0 if lang == "zh" else 1])
                  if "scope" in frame else ""),
        "value": frame["value"] if "value" in frame else np.nan,
        "target": frame["target"] if "target" in frame else np.nan,
        "unit": frame["unit"] if "unit" in frame else "",
        "pass": shown,
    })
    if missing is not None:
        out["communities_missing"] = missing.map(lambda v: _short_list(v, lang=lang))
    if "note" in frame:
        out["note"] = frame["note"]
    labels = {"indicator": "指标" if lang == "zh" else "Indicator"}
    n_pass = status.count("pass")
    n_judged = n_pass + status.count("fail")
    return _table_html(out, lang=lang, classes="indicators", row_class=status,
                       labels=labels), n_pass, n_judged


def _img(b64: str | None, alt: str) -> str:
    if not b64:
        return ""
    return (f'<figure><img alt="{html.escape(alt)}" src="data:image/png;base64,{b64}">'
            f"<figcaption>{html.escape(alt)}</figcaption></figure>")


_CSS = """
@page { size: A4; margin: 14mm 12mm; }
body { font-family: %(fonts)s; color: #222; margin: 0 auto; max-width: 1000px; padding: 16px;
       line-height: 1.5; font-size: 14px; box-sizing: border-box; }
h1 { font-size: 24px; margin: 0 0 4px; }
h2 { font-size: 18px; border-bottom: 2px solid #2c7fb8; padding-bottom: 3px; margin-top: 28px;
     break-after: avoid; page-break-after: avoid; }
h3 { font-size: 15px; break-after: avoid; }
.subtitle { color: #a50f15; font-weight: bold; }
.meta { color: #666; font-size: 12px; }
.cards { display: flex; flex-wrap: wrap; gap: 10px; margin: 10px 0; }
.card { border: 1px solid #ccc; border-radius: 6px; padding: 8px 12px; min-width: 150px; }
.card b { display: block; font-size: 20px; }
table { border-collapse: collapse; width: 100%%; margin: 8px 0; font-size: 12px; }
th, td { border: 1px solid #bbb; padding: 3px 6px; text-align: left; vertical-align: top;
         overflow-wrap: break-word; }
th { background: #eef3f8; }
td.num { text-align: right; white-space: nowrap; }
tr { break-inside: avoid; page-break-inside: avoid; }
table.indicators td:first-child { min-width: 11em; }
table.indicators td:nth-child(6) { white-space: nowrap; }
tr.pass td { background: #e5f5e0; }
tr.fail td { background: #fde0dd; }
tr.nodata td { background: #f4f4f4; color: #666; }
figure { margin: 10px 0; text-align: center; break-inside: avoid; page-break-inside: avoid; }
figure img { max-width: 100%%; height: auto; }
figcaption { font-size: 12px; color: #555; }
ul.plain { padding-left: 18px; }
.note { color: #555; font-size: 12px; }
"""


def render_report(content: ReportContent, *, lang: Language = "zh") -> str:
    """The report as one self-contained HTML document (images embedded, no external links).

    Parameters
    ----------
    content : ReportContent
    lang : {"zh", "en"}

    Returns
    -------
    str
    """
    if lang not in ("zh", "en"):
        raise DataError(f"unknown report language '{lang}'", fix="use zh or en")
    chart_lang: Language = lang if (lang == "en" or cjk_fonts()) else "en"
    layers, tables = content.layers, content.tables
    for needed in ("communities", "demand"):
        if needed not in layers:
            raise DataError(f"the report needs the '{needed}' layer",
                            fix="pass the layers of Analysis.layers()")
    parts: list[str] = []
    esc = html.escape
    title = f"{content.title} · {_t('report', lang)}"
    parts.append(f"<h1>{esc(title)}</h1>")
    if content.subtitle:
        parts.append(f'<p class="subtitle">{esc(content.subtitle)}</p>')
    now = dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M")
    parts.append(f'<p class="meta">{esc(_t("generated", lang))}: {now}</p>')
    if chart_lang != lang:
        parts.append(f'<p class="note">{esc(_t("no_font", lang))}</p>')

    # 1. Summary
    demand = layers["demand"]
    population = float(demand["population"].astype(float).fillna(0).sum())
    complete = None
    if "complete_circle" in demand and population > 0:
        inside = demand["population"].astype(float).fillna(0)[demand["complete_circle"].astype(bool)]
        complete = 100.0 * float(inside.sum()) / population
    indicators_html, n_pass, n_judged = ("", 0, 0)
    if "indicators" in tables:
        indicators_html, n_pass, n_judged = _indicator_html(tables["indicators"], lang=lang)
    cards = [(_t("population", lang), f"{population:,.0f}"),
             (_t("n_communities", lang), f"{len(layers['communities']):,}"),
             (_t("n_facilities", lang), f"{len(layers.get('facilities', [])):,}")]
    if complete is not None:
        cards.append((_t("complete", lang), f"{complete:.1f} %"))
    if n_judged:
        cards.append((_t("passed", lang), f"{n_pass} / {n_judged}"))
    parts.append(f"<h2>{esc(_t('summary', lang))}</h2><div class='cards'>" + "".join(
        f"<div class='card'>{esc(k)}<b>{esc(v)}</b></div>" for k, v in cards) + "</div>")

    # 2. Indicators
    if indicators_html:
        parts.append(f"<h2>{esc(_t('indicators', lang))}</h2>{indicators_html}")

    # 3. Coverage gap maps
    parts.append(f"<h2>{esc(_t('gaps', lang))}</h2>")
    parts.append(_img(overview_map(content, lang=chart_lang), _t("map_overall", lang)))
    if content.categories:
        parts.append(_img(category_maps(content, lang=chart_lang), _t("map_category", lang)))

    # 4. Coverage by category
    if "category_summary" in tables:
        summary = tables["category_summary"].copy()
        summary.insert(0, "category_label", [_label(str(k), lang) for k in summary.index])
        parts.append(f"<h2>{esc(_t('categories', lang))}</h2>")
        parts.append(_table_html(summary.reset_index(drop=True), lang=lang,
                                 labels={"category_label": column_label("category", lang)}))
        parts.append(_img(coverage_chart(content, lang=chart_lang), _t("coverage_chart", lang)))

    # 5. Travel times
    parts.append(f"<h2>{esc(_t('times', lang))}</h2>")
    parts.append(_img(travel_time_chart(content, lang=chart_lang), _t("time_chart", lang)))
    times = travel_time_table(content)
    if len(times):
        times["category"] = [_label(k, lang) for k in times["category"]]
        parts.append(f"<h3>{esc(_t('percentiles', lang))}</h3>")
        parts.append(_table_html(times, lang=lang, labels={
            "median": _t("median", lang), "p90": _t("p90", lang),
            "unreachable": _t("unreachable", lang)}))

    # 6. Recommended sites
    if "recommended_sites" in layers:
        parts.append(f"<h2>{esc(_t('sites', lang))}</h2>")
        if content.siting_summary:
            summary_rows = pd.DataFrame({"key": list(content.siting_summary),
                                         "value": list(content.siting_summary.values())})
            parts.append(_table_html(summary_rows, lang=lang,
                                     labels={"key": "", "value": ""}))
        parts.append(_img(sites_map(content, lang=chart_lang), _t("map_sites", lang)))
        site_table = tables.get("recommended_sites")
        if site_table is None:
            sites = layers["recommended_sites"]
            site_table = pd.DataFrame(sites.drop(columns=sites.geometry.name))
        parts.append(_table_html(site_table, lang=lang))
        if "siting_before_after" in tables:
            changed = tables["siting_before_after"]
            if {"covered_before", "covered_after"} <= set(changed.columns):
                # Only the communities the new sites change, the biggest gain first.
                gain = changed["covered_after"] - changed["covered_before"]
                changed = changed[gain > 0].assign(_gain=gain).sort_values(
                    "_gain", ascending=False, kind="stable").drop(columns="_gain")
            parts.append(f"<h3>{esc(_t('before_after', lang))}</h3>")
            parts.append(_table_html(changed.reset_index(), lang=lang))

    # 7. Scenario comparison
    if "scenario_comparison" in tables:
        parts.append(f"<h2>{esc(_t('scenarios', lang))}</h2>")
        parts.append(_table_html(tables["scenario_comparison"].reset_index(), lang=lang))

    # 8. Communities (the worst first; the full table is in the exports)
    if "community_table" in tables:
        table = tables["community_table"].copy()
        n = min(len(table), 100)
        if "complete_circle_pct" in table:
            table = table.sort_values("complete_circle_pct", na_position="last", kind="stable")
        # Per-category columns fit an A4 page for a few categories; the exports have them all.
        per_category = ([columns.coverage_pct(c) for c in content.categories]
                        if len(content.categories) <= 6 else [])
        keep = [c for c in ("name", "kind", "population", "households", "circle_minutes",
                            *per_category, "complete_circle_pct",
                            "floor_area_per_100_households", "missed_targets") if c in table]
        shown = table[keep].head(n).reset_index()
        if "missed_targets" in shown:
            indicators = tables.get("indicators")
            label_col = "name_zh" if lang == "zh" else "name_en"
            names = (dict(zip(indicators["name"].astype(str), indicators[label_col].astype(str)))
                     if indicators is not None and {"name", label_col} <= set(indicators.columns)
                     else {})
            shown["missed_targets"] = shown["missed_targets"].map(
                lambda v: _short_list(v, lang=lang, shown=3, names=names))
        parts.append(f"<h2>{esc(_t('communities', lang))}</h2>")
        parts.append(f'<p class="note">{esc(_t("worst", lang, n=n))}</p>')
        parts.append(_table_html(shown, lang=lang, classes="communities"))

    # 9. Sources and settings
    parts.append(f"<h2>{esc(_t('sources', lang))}</h2>")
    if content.attribution:
        parts.append(f"<h3>{esc(_t('attribution', lang))}</h3><ul class='plain'>" + "".join(
            f"<li>{esc(a)}</li>" for a in content.attribution) + "</ul>")
    if content.notes:
        parts.append(f"<h3>{esc(_t('data_notes', lang))}</h3><ul class='plain'>" + "".join(
            f"<li>{esc(n)}</li>" for n in content.notes) + "</ul>")
    if content.crs_note:
        parts.append(f"<h3>{esc(_t('crs', lang))}</h3><p>{esc(content.crs_note)}</p>")
    settings = dict(content.settings)
    for kind, minutes in content.circle_minutes.items():
        settings.setdefault(f"{kind}_circle_minutes", f"{minutes:g}")
    rows = pd.DataFrame({
        "label": [_SETTING_LABELS.get(k, (k, k))[0 if lang == "zh" else 1] for k in settings],
        "key": list(settings), "value": list(settings.values())})
    parts.append(f"<h3>{esc(_t('settings', lang))}</h3>")
    parts.append(_table_html(rows, lang=lang, labels={
        "label": "参数" if lang == "zh" else "Setting", "key": "", "value": ""}))

    css = _CSS % {"fonts": _CSS_FONTS}
    html_lang = "zh-CN" if lang == "zh" else "en"
    return (f"<!DOCTYPE html>\n<html lang=\"{html_lang}\"><head><meta charset=\"utf-8\">"
            f"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            f"<title>{esc(title)}</title><style>{css}</style></head>"
            f"<body>{''.join(parts)}</body></html>\n")


# --------------------------------------------------------------------------------------------
# Files


def _share(path: Path) -> None:
    """Give a temporary file the usual permissions (mkstemp makes it private to the owner)."""
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(path, 0o666 & ~umask)


def find_chromium() -> str | None:
    """Path of an installed Chromium/Chrome for printing PDFs, or ``None``."""
    for path in CHROMIUM_PATHS:
        if os.path.exists(path) and os.access(path, os.X_OK):
            return path
    return shutil.which("chromium") or shutil.which("chromium-browser")


def html_to_pdf(html_path: str | os.PathLike[str], pdf_path: str | os.PathLike[str], *,
                chromium: str | None = None, timeout_s: float = 120.0) -> Path:
    """Print an HTML file to PDF with headless Chromium (``--print-to-pdf``).

    Raises
    ------
    DataError
        When no Chromium is installed or printing fails.
    """
    html_path, pdf_path = Path(html_path).resolve(), Path(pdf_path)
    chromium = chromium or find_chromium()
    if chromium is None:
        raise DataError("no PDF converter was found (headless Chromium)", file=pdf_path,
                        fix="install the chromium package, or print the HTML report from a "
                        "browser")
    fd, name = tempfile.mkstemp(prefix=f".{pdf_path.stem}.", suffix=".pdf", dir=pdf_path.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        with tempfile.TemporaryDirectory(prefix="report-chromium-") as profile:
            cmd = [chromium, "--headless", "--no-sandbox", "--disable-gpu",
                   "--disable-dev-shm-usage", "--no-first-run", "--no-pdf-header-footer",
                   f"--user-data-dir={profile}", f"--print-to-pdf={tmp}",
                   html_path.as_uri()]
            try:
                done = subprocess.run(cmd, capture_output=True, timeout=timeout_s, check=False)
            except subprocess.TimeoutExpired:
                raise DataError(f"Chromium did not finish printing the PDF in {timeout_s:g} s",
                                file=pdf_path, fix="print the HTML report from a browser") from None
        if tmp.stat().st_size == 0 or not tmp.read_bytes()[:5] == b"%PDF-":
            err = done.stderr.decode("utf-8", "replace").strip().splitlines()
            raise DataError("Chromium could not print the PDF"
                            + (f" ({err[-1]})" if err else ""), file=pdf_path,
                            fix="print the HTML report from a browser")
        _share(tmp)
        os.replace(tmp, pdf_path)
    finally:
        if tmp.exists():
            tmp.unlink()
    return pdf_path


def write_report(content: ReportContent, out: str | os.PathLike[str], *,
                 lang: Language = "zh", pdf: bool = True,
                 ) -> tuple[Path, Path | None, str]:
    """Write the HTML report, and a PDF beside it when Chromium is installed.

    Parameters
    ----------
    content : ReportContent
    out : path
        The ``.html`` file; the PDF is the same name with ``.pdf``.
    lang : {"zh", "en"}
    pdf : bool
        Also print a PDF (skipped, with a message, when no converter is installed).

    Returns
    -------
    (html_path, pdf_path or None, message)
        ``message`` says what was written, or that no PDF converter was found.
    """
    out = Path(out)
    if out.suffix.lower() not in (".html", ".htm"):
        raise DataError("the report must be an .html file", file=out, fix="change the file name")
    if not out.parent.exists():
        raise DataError("the output folder does not exist", file=out,
                        fix="create the folder first or choose another path")
    document = render_report(content, lang=lang)
    fd, name = tempfile.mkstemp(prefix=f".{out.stem}.", suffix=".html", dir=out.parent)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(document)
    _share(Path(name))
    os.replace(name, out)
    if not pdf:
        return out, None, f"wrote {out}"
    if find_chromium() is None:
        return out, None, f"wrote {out}; no PDF converter was found (install chromium for a PDF)"
    try:
        pdf_path = html_to_pdf(out, out.with_suffix(".pdf"))
    except DataError as exc:
        # The HTML report is complete and printable from any browser: say why there is no PDF.
        return out, None, f"wrote {out}; no PDF: {exc}"
    return out, pdf_path, f"wrote {out} and {pdf_path}"


def write_analysis_report(analysis: Analysis, out: str | os.PathLike[str], *,
                          siting: Any = None, scenario_comparison: Any = None,
                          crs: str | None = None, lang: Language = "zh", pdf: bool = True,
                          ) -> tuple[Path, Path | None, str]:
    """:func:`write_report` for an analysis (and optional siting result / scenario comparison).

    ``crs`` names the coordinate system of the overlays exported with the report
    (see :data:`planning.output.export.OUTPUT_CRS`); its note goes into the settings section.
    """
    crs_note = ""
    if crs:
        from planning.output.export import output_crs

        crs_note = output_crs(crs, {"communities": analysis.dataset.communities}).note
    content = report_content(analysis, siting=siting, scenario_comparison=scenario_comparison,
                             crs_note=crs_note, lang=lang)
    return write_report(content, out, lang=lang, pdf=pdf)
