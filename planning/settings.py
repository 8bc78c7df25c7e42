"""Settings of the accessibility engine: circle times, travel modes and speeds.

Every default comes from DESIGN.md ("Service circles and travel modes"); compute functions still
take a :class:`Settings` explicitly so that nothing depends on hidden global state.

Examples
--------
>>> from planning.settings import Settings
>>> Settings().walk_speed()
75.0
>>> Settings(profile="elderly").walk_speed()
60.0
>>> Settings().speed_m_per_min("ebike")
250.0
>>> Settings().group_of("elderly_care"), Settings().group_of("health")
('elderly', 'all')
>>> Settings().group_minutes_factor("elderly")   # 75 m/min → 60 m/min: 1.25 × the minutes
1.25
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Literal

from geo.taxonomy import CATEGORIES
from planning.choices import PROFILES, TARGET_GROUPS

Mode = Literal["walk", "ebike", "car"]
Profile = Literal["standard", "elderly"]
MODES: tuple[str, ...] = ("walk", "ebike", "car")
#: The table of target groups per category (data a planner may change).
TARGET_GROUPS_FILE = Path(__file__).resolve().parent / "target_groups.toml"

#: Car speeds by OSM road class (km/h): urban practice in Chinese cities, lower than the legal
#: limits because of junctions and congestion. Classes not listed are closed to cars.
DEFAULT_CAR_SPEEDS_KM_PER_H: Mapping[str, float] = MappingProxyType(
    {
        "motorway": 90.0,
        "motorway_link": 50.0,
        "trunk": 60.0,
        "trunk_link": 40.0,
        "primary": 45.0,
        "primary_link": 35.0,
        "secondary": 40.0,
        "secondary_link": 30.0,
        "tertiary": 35.0,
        "tertiary_link": 30.0,
        "unclassified": 30.0,
        "residential": 25.0,
        "living_street": 10.0,
        "service": 15.0,
        "road": 30.0,
        "track": 15.0,
        "other": 20.0,
    }
)


def _default_car_speeds() -> Mapping[str, float]:
    return DEFAULT_CAR_SPEEDS_KM_PER_H


@lru_cache(maxsize=1)
def default_target_groups() -> Mapping[str, str]:
    """Target group of each category from ``planning/target_groups.toml`` (others: ``"all"``)."""
    raw = tomllib.loads(TARGET_GROUPS_FILE.read_text(encoding="utf-8"))
    return MappingProxyType(_checked_groups(raw.get("categories", {}), where=TARGET_GROUPS_FILE.name))


def _default_target_groups() -> Mapping[str, str]:
    return dict(default_target_groups())


def _checked_groups(table: Mapping[str, str] | Iterable[tuple[str, str]], *, where: str) -> dict[str, str]:
    """A category → group table as a plain dict, every key a category and every value a group."""
    pairs = dict(table.items() if isinstance(table, Mapping) else table)
    for category, group in pairs.items():
        if category not in CATEGORIES:
            raise ValueError(f"{where}: unknown category {category!r}; use keys such as "
                             f"{', '.join(list(CATEGORIES)[:4])}.")
        if group not in TARGET_GROUPS:
            raise ValueError(f"{where}: the group of {category} must be one of {', '.join(TARGET_GROUPS)}, "
                             f"got {group!r}.")
    return {str(k): str(v) for k, v in pairs.items()}


@dataclass(frozen=True, kw_only=True)
class Settings:
    """Circle times, travel modes and speeds (DESIGN.md defaults).

    Attributes
    ----------
    urban_circle_minutes : float
        Circle of urban communities: 城市社区"15分钟便民服务圈".
    rural_circle_minutes : float
        Circle of rural communities (villages): 农村社区"半小时便民服务圈".
    urban_mode, rural_mode : {"walk", "ebike", "car"}
        How residents of urban / rural communities travel.
    walk_speed_m_per_min : float
        Walking speed (75 m/min = 4.5 km/h), also used for the off-network leg of every mode.
    elderly_walk_speed_m_per_min : float
        Walking speed of the "elderly" profile.
    profile : {"standard", "elderly"}
        "elderly" walks at ``elderly_walk_speed_m_per_min``.
    ebike_speed_km_per_h : float
        E-bike / bicycle speed on every road except motorways.
    car_speeds_km_per_h : mapping
        Car speed by OSM road class; classes not listed are closed to cars.
    ebike_respects_oneway : bool
        Whether e-bikes keep to one-way streets (cars always do, walking never does).
    urban_ring_minutes, rural_ring_minutes : tuple of float
        Cut-offs of the travel-time rings, ascending: the 5/10/15-minute life-circle levels of
        GB 50180-2018 in urban communities, 10/20/30 minutes in rural ones.
    surface_cell_m : float
        Cell size of the travel-time surfaces that circles, rings and responsibility areas are
        drawn from (:mod:`planning.access.surface`).
    surface_max_cells : int
        Cells of the study area a surface may have; a larger area gets larger cells.
    min_piece_nodes : int
        Road pieces cut off from the rest of the network with fewer nodes than this (and under
        1 % of the network's nodes) are not snapped to: a point next to such a fragment (a
        driveway or a path cut at the edge of the data) walks on to the nearest connected road
        instead of reaching nothing. 0 snaps to every piece.
    target_groups : mapping of str to str
        Target group of each category (``"all"``, ``"elderly"`` 60+, ``"children"`` 0–6); a
        category not listed serves all residents. Default: ``planning/target_groups.toml``
        (elderly care and meal aid → elderly, childcare → children). Pairs are accepted too.
    elderly_group_speed : bool
        The elderly walk at ``elderly_walk_speed_m_per_min`` to the categories that serve them,
        where their circle's mode is walking (the e-bike and car modes keep their speeds).
    census_code : str, optional
        6-digit county code of the 2020 census (:mod:`planning.census`) whose shares give the
        groups where the population layer has no ``elderly``/``children`` column, and whose
        household size gives the households of communities without them. Default: the data
        set's ``census_code`` (dataset.toml).
    census_whole_county : bool
        The study area is the whole county: population totals are scaled to its census total.
    """

    urban_circle_minutes: float = 15.0
    rural_circle_minutes: float = 30.0
    urban_mode: Mode = "walk"
    rural_mode: Mode = "ebike"
    walk_speed_m_per_min: float = 75.0
    elderly_walk_speed_m_per_min: float = 60.0
    profile: Profile = "standard"
    ebike_speed_km_per_h: float = 15.0
    car_speeds_km_per_h: Mapping[str, float] = field(default_factory=_default_car_speeds, hash=False)
    ebike_respects_oneway: bool = False
    urban_ring_minutes: tuple[float, ...] = (5.0, 10.0, 15.0)
    rural_ring_minutes: tuple[float, ...] = (10.0, 20.0, 30.0)
    surface_cell_m: float = 15.0
    surface_max_cells: int = 4_000_000
    min_piece_nodes: int = 50
    target_groups: Mapping[str, str] = field(default_factory=_default_target_groups, hash=False)
    elderly_group_speed: bool = True
    census_code: str | None = None
    census_whole_county: bool = False

    def __post_init__(self) -> None:
        for name in ("urban_circle_minutes", "rural_circle_minutes", "walk_speed_m_per_min",
                     "elderly_walk_speed_m_per_min", "ebike_speed_km_per_h", "surface_cell_m"):
            value = getattr(self, name)
            if not (isinstance(value, (int, float)) and value > 0 and value < float("inf")):
                raise ValueError(f"Setting {name} must be a positive number, got {value!r}.")
        for name in ("urban_mode", "rural_mode"):
            if getattr(self, name) not in MODES:
                raise ValueError(
                    f"Setting {name} must be one of {', '.join(MODES)}, got {getattr(self, name)!r}."
                )
        for name in ("urban_ring_minutes", "rural_ring_minutes"):
            # Scenario files store the rings as JSON lists: keep them as a tuple (hashable).
            object.__setattr__(self, name, _ring_minutes(name, getattr(self, name)))
        if not (isinstance(self.surface_max_cells, int) and self.surface_max_cells >= 1):
            raise ValueError(f"Setting surface_max_cells must be a whole number ≥ 1, got {self.surface_max_cells!r}.")
        if not (isinstance(self.min_piece_nodes, int) and self.min_piece_nodes >= 0):
            raise ValueError(f"Setting min_piece_nodes must be a whole number ≥ 0, got {self.min_piece_nodes!r}.")
        if self.profile not in PROFILES:
            raise ValueError(f"Setting profile must be one of {', '.join(PROFILES)}, got {self.profile!r}.")
        speeds = dict(self.car_speeds_km_per_h)
        for road_class, speed in speeds.items():
            if not (isinstance(speed, (int, float)) and speed > 0):
                raise ValueError(f"Car speed for road class {road_class!r} must be positive, got {speed!r}.")
        # A private plain-dict copy: later changes to the caller's dict do not reach frozen
        # settings, and the settings still pickle (caches, worker processes).
        object.__setattr__(self, "car_speeds_km_per_h", speeds)
        object.__setattr__(self, "target_groups", _checked_groups(self.target_groups,
                                                                  where="Setting target_groups"))
        if self.census_code is not None:
            code = str(self.census_code).strip()
            if not (len(code) == 6 and code.isdigit()):
                raise ValueError(f"Setting census_code must be a 6-digit county code such as 340521, "
                                 f"got {self.census_code!r}.")
            object.__setattr__(self, "census_code", code)

    def walk_speed(self) -> float:
        """Walking speed of the chosen profile in m/min."""
        if self.profile == "elderly":
            return float(self.elderly_walk_speed_m_per_min)
        return float(self.walk_speed_m_per_min)

    def speed_m_per_min(self, mode: str) -> float:
        """Network speed of a walk or e-bike trip in m/min (cars depend on the road class)."""
        if mode == "walk":
            return self.walk_speed()
        if mode == "ebike":
            return float(self.ebike_speed_km_per_h) * 1000.0 / 60.0
        if mode == "car":
            raise ValueError("Car speed depends on the road class; see car_speeds_km_per_h.")
        raise ValueError(f"Unknown travel mode {mode!r}; use one of {', '.join(MODES)}.")

    def group_of(self, category: str) -> str:
        """Target group of a category (``"all"`` when the table does not list it)."""
        return self.target_groups.get(category, "all")

    def group_walk_speed(self, group: str) -> float:
        """Walking speed of a target group in m/min (the elderly at the elderly speed, by default)."""
        if group == "elderly" and self.elderly_group_speed:
            return float(self.elderly_walk_speed_m_per_min)
        return self.walk_speed()

    def group_minutes_factor(self, group: str) -> float:
        """Walking minutes of the group over walking minutes at :meth:`walk_speed`.

        Walking runs at one speed on every road and on the off-network legs, so a group's
        walking times are the standard ones times this factor (the shortest routes stay the same).
        """
        return self.walk_speed() / self.group_walk_speed(group)

    def circle_minutes(self, kind: str) -> float:
        """Circle time of an ``"urban"`` or ``"rural"`` community."""
        return float(self.rural_circle_minutes if kind == "rural" else self.urban_circle_minutes)

    def ring_minutes(self, kind: str) -> tuple[float, ...]:
        """Ring cut-offs of an ``"urban"`` or ``"rural"`` community."""
        return self.rural_ring_minutes if kind == "rural" else self.urban_ring_minutes

    def mode_for(self, kind: str) -> str:
        """Travel mode of residents of an ``"urban"`` or ``"rural"`` community."""
        return self.rural_mode if kind == "rural" else self.urban_mode

    def speeds_key(self, mode: str) -> tuple[object, ...]:
        """Everything a travel-time matrix of ``mode`` depends on (a cache key)."""
        walk = (self.walk_speed(), self.min_piece_nodes)
        if mode == "walk":
            return ("walk", *walk)
        if mode == "ebike":
            return ("ebike", float(self.ebike_speed_km_per_h), bool(self.ebike_respects_oneway), *walk)
        if mode == "car":
            return ("car", tuple(sorted((k, float(v)) for k, v in self.car_speeds_km_per_h.items())), *walk)
        raise ValueError(f"Unknown travel mode {mode!r}; use one of {', '.join(MODES)}.")


def _ring_minutes(name: str, value: object) -> tuple[float, ...]:
    try:
        rings = tuple(float(v) for v in value)  # type: ignore[union-attr]
    except (TypeError, ValueError):
        raise ValueError(f"Setting {name} must be a list of minutes, got {value!r}.") from None
    if not rings or any(not (0 < r < float("inf")) for r in rings) or list(rings) != sorted(set(rings)):
        raise ValueError(f"Setting {name} must be positive minutes in ascending order, got {value!r}.")
    return rings
