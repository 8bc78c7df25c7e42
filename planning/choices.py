"""Every choice list the engine, the commands and the app offer, in one place.

Constants only (no heavy imports), so that ``python -m planning ... --help`` stays fast.
"""

from __future__ import annotations

from pathlib import Path

#: The bundled data set used when none is given.
DATA_DIR = Path(__file__).resolve().parent.parent / "data"
DEFAULT_DATASET = "xian"
DEFAULT_DATA = DATA_DIR / DEFAULT_DATASET
#: The targets a data set is judged against when its dataset.toml names none.
DEFAULT_TARGETS = "national_baseline"

#: Coordinate systems of lon/lat input (same keys as :data:`geo.coords.COORD_SYSTEMS`).
COORD_SYSTEMS: tuple[str, ...] = ("wgs84", "cgcs2000", "gcj02", "bd09")
#: Walking profiles (:class:`planning.settings.Settings`).
PROFILES: tuple[str, ...] = ("standard", "elderly")
#: Languages of outputs and the app.
LANGUAGES: tuple[str, ...] = ("zh", "en")
#: Siting models and candidate sources.
MODELS: tuple[str, ...] = ("mclp", "lscp", "pmedian")
CANDIDATE_CHOICES: tuple[str, ...] = ("given", "generated", "both")
#: Export formats, output coordinate systems and Shapefile encodings.
FORMATS: tuple[str, ...] = ("gpkg", "fgdb", "shp", "geojson", "kml", "kmz", "csv", "xlsx", "html")
OUTPUT_CRS: tuple[str, ...] = ("wgs84", "cgcs2000", "cgcs2000-gk", "gcj02")
ENCODINGS: tuple[str, ...] = ("utf-8", "gbk")
#: Header languages of exported tables ("key": the column names themselves).
HEADERS: tuple[str, ...] = ("zh", "en", "key")
#: Paper sizes the report prints on.
PAPERS: tuple[str, ...] = ("A4", "A3")
