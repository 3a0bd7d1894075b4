"""Drive the timers of a set of sans-I/O machines (anything with ``get_timer()`` and ``handle_timer(now)``)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Iterable
from typing import Protocol, TypeVar


class TimedMachine(Protocol):
    """A sans-I/O machine with deadlines: the earliest one, and what to do once it is reached."""

    def get_timer(self) -> float | None: ...

    def handle_timer(self, now: float) -> None: ...


M = TypeVar("M", bound=TimedMachine)


async def run_timers(machines: Callable[[], Iterable[M]], wake: asyncio.Event, clock: Callable[[], float],
                     fired: Callable[[M], None]) -> None:
    """Fire every machine's timer at its deadline, then call ``fired(machine)``; runs until cancelled.

    Set ``wake`` whenever a machine may have a new, earlier deadline (after any input)."""
    while True:
        wake.clear()
        deadlines = [t for m in machines() if (t := m.get_timer()) is not None]
        if not deadlines:
            await wake.wait()
            continue
        delay = min(deadlines) - clock()
        if delay > 0:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(wake.wait(), delay)
            continue
        now = clock()
        for machine in list(machines()):
            timer = machine.get_timer()
            if timer is not None and timer <= now:
                machine.handle_timer(now)
                fired(machine)
