"""How outputs show results: QGIS layer styles (QML) for the GeoPackage ``layer_styles`` table,
the coverage classes, and numbers as a planner writes them.

QGIS applies a style from that table when the layer is opened: communities coloured by coverage
class (red → green), facilities and circles by category with the taxonomy colours.
"""

from __future__ import annotations

import math
import numbers
import xml.etree.ElementTree as ET

from geo.taxonomy import CATEGORIES


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
                alpha: float = 0.7) -> None:
    r, g, b = rgb(colour)
    symbol = ET.SubElement(parent, "symbol", type=kind, name=name, alpha=f"{alpha:g}",
                           clip_to_extent="1", force_rhr="0")
    if kind == "fill":
        layer = ET.SubElement(symbol, "layer", attrib={"class": "SimpleFill", "enabled": "1",
                                                       "pass": "0", "locked": "0"})
        props = {"color": f"{r},{g},{b},255", "outline_color": "90,90,90,255",
                 "outline_width": "0.26", "outline_style": "solid", "style": "solid"}
    else:
        layer = ET.SubElement(symbol, "layer", attrib={"class": "SimpleMarker", "enabled": "1",
                                                       "pass": "0", "locked": "0"})
        props = {"color": f"{r},{g},{b},255", "outline_color": "255,255,255,255",
                 "name": "circle", "size": "2.6", "size_unit": "MM"}
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


def qml_categories(field: str, values: list[str], *, kind: str) -> str:
    """QGIS style (QML) colouring features by facility category with the taxonomy colours."""
    renderer = ET.Element("renderer-v2", type="categorizedSymbol", attr=field,
                          symbollevels="0", enableorderby="0", forceraster="0")
    categories = ET.SubElement(renderer, "categories")
    symbols = ET.SubElement(renderer, "symbols")
    for i, value in enumerate(values):
        cat = CATEGORIES.get(value)
        label = f"{cat.zh} {cat.en}" if cat else value
        ET.SubElement(categories, "category", value=value, symbol=str(i), label=label,
                      render="true")
        _qml_symbol(symbols, str(i), kind=kind, colour=cat.color if cat else "#888888",
                    alpha=0.45 if kind == "fill" else 1.0)
    return _qml(renderer)


def coverage_colour(pct: float | None) -> str:
    """Colour of the coverage class of ``pct`` percent (grey when unknown)."""
    if not isinstance(pct, numbers.Real) or pct != pct:  # None, NA, NaN
        return "#d9d9d9"
    for _, high, colour, _ in COVERAGE_CLASSES:
        if pct < high:
            return colour
    return COVERAGE_CLASSES[-1][2]
