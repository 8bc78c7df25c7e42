"""QGIS styles of the GeoPackage give a readable first view: communities coloured by a coverage
that tells them apart (never a category without facilities, all red), one category's circle,
every layer styled; checked in QGIS itself (Debian's python3-qgis, headless) where installed."""

from __future__ import annotations

import json
import os
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pyogrio
import pytest
from PIL import Image

from planning.output import export
from planning.output.styles import COVERAGE_CLASSES, INSIDE_COLOUR, OUTSIDE_COLOUR, first_view, rgb
from tests.planning import _export_layers as fx

SYSTEM_PYTHON = Path("/usr/bin/python3")
SCRIPT = Path(__file__).with_name("_qgis_render.py")
#: Alpha of the community fills in the style (planning.output.styles._qml_symbol's default).
FILL_ALPHA = 0.7


def _qgis() -> bool:
    if not SYSTEM_PYTHON.exists():
        return False
    done = subprocess.run([str(SYSTEM_PYTHON), "-c", "import qgis.core"], capture_output=True,
                          check=False, env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})
    return done.returncode == 0


needs_qgis = pytest.mark.skipif(not _qgis(), reason="QGIS is not installed for /usr/bin/python3 "
                                "(apt-get install python3-qgis)")


def _layers() -> dict:
    """As the app exports Xi'an: 社区客厅 first with no facility (0 % everywhere), the complete
    circle nearly nowhere, elderly care telling communities apart."""
    layers = fx.layers()
    com = layers["communities"]
    com["coverage_pct_community_living_room"] = 0.0
    com["complete_circle_pct"] = [0.0, 0.0, 2.5]
    layers["facilities"] = layers["facilities"][layers["facilities"]["category"]
                                                != "community_living_room"]
    return layers


def test_first_view_is_a_coverage_that_tells_communities_apart() -> None:
    communities = _layers()["communities"]
    assert first_view(communities) == ("coverage_pct_elderly_care", "elderly_care")
    # A complete circle that does tell them apart comes first.
    assert first_view(fx.layers()["communities"])[0] == "complete_circle_pct"


def test_every_layer_gets_a_style_and_one_category_is_drawn(tmp_path: Path) -> None:
    out = export.write_gpkg(_layers(), tmp_path / "styled.gpkg")
    styles = pyogrio.read_dataframe(out, layer="layer_styles")
    qml = {n: ET.fromstring(q).find("renderer-v2") for n, q in zip(styles["f_table_name"],
                                                                    styles["styleQML"])}
    geometric = {str(n) for n, g in pyogrio.list_layers(out) if g is not None}
    assert set(qml) == geometric
    assert qml["communities"].get("attr") == "coverage_pct_elderly_care"
    circles = {c.get("value"): c.get("render") for c in qml["circles"].iter("category")}
    assert circles == {"community_living_room": "false", "elderly_care": "true"}
    assert qml["demand"].get("type") == "RuleRenderer"
    assert [r.get("filter") for r in qml["demand"].iter("rule")] == [
        '"covered_elderly_care"', 'NOT "covered_elderly_care"']
    assert qml["recommended_sites"].get("type") == "singleSymbol"


def _share_near(image: np.ndarray, colour: tuple[int, int, int], tolerance: int = 14) -> float:
    """Share of the non-white pixels within ``tolerance`` of ``colour``."""
    pixels = image.reshape(-1, 3).astype(int)
    drawn = pixels[(pixels < 245).any(axis=1)]
    if not len(drawn):
        return 0.0
    return float((np.abs(drawn - np.array(colour)).max(axis=1) <= tolerance).mean())


def _on_white(hex_colour: str, alpha: float) -> tuple[int, int, int]:
    r, g, b = rgb(hex_colour)
    return tuple(round(alpha * c + (1 - alpha) * 255) for c in (r, g, b))  # type: ignore[return-value]


@needs_qgis
def test_qgis_opens_every_layer_with_its_style_and_draws_a_readable_map(tmp_path: Path) -> None:
    gpkg = export.write_gpkg(_layers(), tmp_path / "xian_like.gpkg")
    names = [str(n) for n, g in pyogrio.list_layers(gpkg) if g is not None]
    done = subprocess.run([str(SYSTEM_PYTHON), str(SCRIPT), str(gpkg), str(tmp_path / "png"),
                           *names], capture_output=True, text=True, timeout=300, check=False,
                          env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    layers = report["layers"]
    assert set(layers) == set(names)
    for name, info in layers.items():
        assert info["valid"] and info["style_loaded"], (name, info)
    assert layers["communities"]["renderer"] == "graduatedSymbol"
    assert layers["demand"]["renderer"] == "RuleRenderer"
    assert layers["circles"]["drawn"] == ["elderly_care"]
    assert layers["circles"]["off"] == ["community_living_room"]
    assert layers["facilities"]["drawn"] == ["elderly_care"]

    communities = np.asarray(Image.open(tmp_path / "png" / "communities.png").convert("RGB"))
    shares = {label: _share_near(communities, _on_white(colour, FILL_ALPHA))
              for _, _, colour, label in COVERAGE_CLASSES}
    # C1 96 % (≥ 95 %), C2 0 % (< 50 %), C3 55.5 % (50–80 %): three classes, not all red.
    assert shares["< 50 %"] < 0.9
    assert sum(share > 0.02 for share in shares.values()) >= 3, shares
    demand = np.asarray(Image.open(tmp_path / "png" / "demand.png").convert("RGB"))
    assert _share_near(demand, rgb(OUTSIDE_COLOUR), 60) > 0.05
    assert _share_near(demand, rgb(INSIDE_COLOUR), 30) > 0.05
    everything = np.asarray(Image.open(tmp_path / "png" / "all.png").convert("RGB"))
    colours = {tuple(c) for c in (everything.reshape(-1, 3) // 32)}
    assert len(colours) >= 6  # not a single colour
