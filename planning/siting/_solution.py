"""What a siting model returns, and how sure it is."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from scipy import sparse

SolverKind = Literal["exact", "greedy", "incumbent"]

#: Relative tolerance under which a solution counts as proved optimal (HiGHS ``mip_rel_gap``).
OPTIMALITY_TOLERANCE = 1e-6


@dataclass
class Solution:
    """What a siting model returns (indices refer to the columns of the input matrix)."""

    chosen: np.ndarray
    objective: float
    solver: SolverKind
    gap_pct: float
    bound: float
    greedy_objective: float
    milp_objective: float | None = None
    milp_status: str = "not run"
    proof: str = ""
    #: Where the bound comes from: "trivial", "Lagrangian", "Lagrangian (LP duals)",
    #: "HiGHS LP relaxation", "HiGHS MILP" (for an exact answer: the bound that certified it).
    bound_source: str = ""
    seconds: float = 0.0
    reduced_shape: tuple[int, int] = (0, 0)
    #: Capacitated models: population assigned to each chosen site (same order as ``chosen``).
    served: np.ndarray | None = None
    #: Capacitated models: share (0–1) of each input demand row's residents served by new sites.
    row_share: np.ndarray | None = None
    #: Capacitated p-median: share of each input row's residents assigned to each chosen site
    #: (rows × chosen, same order as ``chosen``) and the person-minutes each site saves.
    assignment: sparse.csr_matrix | None = None
    minutes_saved: np.ndarray | None = None
    notes: list[str] = field(default_factory=list)
    #: Seconds per stage ("heuristics": reduction, greedy, swaps, Lagrangian; "model", "lp",
    #: "lp_rounding", "milp") and bounds/objectives ("lp_bound", "lp_rounded_objective",
    #: "lagrangian_bound").
    timings: dict[str, float] = field(default_factory=dict)
    #: The time limit of the whole solve (seconds; 0: greedy only).
    time_limit_s: float = 0.0
    #: The solution is not proved optimal because the time limit ran out (never for "exact").
    time_limit_reached: bool = False
    #: The user stopped the solve (its stop flag was set): the best solution so far.
    stopped: bool = False

    @property
    def optimal(self) -> bool:
        return self.solver == "exact"
