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
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal

Mode = Literal["walk", "ebike", "car"]
Profile = Literal["standard", "elderly"]
MODES: tuple[str, ...] = ("walk", "ebike", "car")
from planning.choices import PROFILES

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
