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
#: Target groups a category can serve (:mod:`planning.groups`): every resident, aged 60+, aged 0–6.
TARGET_GROUPS: tuple[str, ...] = ("all", "elderly", "children")
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

#: Siting defaults the commands and the app show: generated candidates (enough for a district's
#: worth of new sites, few enough for the exact models to stay fast), residents a new site serves
#: per m² of floor area when it has no capacity of its own (the plans ask ≥ 30 m² per 100
#: households, about 280 residents, i.e. roughly 10 per m²) and the solver time limit.
DEFAULT_GENERATED = 100
DEFAULT_PERSONS_PER_M2 = 10.0
DEFAULT_TIME_LIMIT_S = 60.0
#: Paper sizes the report prints on.
PAPERS: tuple[str, ...] = ("A4", "A3")
