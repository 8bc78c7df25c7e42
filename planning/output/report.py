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

import datetime as dt
import html
import math
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd

from geo._errors import DataError
from geo.taxonomy import label as _label
from planning import columns
from planning.output._report_tables import MARGIN_SIDE_MM, MARGIN_TOP_MM, PAPERS, max_columns, scenario_tables
from planning.output.figures import (
    category_maps,
    cjk_fonts,
    coverage_chart,
    overview_map,
    sites_map,
    travel_time_chart,
    travel_time_table,
    weighted_percentile,
)
from planning.output.files import replacing, write_text
from planning.output.layers import analysis_about, analysis_layers, output_crs
from planning.output.readable import LONLAT_COLUMNS, indicator_names, readable
from planning.texts import (
    E2SFCA_SUPPLY,
    SCOPES,
    SETTING_LABELS,
    SETTING_VALUES,
    Language,
    column_label,
    e2sfca_labels,
    note_text,
    report_text,
    say,
    solver_text,
    value_label,
)

if TYPE_CHECKING:
    from planning.access.analysis import Analysis

#: Names the tests and other modules use from here (the figures live in planning.output.figures).
__all__ = ["CHROMIUM_PATHS", "ReportContent", "cjk_fonts", "find_chromium", "html_to_pdf",
           "render_report", "report_content", "travel_time_table", "weighted_percentile",
           "write_analysis_report", "write_report"]

CHROMIUM_PATHS: tuple[str, ...] = ("/usr/bin/chromium", "/usr/bin/chromium-browser",
                                   "/usr/bin/google-chrome")
_CSS_FONTS = ('"Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", "PingFang SC", '
              '"WenQuanYi Zen Hei", "SimHei", "DejaVu Sans", sans-serif')
_t = report_text


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
    e2sfca_supply : dict of str to str
        Supply of each category's ``e2sfca_<category>`` column (``floor_area_m2``,
        ``capacity`` or ``count``), when the community table has them.
    targets_note : str
        Which plan the targets come from, and plainly when it is another city's.
    paper : {"A4", "A3"}
        Paper the report prints on.
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
    e2sfca_supply: dict[str, str] = field(default_factory=dict)
    targets_note: str = ""
    paper: str = "A4"


def report_content(analysis: Analysis, *, siting: Any = None,
                   scenario_comparison: Any = None, crs_note: str = "",
                   lang: Language = "zh") -> ReportContent:
    """:class:`ReportContent` of an analysis (and optional siting result / scenario comparison)."""
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
        before, after = int(siting.covered_before), int(siting.covered_after)
        gap = getattr(siting, "gap_pct", None)
        siting_summary = {
            _t("site.category", lang): _label(str(siting.category), lang),
            _t("site.model", lang): str(value_label("model", str(siting.model), lang)),
            _t("site.solver", lang): solver_text(str(siting.solver),
                                                 None if gap is None else float(gap), lang),
            _t("site.new", lang): str(len(siting.sites)),
            _t("site.before", lang): f"{before:,} ({100 * before / total:.1f} %)",
            _t("site.after", lang): f"{after:,} ({100 * after / total:.1f} %)",
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
        e2sfca_supply=dict(getattr(analysis, "e2sfca_supply", {}) or {}),
        targets_note=(analysis.targets.notice(analysis.dataset, lang)
                      if getattr(analysis, "targets", None) is not None else ""),
    )


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
                words: bool = True, names: Mapping[str, str] | None = None) -> str:
    """An HTML table; ``words`` shows codes in words and numbers rounded as a planner writes
    them (:func:`planning.output.readable.readable`, ``names`` naming indicator keys)."""
    labels = labels or {}
    if words:
        frame = readable(frame, lang, indicators=names)
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
            text = html.escape(_fmt(value, digits=6 if str(c) in LONLAT_COLUMNS else 1))
            cells.append(f'<td class="num">{text}</td>' if numeric else f"<td>{text}</td>")
        body.append(f"<tr{cls}>{''.join(cells)}</tr>")
    return (f'<table class="{classes}"><thead><tr>{head}</tr></thead>'
            f"<tbody>{''.join(body)}</tbody></table>")


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
    head = "、".join(items[:shown]) + ("…" if len(items) > shown else "")  # the rest: exports
    return _t("list", lang, n=len(items), items=head)


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
        "scope": (frame["scope"].map(lambda v: say(SCOPES, v, lang) if v in SCOPES else v)
                  if "scope" in frame else ""),
        "value": frame["value"] if "value" in frame else np.nan,
        "target": frame["target"] if "target" in frame else np.nan,
        "unit": frame["unit"].map(lambda v: value_label("unit", v, lang)) if "unit" in frame else "",
        "pass": shown,
    })
    if missing is not None:
        out["communities_missing"] = missing.map(lambda v: _short_list(v, lang=lang, shown=5))
    if "note" in frame:
        # Engine notes in the report's language (their Chinese text is in planning.texts).
        out["note"] = frame["note"].map(lambda v: note_text(v, lang) if isinstance(v, str) else v)
    labels = {"indicator": _t("indicator", lang)}
    n_pass = status.count("pass")
    n_judged = n_pass + status.count("fail")
    return _table_html(out, lang=lang, classes="indicators", row_class=status,
                       labels=labels, words=False), n_pass, n_judged


def _e2sfca_shown(content: ReportContent, most: int = 3) -> list[str]:
    """Categories whose E2SFCA column the report shows: the sited one first, at most ``most``."""
    first = [content.siting_category] if content.siting_category in content.categories else []
    return list(dict.fromkeys([*first, *content.categories]))[:most]


def _e2sfca_labels(content: ReportContent) -> dict[str, tuple[str, str]]:
    """Headers of the E2SFCA columns whose supply is known, by column."""
    return {columns.e2sfca(cat): e2sfca_labels(cat, kind)
            for cat, kind in content.e2sfca_supply.items()}


def _e2sfca_reading(content: ReportContent, shown: Sequence[str], lang: Language) -> str:
    """The sentence on how to read the E2SFCA columns, with the supply of each one shown."""
    text = _t("e2sfca.read", lang)
    supplies = [f"{_label(cat, lang)}{'：' if lang == 'zh' else ': '}"
                f"{say(E2SFCA_SUPPLY, content.e2sfca_supply[cat], lang)}"
                for cat in (columns.split(c)[1] for c in shown if columns.split(c))
                if content.e2sfca_supply.get(cat) in E2SFCA_SUPPLY]
    if supplies:
        text += (" " if lang == "en" else "") + _t(
            "e2sfca.supplies", lang, supplies=("；" if lang == "zh" else "; ").join(supplies))
    return text


def _img(b64: str | None, alt: str) -> str:
    if not b64:
        return ""
    return (f'<figure><img alt="{html.escape(alt)}" src="data:image/png;base64,{b64}">'
            f"<figcaption>{html.escape(alt)}</figcaption></figure>")


_CSS = """
@page { size: %(paper)s portrait; margin: %(top)smm %(side)smm; }
@page wide { size: %(paper)s landscape; margin: %(top)smm %(side)smm; }
section.wide { page: wide; }
body { font-family: %(fonts)s; color: #222; margin: 0 auto; max-width: 1000px; padding: 16px;
       line-height: 1.5; font-size: 14px; box-sizing: border-box; }
@media print { body { max-width: none; padding: 0; } }
h1 { font-size: 24px; margin: 0 0 4px; }
h2 { font-size: 18px; border-bottom: 2px solid #2c7fb8; padding-bottom: 3px; margin-top: 28px;
     break-after: avoid; page-break-after: avoid; }
h3 { font-size: 15px; break-after: avoid; }
.subtitle { color: #a50f15; font-weight: bold; }
.meta { color: #666; font-size: 12px; }
.cards { display: flex; flex-wrap: wrap; gap: 10px; margin: 10px 0; }
.card { border: 1px solid #ccc; border-radius: 6px; padding: 8px 12px; min-width: 150px; }
.card b { display: block; font-size: 20px; }
table { border-collapse: collapse; width: 100%%; max-width: 100%%; margin: 8px 0;
        font-size: 12px; }
thead { display: table-header-group; }
th, td { border: 1px solid #bbb; padding: 3px 6px; text-align: left; vertical-align: top;
         overflow-wrap: break-word; }
th { background: #eef3f8; }
td.num { text-align: right; white-space: nowrap; }
tr { break-inside: avoid; page-break-inside: avoid; }
table.indicators td:first-child { min-width: 11em; }
table.indicators td:nth-child(2), table.indicators td:nth-child(6) { white-space: nowrap; }
table.indicators td:nth-child(7) { min-width: 10em; }
tr.pass td { background: #e5f5e0; }
tr.fail td { background: #fde0dd; }
tr.nodata td { background: #f4f4f4; color: #666; }
figure { margin: 10px 0; text-align: center; break-inside: avoid; page-break-inside: avoid; }
figure img { max-width: 100%%; height: auto; }
figcaption { font-size: 12px; color: #555; }
ul.plain { padding-left: 18px; }
.note { color: #555; font-size: 12px; }
.targets { border-left: 4px solid #2c7fb8; padding: 4px 10px; background: #f3f8fc; }
.targets.other { border-left-color: #d7301f; background: #fff3ee; }
"""


def _scenario_html(table: pd.DataFrame, *, lang: Language) -> str:
    """The scenario comparison as it prints: coverage by category under each scenario, and the
    communities each scenario changes most (the full table is in the XLSX export)."""
    by_category, changed = scenario_tables(table)
    esc = html.escape
    parts = []
    if changed is not None:
        parts.append(f"<h3>{esc(_t('scenario.by_category', lang))}</h3>")
    shown = by_category.iloc[:, :max_columns()]
    parts.append(_table_html(shown, lang=lang, classes="scenarios"))
    if changed is not None and len(changed):
        parts.append(f"<h3>{esc(_t('scenario.communities', lang))}</h3>")
        parts.append(f'<p class="note">{esc(_t("scenario.top", lang, n=len(changed)))}</p>')
        parts.append(_table_html(changed.iloc[:, :max_columns()], lang=lang,
                                 classes="scenarios"))
    return "".join(parts)


def render_report(content: ReportContent, *, lang: Language = "zh", paper: str | None = None) -> str:
    """The report as one self-contained HTML document (images embedded, no external links).

    Parameters
    ----------
    content : ReportContent
    lang : {"zh", "en"}
    paper : {"A4", "A3"}, optional
        Paper it prints on (``@page`` size; default ``content.paper``): portrait, the community
        table on a landscape page; every table holds the columns that fit across it.

    Returns
    -------
    str
    """
    if lang not in ("zh", "en"):
        raise DataError(f"unknown report language '{lang}'", fix="use zh or en")
    paper = paper or content.paper
    if paper not in PAPERS:
        raise DataError(f"unknown paper size '{paper}'", fix=f"use one of {', '.join(PAPERS)}")
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

    # 2. Indicators, and whose targets they are judged against
    if indicators_html:
        parts.append(f"<h2>{esc(_t('indicators', lang))}</h2>")
        if content.targets_note:
            other = " other" if content.targets_note.startswith(("注意", "Note")) else ""
            parts.append(f'<p class="targets{other}">{esc(content.targets_note)}</p>')
        parts.append(indicators_html)

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

    # 7. Scenario comparison (what changes; the full table is in the XLSX export)
    if "scenario_comparison" in tables:
        parts.append(f"<h2>{esc(_t('scenarios', lang))}</h2>")
        parts.append(_scenario_html(tables["scenario_comparison"], lang=lang))

    # 8. Communities (the worst first; the full table is in the exports)
    if "community_table" in tables:
        table = tables["community_table"].copy()
        n = min(len(table), 50)
        if "complete_circle_pct" in table:
            table = table.sort_values("complete_circle_pct", na_position="last", kind="stable")
        # As many per-category columns as fit a landscape page; the exports have them all.
        base = [c for c in ("name", "kind", "population", "households", "circle_minutes")
                if c in table]
        tail = [c for c in ("complete_circle_pct", "floor_area_per_100_households") if c in table]
        supply = [columns.e2sfca(c) for c in _e2sfca_shown(content) if columns.e2sfca(c) in table]
        room = max_columns(paper, landscape=True) - 1 - len(base) - len(tail) - len(supply) - (
            "missed_targets" in table)
        per_category = [columns.coverage_pct(c) for c in content.categories
                        if columns.coverage_pct(c) in table]
        per_category = per_category if len(per_category) <= room else []
        keep = [*base, *per_category, *tail, *supply,
                *(["missed_targets"] if "missed_targets" in table else [])]
        shown = table[keep].head(n).reset_index()
        names = indicator_names(tables.get("indicators"), lang)
        if "missed_targets" in shown:
            shown["missed_targets"] = shown["missed_targets"].map(
                lambda v: _short_list(v, lang=lang, shown=3, names=names))
        parts.append(f'<section class="wide"><h2>{esc(_t("communities", lang))}</h2>')
        parts.append(f'<p class="note">{esc(_t("worst", lang, n=n))}</p>')
        if supply:
            parts.append(f'<p class="note">{esc(_e2sfca_reading(content, supply, lang))}</p>')
        headers = _e2sfca_labels(content)
        parts.append(_table_html(shown, lang=lang, classes="communities", labels={
            c: say(headers, c, lang) for c in supply if c in headers}))
        parts.append("</section>")

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
    yes_no = {"True": value_label("pass", True, lang), "False": value_label("pass", False, lang)}
    rows = pd.DataFrame({
        "label": [say(SETTING_LABELS, k, lang) if k in SETTING_LABELS else k for k in settings],
        "key": list(settings),
        # Modes and profiles in words, yes/no for switches.
        "value": [value_label(SETTING_VALUES[k], v, lang) if k in SETTING_VALUES
                  else yes_no.get(str(v), v) for k, v in settings.items()]})
    parts.append(f"<h3>{esc(_t('settings', lang))}</h3>")
    parts.append(_table_html(rows, lang=lang, labels={
        "label": _t("setting", lang), "key": "", "value": ""}))

    css = _CSS % {"fonts": _CSS_FONTS, "paper": PAPERS[paper].css, "top": f"{MARGIN_TOP_MM:g}",
                  "side": f"{MARGIN_SIDE_MM:g}"}
    html_lang = "zh-CN" if lang == "zh" else "en"
    return (f"<!DOCTYPE html>\n<html lang=\"{html_lang}\"><head><meta charset=\"utf-8\">"
            f"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            f"<title>{esc(title)}</title><style>{css}</style></head>"
            f"<body>{''.join(parts)}</body></html>\n")


# --------------------------------------------------------------------------------------------
# Files


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
    with replacing(pdf_path) as tmp, \
            tempfile.TemporaryDirectory(prefix="report-chromium-") as profile:
        cmd = [chromium, "--headless", "--no-sandbox", "--disable-gpu",
               "--disable-dev-shm-usage", "--no-first-run", "--no-pdf-header-footer",
               f"--user-data-dir={profile}", f"--print-to-pdf={tmp}", html_path.as_uri()]
        try:
            done = subprocess.run(cmd, capture_output=True, timeout=timeout_s, check=False)
        except subprocess.TimeoutExpired:
            raise DataError(f"Chromium did not finish printing the PDF in {timeout_s:g} s",
                            file=pdf_path, fix="print the HTML report from a browser") from None
        if not tmp.exists() or tmp.read_bytes()[:5] != b"%PDF-":
            err = done.stderr.decode("utf-8", "replace").strip().splitlines()
            raise DataError("Chromium could not print the PDF"
                            + (f" ({err[-1]})" if err else ""), file=pdf_path,
                            fix="print the HTML report from a browser")
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
    write_text(out, render_report(content, lang=lang))
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
                          paper: str = "A4") -> tuple[Path, Path | None, str]:
    """:func:`write_report` for an analysis (and optional siting result / scenario comparison).

    ``crs`` names the coordinate system of the overlays exported with the report
    (see :data:`planning.choices.OUTPUT_CRS`); its note goes into the settings section.
    ``paper`` is the paper size it prints on (:data:`planning.choices.PAPERS`).
    """
    crs_note = ""
    if crs:
        crs_note = output_crs(crs, {"communities": analysis.dataset.communities}).note
    content = report_content(analysis, siting=siting, scenario_comparison=scenario_comparison,
                             crs_note=crs_note, lang=lang)
    content.paper = str(paper).upper()
    return write_report(content, out, lang=lang, pdf=pdf)
