"""How outputs show results: QGIS layer styles (QML) for the GeoPackage ``layer_styles`` table,
the coverage classes, and numbers as a planner writes them.

QGIS applies a style from that table when the layer is opened: communities coloured by coverage
class (red → green) of the complete circle or of a category that tells them apart
(:func:`first_view`); the facilities, the circle and the residents outside of that one category
(the other categories listed in the layer panel, ticked off); demand points inside (grey) or
outside (dark) the circle; recommended sites as stars with their circles.
"""

from __future__ import annotations

import math
import numbers
import xml.etree.ElementTree as ET

import pandas as pd

from geo.taxonomy import CATEGORIES, ESSENTIAL_CATEGORIES
from planning import columns


def planner_number(value: object) -> object:
    """A ratio as a planner writes it: a whole number from 10 up, one decimal below 10.

    Anything that is not a finite number is returned as it is.

    >>> planner_number(3313.04), planner_number(0.776), planner_number(float("nan")) != 0
    (3313, 0.8, True)
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        return value
    number = float(value)
    if number != number or number in (float("inf"), float("-inf")):
        return value
    # Halves go up, as a planner rounds (Python's round() would take 12.5 to 12).
    sign = -1 if number < 0 else 1
    tenths = sign * math.floor(abs(number) * 10 + 0.5) / 10
    return sign * math.floor(abs(number) + 0.5) if abs(tenths) >= 10 else tenths


def rgb(hex_colour: str) -> tuple[int, int, int]:
    h = hex_colour.lstrip("#")
    return int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16)


#: Coverage classes of the community colouring: (lower %, upper %, colour, label).
COVERAGE_CLASSES: tuple[tuple[float, float, str, str], ...] = (
    (0.0, 50.0, "#d73027", "< 50 %"),
    (50.0, 80.0, "#fc8d59", "50–80 %"),
    (80.0, 95.0, "#fee08b", "80–95 %"),
    (95.0, 100.0, "#1a9850", "≥ 95 %"),
)


def _qml_symbol(parent: ET.Element, name: str, *, kind: str, colour: str,
                alpha: float = 0.7, outline: str | None = None, marker: str = "circle",
                size_mm: float = 2.6, hollow: bool = False) -> None:
    """A QGIS symbol: ``fill`` (polygons, ``hollow`` for an outline only) or ``marker``."""
    r, g, b = rgb(colour)
    symbol = ET.SubElement(parent, "symbol", type=kind, name=name, alpha=f"{alpha:g}",
                           clip_to_extent="1", force_rhr="0")
    if kind == "fill":
        layer = ET.SubElement(symbol, "layer", attrib={"class": "SimpleFill", "enabled": "1",
                                                       "pass": "0", "locked": "0"})
        edge = ",".join(map(str, rgb(outline))) if outline else "90,90,90"
        props = {"color": f"{r},{g},{b},255", "outline_color": f"{edge},255",
                 "outline_width": "0.6" if hollow else "0.26", "outline_style": "solid",
                 "style": "no" if hollow else "solid"}
    else:
        layer = ET.SubElement(symbol, "layer", attrib={"class": "SimpleMarker", "enabled": "1",
                                                       "pass": "0", "locked": "0"})
        edge = ",".join(map(str, rgb(outline))) if outline else "255,255,255"
        props = {"color": f"{r},{g},{b},255", "outline_color": f"{edge},255",
                 "name": marker, "size": f"{size_mm:g}", "size_unit": "MM"}
    options = ET.SubElement(layer, "Option", type="Map")
    for key, value in props.items():
        ET.SubElement(options, "Option", name=key, type="QString", value=value)


def _qml(renderer: ET.Element) -> str:
    root = ET.Element("qgis", version="3.28.0", styleCategories="Symbology")
    root.append(renderer)
    return ET.tostring(root, encoding="unicode")


def qml_coverage(field: str) -> str:
    """QGIS style (QML) colouring polygons by a coverage share in percent (red → green)."""
    renderer = ET.Element("renderer-v2", type="graduatedSymbol", attr=field,
                          graduatedMethod="GraduatedColor", symbollevels="0",
                          enableorderby="0", forceraster="0")
    ranges = ET.SubElement(renderer, "ranges")
    symbols = ET.SubElement(renderer, "symbols")
    for i, (low, high, colour, label) in enumerate(COVERAGE_CLASSES):
        # The top class is closed at 100 %, the others half-open as QGIS compares lower < v ≤ upper.
        ET.SubElement(ranges, "range", lower=f"{low - 1e-9 if i == 0 else low:g}",
                      upper=f"{high:g}", symbol=str(i), label=label, render="true")
        _qml_symbol(symbols, str(i), kind="fill", colour=colour)
    return _qml(renderer)


def qml_categories(field: str, values: list[str], *, kind: str,
                   shown: str | None = None, colour: str | None = None) -> str:
    """QGIS style (QML) colouring features by facility category with the taxonomy colours.

    ``shown`` draws that one category and leaves the others ticked off in the layer panel (a
    category's circle, not a dozen stacked on each other); ``colour`` draws every category in
    that one colour (residents outside a circle, whatever the category).
    """
    renderer = ET.Element("renderer-v2", type="categorizedSymbol", attr=field,
                          symbollevels="0", enableorderby="0", forceraster="0")
    categories = ET.SubElement(renderer, "categories")
    symbols = ET.SubElement(renderer, "symbols")
    for i, value in enumerate(values):
        cat = CATEGORIES.get(value)
        label = f"{cat.zh} {cat.en}" if cat else value
        render = "true" if shown is None or value == shown else "false"
        ET.SubElement(categories, "category", value=value, symbol=str(i), label=label,
                      render=render)
        fill = colour or (cat.color if cat else "#888888")
        _qml_symbol(symbols, str(i), kind=kind, colour=fill, alpha=0.45 if kind == "fill" else 1.0,
                    outline=fill if kind == "fill" or colour else None,
                    size_mm=1.6 if colour else 2.6)
    return _qml(renderer)


def qml_rules(rules: list[tuple[str, str, str, float]], *, kind: str) -> str:
    """QGIS style (QML) of rules: (label, filter expression, colour, marker size in mm) each,
    drawn in order."""
    renderer = ET.Element("renderer-v2", type="RuleRenderer", symbollevels="0",
                          enableorderby="0", forceraster="0")
    root = ET.SubElement(renderer, "rules", key="root")
    symbols = ET.SubElement(renderer, "symbols")
    for i, (label, expression, colour, size_mm) in enumerate(rules):
        ET.SubElement(root, "rule", key=f"rule{i}", symbol=str(i), label=label,
                      filter=expression)
        _qml_symbol(symbols, str(i), kind=kind, colour=colour, alpha=0.8, size_mm=size_mm,
                    outline=colour)
    return _qml(renderer)


def qml_single(*, kind: str, colour: str, marker: str = "circle", size_mm: float = 2.6,
               hollow: bool = False, outline: str | None = None) -> str:
    """QGIS style (QML) drawing every feature with one symbol."""
    renderer = ET.Element("renderer-v2", type="singleSymbol", symbollevels="0",
                          enableorderby="0", forceraster="0")
    symbols = ET.SubElement(renderer, "symbols")
    _qml_symbol(symbols, "0", kind=kind, colour=colour, alpha=1.0 if kind == "marker" else 0.9,
                marker=marker, size_mm=size_mm, hollow=hollow, outline=outline)
    return _qml(renderer)


def first_view(communities: pd.DataFrame) -> tuple[str | None, str | None]:
    """What the communities are coloured by when a GIS opens them: (field, category).

    The complete circle when it tells communities apart, else the first category (essential
    ones first) whose coverage does: one where a single coverage class holds at most 80 % of
    the communities. A category without facilities (0 % everywhere, all red) never comes first;
    when none tells them apart, the one that comes closest. ``category`` is the category the
    circles and residents outside are shown for (the first essential one for the complete
    circle).

    >>> import pandas as pd
    >>> frame = pd.DataFrame({"complete_circle_pct": [0.0, 0.0, 0.0, 2.5],
    ...                       "coverage_pct_community_living_room": [0.0] * 4,
    ...                       "coverage_pct_health": [0.0, 100.0, 100.0, 70.0]})
    >>> first_view(frame)
    ('coverage_pct_health', 'health')
    """
    present = [c for c in (*ESSENTIAL_CATEGORIES, *CATEGORIES)
               if columns.coverage_pct(c) in communities.columns]
    present = list(dict.fromkeys(present))
    candidates: list[tuple[str, str | None]] = []
    if "complete_circle_pct" in communities.columns:
        candidates.append(("complete_circle_pct", present[0] if present else None))
    candidates += [(columns.coverage_pct(c), c) for c in present]
    if not candidates:
        return None, None
    best, best_share = candidates[0], 2.0
    for field, category in candidates:
        values = pd.to_numeric(communities[field], errors="coerce").dropna()
        if not len(values):
            continue
        classes = pd.Series([coverage_colour(float(v)) for v in values])
        share = float(classes.value_counts().iloc[0]) / len(classes)
        if share <= 0.8:
            return field, category
        if share < best_share:
            best, best_share = (field, category), share
    return best


def coverage_colour(pct: float | None) -> str:
    """Colour of the coverage class of ``pct`` percent (grey when unknown)."""
    if not isinstance(pct, numbers.Real) or pct != pct:  # None, NA, NaN
        return "#d9d9d9"
    for _, high, colour, _ in COVERAGE_CLASSES:
        if pct < high:
            return colour
    return COVERAGE_CLASSES[-1][2]


#: Colours of the residents inside and outside the circle (dark, as in the report's maps, so
#: that they show on every coverage class colour), and of recommended sites.
INSIDE_COLOUR, OUTSIDE_COLOUR, SITE_COLOUR = "#bdbdbd", "#1a1a1a", "#6a3d9a"


def _values(gdf: pd.DataFrame, column: str) -> list[str]:
    return [str(v) for v in pd.unique(gdf[column].dropna())] if column in gdf.columns else []


def layer_qml(name: str, gdf: pd.DataFrame, *, kind: str,
              view: tuple[str | None, str | None]) -> tuple[str, str] | None:
    """The QGIS style of one result layer and what it shows (``"coverage"``, ``"categories"``,
    ``"circle"`` or ``"single"``), or ``None`` for a layer without geometry.

    Parameters
    ----------
    name : str
        Layer name (``communities``, ``facilities``, ``demand``, ``circles``…).
    gdf : DataFrame
        Its rows (for the categories present).
    kind : {"fill", "marker", "line"}
        Symbol kind of its geometry.
    view : (str or None, str or None)
        :func:`first_view` of the communities: the coverage field and the category shown.
    """
    field, category = view
    if kind == "line":
        return None
    if name == "communities" and field and field in gdf.columns:
        return qml_coverage(field), "coverage"
    if name == "demand":
        flag = ("complete_circle" if field == "complete_circle_pct" or category is None
                else columns.covered(category))
        if flag in gdf.columns:
            rules = [("圈内 inside", f'"{flag}"', INSIDE_COLOUR, 1.0),
                     ("圈外 outside", f'NOT "{flag}"', OUTSIDE_COLOUR, 1.6)]
            return qml_rules(rules, kind=kind), "circle"
    if "category" in gdf.columns and len(gdf):
        # One category at a time: its circle, its facilities, its residents outside; the
        # others are listed, ticked off, in the layer panel.
        values = _values(gdf, "category")
        shown = category if category in values else (values[0] if values else None)
        return qml_categories("category", values, kind=kind, shown=shown, colour=(
            OUTSIDE_COLOUR if name == "uncovered" else None)), "categories"
    if name == "recommended_sites":
        return qml_single(kind="marker", colour=SITE_COLOUR, marker="star", size_mm=5.0,
                          outline="#ffffff"), "single"
    if name == "site_circles":
        return qml_single(kind="fill", colour=SITE_COLOUR, hollow=True, outline=SITE_COLOUR), \
            "single"
    if kind == "fill":
        scenario = [c for c in map(str, gdf.columns) if c.endswith("_pct")
                    and not c.endswith("baseline_pct")]
        if scenario:
            return qml_coverage(scenario[0]), "coverage"
        return qml_single(kind="fill", colour="#bdbdbd", outline="#636363"), "single"
    return qml_single(kind="marker", colour="#636363", size_mm=2.0), "single"
