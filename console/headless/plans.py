"""Emergency plans for a desk of a given line: where the plan files are, what the line tells the plans, and
attaching them to a `Desk` (the Qt desk, test mode and headless sessions all do it the same way).

console/core cannot read the line file's types (it sits beside the testbed, not over it); this layer can, so the
facts plans are checked against and resolved with (groups, stations, terminals, dispatchers and their roles, the
timetable's planned stops) are taken from `testbed.line.Line` here.
"""

from __future__ import annotations

import logging
from pathlib import Path

from console.core.desk import Desk
from console.core.plan_format import PlanFacts
from console.core.plan_loader import load_plans
from console.core.plans import DeskPlans
from testbed.line import Line, resource_folders

logger = logging.getLogger(__name__)


def default_plans_folder() -> Path:
    """resources/plans in the first resources folder that has it (the sample line's plans)."""
    folders = resource_folders()
    found = next((folder / "plans" for folder in folders if (folder / "plans").is_dir()), None)
    return found or Path(__file__).resolve().parents[2] / "resources" / "plans"


def facts_from_line(line: Line) -> PlanFacts:
    """What plans check names against and resolve with, from a line: the planned stop at each station is its dwell
    (the termini are left out: trains wait and turn round there)."""
    timetable = line.timetable
    stations = timetable.stations
    planned = {s.code: float(timetable.dwell_s[i]) for i, s in enumerate(stations) if 0 < i < len(stations) - 1}
    return PlanFacts(groups=frozenset(line.groups), stations=tuple(s.code for s in line.stations),
                     terminals=frozenset(line.terminals),
                     dispatchers={user: d.role for user, d in line.dispatchers.items()}, planned_stop_s=planned)


def _line_rate(desk: Desk) -> float:
    """How fast the line's clock runs (the train graph's plan clock: the platform's line clock when it told one)."""
    clock = desk.trains.plan_clock
    return clock.speed if clock is not None else 1.0


def attach_plans(desk: Desk, line: Line, folder: str | Path | None = None, *, start: bool = True) -> DeskPlans:
    """Load the plans of ``folder`` (default: `default_plans_folder`) checked against ``line``, attach them to
    ``desk`` as ``desk.plans`` and (with ``start``, on a running loop) start their timers. Files with problems are
    logged, kept in ``plans.problems`` and left out; the others load."""
    if desk.plans is not None:
        raise RuntimeError("the desk has plans already")
    facts = facts_from_line(line)
    found = load_plans(Path(folder) if folder is not None else default_plans_folder(), facts)
    for problem in found.problems:
        logger.warning("plan file problem: %s", problem)
    plans = DeskPlans(desk, found.plans, facts, problems=found.problems, line_rate=lambda: _line_rate(desk))
    desk.plans = plans
    if start:
        plans.start()
    logger.info("%d emergency plan(s) loaded%s", len(found.plans),
                f", {len(found.problems)} problem(s)" if found.problems else "")
    return plans


__all__ = ["attach_plans", "default_plans_folder", "facts_from_line"]
