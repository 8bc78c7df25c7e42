"""Where to build: candidates, siting models (MCLP, LSCP, p-median), recommendations and scenarios."""

from planning.choices import MODELS
from planning.siting.matrix import minutes_matrix
from planning.siting.models import lscp, mclp, pmedian
from planning.siting.recommend import DEFAULT_PERSONS_PER_M2, OUTSIDE_COMMUNITIES, recommend_sites
from planning.siting.result import SitingResult

__all__ = ["DEFAULT_PERSONS_PER_M2", "MODELS", "OUTSIDE_COMMUNITIES", "SitingResult", "lscp", "mclp",
           "minutes_matrix", "pmedian", "recommend_sites"]
