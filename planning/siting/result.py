"""The result of a siting run: recommended sites and what they change, with its files."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from planning.output.files import write_csv, write_geopackage, write_text
from planning.siting._solvers import Solution


@dataclass
class SitingResult:
    """Recommended sites and what they change.

    Attributes
    ----------
    category, model : str
    solver : {"exact", "greedy", "incumbent"}
        "exact" only when the answer is proved optimal (by HiGHS, or by meeting a valid bound);
        otherwise the better of the greedy solution and the best one found before the time ran
        out ("incumbent"); ``solution.time_limit_reached`` then says so, and a note words it.
    gap_pct : float
        Optimality gap against the best proved bound (0 when exact; ``inf`` when no bound).
    covered_before, covered_after : int
        Residents of the category's target group (see ``target_group``) inside a circle of the
        category before and after the new sites.
    total_population : int
        Residents of the target group.
    sites : geopandas.GeoDataFrame
        rank, candidate_id, name, source, floor_area_m2, community_id, newly_covered (marginal in
        rank order), cumulative_covered, cumulative_pct, lon, lat; points in the metric CRS. With
        capacities also ``capacity`` (newly_covered is then the residents served); p-median also
        ``minutes_saved`` (person-minutes, marginal in rank order).
    community_before_after : pandas.DataFrame
        Per community: population, covered_before, covered_after, pct_before, pct_after.
    circles : geopandas.GeoDataFrame
        Service circle of every new site (empty when circles could not be drawn; see notes).
    unreachable : pandas.Index
        Demand points no candidate (and no existing facility) reaches within their circle.
    solution : planning.siting._solvers.Solution
        The solver's own record (objective, bound, timings).
    unreachable_points : geopandas.GeoDataFrame
        Those demand points (population, community_id), for the map and the GeoPackage.
    demand_covered_after : pandas.Series
        Share (0–1) of each demand point's residents inside a circle of the category after the
        new sites (1/0 except where capacities split a point); index of the population layer.
    target_group : str
        The group the models counted (``"elderly"``, ``"children"`` or ``"all"`` residents;
        :mod:`planning.access.groups`); newly covered and the before/after table count it.
    """

    category: str
    model: str
    solver: str
    gap_pct: float
    covered_before: int
    covered_after: int
    total_population: int
    sites: gpd.GeoDataFrame
    community_before_after: pd.DataFrame
    circles: gpd.GeoDataFrame
    unreachable: pd.Index
    solution: Solution
    unreachable_points: gpd.GeoDataFrame | None = None
    demand_covered_after: pd.Series | None = None
    candidates_considered: int = 0
    excluded_small: int = 0
    target_pct: float | None = None
    total_minutes_before: float | None = None
    total_minutes_after: float | None = None
    unreachable_population: float = 0.0
    #: The time limit of the siting run (seconds; 0: greedy only) and the seconds it took.
    time_limit_s: float = 0.0
    seconds: float = 0.0
    #: What was done or left out, for the user: English text; those made here and in
    #: :mod:`planning.siting.candidates` are :class:`planning.siting.candidates.Note` with ``key`` and ``values``.
    notes: list[str] = field(default_factory=list)
    target_group: str = "all"

    def to_json(self) -> dict[str, Any]:
        """The JSON of ``python -m planning site --json``."""
        sites = [
            {
                "rank": int(r.rank),
                "candidate_id": str(r.candidate_id),
                "name": None if pd.isna(r.name) else str(r.name),
                "community_id": None if pd.isna(r.community_id) else str(r.community_id),
                "lon": round(float(r.lon), 7),
                "lat": round(float(r.lat), 7),
                "newly_covered": int(round(float(r.newly_covered))),
                "cumulative_pct": round(float(r.cumulative_pct), 3),
            }
            for r in self.sites.itertuples(index=False)
        ]
        gap = self.gap_pct if np.isfinite(self.gap_pct) else None
        out: dict[str, Any] = {
            "category": self.category,
            "target_group": self.target_group,
            "model": self.model,
            "solver": self.solver,
            "gap_pct": None if gap is None else round(float(gap), 6),
            "proof": self.solution.proof or None,
            "time_limit_s": float(self.time_limit_s),
            "time_limit_reached": bool(self.solution.time_limit_reached),
            "seconds": round(float(self.seconds), 3),
            "solver_seconds": round(float(self.solution.seconds), 3),
            "covered_before": int(self.covered_before),
            "covered_after": int(self.covered_after),
            "total_population": int(self.total_population),
            "candidates_considered": int(self.candidates_considered),
            "excluded_small": int(self.excluded_small),
            "unreachable_population": int(round(float(self.unreachable_population))),
            "sites": sites,
            "notes": list(self.notes),
        }
        if self.target_pct is not None:
            out["target_pct"] = self.target_pct
        if self.total_minutes_before is not None:
            out["total_minutes_before"] = round(self.total_minutes_before, 3)
            out["total_minutes_after"] = round(float(self.total_minutes_after or 0.0), 3)
        return out

    def write(self, out_dir: str | Path) -> list[Path]:
        """Write ``sites.gpkg`` (sites, circles, unreachable demand), ``sites.csv``,
        ``communities_before_after.csv`` and ``siting.json``.

        CSV files carry a BOM so that Excel opens the Chinese names correctly. Each file is
        written by :mod:`planning.output.files`: to a temporary name first, then moved over the
        old one.
        """
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        layers = {"sites": self.sites}
        if len(self.circles):
            layers["circles"] = self.circles
        if self.unreachable_points is not None and len(self.unreachable_points):
            layers["unreachable"] = self.unreachable_points
        written = [write_geopackage(out / "sites.gpkg", layers),
                   write_csv(out / "sites.csv", pd.DataFrame(self.sites.drop(columns="geometry"))),
                   write_csv(out / "communities_before_after.csv",
                             self.community_before_after.reset_index()),
                   write_text(out / "siting.json",
                              json.dumps(self.to_json(), ensure_ascii=False, indent=2))]
        return written
