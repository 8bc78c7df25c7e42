"""Open a GeoPackage export in QGIS (headless), load each layer's default style, render pictures.

Run with Debian's Python, which has QGIS (``/usr/bin/python3``, package python3-qgis), not the
project's venv::

    QT_QPA_PLATFORM=offscreen /usr/bin/python3 tests/planning/_qgis_render.py EXPORT.gpkg OUT_DIR

Writes ``OUT_DIR/<layer>.png`` (each layer alone, over the communities' extent) and
``OUT_DIR/all.png`` (every layer, communities at the bottom), and prints JSON: the QGIS version
and, per layer, whether it opened, whether its default style loaded, the renderer type and, for a
categorised renderer, the categories drawn.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from qgis.core import (
    Qgis,
    QgsApplication,
    QgsCategorizedSymbolRenderer,
    QgsMapRendererParallelJob,
    QgsMapSettings,
    QgsRectangle,
    QgsVectorLayer,
)
from qgis.PyQt.QtCore import QSize
from qgis.PyQt.QtGui import QColor

#: Drawing order, bottom first; other layers go between the circles and the points.
BOTTOM = ("communities", "scenario_communities", "circles", "site_circles", "uncovered")
TOP = ("demand", "facilities", "recommended_sites")


def _render(layers: list[QgsVectorLayer], extent: QgsRectangle, out: Path) -> None:
    settings = QgsMapSettings()
    settings.setLayers(layers)  # first = top
    settings.setDestinationCrs(layers[-1].crs())
    settings.setExtent(extent)
    settings.setOutputSize(QSize(600, 600))
    settings.setBackgroundColor(QColor(255, 255, 255))
    job = QgsMapRendererParallelJob(settings)
    job.start()
    job.waitForFinished()
    job.renderedImage().save(str(out), "PNG")


def main(gpkg: str, out_dir: str, names: list[str]) -> dict[str, object]:
    folder = Path(out_dir)
    folder.mkdir(parents=True, exist_ok=True)
    report: dict[str, object] = {"qgis": Qgis.QGIS_VERSION, "layers": {}}
    opened: dict[str, QgsVectorLayer] = {}
    for name in names:
        layer = QgsVectorLayer(f"{gpkg}|layername={name}", name, "ogr")
        info: dict[str, object] = {"valid": layer.isValid()}
        if layer.isValid():
            message, loaded = layer.loadDefaultStyle()
            renderer = layer.renderer()
            info.update(style_loaded=bool(loaded), message=str(message),
                        renderer=renderer.type() if renderer else None,
                        features=layer.featureCount())
            if isinstance(renderer, QgsCategorizedSymbolRenderer):
                info["drawn"] = [str(c.value()) for c in renderer.categories() if c.renderState()]
                info["off"] = [str(c.value()) for c in renderer.categories()
                               if not c.renderState()]
            opened[name] = layer
        report["layers"][name] = info  # type: ignore[index]
    base = opened.get("communities") or next(iter(opened.values()))
    extent = QgsRectangle(base.extent())
    extent.scale(1.05)
    for name, layer in opened.items():
        _render([layer], extent, folder / f"{name}.png")
    order = [n for n in BOTTOM if n in opened] + [n for n in opened if n not in BOTTOM + TOP] + [
        n for n in TOP if n in opened]
    _render([opened[n] for n in reversed(order)], extent, folder / "all.png")
    return report


if __name__ == "__main__":
    app = QgsApplication([], False)
    app.initQgis()
    try:
        result = main(sys.argv[1], sys.argv[2], sys.argv[3:])
    finally:
        app.exitQgis()
    print(json.dumps(result, ensure_ascii=False))
