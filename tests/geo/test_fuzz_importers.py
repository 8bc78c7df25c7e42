"""Property-based tests of every importer with broken and hostile input (hypothesis).

For CSV, XLSX, GeoJSON, zipped Shapefiles, GeoPackages, OSM XML and ``dataset.toml``: whatever
the bytes, the importer returns a valid layer (in EPSG:4326, then validated into the data
contract) or raises :class:`geo._errors.DataError`; any other exception, or a case running
longer than :data:`CASE_SECONDS`, fails the test. The number of cases tried is printed in the
terminal summary (``tests/geo/conftest.py``). Runs are derandomised, so CI sees the same cases.
"""

from __future__ import annotations

import io
import json
import os
import signal
import tempfile
import warnings
import zipfile
from collections import Counter
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from geo import _validate
from geo._errors import DataError
from geo.coords import metric_crs_for
from geo.dataset import ValidationReport
from geo.dataset_loader import load_dataset
from geo.network import RoadNetwork
from geo.readers import read_vector
from geo.roads import read_roads
from tests.geo._toy import toy_layers

#: Cases tried per importer (read by tests/geo/conftest.py for the summary line).
CASES: Counter[str] = Counter()
CASE_SECONDS = 20
# GEO_FUZZ_SCALE=10 GEO_FUZZ_RANDOM=1 explores ten times as many fresh cases (not for CI).
SCALE = float(os.environ.get("GEO_FUZZ_SCALE", "1"))
FUZZ = dict(deadline=None, derandomize=not os.environ.get("GEO_FUZZ_RANDOM"), database=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture,
                                   HealthCheck.data_too_large])


class Hang(Exception):
    """A case ran longer than CASE_SECONDS."""


@contextmanager
def time_limit(seconds: int = CASE_SECONDS):
    def alarm(signum: int, frame: Any) -> None:
        raise Hang(f"no answer within {seconds} s")

    previous = signal.signal(signal.SIGALRM, alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


VALIDATORS = {"facilities": _validate.validate_facilities,
              "candidates": _validate.validate_candidates}
COMMUNITIES = _validate.validate_communities(toy_layers()["communities"].to_crs(4326)
                                             .to_crs(32650), report=ValidationReport())


def check_layer(path: Path, layer_name: str, importer: str, **kw: Any) -> None:
    """Read and validate one layer: a valid layer or a DataError, nothing else."""
    CASES[importer] += 1
    report = ValidationReport()
    with time_limit():
        try:
            gdf = read_vector(path, report=report, layer_name=layer_name, **kw)
            assert gdf.crs is not None and gdf.crs.to_epsg() == 4326
            geoms = gdf.geometry.to_numpy()
            present = geoms[~(shapely.is_missing(geoms) | shapely.is_empty(geoms))]
            if len(present) == 0:
                return
            bounds = shapely.total_bounds(present)
            assert np.isfinite(bounds).all()
            metric = gdf.to_crs(metric_crs_for(bounds))
            if layer_name == "population":
                out = _validate.validate_population(metric.to_crs(32650), COMMUNITIES,
                                                    report=report, file=path.name)
                assert np.isfinite(out["population"]).all() and (out["population"] >= 0).all()
            elif layer_name == "communities":
                out = _validate.validate_communities(metric, report=report, file=path.name)
                assert out["community_id"].is_unique
            else:
                out = VALIDATORS[layer_name](metric, report=report, file=path.name)
                id_column = "facility_id" if layer_name == "facilities" else "candidate_id"
                assert out[id_column].is_unique
            assert shapely.is_valid(out.geometry.to_numpy()).all()
            for problem in report.problems:  # every finding can be worded in both languages
                assert problem.message
        except DataError as exc:
            assert str(exc) and "\n" not in str(exc).strip()


# ------------------------------------------------------------------------------ strategies
HOSTILE_TEXT = st.sampled_from([
    "", " ", "nan", "NaN", "inf", "-inf", "1e308", "1e999", "-0", "12,5", "1,234", "1.234,5",
    "１２３", "—", "十二", "=cmd|' /C calc'!A0", "None", "null", "\x00", "\ufeff", "🙂", "a" * 500,
    '"', "'", "\n", "118.5", "31.7", "0", "-1", "999999999999", "elderly_care", "日间照料中心",
    "超市", "社区客厅", "health", "F1", "F1", "社区", "村", "现状", "规划", "existing",
])
CELL = st.one_of(HOSTILE_TEXT, st.text(max_size=12),
                 st.floats(allow_nan=True, allow_infinity=True).map(repr),
                 st.integers(-10**12, 10**12).map(str))
HEADERS = st.lists(st.sampled_from([
    "lon", "lat", "lng", "经度", "纬度", "x", "y", "longitude", "latitude", "geometry", "wkt",
    "facility_id", "编号", "id", "category", "类别", "name", "名称", "population", "人口",
    "floor_area_m2", "建筑面积（㎡）", "capacity", "status", "candidate_id", "cost", "户数",
    "community_id", "kind", "", "Unnamed: 0", "lon ", "LAT",
]), min_size=0, max_size=9)
LON = st.one_of(st.floats(118.3, 118.7), st.floats(allow_nan=True, allow_infinity=True))
LAT = st.one_of(st.floats(31.5, 31.9), st.floats(allow_nan=True, allow_infinity=True))
LAYER_NAMES = st.sampled_from(["facilities", "candidates", "population"])


@st.composite
def tables(draw: Any) -> pd.DataFrame:
    headers = draw(HEADERS)
    if draw(st.booleans()):
        headers = ["lon", "lat", *headers]
    n = draw(st.integers(0, 6))
    data = {}
    for i, header in enumerate(headers):
        name = header if header not in data else f"{header}.{i}"
        if header in ("lon", "lng", "经度", "x", "longitude") and draw(st.booleans()):
            data[name] = [repr(draw(LON)) for _ in range(n)]
        elif header in ("lat", "纬度", "y", "latitude") and draw(st.booleans()):
            data[name] = [repr(draw(LAT)) for _ in range(n)]
        else:
            data[name] = [draw(CELL) for _ in range(n)]
    return pd.DataFrame(data, dtype=object)


MUTATIONS = st.lists(st.tuples(st.sampled_from(["flip", "cut", "splice", "zero"]),
                               st.floats(0, 1, exclude_max=True), st.integers(1, 255),
                               st.binary(max_size=40)), max_size=4)


def mutate(data: bytes, draw: Any) -> bytes:
    """Flip, cut or splice bytes of a valid file.

    Positions are drawn as fractions of the length, so the draws do not depend on the bytes
    (workbooks carry a timestamp; hypothesis needs the same draws when it replays a case).
    """
    out = bytearray(data)
    for kind, where, value, insert in draw(MUTATIONS):
        at = int(where * len(out))
        if kind == "flip" and out:
            out[at] ^= value
        elif kind == "cut":
            del out[at:]
        elif kind == "splice":
            out[at:at] = insert
        elif kind == "zero" and out:
            out[at:at + 64] = bytes(len(out[at:at + 64]))
    return bytes(out)


# ---------------------------------------------------------------------------------- importers
@settings(max_examples=round(300 * SCALE), **FUZZ)
@given(frame=tables(), encoding=st.sampled_from(["utf-8", "utf-8-sig", "gb18030", "latin-1"]),
       layer=LAYER_NAMES, raw=st.one_of(st.none(), st.binary(max_size=300)))
def test_csv(tmp_path_factory, frame, encoding, layer, raw):
    path = tmp_path_factory.mktemp("csv") / f"{layer}.csv"
    if raw is not None:
        path.write_bytes(raw)
    else:
        try:
            path.write_bytes(frame.to_csv(index=False).encode(encoding))
        except UnicodeEncodeError:
            path.write_bytes(frame.to_csv(index=False).encode("utf-8"))
    check_layer(path, layer, "CSV")


@settings(max_examples=round(40 * SCALE), **FUZZ)
@given(frames=st.lists(tables(), min_size=1, max_size=3), layer=LAYER_NAMES,
       damage=st.data())
def test_xlsx(tmp_path_factory, frames, layer, damage):
    path = tmp_path_factory.mktemp("xlsx") / f"{layer}.xlsx"
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as xl:
        for i, frame in enumerate(frames):
            # control characters cannot be written into a workbook at all
            clean = frame.map(lambda v: ILLEGAL_CHARACTERS_RE.sub("", v) if isinstance(v, str)
                              else v)
            clean.to_excel(xl, sheet_name=f"S{i}", index=False)
    data = buffer.getvalue()
    if damage.draw(st.booleans()):
        data = mutate(data, damage.draw)
    path.write_bytes(data)
    check_layer(path, layer, "XLSX")


COORD = st.one_of(st.floats(allow_nan=False, allow_infinity=False),
                  st.floats(118.3, 118.7), st.floats(31.5, 31.9), st.integers(-10**6, 10**9))
POSITION = st.lists(COORD, min_size=0, max_size=4)
GEOMETRY = st.one_of(
    st.none(),
    st.builds(lambda c: {"type": "Point", "coordinates": c}, POSITION),
    st.builds(lambda cs: {"type": "LineString", "coordinates": cs}, st.lists(POSITION, max_size=4)),
    st.builds(lambda cs: {"type": "Polygon", "coordinates": [cs]}, st.lists(POSITION, max_size=6)),
    st.builds(lambda cs: {"type": "MultiPoint", "coordinates": cs}, st.lists(POSITION, max_size=3)),
    st.builds(lambda t: {"type": t}, st.text(max_size=10)),
)
PROPERTIES = st.dictionaries(st.sampled_from(["facility_id", "category", "name", "population",
                                              "类别", "编号", "人口", "candidate_id", "x"]),
                             st.one_of(CELL, st.integers(), st.floats(), st.none(), st.booleans()),
                             max_size=5)


@settings(max_examples=round(300 * SCALE), **FUZZ)
@given(features=st.lists(st.fixed_dictionaries({"type": st.just("Feature"),
                                                 "geometry": GEOMETRY,
                                                 "properties": PROPERTIES}), max_size=5),
       crs=st.one_of(st.none(), st.sampled_from(["EPSG:4326", "EPSG:32650", "urn:x", ""])),
       layer=LAYER_NAMES, damage=st.data())
def test_geojson(tmp_path_factory, features, crs, layer, damage):
    doc: dict[str, Any] = {"type": "FeatureCollection", "features": features}
    if crs is not None:
        doc["crs"] = {"type": "name", "properties": {"name": crs}}
    data = json.dumps(doc, ensure_ascii=False).encode("utf-8")
    if damage.draw(st.booleans()):
        data = mutate(data, damage.draw)
    path = tmp_path_factory.mktemp("geojson") / f"{layer}.geojson"
    path.write_bytes(data)
    check_layer(path, layer, "GeoJSON")


def _shapefile_parts(names: list[str], encoding: str) -> dict[str, bytes]:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "communities.shp"
        frame = gpd.GeoDataFrame(
            {"name": names, "population": list(range(len(names)))},
            geometry=[shapely.box(118.5 + i * 0.01, 31.7, 118.51 + i * 0.01, 31.71)
                      for i in range(len(names))], crs=4326)
        with warnings.catch_warnings():  # names GBK cannot hold are written as "?"
            warnings.simplefilter("ignore", RuntimeWarning)
            pyogrio.write_dataframe(frame, path, encoding=encoding)
        return {p.suffix: p.read_bytes() for p in Path(tmp).iterdir()}


SHP_NAMES = st.lists(st.one_of(st.sampled_from(["花山社区", "采石村", "Müller", "x"]),
                               st.text(alphabet=st.characters(codec="gb18030"), max_size=8)),
                     min_size=1, max_size=4)


@settings(max_examples=round(80 * SCALE), **FUZZ)
@given(names=SHP_NAMES, encoding=st.sampled_from(["GBK", "UTF-8"]),
       cpg=st.one_of(st.none(), st.sampled_from(["UTF-8", "GBK", "ISO-8859-1", "1252", "65001",
                                                  "nonsense", ""]), st.text(max_size=20)),
       drop=st.sets(st.sampled_from([".shx", ".dbf", ".prj"]), max_size=1),
       damaged=st.sets(st.sampled_from([".shp", ".shx", ".dbf", ".prj"]), max_size=2),
       compression=st.sampled_from([zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED]),
       damage=st.data(), zip_damage=st.booleans())
def test_shapefile_zip(tmp_path_factory, names, encoding, cpg, drop, damaged, compression,
                       damage, zip_damage):
    try:
        parts = _shapefile_parts(names, encoding)
    except (UnicodeEncodeError, pyogrio.errors.FieldError, pyogrio.errors.DataSourceError):
        parts = _shapefile_parts(["x"], "UTF-8")
    parts.pop(".cpg", None)
    if cpg is not None:
        parts[".cpg"] = cpg.encode("utf-8")
    for suffix in drop:
        parts.pop(suffix, None)
    for suffix in damaged:
        if suffix in parts:
            parts[suffix] = mutate(parts[suffix], damage.draw)
    path = tmp_path_factory.mktemp("shp") / "communities.zip"
    with zipfile.ZipFile(path, "w", compression=compression) as zf:
        for suffix, data in parts.items():
            zf.writestr(f"communities{suffix}", data)
    if zip_damage:
        path.write_bytes(mutate(path.read_bytes(), damage.draw))
    check_layer(path, "communities", "Shapefile zip")


@settings(max_examples=round(50 * SCALE), **FUZZ)
@given(layer_names=st.lists(st.sampled_from(["facilities", "candidates", "sheshi", "other",
                                             "设施"]), min_size=1, max_size=3, unique=True),
       values=st.lists(CELL, min_size=1, max_size=4), damage=st.data(),
       damaged=st.booleans(), pick=st.integers(0, 2))
def test_geopackage(tmp_path_factory, layer_names, values, damage, damaged, pick):
    path = tmp_path_factory.mktemp("gpkg") / "facilities.gpkg"
    frame = gpd.GeoDataFrame({"facility_id": [f"F{i}" for i in range(len(values))],
                              "category": values, "candidate_id": values},
                             geometry=shapely.points([(118.5 + i * 1e-3, 31.7)
                                                      for i in range(len(values))]), crs=4326)
    for name in layer_names:
        frame.to_file(path, layer=name)
    if damaged:
        path.write_bytes(mutate(path.read_bytes(), damage.draw))
    layer = layer_names[pick % len(layer_names)]
    check_layer(path, "candidates" if layer == "candidates" else "facilities", "GeoPackage",
                layer=layer if len(layer_names) > 1 else None)


OSM_ID = st.integers(-3, 40)


@st.composite
def osm_documents(draw: Any) -> bytes:
    nodes = draw(st.dictionaries(OSM_ID, st.tuples(st.one_of(st.floats(118.49, 118.51), COORD),
                                                   st.one_of(st.floats(31.69, 31.71), COORD)),
                                 max_size=12))
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<osm version="0.6" generator="fuzz">']
    for nid, (lon, lat) in nodes.items():
        lines.append(f'<node id="{nid}" version="1" lat="{lat!r}" lon="{lon!r}"/>')
    for wid in range(draw(st.integers(0, 5))):
        refs = draw(st.lists(OSM_ID, max_size=6))
        tags = draw(st.dictionaries(st.sampled_from(["highway", "oneway", "access", "area",
                                                     "junction", "foot"]),
                                    st.sampled_from(["residential", "primary", "yes", "-1", "no",
                                                     "construction", "roundabout", "&amp;", ""]),
                                    max_size=3))
        lines.append(f'<way id="{wid + 1}" version="1">')
        lines += [f'<nd ref="{r}"/>' for r in refs]
        lines += [f'<tag k="{k}" v="{v}"/>' for k, v in tags.items()]
        lines.append("</way>")
    lines.append("</osm>")
    data = "\n".join(lines).encode("utf-8")
    return mutate(data, draw) if draw(st.booleans()) else data


@settings(max_examples=round(250 * SCALE), **FUZZ)
@given(data=osm_documents())
def test_osm_xml(tmp_path_factory, data):
    path = tmp_path_factory.mktemp("osm") / "roads.osm"
    path.write_bytes(data)
    CASES["OSM XML"] += 1
    with time_limit():
        try:
            network = read_roads(path, crs="EPSG:32650", cache=False)
        except DataError as exc:
            assert str(exc)
            return
    assert isinstance(network, RoadNetwork) and network.n_edges > 0
    assert np.isfinite(network.edge_length_m).all()
    assert network.edge_u.max() < network.n_nodes and network.edge_v.max() < network.n_nodes


TOML_VALUE = st.one_of(
    st.sampled_from(['"gcj02"', '"wgs84"', '"mars"', '"utm"', '"EPSG:4548"', '"EPSG:4326"', "3",
                     "true", '["a", 1]', '"cgcs2000_gk"', '{default = "bd09", roads = "wgs84"}',
                     '{nowhere = "gcj02"}', '{communities = "facilities.geojson"}',
                     '{roads = "missing"}', '"\\u0000"', "1e999", '"' + "x" * 300 + '"']),
    st.text(max_size=20).map(json.dumps))
TOML_KEY = st.sampled_from(["name", "title_zh", "coords", "crs", "notes", "attribution",
                            "layers", "targets", "population_estimated", "other"])


@st.composite
def toml_documents(draw: Any) -> bytes:
    lines = [f"{draw(TOML_KEY)} = {draw(TOML_VALUE)}" for _ in range(draw(st.integers(0, 4)))]
    if draw(st.booleans()):
        lines.append(f"[{draw(st.sampled_from(['coords', 'layers', 'x']))}]")
        lines += [f"{draw(st.sampled_from(['roads', 'default', 'communities', 'zz']))} = "
                  f"{draw(TOML_VALUE)}" for _ in range(draw(st.integers(0, 2)))]
    data = "\n".join(lines).encode("utf-8")
    return mutate(data, draw) if draw(st.booleans()) else data


@pytest.fixture(scope="module")
def toy_folder(tmp_path_factory):
    from tests.geo._toy import write_toy_dataset

    return write_toy_dataset(tmp_path_factory.mktemp("toml") / "toy", toml=None)


@settings(max_examples=round(60 * SCALE), **FUZZ)
@given(data=toml_documents(), coords=st.one_of(st.none(), st.sampled_from(["gcj02", "wgs84"])))
def test_dataset_toml(toy_folder, data, coords):
    (toy_folder / "dataset.toml").write_bytes(data)
    CASES["dataset.toml"] += 1
    with time_limit():
        try:
            ds = load_dataset(toy_folder, coords=coords)
        except DataError as exc:
            assert str(exc)
            return
    assert len(ds.communities) == 4 and ds.crs.is_projected
    assert ds.population["population"].sum() > 0
