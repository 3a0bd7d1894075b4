"""A train's cab radio that runs to the timetable: it reports where the timetable puts its train.

`train_location` is the pure part (timetable and service time in, `Location` out); `SimTrain` reports it
about once a second over its own session, as a real train radio with a positioning fix would.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import Any

from protocols.aio.client import ConnectionClosed
from protocols.messages import Location
from testbed.line import Terminal, Timetable
from testbed.terminals.service import ServiceClock
from testbed.terminals.terminal import SimTerminal

log = logging.getLogger(__name__)

#: Seconds between two location reports of a train radio (SPEC: trains report about once a second).
REPORT_INTERVAL = 1.0


def train_location(timetable: Timetable, train_number: str, t: float, *,
                   depot: str | None = None) -> Location:
    """Where the timetable puts ``train_number`` at service time ``t``, as a location report carries it.

    A train the timetable does not run (a spare) stands in its ``depot``, reported as that area."""
    if train_number not in timetable.departures:
        return Location(area=depot, train_number=train_number)
    position = timetable.position(train_number, t)
    return Location(
        station=position.station,
        next_station=None if position.at_station else position.next_station,
        chainage_m=round(position.chainage_m, 1),
        direction=position.direction,
        train_number=train_number,
    )


class SimTrain(SimTerminal):
    """A train radio moving along the line on the timetable, at the shared service clock's speed."""

    def __init__(self, terminal: Terminal, urls: str | Sequence[str], secret: str, *, timetable: Timetable,
                 service: ServiceClock, depot: str | None = None, report_interval: float = REPORT_INTERVAL,
                 **kwargs: Any) -> None:
        super().__init__(terminal, urls, secret, **kwargs)
        if terminal.train is None:
            raise ValueError(f"terminal {terminal.id} is not a train radio (no train number)")
        self.train_number: str = terminal.train
        self.timetable = timetable
        self.service = service
        self.depot = depot
        self.report_interval = report_interval

    def location_at(self, now: float) -> Location:
        """Where the timetable puts this train at wall-clock time ``now``."""
        return train_location(self.timetable, self.train_number, self.service.at(now), depot=self.depot)

    async def _on_registered(self) -> None:
        self._spawn_loop(self._report_positions(), f"train-{self.train_number}-position")

    async def _report_positions(self) -> None:
        """Report the timetabled position every ``report_interval`` seconds while the link is up."""
        loop = asyncio.get_running_loop()
        next_at = loop.time()
        while self.link_up:
            try:
                now = self.clock()
                await self.report_location(self.location_at(now), fix_time=now)
            except ConnectionClosed:
                return
            next_at += self.report_interval
            # never bunch up reports after a stall: skip the missed ones
            next_at = max(next_at, loop.time())
            await asyncio.sleep(next_at - loop.time())
