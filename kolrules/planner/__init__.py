"""Campaign planning: the best set of KOLs to book for a budget, the offer to make each
and the seeding list (``kolrules plan``, docs/plan.md).

The wing, one job per module: ``settings`` (the request, checked), ``offers`` (what to
pay), ``candidates`` (the input, evaluated), ``screen`` (who may be booked), ``solve``
(the integer program, HiGHS through scipy), ``infeasible`` (why there is no plan),
``explain`` (why each KOL is in or out, totals), ``result`` (the value objects), ``run``
(the wiring) and ``display`` (table, json, csv). This module only hands names on.
"""

from __future__ import annotations

from kolrules.planner.infeasible import InfeasiblePlanError
from kolrules.planner.offers import Offer, offer_columns, offer_for
from kolrules.planner.result import Booked, CampaignPlan, Left, Seed, TierTotal
from kolrules.planner.run import plan, plan_candidates
from kolrules.planner.settings import PlanRequestError, PlanSettings, Pricing
from kolrules.planner.solve import SolverMissingError

__all__ = [
    "Booked",
    "CampaignPlan",
    "InfeasiblePlanError",
    "Left",
    "Offer",
    "PlanRequestError",
    "PlanSettings",
    "Pricing",
    "Seed",
    "SolverMissingError",
    "TierTotal",
    "offer_columns",
    "offer_for",
    "plan",
    "plan_candidates",
]
