"""The data of the train graph (the railway time-distance diagram): each train's reported positions over time,
the timetable's planned run lines, and how late each train runs.

`TrainTracks` takes the desk's notifications (`Desk.handle` hands it every one): a location update adds a
(time, chainage) sample to its train's `Series` (the fix time the train reported, else the time it arrived), a
snapshot or presence carrying a location adds one too. A train off the line (in a depot) adds a NaN, which
breaks its plotted line. Every train keeps about an hour (``keep``) in a ring of numpy arrays: no Python object
per report, nothing copied to plot.

Planned lines come from the timetable of the line (`LineLayout.timetable`, structural: console/core does not
import the testbed), in *service time* (seconds since service start), which `PlanClock` maps to and from the
wall clock: by default the time of day (service time 0 at the line's ``service_start``), as a real line runs;
a simulated line's platform tells its own clock in the welcome, which the desk sets as `TrainTracks.plan_clock`.
The delay of a train is computed at each of its reports: the moment its plan had it at the reported chainage
(running in the reported direction, or standing at that station), nearest to now; the report's service time minus
that moment, in wall seconds, is how late it is (negative: early).
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from console.core.layout import LineLayout
from console.core.series import FloatArray, Series
from protocols import messages as wire

logger = logging.getLogger(__name__)

__all__ = ["LATE_S", "VERY_LATE_S", "PlanClock", "Track", "TrainTracks", "delay_class"]

#: a train this many seconds late is shown late (amber), this many very late (red)
LATE_S = 60.0
VERY_LATE_S = 180.0
#: samples kept per train (about an hour of reports once a second)
KEEP = 4096
#: planned lines are computed for the window asked plus this margin (seconds of service time) either side, so that
#: a window sliding with the clock recomputes them only about once an hour
PLAN_MARGIN_S = 3600.0
#: a chainage this close (metres) to a planned point counts as there (stations: reported to the decimetre)
AT_TOLERANCE_M = 5.0


class TimetableLike(Protocol):
    """What the graph reads from a timetable (`testbed.line.Timetable` has all of it)."""

    @property
    def departures(self) -> Mapping[str, Any]: ...

    @property
    def service_start_s(self) -> int: ...

    def planned(self, train_number: str, until: float | None = None) -> list[tuple[float, float]]: ...


@dataclass(frozen=True)
class PlanClock:
    """Service time at wall-clock (unix) time ``wall``: ``offset + (wall - start) * speed``."""

    start: float
    speed: float = 1.0
    offset: float = 0.0

    def __post_init__(self) -> None:
        if not self.speed > 0:
            raise ValueError(f"a plan clock's speed must be positive, got {self.speed}")

    def at(self, wall: float) -> float:
        return self.offset + (wall - self.start) * self.speed

    def wall(self, service: float) -> float:
        return self.start + (service - self.offset) / self.speed

    @classmethod
    def time_of_day(cls, service_start_s: float, now: float | None = None) -> PlanClock:
        """Service time 0 at ``service_start_s`` after local midnight of the day of ``now``: a real line's clock."""
        now = time.time() if now is None else now
        local = time.localtime(now)
        midnight = now - (local.tm_hour * 3600 + local.tm_min * 60 + local.tm_sec) - (now % 1)
        return cls(start=midnight + service_start_s)

    @classmethod
    def of(cls, clock: Any) -> PlanClock:
        """A plan clock from anything with ``start``, ``speed`` and ``offset`` (the testbed's `ServiceClock`)."""
        return cls(float(clock.start), float(clock.speed), float(clock.offset))

    @classmethod
    def told(cls, clock: wire.LineClock) -> PlanClock:
        """The plan clock a platform tells in its welcome (SPEC.md §3.5.9)."""
        return cls(start=clock.at_ms / 1000, speed=float(clock.rate), offset=float(clock.service_s))


def delay_class(delay: float | None) -> str:
    """``on_time``, ``late`` (from `LATE_S`) or ``very_late`` (from `VERY_LATE_S`); ``unknown`` without a delay."""
    if delay is None:
        return "unknown"
    if delay >= VERY_LATE_S:
        return "very_late"
    return "late" if delay >= LATE_S else "on_time"


@dataclass
class Track:
    """One train's reported positions and its latest delay."""

    radio: str
    number: str
    positions: Series = field(default_factory=lambda: Series(KEEP))
    #: seconds late at its latest report (negative: early; None: not timetabled, or no plan known)
    delay: float | None = None

    @property
    def off_line(self) -> bool:
        """The latest report put the train off the line (a depot): its line is broken there."""
        last = self.positions.last()
        return last is not None and math.isnan(last[1])


@dataclass
class _Plan:
    """A train's planned (service time, chainage) points over a service-time range."""

    start: float
    end: float
    times: FloatArray
    chainages: FloatArray


class TrainTracks:
    """Reported positions, planned lines and delays of the trains of one line (see the module docstring)."""

    def __init__(self, layout: LineLayout, *, clock: Callable[[], float] = time.time,
                 plan_clock: PlanClock | None = None, keep: int = KEEP) -> None:
        self.layout = layout
        self.clock = clock
        self.keep = keep
        self.timetable: TimetableLike | None = layout.timetable
        self.tracks: dict[str, Track] = {}
        #: bumped whenever a track, a delay or the plan changed: a view redraws only when it moved
        self.version = 0
        self._plans: dict[str, _Plan] = {}
        self._plan_clock = plan_clock
        if plan_clock is None and self.timetable is not None:
            self._plan_clock = PlanClock.time_of_day(self.timetable.service_start_s, clock())

    # ----- the plan clock -----------------------------------------------------------------------

    @property
    def plan_clock(self) -> PlanClock | None:
        """How wall time maps to the timetable's service time (None: no timetable)."""
        return self._plan_clock

    @plan_clock.setter
    def plan_clock(self, value: PlanClock | None) -> None:
        self._plan_clock = value
        self._plans.clear()
        for track in self.tracks.values():
            last = track.positions.last()
            track.delay = self._delay(track.number, last[0], last[1], None) if last is not None else None
        self.version += 1

    # ----- input --------------------------------------------------------------------------------

    def take(self, message: wire.Message) -> None:
        """A notification from the platform: positions of train radios are kept, the rest ignored."""
        if isinstance(message, wire.LocationUpdate):
            when = message.fix_ms / 1000 if message.fix_ms else self.clock()
            self.record(message.terminal, message.location, when)
        elif isinstance(message, wire.PresenceUpdate):
            info = message.terminal
            if info.kind == "train" and info.location is not None:
                self.record(info.id, info.location, self.clock())
        elif isinstance(message, wire.Snapshot):
            now = self.clock()
            for info in message.terminals:
                if info.kind == "train" and info.location is not None:
                    self.record(info.id, info.location, now)

    def record(self, radio: str, location: wire.Location, when: float) -> Track | None:
        """Add one position of train radio ``radio`` at unix time ``when``; its track (None: not a train)."""
        track = self.tracks.get(radio)
        if track is None:
            plan = self.layout.train_of_radio(radio)
            number = location.train_number or (plan.number if plan is not None else None)
            if number is None:
                return None
            track = self.tracks[radio] = Track(radio, number, Series(self.keep))
        chainage = location.chainage_m
        if chainage is None or not math.isfinite(chainage) or not math.isfinite(when):
            if not track.off_line and len(track.positions):
                track.positions.append(when, math.nan)
                self.version += 1
            track.delay = None
            return track
        track.positions.append(when, float(chainage))
        track.delay = self._delay(track.number, when, float(chainage), location.direction)
        self.version += 1
        return track

    # ----- the plan -----------------------------------------------------------------------------

    def planned(self, number: str, start: float, end: float) -> tuple[FloatArray, FloatArray]:
        """Train ``number``'s planned line between wall times ``start`` and ``end``: (wall times, chainages),
        with the points just outside so that the line reaches the edges. Empty when it is not timetabled."""
        plan = self._plan(number, start, end)
        clock = self._plan_clock
        if plan is None or clock is None or not len(plan.times):
            return np.empty(0), np.empty(0)
        first = max(int(np.searchsorted(plan.times, clock.at(start), side="left")) - 1, 0)
        last = int(np.searchsorted(plan.times, clock.at(end), side="right")) + 1
        times = plan.times[first:last]
        return clock.start + (times - clock.offset) / clock.speed, plan.chainages[first:last]

    def timetabled(self) -> list[str]:
        """Running numbers of the trains the timetable runs."""
        return list(self.timetable.departures) if self.timetable is not None else []

    def _plan(self, number: str, start: float, end: float) -> _Plan | None:
        """The cached plan of ``number`` covering wall times [start, end] (recomputed once it no longer does)."""
        timetable, clock = self.timetable, self._plan_clock
        if timetable is None or clock is None or number not in timetable.departures:
            return None
        lo, hi = clock.at(start), clock.at(end)
        plan = self._plans.get(number)
        if plan is None or lo < plan.start or hi > plan.end:
            plan_start, plan_end = lo - PLAN_MARGIN_S, hi + PLAN_MARGIN_S
            points = [p for p in timetable.planned(number, until=plan_end) if p[0] >= plan_start - 3600.0]
            plan = _Plan(plan_start, plan_end, np.array([p[0] for p in points], dtype=np.float64),
                         np.array([p[1] for p in points], dtype=np.float64))
            self._plans[number] = plan
        return plan

    def _delay(self, number: str, when: float, chainage: float, direction: wire.Direction | None) -> float | None:
        """Seconds ``number`` runs late when at ``chainage`` at wall time ``when`` (see the module docstring)."""
        clock = self._plan_clock
        plan = self._plan(number, when, when)
        if clock is None or plan is None or len(plan.times) < 2:
            return None
        now = clock.at(when)
        t0, t1 = plan.times[:-1], plan.times[1:]
        c0, c1 = plan.chainages[:-1], plan.chainages[1:]
        low, high = np.minimum(c0, c1), np.maximum(c0, c1)
        covers = (low - AT_TOLERANCE_M <= chainage) & (chainage <= high + AT_TOLERANCE_M)
        standing = np.abs(c1 - c0) < 1e-6
        if direction is not None:
            moving_ok = (c1 > c0) if direction == "up" else (c1 < c0)
            covers &= standing | moving_ok
        if not covers.any():
            return None
        span = np.where(standing, 1.0, c1 - c0)
        share = np.clip((chainage - c0) / span, 0.0, 1.0)
        at = np.where(standing, np.clip(now, t0, t1), t0 + share * (t1 - t0))
        candidates = at[covers]
        nearest = candidates[int(np.argmin(np.abs(now - candidates)))]
        return float(now - nearest) / clock.speed
