"""Staff on the move: handsets and body-worn recorders walk between neighbouring stations.

`StaffWalk` is the pure, seeded part: every few minutes of service time its carrier moves to a station
next to the one they are at. Depot and control-centre staff stay at home (reported as an area).
`SimStaff` reports each move over its session.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Sequence
from typing import Any

from protocols.aio.client import ConnectionClosed
from protocols.messages import Location
from testbed.line import Line, Terminal
from testbed.terminals.service import ServiceClock
from testbed.terminals.terminal import SimTerminal

log = logging.getLogger(__name__)

#: Service seconds a carrier stays at a station before moving on: drawn uniformly from this range.
DWELL_RANGE = (120.0, 420.0)
#: Longest real-time sleep of the walking loop, so that a stopped fleet or a changed link is noticed.
_MAX_SLEEP = 5.0


class StaffWalk:
    """Where one carrier is, and when (service seconds) they next move to a neighbouring station."""

    def __init__(self, line: Line, home: str | None, rng: random.Random, *, start_t: float = 0.0,
                 dwell: tuple[float, float] = DWELL_RANGE) -> None:
        self.line = line
        self._rng = rng
        self.dwell = dwell
        station_codes = [s.code for s in line.stations]
        #: a depot or control-centre code where the carrier stays, or None for a walker
        self.area: str | None = None
        if home is not None and home not in station_codes:
            self.area = home
            self.station: str | None = None
        else:
            self.station = home if home is not None else rng.choice(station_codes)
        self.next_move_at: float | None = None if self.area is not None else start_t + self._dwell()

    @property
    def walks(self) -> bool:
        return self.area is None and len(self.line.stations) > 1

    def location(self) -> Location:
        if self.area is not None:
            return Location(area=self.area)
        return Location(station=self.station)

    def advance(self, t: float) -> list[str]:
        """Make every move due by service time ``t``; the stations moved to, in order."""
        moves: list[str] = []
        if not self.walks:
            return moves
        while self.next_move_at is not None and self.next_move_at <= t:
            assert self.station is not None
            options = [s.code for s in self.line.neighbours(self.station) if s is not None]
            self.station = self._rng.choice(options)
            moves.append(self.station)
            self.next_move_at += self._dwell()
        return moves

    def _dwell(self) -> float:
        return self._rng.uniform(*self.dwell)


class SimStaff(SimTerminal):
    """A handset or recorder whose carrier walks the line on the shared service clock."""

    def __init__(self, terminal: Terminal, urls: str | Sequence[str], secret: str, *, walk: StaffWalk,
                 service: ServiceClock, **kwargs: Any) -> None:
        super().__init__(terminal, urls, secret, **kwargs)
        self.walk = walk
        self.service = service

    async def _on_registered(self) -> None:
        self._spawn_loop(self._walk(), f"staff-{self.id}-walk")

    async def _walk(self) -> None:
        """Report where the carrier is now, then after every move."""
        try:
            self.walk.advance(self.service.at(self.clock()))
            await self.report_location(self.walk.location())
            while self.link_up:
                if self.walk.next_move_at is None:
                    return
                wait = (self.walk.next_move_at - self.service.at(self.clock())) / self.service.speed
                await asyncio.sleep(min(max(wait, 0.0), _MAX_SLEEP))
                if self.walk.advance(self.service.at(self.clock())):
                    log.debug("staff %s moved to %s", self.id, self.walk.station)
                    await self.report_location(self.walk.location())
        except ConnectionClosed:
            return
